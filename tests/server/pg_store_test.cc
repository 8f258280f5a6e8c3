// PgStore as several nodes see it: two stores on one scratch database play two torqued
// nodes. The contract every store keeps is tested in store_contract_test.cc.
#include "server/pg_store.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <set>
#include <thread>

#include "tests/server/pg_test_cluster.h"
#include "tests/server/store_test_util.h"

namespace torque::server {
namespace {

using Code = Status::Code;
using namespace store_test;

class PgStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string cluster;
    TORQUE_PG_URI_OR_SKIP(cluster);
    scratch_ = std::make_unique<torque::testing::PgScratchDatabase>(cluster);
  }

  // A node on the scratch database; its own heartbeats and rescues are left to the test
  // unless `background` (then every 50 ms).
  std::unique_ptr<PgStore> Node(const std::string& name, bool background = false,
                                bool listen = true) {
    PgStoreOptions options;
    options.uri = scratch_->uri();
    options.heartbeat_interval = background ? 50 : 3'600'000;
    options.node_timeout = 1000;
    options.listen = listen;
    options.poll_interval = 50;
    auto opened = PgStore::Open(options);
    EXPECT_TRUE(opened.ok()) << opened.status().ToString();
    if (!opened.ok()) return nullptr;
    EXPECT_TRUE((*opened)->RegisterNode(name, 1000).ok());
    return std::move(*opened);
  }

  std::unique_ptr<torque::testing::PgScratchDatabase> scratch_;
};

TEST_F(PgStoreTest, TwoNodesClaimingTogetherNeverTakeTheSameJob) {
  auto a = Node("a:1");
  auto b = Node("b:1");
  ASSERT_TRUE(a && b);
  std::vector<NewJob> jobs(400, MakeJob("t"));
  ASSERT_TRUE(a->Insert(jobs).ok());
  std::vector<JobId> got_a, got_b;
  const auto drain = [](PgStore& s, std::vector<JobId>* got) {
    for (;;) {
      auto claimed = s.Claim("t", 3, 5000);
      ASSERT_TRUE(claimed.ok()) << claimed.status().ToString();
      if (claimed->empty()) return;
      for (const Job& j : *claimed) got->push_back(j.id);
    }
  };
  std::thread ta([&] { drain(*a, &got_a); });
  std::thread tb([&] { drain(*b, &got_b); });
  ta.join();
  tb.join();
  std::set<JobId> all(got_a.begin(), got_a.end());
  all.insert(got_b.begin(), got_b.end());
  EXPECT_EQ(all.size(), 400u);
  EXPECT_EQ(got_a.size() + got_b.size(), 400u);  // none twice
  EXPECT_GT(got_a.size(), 0u);
  EXPECT_GT(got_b.size(), 0u);
  auto nodes = a->Nodes();
  ASSERT_TRUE(nodes.ok());
  ASSERT_EQ(nodes->size(), 2u);
  EXPECT_EQ(nodes->at(0).running + nodes->at(1).running, 400);
}

TEST_F(PgStoreTest, MaxRunningHoldsAcrossNodesClaimingTogether) {
  auto a = Node("a:1");
  auto b = Node("b:1");
  ASSERT_TRUE(a && b);
  for (PgStore* s : {a.get(), b.get()}) s->SetMaxRunning({{"t", 3}});
  std::vector<NewJob> jobs(50, MakeJob("t"));
  ASSERT_TRUE(a->Insert(jobs).ok());
  std::atomic<int> claimed{0};
  const auto claim = [&](PgStore& s) {
    for (int i = 0; i < 20; ++i) {
      auto got = s.Claim("t", 2, 5000);
      ASSERT_TRUE(got.ok()) << got.status().ToString();
      claimed += static_cast<int>(got->size());
    }
  };
  std::thread ta([&] { claim(*a); });
  std::thread tb([&] { claim(*b); });
  ta.join();
  tb.join();
  EXPECT_EQ(claimed.load(), 3);
  EXPECT_EQ(a->Counts(5000)->front().running, 3);
}

