// Dispatcher on a real SQLite store with a fake clock and scripted handlers.
#include "server/dispatcher.h"

#include <gtest/gtest.h>

#include <future>
#include <map>

#include "server/sqlite_store.h"
#include "tests/server/test_support.h"

namespace torque::server {
namespace {

using testing::FakeClock;
using testing::ScriptedHandler;
using testing::TempDir;
using Kind = jobs::RunResult::Kind;

// A store, a dispatcher and a record of final jobs.
class DispatcherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = SqliteStore::Open(SqliteStoreOptions{dir_.File("torque.db")});
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    store_ = std::move(*opened);
  }
  void TearDown() override {
    if (dispatcher_) dispatcher_->Stop(0);
  }

  // Starts a dispatcher with one job type `t` using `handler`; `options` get the test's
  // backoff and final-state recorder.
  void Start(std::shared_ptr<jobs::Handler> handler, JobTypeConfig type = {},
             std::set<std::string> paused = {}, DispatcherOptions options = {}) {
    type.name = "t";
    Config config;
    config.types["t"] = type;
    options.backoff = [](const JobTypeConfig&, int attempt) { return 1000LL * attempt; };
    options.on_final = [this](const Job& job) {
      std::lock_guard lock(mu_);
      finals_[job.id] = job;
      cv_.notify_all();
    };
    dispatcher_ = std::make_unique<Dispatcher>(*store_, clock_, options);
    dispatcher_->Configure(config, {{"t", std::move(handler)}}, std::move(paused));
    dispatcher_->Start();
  }

  JobId Submit(std::string args, int priority = 0, DurationMs delay = 0, int max_attempts = 1,
               DurationMs timeout = 0) {
    NewJob job;
    job.type = "t";
    job.args = std::move(args);
    job.priority = priority;
    job.run_at = clock_.Now() + delay;
    job.max_attempts = max_attempts;
    job.timeout = timeout;
    job.created_at = clock_.Now();
    auto r = store_->Insert({job});
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    if (dispatcher_) dispatcher_->Notify("t", job.run_at);
    return r.ok() ? r->front().id : 0;
  }

  // Submits as the intake does: a ticket first; `started` tells whether the job was stored
  // running for a worker waiting for it.
  JobId SubmitTicketed(std::string args, bool* started = nullptr, int priority = 0) {
    NewJob job;
    job.type = "t";
    job.args = std::move(args);
    job.priority = priority;
    job.run_at = job.created_at = clock_.Now();
    const Dispatcher::InsertTicket ticket = dispatcher_->BeginInsert("t", job.run_at);
    job.start = ticket.start();
    if (started) *started = job.start;
    auto r = store_->Insert({job});
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    if (!r.ok()) {
      dispatcher_->EndInsert(ticket, nullptr);
      return 0;
    }
    const Job stored = StoredJob(job, r->front().id);
    dispatcher_->EndInsert(ticket, &stored);
    return stored.id;
  }

