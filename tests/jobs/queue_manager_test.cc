// The queue_manager handler against a stateful fake rTorrent: the requests a pass sends
// (1 when nothing starts, 2 when something does), dry runs, the durable last start and
// how failures end a run.
#include "jobs/queue_manager.h"

#include <gtest/gtest.h>

#include <thread>

#include "jobs/rtorrent/connector.h"
#include "tests/jobs/handler_fakes.h"
#include "tests/jobs/queue_test_items.h"

namespace torque::jobs {
namespace {

using rtorrent::Array;
using rtorrent::Struct;
using rtorrent::Value;
using testing::QueueItem;
using testing::QueueItemValues;
using testing::FakeConnections;
using testing::FixedClock;
using testing::MakeTestHandler;
using testing::MemoryState;
using Kind = RunResult::Kind;

constexpr TimeMs kNowMs = rtorrent::testing::kNow * 1000;

// rTorrent's view "main" in memory: answers d.multicall2 and d.multicall.filtered (all
// items; it does not evaluate the expression) and system.multicall of d.open, d.start,
// d.custom.set and print, which change the items. Records every request.
class FakeRtorrent : public rtorrent::Rpc {
 public:
  Result<Value> Call(const std::string& method, const Array& params) override {
    std::lock_guard lock(mu);
    methods.push_back(method);
    if (delay_ms) std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
    if (fail) return *fail;
    if (method == "d.multicall2" || method == "d.multicall.filtered") {
      view = params.at(1).AsString();
      const size_t first = method == "d.multicall2" ? 2 : 3;
      Array rows;
      for (const QueueItem& q : items) {
        auto values = QueueItemValues(q);
        Array row;
        for (size_t i = first; i < params.size(); ++i) {
          auto it = values.find(params[i].AsString());
          row.push_back(it == values.end() ? Value() : it->second);
        }
        rows.emplace_back(std::move(row));
      }
      return Value(std::move(rows));
    }
    if (method != "system.multicall") return rtorrent::Fault{-506, "no " + method}.ToStatus();
    Array answers;
    std::vector<std::string> inner;
    for (const Value& entry : params.at(0).AsArray()) {
      const Struct& call = std::get<Struct>(entry.v);
      const std::string name = call.at("methodName").AsString();
      const Array& args = call.at("params").AsArray();
      inner.push_back(name);
      const std::string key = name + ":" + (args.empty() ? "" : args[0].AsString());
      if (auto f = faults.find(key); f != faults.end()) {
        answers.emplace_back(Struct{{"faultCode", Value(-501)}, {"faultString", Value(f->second)}});
        continue;
      }
      if (name == "print") printed.push_back(args.at(1).AsString());
      for (QueueItem& q : items) {
        if (args.empty() || q.hash != args[0].AsString()) continue;
        if (name == "d.open") q.open = true;
        if (name == "d.start") q.active = true;
      }
      answers.emplace_back(Array{Value(0)});
    }
    multicalls.push_back(inner);
    return Value(std::move(answers));
  }

  std::mutex mu;
  std::vector<QueueItem> items;
  std::optional<Status> fail;
  int delay_ms = 0;                           // before every answer
  std::map<std::string, std::string> faults;  // "d.start:HASH" → fault text
  std::vector<std::string> methods;
  std::vector<std::vector<std::string>> multicalls;
  std::vector<std::string> printed;
  std::string view;
};

QueueItem Stopped(const std::string& hash, int prio = 2) {
  QueueItem q;
  q.hash = hash;
  q.name = "item " + hash;
  q.prio = prio;
  q.loaded = 1000;
  return q;
}

class QueueManagerTest : public ::testing::Test {
 protected:
  std::unique_ptr<Handler> Make(std::vector<std::pair<std::string, std::string>> keys = {}) {
    auto h = MakeTestHandler("queue_manager", "queue", keys, &clock_, connections_);
    EXPECT_TRUE(h.ok()) << h.status().message();
    return h.ok() ? std::move(*h) : nullptr;
  }

  RunResult Run(Handler& h, const std::string& args = "", bool dry_run = false,
                DurationMs timeout = 0) {
    JobContext ctx;
    ctx.id = 1;
    ctx.type = "queue";
    ctx.args = args;
    ctx.dry_run = dry_run;
    ctx.timeout = timeout;
    ctx.clock = &clock_;
    ctx.state = &state_;
    ctx.cancel = &cancel_;
    RunResult r = h.Run(ctx);
    // As the dispatcher does: the state goes with the outcome.
    for (const auto& [k, v] : r.handler_state) state_.values[k] = v;
    return r;
  }