TEST_F(PgStoreTest, ASilentNodeIsDeclaredDeadItsJobsRescuedAndItsWritesRefused) {
  auto a = Node("a:1");
  auto b = Node("b:1");
  ASSERT_TRUE(a && b);
  JobId job = Add(*a, MakeJob("t"));
  JobId other = Add(*a, MakeJob("t"));
  ASSERT_EQ(a->Claim("t", 2, 2000)->size(), 2u);
  ASSERT_TRUE(b->Recover(2000, 3).ok());
  // a is alive: its jobs stay its own.
  ASSERT_TRUE(a->Heartbeat(2050).ok());
  auto early = b->RescueDead(2100);
  ASSERT_TRUE(early.ok()) << early.status().ToString();
  EXPECT_TRUE(early->requeued.empty());
  ASSERT_TRUE(a->Finish(other, Ended(JobState::kDone, 2200)).ok());

  std::this_thread::sleep_for(std::chrono::milliseconds(1100));  // past node_timeout
  ASSERT_TRUE(b->Heartbeat(3000).ok());
  auto rescued = b->RescueDead(3000);
  ASSERT_TRUE(rescued.ok()) << rescued.status().ToString();
  EXPECT_EQ(rescued->requeued, (std::vector<JobId>{job}));
  Job j = MustGet(*b, job);
  EXPECT_EQ(j.state, JobState::kQueued);
  EXPECT_EQ(j.max_attempts, 4);  // an interruption is not a failure

  // Fenced: the dead node can neither end nor requeue the job, nor heartbeat.
  EXPECT_EQ(a->Finish(job, Ended(JobState::kDone, 3100)).code(), Code::kFailedPrecondition);
  EXPECT_EQ(a->Heartbeat(3100).code(), Code::kFailedPrecondition);
  auto again = b->Claim("t", 1, 3200);
  ASSERT_TRUE(again.ok());
  ASSERT_EQ(Ids(*again), (std::vector<JobId>{job}));
  EXPECT_EQ(a->Requeue(job, 3300, true).code(), Code::kFailedPrecondition);
  EXPECT_TRUE(b->Finish(job, Ended(JobState::kDone, 3400)).ok());
}