  // Waits (up to 10 s) until a submission of `t` would start at once: a worker is free and
  // the dispatcher found no ready job left in the store.
  bool WaitStartsAtOnce() {
    for (int i = 0; i < 1000; ++i) {
      const Dispatcher::InsertTicket ticket = dispatcher_->BeginInsert("t", clock_.Now());
      dispatcher_->EndInsert(ticket, nullptr);
      if (ticket.start()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  }

  // Starts `t` (concurrent = 1) with a handler that blocks jobs "busy" until `gate` and
  // succeeds the others, and keeps its worker busy with one: *busy.
  std::shared_ptr<ScriptedHandler> StartBusy(std::atomic<bool>& gate, JobId* busy) {
    auto handler = std::make_shared<ScriptedHandler>([&gate](jobs::JobContext& ctx) {
      if (ctx.args == "busy") return testing::BlockUntilCancelled(ctx, gate);
      return jobs::RunResult::Succeeded(ctx.args);
    });
    Start(handler);
    EXPECT_TRUE(WaitStartsAtOnce());
    *busy = SubmitTicketed("busy");
    EXPECT_TRUE(handler->WaitStarted(1));
    return handler;
  }

  // Stop(0) while a submission of `t` is between BeginInsert (which must answer `start`)
  // and EndInsert: Stop must wait for the EndInsert. Returns the stored job.
  Job StopWhileASubmissionIsOnItsWay(bool start) {
    NewJob job;
    job.type = "t";
    job.run_at = job.created_at = clock_.Now();
    const Dispatcher::InsertTicket ticket = dispatcher_->BeginInsert("t", job.run_at);
    EXPECT_EQ(ticket.start(), start);
    job.start = ticket.start();
    std::promise<void> stopped;
    std::thread stopper([&] {
      dispatcher_->Stop(0);
      stopped.set_value();
    });
    auto done = stopped.get_future();
    EXPECT_EQ(done.wait_for(std::chrono::milliseconds(200)), std::future_status::timeout);
    auto r = store_->Insert({job});
    EXPECT_TRUE(r.ok());
    const Job stored = StoredJob(job, r.ok() ? r->front().id : 0);
    dispatcher_->EndInsert(ticket, r.ok() ? &stored : nullptr);
    EXPECT_EQ(done.wait_for(std::chrono::seconds(10)), std::future_status::ready);
    stopper.join();
    return stored;
  }

  // Waits (up to 10 s) for job `id` to reach a final state.
  std::optional<Job> WaitFinal(JobId id) {
    std::unique_lock lock(mu_);
    if (!cv_.wait_for(lock, std::chrono::seconds(10), [&] { return finals_.count(id) > 0; })) {
      return std::nullopt;
    }
    return finals_[id];
  }

  // Waits (up to 10 s) until `pred` holds for the stored job.
  bool WaitStored(JobId id, const std::function<bool(const Job&)>& pred) {
    for (int i = 0; i < 1000; ++i) {
      auto job = store_->Get(id);
      if (job.ok() && pred(*job)) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  }

  TempDir dir_;
  FakeClock clock_;
  std::unique_ptr<SqliteStore> store_;
  std::unique_ptr<Dispatcher> dispatcher_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::map<JobId, Job> finals_;
};

TEST_F(DispatcherTest, RunsJobAndRecordsResult) {
  auto handler = std::make_shared<ScriptedHandler>();
  Start(handler);
  JobId id = Submit("hello");
  auto job = WaitFinal(id);
  ASSERT_TRUE(job);
  EXPECT_EQ(job->state, JobState::kDone);
  EXPECT_EQ(job->result, "hello");
  ASSERT_TRUE(WaitStored(id, [](const Job& j) { return j.state == JobState::kDone; }));
  EXPECT_EQ(store_->Get(id)->attempts, 1);
}

TEST_F(DispatcherTest, RunsSeeTheirTypeStateAndStoreItWithTheOutcome) {
  ASSERT_TRUE(store_->SetHandlerState("t", {{"runs", "1"}}).ok());
  auto handler = std::make_shared<ScriptedHandler>([](jobs::JobContext& ctx) {
    auto state = ctx.state->Load();
    if (!state.ok()) return jobs::RunResult::Failed(state.status().message());
    const int runs = std::stoi(state->at("runs"));
    jobs::RunResult r = ctx.args == "fail"
                            ? jobs::RunResult::Failed("asked to")
                            : jobs::RunResult::Succeeded("run " + std::to_string(runs));
    r.handler_state["runs"] = std::to_string(runs + 1);
    return r;
  });
  Start(handler);
  auto first = WaitFinal(Submit("a"));
  ASSERT_TRUE(first);
  EXPECT_EQ(first->result, "run 1");
  auto failed = WaitFinal(Submit("fail"));  // a failed outcome stores its state as well
  ASSERT_TRUE(failed);
  EXPECT_EQ(failed->state, JobState::kFailed);
  auto third = WaitFinal(Submit("c"));
  ASSERT_TRUE(third);
  EXPECT_EQ(third->result, "run 3");
  EXPECT_EQ(store_->HandlerState("t")->at("runs"), "4");
}

TEST_F(DispatcherTest, PriorityThenRunAtThenIdOrder) {
  auto handler = std::make_shared<ScriptedHandler>();
  // Paused while submitting, so all jobs are queued when claiming starts.
  Start(handler, {}, {"t"});
  JobId low = Submit("low", 0);
  JobId high1 = Submit("high1", 5);
  JobId mid = Submit("mid", 3);
  JobId high2 = Submit("high2", 5);
  dispatcher_->SetPaused("t", false);
  for (JobId id : {low, high1, mid, high2}) ASSERT_TRUE(WaitFinal(id));
  EXPECT_EQ(handler->order(), (std::vector<JobId>{high1, high2, mid, low}));
}

TEST_F(DispatcherTest, DelayedJobWaitsForItsTime) {
  auto handler = std::make_shared<ScriptedHandler>();
  Start(handler);
  JobId later = Submit("later", 0, 60'000);
  JobId now = Submit("now");
  ASSERT_TRUE(WaitFinal(now));
  EXPECT_EQ(handler->order(), std::vector<JobId>{now});
  clock_.Advance(59'000);
  dispatcher_->Wake();
  ASSERT_TRUE(WaitStored(later, [](const Job& j) { return j.state == JobState::kQueued; }));
  EXPECT_EQ(handler->order().size(), 1u);
  clock_.Advance(1'000);
  dispatcher_->Wake();
  ASSERT_TRUE(WaitFinal(later));
  EXPECT_EQ(handler->order(), (std::vector<JobId>{now, later}));
}

TEST_F(DispatcherTest, RetriesWithBackoffUntilSuccess) {
  std::atomic<int> calls{0};
  auto handler = std::make_shared<ScriptedHandler>([&](jobs::JobContext& ctx) {
    if (++calls < 3) return jobs::RunResult::Failed("boom " + std::to_string(ctx.attempt));
    return jobs::RunResult::Succeeded("ok");
  });
  Start(handler);
  JobId id = Submit("x", 0, 0, /*max_attempts=*/3);
  // First failure: back in the queue, due 1000 ms later (attempt 1 backoff).
  const TimeMs t0 = clock_.Now();
  ASSERT_TRUE(
      WaitStored(id, [](const Job& j) { return j.state == JobState::kQueued && j.attempts == 1; }));
  auto job = store_->Get(id);
  EXPECT_EQ(job->run_at, t0 + 1000);
  EXPECT_EQ(job->error, "boom 1");
  clock_.Advance(1000);
  dispatcher_->Wake();
  // Second failure: due 2000 ms later.
  ASSERT_TRUE(
      WaitStored(id, [](const Job& j) { return j.state == JobState::kQueued && j.attempts == 2; }));
  EXPECT_EQ(store_->Get(id)->run_at, t0 + 1000 + 2000);
  clock_.Advance(1999);
  dispatcher_->Wake();
  EXPECT_EQ(calls.load(), 2);
  clock_.Advance(1);
  dispatcher_->Wake();
  auto final_job = WaitFinal(id);
  ASSERT_TRUE(final_job);
  EXPECT_EQ(final_job->state, JobState::kDone);
  EXPECT_EQ(final_job->attempts, 3);
}

// A retry's delay is time to wait: the wall clock jumping back an hour moves a pending
// retry back with it. A job submitted for a later time keeps that time.
TEST_F(DispatcherTest, AClockJumpBackMovesPendingRetriesWithIt) {
  std::atomic<int> calls{0};
  auto handler = std::make_shared<ScriptedHandler>([&](jobs::JobContext& ctx) {
    if (ctx.args == "flaky" && ++calls < 2) return jobs::RunResult::Failed("boom");
    return jobs::RunResult::Succeeded("ok");
  });
  Start(handler);
  const TimeMs t0 = clock_.Now();
  JobId later = Submit("later", 0, 60'000);
  JobId id = Submit("flaky", 0, 0, /*max_attempts=*/2);
  ASSERT_TRUE(
      WaitStored(id, [](const Job& j) { return j.state == JobState::kQueued && j.attempts == 1; }));
  clock_.Advance(-3'600'000);
  dispatcher_->Wake();
  ASSERT_TRUE(WaitStored(id, [&](const Job& j) { return j.run_at == t0 - 3'600'000 + 1000; }));
  EXPECT_EQ(store_->Get(later)->run_at, t0 + 60'000);
  clock_.Advance(1000);
  dispatcher_->Wake();
  auto done = WaitFinal(id);
  ASSERT_TRUE(done);
  EXPECT_EQ(done->state, JobState::kDone);
  EXPECT_EQ(store_->Get(later)->state, JobState::kQueued);
}

TEST_F(DispatcherTest, ReportsEveryAttemptWithItsRunTimeAndOutcome) {
  std::mutex mu;
  std::vector<std::string> seen;
  DispatcherOptions options;
  options.on_attempt = [&](const std::string& type, DurationMs run_ms, std::string_view outcome) {
    std::lock_guard lock(mu);
    seen.push_back(type + " " + std::to_string(run_ms) + " " + std::string(outcome));
  };
  auto handler = std::make_shared<ScriptedHandler>([&](jobs::JobContext& ctx) {
    clock_.Advance(250);
    if (ctx.args == "fail") return jobs::RunResult::Failed("no");
    return jobs::RunResult::Succeeded("ok");
  });
  Start(handler, {}, {}, options);
  ASSERT_TRUE(WaitFinal(Submit("ok")));
  JobId id = Submit("fail", 0, 0, /*max_attempts=*/2);
  ASSERT_TRUE(
      WaitStored(id, [](const Job& j) { return j.attempts == 1 && j.state == JobState::kQueued; }));
  clock_.Advance(1000);
  dispatcher_->Wake();
  ASSERT_TRUE(WaitFinal(id));
  dispatcher_->Stop(0);
  std::lock_guard lock(mu);
  EXPECT_EQ(seen, (std::vector<std::string>{"t 250 done", "t 250 retry", "t 250 failed"}));
}

TEST_F(DispatcherTest, FailsWhenAttemptsAreExhausted) {
  auto handler = std::make_shared<ScriptedHandler>(
      [](jobs::JobContext&) { return jobs::RunResult::Failed("always"); });
  Start(handler);
  JobId id = Submit("x", 0, 0, /*max_attempts=*/2);
  ASSERT_TRUE(
      WaitStored(id, [](const Job& j) { return j.attempts == 1 && j.state == JobState::kQueued; }));
  clock_.Advance(1000);
  dispatcher_->Wake();
  auto job = WaitFinal(id);
  ASSERT_TRUE(job);
  EXPECT_EQ(job->state, JobState::kFailed);
  EXPECT_EQ(job->error, "always");
  EXPECT_EQ(job->attempts, 2);
}

TEST_F(DispatcherTest, AFinalFailureIsNotRetried) {
  std::atomic<int> calls{0};
  auto handler = std::make_shared<ScriptedHandler>([&](jobs::JobContext&) {
    ++calls;
    return jobs::RunResult::FailedFinal("invalid input");
  });
  Start(handler);
  JobId id = Submit("x", 0, 0, /*max_attempts=*/5);
  auto job = WaitFinal(id);
  ASSERT_TRUE(job);
  EXPECT_EQ(job->state, JobState::kFailed);
  EXPECT_EQ(job->error, "invalid input");
  EXPECT_EQ(job->attempts, 1);
  EXPECT_EQ(calls.load(), 1);
}

TEST_F(DispatcherTest, TimeoutReachesHandlerAndTimedOutCountsAsFailure) {
  auto handler = std::make_shared<ScriptedHandler>([](jobs::JobContext& ctx) {
    return jobs::RunResult::TimedOut("timed out after " + std::to_string(ctx.timeout) + "ms");
  });
  Start(handler);
  JobId id = Submit("x", 0, 0, 1, /*timeout=*/250);
  auto job = WaitFinal(id);
  ASSERT_TRUE(job);
  EXPECT_EQ(job->state, JobState::kFailed);
  EXPECT_EQ(job->error, "timed out after 250ms");
}

TEST_F(DispatcherTest, ConcurrencyLimitHolds) {
  std::atomic<bool> gate{false};
  auto handler = std::make_shared<ScriptedHandler>(
      [&](jobs::JobContext& ctx) { return testing::BlockUntilCancelled(ctx, gate); });
  JobTypeConfig type;
  type.concurrent = 2;
  Start(handler, type);
  std::vector<JobId> ids;
  for (int i = 0; i < 5; ++i) ids.push_back(Submit("x"));
  ASSERT_TRUE(handler->WaitStarted(2));
  EXPECT_EQ(dispatcher_->Runtime("t").running, 2);
  gate = true;
  for (JobId id : ids) ASSERT_TRUE(WaitFinal(id));
  EXPECT_EQ(handler->max_parallel(), 2);
}

TEST_F(DispatcherTest, CancelStopsRunningJob) {
  std::atomic<bool> gate{false};
  auto handler = std::make_shared<ScriptedHandler>(
      [&](jobs::JobContext& ctx) { return testing::BlockUntilCancelled(ctx, gate); });
  Start(handler);
  JobId id = Submit("x");
  ASSERT_TRUE(handler->WaitStarted(1));
  EXPECT_FALSE(dispatcher_->CancelRunning(id + 100));
  EXPECT_TRUE(dispatcher_->CancelRunning(id));
  auto job = WaitFinal(id);
  ASSERT_TRUE(job);
  EXPECT_EQ(job->state, JobState::kCancelled);
}

TEST_F(DispatcherTest, WaitingJobLendsItsSlot) {
  std::atomic<bool> gate{false};
  auto handler = std::make_shared<ScriptedHandler>([&](jobs::JobContext& ctx) {
    if (ctx.args == "parent") return testing::BlockUntilCancelled(ctx, gate);
    return jobs::RunResult::Succeeded("child");
  });
  Start(handler);  // concurrent = 1
  JobId parent = Submit("parent");
  ASSERT_TRUE(handler->WaitStarted(1));
  JobId child = Submit("child");
  dispatcher_->Wake();
  ASSERT_TRUE(WaitStored(child, [](const Job& j) { return j.state == JobState::kQueued; }));
  EXPECT_EQ(dispatcher_->Runtime("t").running, 1);
  EXPECT_EQ(handler->order().size(), 1u);
  ASSERT_TRUE(dispatcher_->BeginWait(parent));
  auto c = WaitFinal(child);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->state, JobState::kDone);
  dispatcher_->EndWait(parent);
  EXPECT_EQ(dispatcher_->Runtime("t").lent, 0);
  gate = true;
  ASSERT_TRUE(WaitFinal(parent));
}

TEST_F(DispatcherTest, PausedTypeRunsNothingUntilResumed) {
  auto handler = std::make_shared<ScriptedHandler>();
  Start(handler, {}, {"t"});
  JobId id = Submit("x");
  dispatcher_->Wake();
  ASSERT_TRUE(WaitStored(id, [](const Job& j) { return j.state == JobState::kQueued; }));
  EXPECT_TRUE(handler->order().empty());
  dispatcher_->SetPaused("t", false);
  ASSERT_TRUE(WaitFinal(id));
}

TEST_F(DispatcherTest, StopRequeuesJobsStillRunningAfterGrace) {
  std::atomic<bool> gate{false};
  auto handler = std::make_shared<ScriptedHandler>(
      [&](jobs::JobContext& ctx) { return testing::BlockUntilCancelled(ctx, gate); });
  Start(handler);
  JobId id = Submit("x");
  ASSERT_TRUE(handler->WaitStarted(1));
  dispatcher_->Stop(50);
  dispatcher_.reset();
  auto job = store_->Get(id);
  ASSERT_TRUE(job.ok());
  EXPECT_EQ(job->state, JobState::kQueued);
  EXPECT_EQ(job->attempts, 1);
  EXPECT_EQ(job->max_attempts, 2);  // the interrupted attempt does not use up a retry
}

TEST_F(DispatcherTest, StopWaitsForJobsThatFinishWithinGrace) {
  auto handler = std::make_shared<ScriptedHandler>([](jobs::JobContext&) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    return jobs::RunResult::Succeeded("done");
  });
  Start(handler);
  JobId id = Submit("x");
  ASSERT_TRUE(handler->WaitStarted(1));
  dispatcher_->Stop(30'000);
  dispatcher_.reset();
  EXPECT_EQ(store_->Get(id)->state, JobState::kDone);
}

TEST(DefaultBackoff, GrowsExponentiallyWithJitterAndCap) {
  JobTypeConfig type;
  type.retry_delay = 10'000;
  for (int attempt = 1; attempt <= 4; ++attempt) {
    DurationMs base = 10'000LL << (attempt - 1);
    for (int i = 0; i < 50; ++i) {
      DurationMs d = Dispatcher::DefaultBackoff(type, attempt);
      EXPECT_GE(d, base * 3 / 4);
      EXPECT_LE(d, base * 5 / 4);
    }
  }
  EXPECT_LE(Dispatcher::DefaultBackoff(type, 60), 24LL * 3600 * 1000 * 5 / 4);
  type.retry_max_delay = 60'000;
  for (int i = 0; i < 50; ++i) {
    EXPECT_LE(Dispatcher::DefaultBackoff(type, 30), 75'000);
    EXPECT_GE(Dispatcher::DefaultBackoff(type, 30), 45'000);
  }
}

}  // namespace
}  // namespace torque::server

namespace torque::server {
namespace {

// A reload: the same dispatcher configured again while jobs run.
TEST_F(DispatcherTest, ReloadResizesConcurrencyWithJobsInFlight) {
  std::atomic<bool> gate{false};
  auto handler = std::make_shared<ScriptedHandler>(
      [&](jobs::JobContext& ctx) { return testing::BlockUntilCancelled(ctx, gate); });
  JobTypeConfig type;
  type.concurrent = 1;
  Start(handler, type);
  std::vector<JobId> ids;
  for (int i = 0; i < 4; ++i) ids.push_back(Submit("x"));
  ASSERT_TRUE(handler->WaitStarted(1));
  EXPECT_EQ(dispatcher_->Runtime("t").running, 1);

  Config bigger;
  type.name = "t";
  type.concurrent = 3;
  bigger.types["t"] = type;
  dispatcher_->Configure(bigger, {{"t", handler}}, {});
  ASSERT_TRUE(handler->WaitStarted(3));
  EXPECT_EQ(dispatcher_->Runtime("t").running, 3);
  gate = true;
  for (JobId id : ids) {
    auto job = WaitFinal(id);
    ASSERT_TRUE(job);
    EXPECT_EQ(job->state, JobState::kDone);
  }
  EXPECT_EQ(handler->max_parallel(), 3);
}

TEST_F(DispatcherTest, ReloadRemovingATypeLetsRunningJobsEndAndKeepsQueuedOnes) {
  std::atomic<bool> gate{false};
  auto handler = std::make_shared<ScriptedHandler>(
      [&](jobs::JobContext& ctx) { return testing::BlockUntilCancelled(ctx, gate); });
  Start(handler);
  JobId running = Submit("x");
  JobId queued = Submit("y");
  ASSERT_TRUE(handler->WaitStarted(1));

  JobTypeConfig other;
  other.name = "u";
  Config without;
  without.types["u"] = other;
  dispatcher_->Configure(without, {{"u", handler}}, {});
  EXPECT_EQ(dispatcher_->Runtime("t").running, 0);  // t is no longer a type here
  gate = true;
  auto job = WaitFinal(running);
  ASSERT_TRUE(job);
  EXPECT_EQ(job->state, JobState::kDone);
  clock_.Advance(10'000);  // a rescan: a removed type still claims nothing
  dispatcher_->Wake();
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_EQ(store_->Get(queued)->state, JobState::kQueued);

  JobTypeConfig back;
  back.name = "t";
  Config with;
  with.types["t"] = back;
  dispatcher_->Configure(with, {{"t", handler}}, {});
  job = WaitFinal(queued);
  ASSERT_TRUE(job);
  EXPECT_EQ(job->state, JobState::kDone);
}

TEST_F(DispatcherTest, RunningJobKeepsTheSettingsItWasClaimedWith) {
  std::atomic<bool> gate{false};
  std::atomic<int> seen_retries{-1};
  auto handler = std::make_shared<ScriptedHandler>([&](jobs::JobContext& ctx) {
    seen_retries = ctx.config->retries;
    jobs::RunResult r = testing::BlockUntilCancelled(ctx, gate);
    seen_retries = ctx.config->retries;  // still the claimed settings after the reload
    return r;
  });
  JobTypeConfig type;
  type.retries = 1;
  Start(handler, type);
  JobId id = Submit("x");
  ASSERT_TRUE(handler->WaitStarted(1));
  Config changed;
  type.name = "t";
  type.retries = 9;
  changed.types["t"] = type;
  dispatcher_->Configure(changed, {{"t", handler}}, {});
  gate = true;
  ASSERT_TRUE(WaitFinal(id));
  EXPECT_EQ(seen_retries.load(), 1);
}

TEST_F(DispatcherTest, OutcomeAndItsNoticesAreStoredTogether) {
  auto handler = std::make_shared<ScriptedHandler>(
      [](jobs::JobContext&) { return jobs::RunResult::Failed("boom"); });
  std::atomic<int> woken{0};
  JobTypeConfig type;
  type.notify_fail = ParseNotifyRule("syslog:x").value().targets;
  DispatcherOptions options;
  options.make_notices = [](const JobTypeConfig& t, const Job& job, TimeMs now) {
    std::vector<Notice> out;
    for (const NotifyTarget& target : t.notify_fail) {
      if (job.state != JobState::kFailed) continue;
      Notice n;
      n.job_id = job.id;
      n.target = target.Key();
      n.subject = job.error;
      n.created_at = n.next_at = now;
      out.push_back(n);
    }
    return out;
  };
  options.on_notices = [&] { ++woken; };
  Start(handler, type, {}, options);
  JobId id = Submit("x");
  ASSERT_TRUE(WaitFinal(id));
  auto due = store_->DueNotices(clock_.Now(), 10).value();
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].job_id, id);
  EXPECT_EQ(due[0].subject, "boom");
  EXPECT_EQ(woken.load(), 1);
}

// Submissions to an idle type start without a claim; a worker ending a job takes the next
// one with its outcome. Neither may change the order jobs run in.
TEST_F(DispatcherTest, ASubmissionToAnIdleTypeIsStoredRunningAndNeedsNoClaim) {
  std::atomic<bool> gate{false};
  auto handler = std::make_shared<ScriptedHandler>(
      [&](jobs::JobContext& ctx) { return testing::BlockUntilCancelled(ctx, gate); });
  Start(handler);
  ASSERT_TRUE(WaitStartsAtOnce());
  const int64_t ops = store_->stats().ops;
  bool started = false;
  JobId id = SubmitTicketed("x", &started);
  EXPECT_TRUE(started);
  ASSERT_TRUE(handler->WaitStarted(1));
  Job stored = store_->Get(id).value();
  EXPECT_EQ(stored.state, JobState::kRunning);
  EXPECT_EQ(stored.attempts, 1);
  EXPECT_EQ(stored.started_at, clock_.Now());
  EXPECT_EQ(dispatcher_->Runtime("t").running, 1);
  // The worker is taken: the next submission waits in the queue.
  JobId second = SubmitTicketed("y", &started);
  EXPECT_FALSE(started);
  EXPECT_EQ(store_->Get(second)->state, JobState::kQueued);
  gate = true;
  ASSERT_TRUE(WaitFinal(id));
  ASSERT_TRUE(WaitFinal(second));
  EXPECT_EQ(handler->order(), (std::vector<JobId>{id, second}));
  // The first job: its insert and its end; no claim of its own.
  EXPECT_EQ(store_->Get(id)->state, JobState::kDone);
  ASSERT_TRUE(WaitStartsAtOnce());
  // insert, insert, finish + claim of the second, finish (+ claim finding nothing), and
  // at most one claim by the loop finding the queue empty.
  EXPECT_LE(store_->stats().ops - ops, 5);
}

TEST_F(DispatcherTest, ASubmissionNeverOvertakesOneOnItsWayToTheStore) {
  std::atomic<bool> gate{false};
  JobId busy = 0;
  auto handler = StartBusy(gate, &busy);
  // A submission while the worker is busy is queued, and not yet stored...
  NewJob a;
  a.type = "t";
  a.args = "a";
  a.run_at = a.created_at = clock_.Now();
  const Dispatcher::InsertTicket ticket_a = dispatcher_->BeginInsert("t", a.run_at);
  EXPECT_FALSE(ticket_a.start());
  gate = true;
  ASSERT_TRUE(WaitFinal(busy));
  // ...so a later one may not start at once, though the worker is free now: it goes
  // through the queue, claimed in order with whatever was stored before it.
  bool started = true;
  JobId b = SubmitTicketed("b", &started);
  EXPECT_FALSE(started);
  ASSERT_TRUE(WaitFinal(b));
  auto r = store_->Insert({a});
  ASSERT_TRUE(r.ok());
  const Job stored_a = StoredJob(a, r->front().id);
  dispatcher_->EndInsert(ticket_a, &stored_a);
  ASSERT_TRUE(WaitFinal(stored_a.id));
  // Nothing on its way any more: the next submission starts at once again.
  ASSERT_TRUE(WaitStartsAtOnce());
  JobId c = SubmitTicketed("c", &started);
  EXPECT_TRUE(started);
  ASSERT_TRUE(WaitFinal(c));
}

TEST_F(DispatcherTest, ASubmissionQueuesBehindReadyJobsOfHigherPriority) {
  std::atomic<bool> gate{false};
  JobId busy = 0;
  auto handler = StartBusy(gate, &busy);
  JobId high = SubmitTicketed("high", nullptr, 9);
  JobId low = SubmitTicketed("low", nullptr, 0);
  gate = true;
  for (JobId id : {busy, high, low}) ASSERT_TRUE(WaitFinal(id));
  EXPECT_EQ(handler->order(), (std::vector<JobId>{busy, high, low}));
}

TEST_F(DispatcherTest, WorkersTakeTheNextJobInOrderAndStopTakingWhenPaused) {
  std::atomic<bool> gate{false};
  auto handler = std::make_shared<ScriptedHandler>([&](jobs::JobContext& ctx) {
    if (ctx.args == "first") return testing::BlockUntilCancelled(ctx, gate);
    return jobs::RunResult::Succeeded(ctx.args);
  });
  Start(handler, {}, {"t"});  // paused: every job is queued before the first runs
  JobId first = Submit("first");
  JobId second = Submit("second");
  JobId third = Submit("third");
  dispatcher_->SetPaused("t", false);
  ASSERT_TRUE(handler->WaitStarted(1));
  // Paused while the first runs: its worker must not take the second with its outcome.
  dispatcher_->SetPaused("t", true);
  gate = true;
  ASSERT_TRUE(WaitFinal(first));
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_EQ(store_->Get(second)->state, JobState::kQueued);
  EXPECT_EQ(handler->order().size(), 1u);
  const int64_t ops = store_->stats().ops;
  dispatcher_->SetPaused("t", false);
  ASSERT_TRUE(WaitFinal(third));
  EXPECT_EQ(handler->order(), (std::vector<JobId>{first, second, third}));
  // One claim by the loop, then each end carries the next claim: claim, finish + claim,
  // finish (+ a claim finding nothing), and at most the loop's claim finding the queue empty.
  ASSERT_TRUE(WaitStartsAtOnce());
  EXPECT_LE(store_->stats().ops - ops, 4);
}

TEST_F(DispatcherTest, StopWaitsForAStartedSubmissionAndPutsItBackInTheQueue) {
  auto handler = std::make_shared<ScriptedHandler>();
  Start(handler);
  ASSERT_TRUE(WaitStartsAtOnce());
  // The grace being over, the job is not run but put back in the queue.
  const Job stored = StopWhileASubmissionIsOnItsWay(true);
  Job after = store_->Get(stored.id).value();
  EXPECT_EQ(after.state, JobState::kQueued);
  EXPECT_EQ(after.max_attempts, 2);  // the attempt it never made does not count
  EXPECT_TRUE(handler->order().empty());
}

TEST_F(DispatcherTest, StopWaitsForASubmissionOnItsWayToTheStore) {
  std::atomic<bool> gate{false};
  JobId busy = 0;
  StartBusy(gate, &busy);
  // The worker is busy: an ordinary queued submission; its EndInsert uses the type's
  // queue, which Stop destroys.
  const Job stored = StopWhileASubmissionIsOnItsWay(false);
  EXPECT_EQ(store_->Get(busy)->state, JobState::kQueued);
  EXPECT_EQ(store_->Get(stored.id)->state, JobState::kQueued);
}

}  // namespace
}  // namespace torque::server
