// RtorrentMetrics against an in-memory rTorrent: pyrosimple's names, one request per sample
// once the methods and views are known, views read at every sample, tracker aliases, item
// stats, the settings' errors — and against a real socket that never answers: the deadline.
#include "jobs/rtorrent_metrics.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "jobs/metrics_exporter.h"
#include "jobs/rtorrent/connector.h"
#include "jobs/rtorrent/xmlrpc.h"
#include "tests/jobs/handler_fakes.h"
#include "tests/test_env.h"

namespace torque::jobs {
namespace {

using rtorrent::Array;
using rtorrent::Struct;
using rtorrent::Value;
using testing::FakeConnections;
using testing::TestType;
using namespace std::chrono_literals;

// Answers system.multicall: a method in `values` (view.size as "view.size:VIEW") gets its
// value, system.listMethods the names in `values`, d.multicall2 `rows` (each row a map from
// command to value), anything else a fault, as rTorrent does.
class MetricsRtorrent : public rtorrent::Rpc {
 public:
  Result<Value> Call(const std::string& method, const Array& params) override {
    std::lock_guard lock(mu);
    ++requests;
    if (down) return Status::Unavailable("cannot connect to rTorrent at fake: refused");
    if (method != "system.multicall") return rtorrent::Fault{-506, "no " + method}.ToStatus();
    Array answers;
    for (const Value& entry : params.at(0).AsArray()) {
      const Struct& call = std::get<Struct>(entry.v);
      std::string key = call.at("methodName").AsString();
      const Array& args = call.at("params").AsArray();
      asked.push_back(key);
      if (key == "view.size") key += ":" + args.at(1).AsString();
      if (key == "system.listMethods") {
        Array names;
        for (const auto& [name, v] : values) names.emplace_back(name);
        answers.emplace_back(Array{Value(names)});
        continue;
      }
      if (key == "d.multicall2") {
        Array out;
        for (const auto& row : rows) {
          Array r;
          for (size_t i = 2; i < args.size(); ++i) {
            auto it = row.find(args[i].AsString());
            r.push_back(it == row.end() ? Value("") : it->second);
          }
          out.emplace_back(std::move(r));
        }
        answers.emplace_back(Array{Value(std::move(out))});
        continue;
      }
      auto it = values.find(key);
      if (it == values.end()) {
        answers.emplace_back(Struct{{"faultCode", Value(-506)}, {"faultString", Value("no")}});
      } else {
        answers.emplace_back(Array{it->second});
      }
    }
    return Value(std::move(answers));
  }