TEST_F(PgStoreTest, ADeadNodeRegistersAgainByItselfAndWorksOn) {
  auto a = Node("a:1", /*background=*/true);
  ASSERT_TRUE(a);
  const NodeId first = a->node();
  // Another node declares a dead (as if a had been stopped for too long).
  auto b = Node("b:1");
  ASSERT_TRUE(b);
  auto admin = pg::Connection::Open(scratch_->uri());
  ASSERT_TRUE(admin.ok());
  ASSERT_TRUE(
      admin->Exec("UPDATE nodes SET dead = true WHERE id = $1", {std::to_string(first)}).ok());
  for (int i = 0; i < 200 && a->node() == first; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_GT(a->node(), first);
  JobId job = Add(*a, MakeJob("t"));
  ASSERT_EQ(a->Claim("t", 1, 5000)->size(), 1u);
  EXPECT_TRUE(a->Finish(job, Ended(JobState::kDone, 6000)).ok());
}

TEST_F(PgStoreTest, AScheduleFireIsMadeByOneNodeOnly) {
  auto a = Node("a:1");
  auto b = Node("b:1");
  ASSERT_TRUE(a && b);
  NewJob tick = MakeJob("tick", 0, 0, "schedule");
  auto made = a->Fire("tick", 2000, tick);
  ASSERT_TRUE(made.ok()) << made.status().ToString();
  EXPECT_FALSE(made->existing);
  // The same due time, or an earlier one, from the other node: nothing happens.
  for (TimeMs t : {2000, 1000}) {
    auto late = b->Fire("tick", t, tick);
    ASSERT_TRUE(late.ok());
    EXPECT_EQ(late->id, 0);
    EXPECT_TRUE(late->existing);
  }
  ASSERT_TRUE(b->SetScheduleFire("tick", 1500).ok());
  EXPECT_EQ(b->ScheduleFires()->at("tick"), 2000);  // never backwards
  EXPECT_EQ(b->List(Filter("tick"))->size(), 1u);
  // The next due time is b's to make.
  auto next = b->Fire("tick", 4000, tick);
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(next->id, made->id);  // coalesced with the queued job
  EXPECT_EQ(a->ScheduleFires()->at("tick"), 4000);
}

TEST_F(PgStoreTest, ANoticeIsLeasedToOneNodeUntilDeferred) {
  auto a = Node("a:1");
  auto b = Node("b:1");
  ASSERT_TRUE(a && b);
  JobId job = AddRunning(*a, "t", 1000);
  Outcome out = Ended(JobState::kFailed, 2000);
  Notice n;
  n.job_id = job;
  n.target = "mail:ops@example.org";
  n.failure = true;
  n.subject = "FAIL";
  n.created_at = n.next_at = 2000;
  out.notices.push_back(n);
  ASSERT_TRUE(a->Finish(job, out).ok());

  auto first = a->DueNotices(3000, 10);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  ASSERT_EQ(first->size(), 1u);
  EXPECT_EQ(first->front().next_at, 2000);
  EXPECT_TRUE(b->DueNotices(3000, 10)->empty());  // a holds it
  EXPECT_TRUE(a->DueNotices(3000, 10)->empty());  // and does not get it twice either
  EXPECT_EQ(b->PendingNotices()->second, 1);
  ASSERT_TRUE(a->DeferNotice(first->front().id, 4000, "connection refused").ok());
  auto second = b->DueNotices(4000, 10);
  ASSERT_TRUE(second.ok());
  ASSERT_EQ(second->size(), 1u);
  EXPECT_EQ(second->front().attempts, 1);
  ASSERT_TRUE(b->RemoveNotice(second->front().id).ok());
  EXPECT_EQ(a->PendingNotices()->second, 0);
}

// What one node's events handler saw.
struct Seen {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::string> events;

  StoreEvents Handler() {
    StoreEvents e;
    e.ready = [this](const std::string& type, TimeMs) { Add("ready " + type); };
    e.cancel = [this](JobId id) { Add("cancel " + std::to_string(id)); };
    e.paused = [this](const std::string& type, bool p) { Add((p ? "pause " : "resume ") + type); };
    return e;
  }
  void Add(std::string e) {
    std::lock_guard lock(mu);
    events.push_back(std::move(e));
    cv.notify_all();
  }
  bool WaitFor(const std::string& e) {
    std::unique_lock lock(mu);
    return cv.wait_for(lock, std::chrono::seconds(10),
                       [&] { return std::find(events.begin(), events.end(), e) != events.end(); });
  }
};

void EventsReachTheOtherNode(PgStore& a, PgStore& b) {
  Seen seen;
  b.Watch(seen.Handler());
  Add(a, MakeJob("mail"));
  EXPECT_TRUE(seen.WaitFor("ready mail"));
  ASSERT_TRUE(a.SetPaused("mail", true).ok());
  EXPECT_TRUE(seen.WaitFor("pause mail"));
  ASSERT_TRUE(a.SetPaused("mail", false).ok());
  EXPECT_TRUE(seen.WaitFor("resume mail"));
  // A cancel reaches the node running the job.
  JobId job = AddRunning(b, "long", 2000);
  ASSERT_TRUE(a.Cancel(job, 3000).ok());
  EXPECT_TRUE(seen.WaitFor("cancel " + std::to_string(job)));
}

TEST_F(PgStoreTest, NewWorkCancelsAndPausesReachTheOtherNodeByNotify) {
  auto a = Node("a:1");
  auto b = Node("b:1", false, /*listen=*/true);
  ASSERT_TRUE(a && b);
  EventsReachTheOtherNode(*a, *b);
}

TEST_F(PgStoreTest, ABatchOfReadyWorkIsAnnouncedOnce) {
  auto a = Node("a:1");
  auto b = Node("b:1");
  ASSERT_TRUE(a && b);
  Seen seen;
  b->Watch(seen.Handler());
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // its first look: nothing
  std::vector<NewJob> jobs;
  for (int i = 0; i < 50; ++i) jobs.push_back(MakeJob("t", 0, 1000 + i));  // all due
  ASSERT_TRUE(a->Insert(jobs).ok());
  ASSERT_TRUE(seen.WaitFor("ready t"));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  std::lock_guard lock(seen.mu);
  EXPECT_EQ(std::count(seen.events.begin(), seen.events.end(), "ready t"), 1);
}

TEST_F(PgStoreTest, NewWorkCancelsAndPausesReachTheOtherNodeByPolling) {
  auto a = Node("a:1");
  auto b = Node("b:1", false, /*listen=*/false);
  ASSERT_TRUE(a && b);
  EventsReachTheOtherNode(*a, *b);
}

TEST_F(PgStoreTest, CountsStayRightWhenCompacted) {
  auto a = Node("a:1");
  ASSERT_TRUE(a);
  std::vector<NewJob> jobs(5, MakeJob("t"));
  jobs.push_back(MakeJob("t", 0, 999'999));  // delayed
  ASSERT_TRUE(a->Insert(jobs).ok());
  auto claimed = a->Claim("t", 2, 5000);
  ASSERT_TRUE(claimed.ok());
  ASSERT_TRUE(a->Finish(claimed->front().id, Ended(JobState::kDone, 6000)).ok());
  const auto check = [&] {
    auto counts = a->Counts(7000);
    ASSERT_TRUE(counts.ok()) << counts.status().ToString();
    ASSERT_EQ(counts->size(), 1u);
    const TypeCounts& c = counts->front();
    EXPECT_EQ(c.queued, 4);
    EXPECT_EQ(c.delayed, 1);
    EXPECT_EQ(c.running, 1);
    EXPECT_EQ(c.done, 1);
  };
  check();
  ASSERT_TRUE(a->CompactCounts().ok());
  check();
  ASSERT_TRUE(a->Purge(999'999'999).ok());
  ASSERT_TRUE(a->CompactCounts().ok());
  EXPECT_EQ(a->Counts(7000)->front().done, 0);
}

TEST_F(PgStoreTest, TheClaimReadsThePartialIndexOfQueuedJobs) {
  auto a = Node("a:1");
  ASSERT_TRUE(a);
  std::vector<NewJob> jobs(2000, MakeJob("t"));
  ASSERT_TRUE(a->Insert(jobs).ok());
  auto admin = pg::Connection::Open(scratch_->uri());
  ASSERT_TRUE(admin.ok());
  ASSERT_TRUE(admin->Exec("ANALYZE jobs").ok());
  auto plan = a->ClaimPlan("t");
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  EXPECT_NE(plan->find("jobs_claim"), std::string::npos) << *plan;
  EXPECT_NE(plan->find("LockRows"), std::string::npos) << *plan;
}

TEST_F(PgStoreTest, AnUnreachableDatabaseIsUnavailable) {
  PgStoreOptions options;
  options.uri = "postgresql:///nowhere?host=/nonexistent&connect_timeout=2";
  auto opened = PgStore::Open(options);
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.status().code(), Code::kUnavailable);
}

}  // namespace
}  // namespace torque::server
