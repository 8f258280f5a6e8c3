// torqued's own metrics: the attempt counter's buckets, the rendered text (HELP/TYPE,
// escaping, cumulative histogram), and the facts gathered from a real store.
#include "server/metrics_text.h"

#include <gtest/gtest.h>

#include "server/sqlite_store.h"
#include "tests/server/test_support.h"

namespace torque::server {
namespace {

bool Has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST(JobMetricsTest, CountsAttemptsInTheirBucket) {
  JobMetrics m;
  m.Observe("a", 5, "done");            // 0.005 s: first bucket (le 0.01)
  m.Observe("a", 10, "done");           // exactly 0.01: still the first
  m.Observe("a", 2'000, "retry");       // le 5
  m.Observe("a", 7'200'000, "failed");  // two hours: +Inf
  auto snap = m.Snapshot();
  const JobMetrics::Type& a = snap.at("a");
  ASSERT_EQ(a.buckets.size(), JobMetrics::Bounds().size() + 1);
  EXPECT_EQ(a.buckets[0], 2);
  EXPECT_EQ(a.buckets[5], 1);
  EXPECT_EQ(a.buckets.back(), 1);
  EXPECT_DOUBLE_EQ(a.sum_s, 0.005 + 0.01 + 2 + 7200);
  EXPECT_EQ(a.outcomes, (std::map<std::string, int64_t>{{"done", 2}, {"failed", 1}, {"retry", 1}}));
}

TEST(MetricsTextTest, RendersTheDaemonsFamilies) {
  JobMetrics m;
  m.Observe("tv \"shows\"", 300, "done");
  m.Observe("tv \"shows\"", 40'000, "failed");
  DaemonFacts f;
  f.started_at = 1'700'000'000'000;
  f.now = f.started_at + 90'500;
  TypeCounts c;
  c.type = "tv \"shows\"";
  c.queued = 5;
  c.delayed = 2;
  c.running = 1;
  c.failed = 3;
  f.types.push_back({c, true});
  f.accepted = 9;
  f.notifications = Service::OutboxInfo{4, 3, 2, 1};
  f.database_bytes = 4096;
  f.attempts = m.Snapshot();
  const std::string text = RenderDaemonMetrics(f);
  const std::string t = "type=\"tv \\\"shows\\\"\"";
  for (const std::string& part : std::vector<std::string>{
           "# HELP torque_jobs Jobs in the database per type and state (queued includes delayed "
           "ones).\n# TYPE torque_jobs gauge\n",
           "torque_jobs{" + t + ",state=\"queued\"} 5\n",
           "torque_jobs{" + t + ",state=\"running\"} 1\n",
           "torque_jobs{" + t + ",state=\"failed\"} 3\n",
           "torque_jobs_delayed{" + t + "} 2\n",
           "torque_jobs_ready{" + t + "} 3\n",
           "torque_type_paused{" + t + "} 1\n",
           "# TYPE torque_submissions_total counter\ntorque_submissions_total 9\n",
           "torque_job_attempts_total{" + t + ",outcome=\"done\"} 1\n",
           "torque_job_failures_total{" + t + "} 1\n",
           "# TYPE torque_job_run_seconds histogram\n",
           "torque_job_run_seconds_bucket{" + t + ",le=\"0.1\"} 0\n",
           "torque_job_run_seconds_bucket{" + t + ",le=\"0.5\"} 1\n",
           "torque_job_run_seconds_bucket{" + t + ",le=\"30\"} 1\n",
           "torque_job_run_seconds_bucket{" + t + ",le=\"60\"} 2\n",
           "torque_job_run_seconds_bucket{" + t + ",le=\"+Inf\"} 2\n",
           "torque_job_run_seconds_sum{" + t + "} 40.3\n",
           "torque_job_run_seconds_count{" + t + "} 2\n",
           "torque_notifications_pending 4\n",
           "torque_notifications_delivered_total 3\n",
           "torque_notification_failed_attempts_total 2\n",
           "torque_notifications_dropped_total 1\n",
           "torque_database_size_bytes 4096\n",
           "torque_uptime_seconds 90.5\n",
           "torque_start_time_seconds 1700000000\n",
       }) {
    EXPECT_TRUE(Has(text, part)) << part << "\nin:\n" << text;
  }
  // Every family is announced once, before its samples.
  EXPECT_EQ(text.find("# TYPE torque_jobs gauge"), text.rfind("# TYPE torque_jobs gauge"));
}

TEST(MetricsTextTest, GathersFromTheStoreAndTheConfiguration) {
  torque::testing::TempDir dir;
  torque::testing::FakeClock clock;
  auto store = SqliteStore::Open(SqliteStoreOptions{dir.File("torque.db")});
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  Dispatcher dispatcher(**store, clock, {});
  auto config = std::make_shared<Config>();
  config->types["idle"].name = "idle";
  config->types["busy"].name = "busy";
  Intake intake(**store, dispatcher, clock, config);
  dispatcher.Configure(*config, {{"busy", std::make_shared<torque::testing::ScriptedHandler>()}},
                       {"busy"});
  NewJob job;
  job.type = "busy";
  job.created_at = job.run_at = clock.Now();
  ASSERT_TRUE((*store)->Insert({job, job}).ok());
  JobMetrics jobs;
  MetricsSources sources{store->get(), &dispatcher, &intake, &clock, clock.Now() - 1000, {}, &jobs};
  auto facts = GatherDaemonFacts(sources);
  ASSERT_TRUE(facts.ok()) << facts.status().ToString();
  ASSERT_EQ(facts->types.size(), 2u);
  EXPECT_EQ(facts->types[0].counts.type, "busy");
  EXPECT_EQ(facts->types[0].counts.queued, 2);
  EXPECT_TRUE(facts->types[0].paused);
  EXPECT_EQ(facts->types[1].counts.type, "idle");
  EXPECT_GT(facts->database_bytes, 0);
  EXPECT_FALSE(facts->notifications);
  const std::string text = RenderDaemonMetrics(*facts);
  EXPECT_TRUE(Has(text, "torque_jobs{type=\"busy\",state=\"queued\"} 2\n")) << text;
  EXPECT_TRUE(Has(text, "torque_jobs{type=\"idle\",state=\"queued\"} 0\n")) << text;
  EXPECT_FALSE(Has(text, "torque_notifications")) << text;
}

}  // namespace
}  // namespace torque::server