  FakeRtorrent rt_;
  std::shared_ptr<FakeConnections> connections_ = std::make_shared<FakeConnections>(rt_);
  MemoryState state_;
  FixedClock clock_{kNowMs};
  CancelSignal cancel_;
};

TEST_F(QueueManagerTest, NothingToStartIsOneRequest) {
  rt_.items = {Stopped("A", 0), Stopped("B", 0)};
  auto h = Make();
  RunResult r = Run(*h);
  EXPECT_EQ(r.kind, Kind::kSucceeded) << r.error;
  EXPECT_EQ(rt_.methods, std::vector<std::string>{"d.multicall.filtered"});
  EXPECT_EQ(rt_.view, "main");
  EXPECT_TRUE(r.handler_state.empty());
  EXPECT_EQ(r.result.substr(0, r.result.find('\n')),
            "queue pass: 2 items in view 'main', 0 downloading (min 1, max 9), 0 startable");
  EXPECT_NE(r.result.find("took "), std::string::npos);
  EXPECT_NE(r.result.find(": 1 request to rTorrent"), std::string::npos) << r.result;
}

TEST_F(QueueManagerTest, StartsAreTheSecondAndLastRequest) {
  rt_.items = {Stopped("A"), Stopped("B")};
  auto h = Make({{"start_at_once", "2"}});
  RunResult r = Run(*h);
  EXPECT_EQ(r.kind, Kind::kSucceeded) << r.error;
  EXPECT_EQ(rt_.methods, (std::vector<std::string>{"d.multicall.filtered", "system.multicall"}));
  ASSERT_EQ(rt_.multicalls.size(), 1u);
  EXPECT_EQ(rt_.multicalls[0],
            (std::vector<std::string>{"d.open", "d.start", "d.custom.set", "print", "d.open",
                                      "d.start", "d.custom.set", "print"}));
  EXPECT_EQ(rt_.printed,
            (std::vector<std::string>{"QueueManager: Started 'item A' {example.com}",
                                      "QueueManager: Started 'item B' {example.com}"}));
  EXPECT_TRUE(rt_.items[0].active && rt_.items[1].active);
  EXPECT_EQ(r.handler_state.at(QueueManager::kLastStartKey), std::to_string(kNowMs));
  EXPECT_NE(r.result.find("started 'item A' [example.com, #A]\nstarted 'item B'"),
            std::string::npos)
      << r.result;
  EXPECT_NE(r.result.find(": 2 requests to rTorrent"), std::string::npos) << r.result;

  // The next pass counts them as downloading; quiet writes nothing into rTorrent's log.
  rt_.items.push_back(Stopped("C"));
  auto quiet = Make({{"quiet", "yes"}, {"downloading_max", "3"}});
  rt_.methods.clear();
  RunResult next = Run(*quiet);
  EXPECT_EQ(rt_.multicalls.back(), (std::vector<std::string>{"d.open", "d.start", "d.custom.set"}));
  EXPECT_EQ(rt_.printed.size(), 2u);
  EXPECT_NE(next.result.find("2 downloading"), std::string::npos) << next.result;
}

TEST_F(QueueManagerTest, ViewAndPrefilterSettings) {
  rt_.items = {Stopped("A", 0)};
  auto h = Make({{"view", "pyrotorque"}, {"prefilter", "no"}});
  Run(*h);
  EXPECT_EQ(rt_.methods, std::vector<std::string>{"d.multicall2"});
  EXPECT_EQ(rt_.view, "pyrotorque");
}

TEST_F(QueueManagerTest, DryRunArgumentStartsNothingAndChangesNothing) {
  rt_.items = {Stopped("A")};
  state_.values[QueueManager::kLastStartKey] = "5";
  auto h = Make();
  RunResult r = Run(*h, "dry-run");
  EXPECT_EQ(r.kind, Kind::kSucceeded) << r.error;
  EXPECT_EQ(rt_.methods, std::vector<std::string>{"d.multicall.filtered"});
  EXPECT_TRUE(r.handler_state.empty());
  EXPECT_EQ(r.result.rfind("queue pass (dry run): ", 0), 0u) << r.result;
  EXPECT_NE(r.result.find("\nwould start 'item A' [example.com, #A]\n"), std::string::npos);
  EXPECT_FALSE(rt_.items[0].active);
  EXPECT_EQ(Run(*h, "now please").error,
            "unknown argument 'now please': a queue pass takes none, or 'dry-run'");
}

TEST_F(QueueManagerTest, DryRunTypeKeepsItsPretendLastStartInMemory) {
  rt_.items = {Stopped("A"), Stopped("B")};
  auto h = Make({{"intermission", "60"}});
  RunResult first = Run(*h, "", /*dry_run=*/true);
  EXPECT_NE(first.result.find("would start 'item A'"), std::string::npos) << first.result;
  EXPECT_TRUE(first.handler_state.empty());
  clock_.now += 10'000;
  RunResult second = Run(*h, "", true);
  EXPECT_NE(second.result.find("nothing started: intermission: 50 s left of 60 s"),
            std::string::npos)
      << second.result;
  EXPECT_EQ(rt_.methods.size(), 2u);  // fetches only
  EXPECT_TRUE(state_.values.empty());
}

TEST_F(QueueManagerTest, TheStoredLastStartIsHonoured) {
  rt_.items = {Stopped("A")};
  state_.values[QueueManager::kLastStartKey] = std::to_string(kNowMs - 10'000);
  auto h = Make({{"intermission", "60"}});
  RunResult r = Run(*h);
  EXPECT_NE(r.result.find("nothing started: intermission: 50 s left of 60 s"), std::string::npos)
      << r.result;
  EXPECT_TRUE(r.handler_state.empty());
  clock_.now += 50'000;
  RunResult later = Run(*h);
  EXPECT_NE(later.result.find("started 'item A'"), std::string::npos) << later.result;
  EXPECT_EQ(state_.values.at(QueueManager::kLastStartKey), std::to_string(kNowMs + 50'000));
}

TEST_F(QueueManagerTest, FailuresEndTheRunWithTheReason) {
  rt_.items = {Stopped("A")};
  auto h = Make();
  rt_.fail = Status::Unavailable("cannot connect to rTorrent at scgi:///x: No such file");
  RunResult down = Run(*h);
  EXPECT_EQ(down.kind, Kind::kFailed);
  EXPECT_EQ(down.error,
            "fetching view 'main' from rTorrent: cannot connect to rTorrent at scgi:///x: No such "
            "file");
  rt_.fail = Status::Cancelled("call to rTorrent at scgi:///x cancelled");
  EXPECT_EQ(Run(*h).kind, Kind::kCancelled);
  rt_.fail.reset();

  connections_->connect_error = Status::NotFound("no rTorrent URL: ~/.rtorrent.rc not found");
  RunResult unconfigured = Run(*h);
  EXPECT_EQ(unconfigured.error, "cannot reach rTorrent: no rTorrent URL: ~/.rtorrent.rc not found");
  connections_->connect_error.reset();

  rt_.faults["d.start:A"] = "Could not find info-hash.";
  RunResult fault = Run(*h);
  EXPECT_EQ(fault.kind, Kind::kFailed);
  EXPECT_EQ(fault.error,
            "starting 'item A' [example.com, #A] failed: d.start: rTorrent fault -501: Could not "
            "find info-hash.");
  EXPECT_NE(fault.result.find(fault.error), std::string::npos) << fault.result;
  // The open may have happened: the last start is recorded anyway.
  EXPECT_EQ(fault.handler_state.at(QueueManager::kLastStartKey), std::to_string(kNowMs));
}

TEST_F(QueueManagerTest, ATimeoutOfTheJobIsATimeout) {
  rt_.items = {Stopped("A")};
  auto h = Make();
  rt_.fail = Status::Timeout("rTorrent at scgi:///x did not answer within 5 ms");
  rt_.delay_ms = 10;
  RunResult late = Run(*h, "", false, /*timeout=*/5);
  EXPECT_EQ(late.kind, Kind::kTimedOut) << late.error;
  EXPECT_EQ(late.error, "timed out after 5ms while fetching view 'main' from rTorrent");
  // Without a job timeout, rTorrent's own timeout is a failure with its message.
  RunResult slow = Run(*h);
  EXPECT_EQ(slow.kind, Kind::kFailed);
}

TEST_F(QueueManagerTest, SettingErrorsComeFromTheFactory) {
  auto h = MakeTestHandler("queue_manager", "queue", {{"scgi_url", "bad"}}, &clock_, connections_);
  ASSERT_FALSE(h.ok());
  EXPECT_EQ(h.status().message(), "torque.ini:2: job type 'queue': key 'scgi_url': bad URL 'bad'");
}

}  // namespace
}  // namespace torque::jobs
