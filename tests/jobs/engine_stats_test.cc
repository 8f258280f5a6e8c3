// The engine_stats handler against an in-memory rTorrent: one request per run, pyrocore's
// line, the uptime from system.startup_time or the session lock, unknown views, failures.
#include "jobs/engine_stats.h"

#include <gtest/gtest.h>
#include <utime.h>

#include "jobs/rtorrent/xmlrpc.h"
#include "tests/jobs/handler_fakes.h"
#include "tests/test_env.h"

namespace torque::jobs {
namespace {

using rtorrent::Array;
using rtorrent::Struct;
using rtorrent::Value;
using testing::FakeConnections;
using testing::FixedClock;
using testing::MakeTestHandler;
using Kind = RunResult::Kind;

// Answers system.multicall from `values` (method, or "view.size:VIEW"); a method not there
// gets a fault, as rTorrent answers an unknown command or view.
class StatsRtorrent : public rtorrent::Rpc {
 public:
  Result<Value> Call(const std::string& method, const Array& params) override {
    ++requests;
    if (method != "system.multicall") return rtorrent::Fault{-506, "no " + method}.ToStatus();
    Array answers;
    for (const Value& entry : params.at(0).AsArray()) {
      const Struct& call = std::get<Struct>(entry.v);
      std::string key = call.at("methodName").AsString();
      if (key == "view.size") key += ":" + call.at("params").AsArray().at(1).AsString();
      auto it = values.find(key);
      if (it == values.end()) {
        answers.emplace_back(Struct{{"faultCode", Value(-503)}, {"faultString", Value("no")}});
      } else {
        answers.emplace_back(Array{it->second});
      }
    }
    return Value(std::move(answers));
  }
  int requests = 0;
  std::map<std::string, Value> values = {
      {"system.client_version", Value("0.9.8")},
      {"system.library_version", Value("0.13.8")},
      {"session.name", Value("box:1234")},
      {"session.path", Value("")},
      {"system.time", Value(int64_t{1'700'003'725})},
      {"system.startup_time", Value(int64_t{1'700'000'000})},
      {"throttle.global_up.rate", Value(int64_t{1536})},
      {"throttle.global_up.max_rate", Value(int64_t{5 << 20})},
      {"throttle.global_down.rate", Value(int64_t{0})},
      {"throttle.global_down.max_rate", Value(int64_t{0})},
      {"view.size:main", Value(int64_t{120})},
      {"view.size:started", Value(int64_t{8})},
  };
};

class EngineStatsTest : public ::testing::Test {
 protected:
  Result<std::unique_ptr<Handler>> Make(std::vector<std::pair<std::string, std::string>> keys) {
    return MakeTestHandler("engine_stats", "connstats", keys, &clock_, connections_);
  }
  RunResult Run(Handler& h) {
    JobContext ctx;
    ctx.type = "connstats";
    ctx.cancel = &cancel_;
    return h.Run(ctx);
  }
  StatsRtorrent rt_;
  std::shared_ptr<FakeConnections> connections_ = std::make_shared<FakeConnections>(rt_);
  FixedClock clock_{0};
  CancelSignal cancel_;
};

TEST_F(EngineStatsTest, OneRequestAndPyrocoresLine) {
  auto h = Make({{"views", "main, started stopped"}});
  ASSERT_TRUE(h.ok()) << h.status().message();
  RunResult r = Run(**h);
  EXPECT_EQ(r.kind, Kind::kSucceeded) << r.error;
  EXPECT_EQ(r.result,
            "Stats for box:1234 - up 1h2m, rTorrent 0.9.8/0.13.8, up 1.5 KiB/s [max 5.0 MiB/s], "
            "down 0 B/s [no limit], views: main 120, started 8, stopped ?");
  EXPECT_EQ(rt_.requests, 1);
}

TEST_F(EngineStatsTest, UptimeFromTheSessionLockWithoutStartupTime) {
  testing::TempDir dir("torque-stats");
  const std::string lock = dir.Write("rtorrent.lock", "host:+1234\n");
  utimbuf at{1'700'003'000, 1'700'003'000};
  ASSERT_EQ(::utime(lock.c_str(), &at), 0);
  rt_.values.erase("system.startup_time");
  rt_.values["session.path"] = Value(dir.path());
  auto h = Make({});
  ASSERT_TRUE(h.ok());
  RunResult r = Run(**h);
  EXPECT_EQ(r.result.substr(0, r.result.find(',')), "Stats for box:1234 - up 12m5s");
  // No lock to see (another host): the uptime is unknown, the rest is there.
  rt_.values["session.path"] = Value("/nonexistent/session/");
  RunResult unknown = Run(**h);
  EXPECT_EQ(unknown.kind, Kind::kSucceeded);
  EXPECT_EQ(unknown.result.substr(0, unknown.result.find(',')), "Stats for box:1234 - up ?");
  EXPECT_NE(unknown.result.find("views: main 120, started 8, stopped ?, complete ?"),
            std::string::npos)
      << unknown.result;
}

TEST_F(EngineStatsTest, FailuresAndBadSettings) {
  auto h = Make({});
  ASSERT_TRUE(h.ok());
  connections_->connect_error = Status::Unavailable("cannot connect to rTorrent at fake");
  RunResult r = Run(**h);
  EXPECT_EQ(r.kind, Kind::kFailed);
  EXPECT_EQ(r.error, "cannot reach rTorrent: cannot connect to rTorrent at fake");
  connections_->connect_error.reset();
  rt_.values.erase("system.client_version");
  EXPECT_EQ(Run(**h).kind, Kind::kFailed);

  auto bad = Make({{"views", "main, st/arted"}});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(),
            "torque.ini:2: job type 'connstats': key 'views': 'st/arted' is not a view name");
  auto none = Make({{"views", " , "}});
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.status().message(),
            "torque.ini:2: job type 'connstats': key 'views': no view to count");
}

}  // namespace
}  // namespace torque::jobs