  std::mutex mu;
  bool down = false;
  int requests = 0;
  std::vector<std::string> asked;
  std::map<std::string, Value> values = {
      {"system.client_version", Value("0.9.8")},
      {"system.library_version", Value("0.13.8")},
      {"system.time", Value(int64_t{1'700'000'100})},
      {"system.startup_time", Value(int64_t{1'700'000'000})},
      {"throttle.global_up.rate", Value(int64_t{1536})},
      {"throttle.global_up.max_rate", Value(int64_t{0})},
      {"throttle.global_down.rate", Value(int64_t{10})},
      {"throttle.global_down.max_rate", Value(int64_t{2048})},
      {"throttle.global_down.total", Value(int64_t{123456789})},
      {"network.max_open_files", Value(int64_t{128})},
      {"view.list", Value(Array{Value("main"), Value("started")})},
      {"view.size:main", Value(int64_t{3})},
      {"view.size:started", Value(int64_t{1})},
  };
  std::vector<std::map<std::string, Value>> rows;
};

struct Fixture {
  MetricsRtorrent rt;
  std::shared_ptr<FakeConnections> connections = std::make_shared<FakeConnections>(rt);

  HandlerEnv Env() {
    HandlerEnv env;
    env.config = std::make_shared<const Config>();
    env.rtorrent = connections;
    return env;
  }
  std::shared_ptr<const RtorrentMetrics> Make(
      const std::vector<std::pair<std::string, std::string>>& settings) {
    auto m = RtorrentMetrics::Create(TestType(settings, "exporter"), Env());
    EXPECT_TRUE(m.ok()) << m.status().ToString();
    return m.ok() ? *m : nullptr;
  }
};

auto Soon() { return std::chrono::steady_clock::now() + 5s; }

TEST(RtorrentMetricsTest, SystemSeriesWithPyrosimpleNames) {
  Fixture f;
  auto m = f.Make({});
  RtorrentSample s = m->Sample(Soon());
  ASSERT_TRUE(s.up) << s.error;
  EXPECT_EQ(s.client_version, "0.9.8");
  EXPECT_EQ(s.library_version, "0.13.8");
  EXPECT_EQ(s.uptime_s, 100);
  EXPECT_EQ(s.up_rate, 1536);
  EXPECT_EQ(s.down_max, 2048);
  EXPECT_EQ(s.views, (std::map<std::string, int64_t>{{"main", 3}, {"started", 1}}));
  EXPECT_EQ(s.system, (std::map<std::string, double>{{"network.max_open_files", 128},
                                                     {"throttle.global_down.max_rate", 2048},
                                                     {"throttle.global_down.rate", 10},
                                                     {"throttle.global_down.total", 123456789},
                                                     {"throttle.global_up.max_rate", 0},
                                                     {"throttle.global_up.rate", 1536}}));
  const std::string text = m->Exposition(s);
  for (const char* line :
       {"# TYPE rtorrent_up gauge\nrtorrent_up 1\n",
        "rtorrent_info{system_client_version=\"0.9.8\",system_library_version=\"0.13.8\"} 1\n",
        "rtorrent_view_size{view=\"main\"} 3\nrtorrent_view_size{view=\"started\"} 1\n",
        "# TYPE rtorrent_throttle_global_down_total gauge\n"
        "rtorrent_throttle_global_down_total 123456789\n",
        "rtorrent_network_max_open_files 128\n",
        "# TYPE rtorrent_scrape_duration_seconds gauge\n"}) {
    EXPECT_NE(text.find(line), std::string::npos) << line << "\nin:\n" << text;
  }
  EXPECT_EQ(text.find("tracker_"), std::string::npos);
}

TEST(RtorrentMetricsTest, OneRequestOnceMethodsAndViewsAreKnown) {
  Fixture f;
  auto m = f.Make({});
  ASSERT_TRUE(m->Sample(Soon()).up);
  EXPECT_EQ(f.rt.requests, 2);  // the first: listMethods and view.list, then what they named
  f.rt.asked.clear();
  ASSERT_TRUE(m->Sample(Soon()).up);
  EXPECT_EQ(f.rt.requests, 3);
  EXPECT_EQ(std::count(f.rt.asked.begin(), f.rt.asked.end(), "system.listMethods"), 0);
  // A view made later is counted at the next sample (one more request), a deleted one goes.
  f.rt.values["view.list"] = Value(Array{Value("main"), Value("fresh")});
  f.rt.values["view.size:fresh"] = Value(int64_t{7});
  RtorrentSample s = m->Sample(Soon());
  EXPECT_EQ(f.rt.requests, 5);
  EXPECT_EQ(s.views, (std::map<std::string, int64_t>{{"fresh", 7}, {"main", 3}}));
  ASSERT_TRUE(m->Sample(Soon()).up);
  EXPECT_EQ(f.rt.requests, 6);
}

TEST(RtorrentMetricsTest, DeadRtorrentIsUpZeroAndNothingElse) {
  Fixture f;
  auto m = f.Make({{"jobs", "system, tracker, item"}});
  f.rt.down = true;
  RtorrentSample s = m->Sample(Soon());
  EXPECT_FALSE(s.up);
  EXPECT_EQ(s.error, "cannot connect to rTorrent at fake: refused");
  const std::string text = m->Exposition(s);
  EXPECT_NE(text.find("rtorrent_up 0\n"), std::string::npos) << text;
  EXPECT_EQ(text.find("rtorrent_info"), std::string::npos) << text;
  EXPECT_EQ(text.find("view_size"), std::string::npos) << text;
  EXPECT_EQ(text.find("tracker_amount"), std::string::npos) << text;
  EXPECT_NE(text.find("# rtorrent_up 0: cannot connect"), std::string::npos) << text;
  f.connections->connect_error = Status::NotFound("no rTorrent URL: none");
  EXPECT_EQ(m->Sample(Soon()).error, "cannot reach rTorrent: no rTorrent URL: none");
  // Back: learned again from scratch.
  f.rt.down = false;
  f.connections->connect_error.reset();
  EXPECT_TRUE(m->Sample(Soon()).up);
}

TEST(RtorrentMetricsTest, TrackersByAliasThenDomainAndItemsInTheSameRequest) {
  Fixture f;
  auto trackers = [](const std::string& url) {
    return Value(Array{Value(Array{Value(url), Value(int64_t{1})})});
  };
  f.rt.rows = {
      {{"d.hash=", Value("AA")},
       {"d.name=", Value("one \"quoted\"")},
       {"d.custom=memo_alias", Value("Debian")},
       {"d.message=", Value("")},
       {"d.down.total=", Value(int64_t{10})},
       {"d.up.total=", Value(int64_t{20})},
       {"d.ratio=", Value(int64_t{1500})}},
      {{"d.hash=", Value("BB")},
       {"d.name=", Value("two")},
       {"t.multicall=,t.url=,t.is_enabled=", trackers("http://tracker.example.com:6969/ann")},
       {"d.message=", Value("Tracker: timed out")},
       {"d.down.total=", Value(int64_t{1})},
       {"d.up.total=", Value(int64_t{2})}},
      {{"d.hash=", Value("CC")},
       {"d.name=", Value("three")},
       {"d.custom=m_alias", Value("udp://open.example.com:80")},
       {"d.message=", Value("")}},
  };
  auto m = f.Make({{"jobs", "tracker,item"}, {"item-stats", "[\"d.down.total\", \"up.total\"]"}});
  RtorrentSample s = m->Sample(Soon());
  ASSERT_TRUE(s.up) << s.error;
  EXPECT_EQ(f.rt.requests, 2);  // the views' sizes after the first view.list
  EXPECT_EQ(std::count(f.rt.asked.begin(), f.rt.asked.end(), "d.multicall2"), 1);
  EXPECT_EQ(std::count(f.rt.asked.begin(), f.rt.asked.end(), "system.listMethods"), 0);
  ASSERT_EQ(s.trackers.size(), 2u);
  EXPECT_EQ(s.trackers.at("Debian").amount, 1);
  EXPECT_EQ(s.trackers.at("example.com").amount, 2);
  EXPECT_EQ(s.trackers.at("example.com").errors, 1);
  ASSERT_EQ(s.items.size(), 3u);
  EXPECT_EQ(s.items[0].labels.at("d_name"), "one \"quoted\"");
  EXPECT_EQ(s.items[0].stats.at("d_up_total"), 20);
  EXPECT_TRUE(s.system.empty());
  const std::string text = m->Exposition(s);
  for (const char* line : {
           "rtorrent_tracker_amount{alias=\"Debian\"} 1\n",
           "rtorrent_tracker_amount{alias=\"example.com\"} 2\n",
           "rtorrent_tracker_errors{alias=\"example.com\"} 1\n",
           "rtorrent_d_down_total{d_hash=\"AA\",d_name=\"one \\\"quoted\\\"\"} 10\n",
           "rtorrent_d_up_total{d_hash=\"BB\",d_name=\"two\"} 2\n",
       }) {
    EXPECT_NE(text.find(line), std::string::npos) << line << "\nin:\n" << text;
  }
  EXPECT_EQ(text.find("view_size"), std::string::npos);  // system not asked for
  EXPECT_EQ(text.find("d_ratio"), std::string::npos);
}

TEST(RtorrentMetricsTest, PrefixAndLabels) {
  Fixture f;
  f.rt.rows = {{{"d.hash=", Value("AA")},
                {"d.custom1=", Value("tv")},
                {"d.size_bytes=", Value(int64_t{5})}}};
  auto m = f.Make({{"jobs", "item"},
                   {"prefix", "rt_"},
                   {"item_stats", "size_bytes"},
                   {"item_labels", "hash custom1"}});
  const std::string text = m->Exposition(m->Sample(Soon()));
  EXPECT_NE(text.find("rt_up 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("rt_d_size_bytes{d_custom1=\"tv\",d_hash=\"AA\"} 5\n"), std::string::npos)
      << text;
}

TEST(RtorrentMetricsTest, BadSettingsNameTheLine) {
  Fixture f;
  auto error = [&](const std::vector<std::pair<std::string, std::string>>& settings) {
    auto m = RtorrentMetrics::Create(TestType(settings, "x"), f.Env());
    return m.ok() ? std::string("ok") : m.status().message();
  };
  EXPECT_EQ(error({{"jobs", "system,disk"}}),
            "torque.ini:2: job type 'x': key 'jobs': 'disk' is not one of system, tracker, item");
  EXPECT_EQ(error({{"jobs", ""}}),
            "torque.ini:2: job type 'x': key 'jobs': expected system, tracker and/or item");
  EXPECT_EQ(error({{"prefix", "rt-"}}).substr(0, 51),
            "torque.ini:2: job type 'x': key 'prefix': 'rt-' is ");
  EXPECT_EQ(
      error({{"item_stats", "d.down.total d.x=$y"}}),
      "torque.ini:2: job type 'x': key 'item_stats': 'd.x=$y' is not an rTorrent d.* command");
  EXPECT_EQ(error({{"scgi_url", "bad"}}),
            "torque.ini:2: job type 'x': key 'scgi_url': bad URL 'bad'");
}

TEST(RtorrentMetricsTest, ExporterRunReportsOneLine) {
  Fixture f;
  auto h = testing::MakeTestHandler("metrics_exporter", "exporter", {{"jobs", "system,tracker"}},
                                    nullptr, f.connections);
  ASSERT_TRUE(h.ok()) << h.status().ToString();
  JobContext ctx;
  RunResult r = (*h)->Run(ctx);
  EXPECT_EQ(r.kind, RunResult::Kind::kSucceeded) << r.error;
  EXPECT_EQ(r.result.substr(0, 33), "rTorrent 0.9.8/0.13.8 answered in");
  EXPECT_NE(r.result.find("ms: 2 views, 6 system gauges, 0 trackers"), std::string::npos)
      << r.result;
  f.rt.down = true;
  r = (*h)->Run(ctx);
  EXPECT_EQ(r.kind, RunResult::Kind::kFailed);
  EXPECT_EQ(r.error, "cannot connect to rTorrent at fake: refused");
}

// A real SCGI socket that accepts and never answers (a stopped rTorrent): the sample ends
// at its deadline with up = false.
TEST(RtorrentMetricsTest, HungRtorrentEndsAtTheDeadline) {
  torque::testing::TempDir dir("tq-metrics");
  const std::string path = dir.File("rt.sock");
  int fd = socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path.c_str());
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(listen(fd, 8), 0);
  HandlerEnv env;
  RtorrentConfig rc;
  rc.url = "scgi://" + path;
  env.config = std::make_shared<const Config>();
  env.rtorrent = std::make_shared<rtorrent::ScgiConnectorFactory>(rc);
  auto m = RtorrentMetrics::Default(env);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  const auto start = std::chrono::steady_clock::now();
  RtorrentSample s = (*m)->Sample(start + 300ms);
  const auto took = std::chrono::steady_clock::now() - start;
  close(fd);
  EXPECT_FALSE(s.up);
  EXPECT_NE(s.error.find("did not answer within"), std::string::npos) << s.error;
  EXPECT_GE(took, 300ms);
  EXPECT_LT(took, 30s);  // not rTorrent's 30 s call timeout
}

}  // namespace
}  // namespace torque::jobs
