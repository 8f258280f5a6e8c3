// The store contract: what every store backend does, tested through the Store interface
// alone. Each backend is one instantiation; a backend's own behaviour (files, locks,
// connections, group commit) is tested beside it (sqlite_store_test.cc).
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <ostream>
#include <string>

#include "server/pg_store.h"
#include "server/sqlite_store.h"
#include "server/store.h"
#include "tests/server/pg_test_cluster.h"
#include "tests/server/store_test_util.h"

namespace torque::server {
namespace {

namespace fs = std::filesystem;
using Code = Status::Code;
using namespace store_test;  // MakeJob, Ended, Filter, ... (the helpers of every store test)

// Where one test's store lives: a fresh, empty folder, and for PostgreSQL a scratch database.
struct Place {
  std::string dir;
  std::string uri;
};

// A backend under test: opens the store kept in a place, again after a close to see what
// survived.
struct Backend {
  std::string name;
  std::function<Result<std::unique_ptr<Store>>(const Place& place)> open;
  bool postgresql = false;
};

void PrintTo(const Backend& backend, std::ostream* os) { *os << backend.name; }

Backend Sqlite() {
  return {"Sqlite", [](const Place& place) -> Result<std::unique_ptr<Store>> {
            SqliteStoreOptions options;
            options.path = place.dir + "/torque.db";
            auto opened = SqliteStore::Open(options);
            if (!opened.ok()) return opened.status();
            return std::unique_ptr<Store>(std::move(*opened));
          }};
}

Backend Postgresql() {
  return {"Postgresql",
          [](const Place& place) -> Result<std::unique_ptr<Store>> {
            PgStoreOptions options;
            options.uri = place.uri;
            // One node at a time, as with SQLite: every earlier node counts as dead.
            options.node_timeout = 0;
            auto opened = PgStore::Open(options);
            if (!opened.ok()) return opened.status();
            return std::unique_ptr<Store>(std::move(*opened));
          },
          true};
}

class StoreContractTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "torque-contract-XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    place_.dir = tmpl;
    if (GetParam().postgresql) {
      std::string cluster;
      TORQUE_PG_URI_OR_SKIP(cluster);
      scratch_ = std::make_unique<torque::testing::PgScratchDatabase>(cluster);
      place_.uri = scratch_->uri();
    }
    Reopen();
  }
  void TearDown() override {
    store_.reset();
    scratch_.reset();
    fs::remove_all(place_.dir);
  }

  // Closes the store (every pending write done) and opens it again.
  void Reopen() {
    store_.reset();
    auto opened = GetParam().open(place_);
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    store_ = std::move(*opened);
  }

  JobId Add(const NewJob& job) { return store_test::Add(*store_, job); }
  JobId AddRunning(const std::string& type, TimeMs now = 5000) {
    return store_test::AddRunning(*store_, type, now);
  }
  Job MustGet(JobId id) { return store_test::MustGet(*store_, id); }

  Place place_;
  std::unique_ptr<torque::testing::PgScratchDatabase> scratch_;
  std::unique_ptr<Store> store_;
};

TEST_P(StoreContractTest, ReopenKeepsData) {
  JobId id = Add(MakeJob("mail", 7, 1234, "k"));
  Reopen();
  Job job = MustGet(id);
  EXPECT_EQ(job.type, "mail");
  EXPECT_EQ(job.args, "args of mail");
  EXPECT_EQ(job.priority, 7);
  EXPECT_EQ(job.run_at, 1234);
  EXPECT_EQ(job.unique_key, "k");
  EXPECT_EQ(job.state, JobState::kQueued);
  EXPECT_EQ(job.created_at, 1000);
  EXPECT_EQ(job.max_attempts, 3);
  EXPECT_EQ(job.attempts, 0);
}

TEST_P(StoreContractTest, ClaimsByPriorityThenRunAtThenId) {
  JobId low = Add(MakeJob("t", 0, 100));
  JobId high_late = Add(MakeJob("t", 5, 300));
  JobId high_early = Add(MakeJob("t", 5, 200));
  JobId high_early2 = Add(MakeJob("t", 5, 200));
  JobId other = Add(MakeJob("other", 9, 0));
  JobId negative = Add(MakeJob("t", -1, 0));

  auto first = store_->Claim("t", 2, 5000);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(Ids(*first), (std::vector<JobId>{high_early, high_early2}));
  for (const Job& j : *first) {
    EXPECT_EQ(j.state, JobState::kRunning);
    EXPECT_EQ(j.attempts, 1);
    EXPECT_EQ(j.started_at, 5000);
  }
  auto rest = store_->Claim("t", 10, 5000);
  ASSERT_TRUE(rest.ok());
  EXPECT_EQ(Ids(*rest), (std::vector<JobId>{high_late, low, negative}));
  EXPECT_EQ(MustGet(other).state, JobState::kQueued);
  EXPECT_TRUE(store_->Claim("t", 10, 5000)->empty());
  EXPECT_TRUE(store_->Claim("t", 0, 5000)->empty());
}

TEST_P(StoreContractTest, DelayedJobsWaitForRunAt) {
  EXPECT_EQ(*store_->NextRunAt("t"), std::nullopt);
  JobId later = Add(MakeJob("t", 0, 9000));
  JobId sooner = Add(MakeJob("t", 0, 7000));
  EXPECT_EQ(*store_->NextRunAt("t"), 7000);
  EXPECT_EQ(*store_->NextRunAt("other"), std::nullopt);
  EXPECT_TRUE(store_->Claim("t", 10, 6999)->empty());
  EXPECT_EQ(Ids(*store_->Claim("t", 10, 7000)), std::vector<JobId>{sooner});
  EXPECT_EQ(*store_->NextRunAt("t"), 9000);  // running jobs do not count
  EXPECT_EQ(Ids(*store_->Claim("t", 10, 9500)), std::vector<JobId>{later});
  EXPECT_EQ(*store_->NextRunAt("t"), std::nullopt);
}

TEST_P(StoreContractTest, UniqueKeysCoalesceWhileQueuedOrRunning) {
  auto first = store_->Insert({MakeJob("t", 0, 0, "k")});
  ASSERT_TRUE(first.ok());
  EXPECT_FALSE((*first)[0].existing);
  const JobId id = (*first)[0].id;

  // Again, and twice within one batch, plus an unrelated key and another type.
  auto again = store_->Insert({MakeJob("t", 0, 0, "k"), MakeJob("t", 0, 0, "new"),
                               MakeJob("t", 0, 0, "new"), MakeJob("u", 0, 0, "k")});
  ASSERT_TRUE(again.ok());
  ASSERT_EQ(again->size(), 4u);
  EXPECT_EQ((*again)[0].id, id);
  EXPECT_TRUE((*again)[0].existing);
  EXPECT_FALSE((*again)[1].existing);
  EXPECT_EQ((*again)[2].id, (*again)[1].id);
  EXPECT_TRUE((*again)[2].existing);
  EXPECT_FALSE((*again)[3].existing);
  EXPECT_NE((*again)[3].id, id);

  // Running still coalesces; once final, a new job is made.
  ASSERT_EQ(Ids(*store_->Claim("t", 1, 0)), std::vector<JobId>{id});
  EXPECT_EQ((*store_->Insert({MakeJob("t", 0, 0, "k")}))[0].id, id);
  ASSERT_TRUE(store_->Finish(id, Ended(JobState::kDone, 10)).ok());
  auto fresh = store_->Insert({MakeJob("t", 0, 0, "k")});
  ASSERT_TRUE(fresh.ok());
  EXPECT_FALSE((*fresh)[0].existing);
  EXPECT_GT((*fresh)[0].id, id);

  // Jobs without a key never coalesce.
  auto plain = store_->Insert({MakeJob("t"), MakeJob("t")});
  EXPECT_NE((*plain)[0].id, (*plain)[1].id);
}

TEST_P(StoreContractTest, FinishRecordsTheOutcome) {
  JobId id = AddRunning("t");
  ASSERT_TRUE(store_->Finish(id, Ended(JobState::kDone, 6000, "", "out")).ok());
  Job job = MustGet(id);
  EXPECT_EQ(job.state, JobState::kDone);
  EXPECT_EQ(job.result, "out");
  EXPECT_EQ(job.finished_at, 6000);
  EXPECT_EQ(job.started_at, 5000);

  Status again = store_->Finish(id, Ended(JobState::kFailed, 0));
  EXPECT_EQ(again.code(), Code::kFailedPrecondition);
  EXPECT_EQ(again.message(), "job " + std::to_string(id) + " is done, not running");
  Status missing = store_->Finish(999, Ended(JobState::kDone, 0));
  EXPECT_EQ(missing.code(), Code::kNotFound);
  EXPECT_EQ(missing.message(), "no job 999");
  JobId queued = Add(MakeJob("t"));
  EXPECT_EQ(store_->Finish(queued, Ended(JobState::kDone, 0)).message(),
            "job " + std::to_string(queued) + " is queued, not running");
}

TEST_P(StoreContractTest, AJobToStartIsStoredRunning) {
  NewJob job = MakeJob("t");
  job.created_at = 4000;
  job.start = true;
  JobId id = Add(job);
  Job stored = MustGet(id);
  Job expected = StoredJob(job, id);
  EXPECT_EQ(stored.state, JobState::kRunning);
  EXPECT_EQ(stored.attempts, 1);
  EXPECT_EQ(stored.started_at, 4000);
  EXPECT_EQ(JobToJson(stored), JobToJson(expected));
  EXPECT_TRUE(store_->Claim("t", 5, 5000)->empty());
  auto counts = store_->Counts(5000).value();
  ASSERT_EQ(counts.size(), 1u);
  EXPECT_EQ(counts[0].running, 1);
  EXPECT_EQ(counts[0].queued, 0);
  ASSERT_TRUE(store_->Finish(id, Ended(JobState::kDone, 6000)).ok());
}

TEST_P(StoreContractTest, HandlerStateIsPerTypeAndSurvivesReopen) {
  EXPECT_TRUE(store_->HandlerState("queue")->empty());
  ASSERT_TRUE(store_->SetHandlerState("queue", {{"last_start", "1700"}, {"x", "1"}}).ok());
  ASSERT_TRUE(store_->SetHandlerState("watch", {{"last_start", "other"}}).ok());
  ASSERT_TRUE(store_->SetHandlerState("queue", {{"last_start", "1800"}, {"x", ""}}).ok());
  Reopen();
  using State = std::map<std::string, std::string>;
  EXPECT_EQ(*store_->HandlerState("queue"), (State{{"last_start", "1800"}}));
  EXPECT_EQ(*store_->HandlerState("watch"), (State{{"last_start", "other"}}));
  EXPECT_TRUE(store_->HandlerState("nobody")->empty());
}

TEST_P(StoreContractTest, FinishStoresHandlerStateWithTheOutcome) {
  using State = std::map<std::string, std::string>;
  JobId id = AddRunning("queue");
  Outcome out = Ended(JobState::kDone, 6000, "", "report");
  out.handler_state = {{"last_start", "6000"}};
  ASSERT_TRUE(store_->Finish(id, out).ok());
  EXPECT_EQ(*store_->HandlerState("queue"), (State{{"last_start", "6000"}}));

  // A retry decision stores state too; a refused Finish stores none.
  JobId retried = AddRunning("queue");
  Outcome again = Ended(JobState::kQueued, 7000);
  again.run_at = 9000;
  again.handler_state = {{"last_start", "7000"}};
  ASSERT_TRUE(store_->Finish(retried, again).ok());
  EXPECT_EQ(store_->HandlerState("queue")->at("last_start"), "7000");
  out.handler_state = {{"last_start", "8000"}};
  EXPECT_EQ(store_->Finish(id, out).code(), Code::kFailedPrecondition);
  EXPECT_EQ(store_->HandlerState("queue")->at("last_start"), "7000");
}

TEST_P(StoreContractTest, ActivityOfRecentlyFinishedJobs) {
  // created at 1000, started at 5000 (wait 4000), 3000 and 4000 ms (wait 2000, 3000).
  JobId a = AddRunning("t");
  JobId b = AddRunning("t", 3000);
  JobId c = AddRunning("u", 4000);
  JobId old = AddRunning("t", 1000);
  ASSERT_TRUE(store_->Finish(a, Ended(JobState::kDone, 6000)).ok());
  ASSERT_TRUE(store_->Finish(b, Ended(JobState::kFailed, 9000, "x")).ok());
  ASSERT_TRUE(store_->Finish(c, Ended(JobState::kDone, 4500)).ok());
  ASSERT_TRUE(store_->Finish(old, Ended(JobState::kDone, 1500)).ok());  // before the window
  AddRunning("t", 7000);  // still running: not counted
  auto activity = store_->Activity(2000);
  ASSERT_TRUE(activity.ok()) << activity.status().ToString();
  ASSERT_EQ(activity->size(), 2u);
  const TypeActivity& t = (*activity)[0];
  EXPECT_EQ(t.type, "t");
  EXPECT_EQ(t.finished, 2);
  EXPECT_EQ(t.failed, 1);
  EXPECT_DOUBLE_EQ(t.wait_ms_avg, 3000);  // (4000 + 2000) / 2
  EXPECT_EQ(t.wait_ms_max, 4000);
  EXPECT_DOUBLE_EQ(t.run_ms_avg, 3500);  // (1000 + 6000) / 2
  EXPECT_EQ((*activity)[1].type, "u");
  EXPECT_EQ((*activity)[1].finished, 1);
  EXPECT_TRUE(store_->Activity(10'000)->empty());
}

TEST_P(StoreContractTest, FinishedPerMinuteCountsEachMinuteOldestFirst) {
  const TimeMs m = 60'000;
  // Minute 2: two done, one failed, one cancelled; minute 4: one failed; none in minute 3.
  JobId a = AddRunning("t");
  JobId b = AddRunning("u");
  JobId c = AddRunning("t");
  JobId d = AddRunning("t");
  JobId e = AddRunning("t");
  JobId old = AddRunning("t");
  ASSERT_TRUE(store_->Finish(a, Ended(JobState::kDone, 2 * m)).ok());
  ASSERT_TRUE(store_->Finish(b, Ended(JobState::kDone, 2 * m + 59'999)).ok());
  ASSERT_TRUE(store_->Finish(c, Ended(JobState::kFailed, 2 * m + 1, "x")).ok());
  ASSERT_TRUE(store_->Finish(d, Ended(JobState::kCancelled, 2 * m + 500)).ok());
  ASSERT_TRUE(store_->Finish(e, Ended(JobState::kFailed, 4 * m + 7, "y")).ok());
  ASSERT_TRUE(store_->Finish(old, Ended(JobState::kDone, m + 59'999)).ok());  // too early
  AddRunning("t");  // running: not counted
  ASSERT_TRUE(store_->Finish(AddRunning("t"), RetryLater(3 * m, "again")).ok());  // queued
  auto minutes = store_->FinishedPerMinute(2 * m);
  ASSERT_TRUE(minutes.ok()) << minutes.status().ToString();
  ASSERT_EQ(minutes->size(), 2u);
  EXPECT_EQ((*minutes)[0].minute, 2 * m);
  EXPECT_EQ((*minutes)[0].finished, 4);
  EXPECT_EQ((*minutes)[0].failed, 1);
  EXPECT_EQ((*minutes)[1].minute, 4 * m);
  EXPECT_EQ((*minutes)[1].finished, 1);
  EXPECT_EQ((*minutes)[1].failed, 1);
  EXPECT_TRUE(store_->FinishedPerMinute(5 * m)->empty());
}

TEST_P(StoreContractTest, FinishFailedAndRetryLater) {
  JobId id = AddRunning("t");
  ASSERT_TRUE(store_->Cancel(id, 5500).ok());  // cancel requested, then the run failed anyway
  ASSERT_TRUE(store_->Finish(id, RetryLater(8000, "boom")).ok());
  Job job = MustGet(id);
  EXPECT_EQ(job.state, JobState::kQueued);
  EXPECT_EQ(job.run_at, 8000);
  EXPECT_EQ(job.error, "boom");
  EXPECT_EQ(job.finished_at, 0);
  EXPECT_FALSE(job.cancel_requested);
  EXPECT_TRUE(store_->Claim("t", 1, 7999)->empty());
  auto second = store_->Claim("t", 1, 8000);
  ASSERT_EQ(Ids(*second), std::vector<JobId>{id});
  EXPECT_EQ((*second)[0].attempts, 2);
  EXPECT_EQ((*second)[0].error, "boom");  // kept until the run ends

  ASSERT_TRUE(store_->Finish(id, Ended(JobState::kFailed, 9000, "bust")).ok());
  EXPECT_EQ(MustGet(id).state, JobState::kFailed);
  EXPECT_EQ(MustGet(id).error, "bust");
  EXPECT_EQ(store_->Finish(id, Ended(JobState::kRunning, 0)).code(), Code::kInvalidArgument);
}

TEST_P(StoreContractTest, CancelQueuedRunningAndFinal) {
  JobId queued = Add(MakeJob("t"));
  auto cancelled = store_->Cancel(queued, 6000);
  ASSERT_TRUE(cancelled.ok());
  EXPECT_EQ(cancelled->state, JobState::kCancelled);
  EXPECT_EQ(cancelled->finished_at, 6000);
  EXPECT_EQ(MustGet(queued).state, JobState::kCancelled);

  JobId running = AddRunning("t");
  auto requested = store_->Cancel(running, 6000);
  ASSERT_TRUE(requested.ok());
  EXPECT_EQ(requested->state, JobState::kRunning);
  EXPECT_TRUE(requested->cancel_requested);
  EXPECT_EQ(requested->finished_at, 0);
  EXPECT_TRUE(store_->Cancel(running, 6001).ok());  // asking twice is fine

  auto again = store_->Cancel(queued, 7000);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.status().code(), Code::kFailedPrecondition);
  EXPECT_EQ(again.status().message(), "job " + std::to_string(queued) + " is already cancelled");
  EXPECT_EQ(store_->Cancel(4242, 7000).status().message(), "no job 4242");
  EXPECT_EQ(store_->Cancel(4242, 7000).status().code(), Code::kNotFound);
}

TEST_P(StoreContractTest, RetryFailedOrCancelledOnly) {
  JobId id = AddRunning("t");
  ASSERT_TRUE(store_->Finish(id, Ended(JobState::kFailed, 6000, "bad")).ok());
  auto retried = store_->Retry(id, 7000, 2);
  ASSERT_TRUE(retried.ok()) << retried.status().ToString();
  EXPECT_EQ(retried->state, JobState::kQueued);
  EXPECT_EQ(retried->run_at, 7000);
  EXPECT_EQ(retried->attempts, 1);
  EXPECT_EQ(retried->max_attempts, 3);
  EXPECT_EQ(retried->finished_at, 0);
  EXPECT_EQ(retried->error, "bad");

  auto queued = store_->Retry(id, 7000, 1);
  EXPECT_EQ(queued.status().code(), Code::kFailedPrecondition);
  EXPECT_EQ(
      queued.status().message(),
      "job " + std::to_string(id) + " is queued; only failed or cancelled jobs can be retried");
  EXPECT_EQ(store_->Retry(555, 7000, 1).status().code(), Code::kNotFound);
  EXPECT_EQ(store_->Retry(id, 7000, 0).status().code(), Code::kInvalidArgument);

  JobId cancelled = Add(MakeJob("t"));
  ASSERT_TRUE(store_->Cancel(cancelled, 6000).ok());
  EXPECT_EQ(store_->Retry(cancelled, 7000, 1)->state, JobState::kQueued);
}

TEST_P(StoreContractTest, RetryRefusesWhenTheUniqueKeyIsTaken) {
  JobId old_id = Add(MakeJob("t", 0, 0, "k"));
  ASSERT_TRUE(store_->Cancel(old_id, 6000).ok());
  JobId new_id = Add(MakeJob("t", 0, 0, "k"));
  auto r = store_->Retry(old_id, 7000, 1);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kFailedPrecondition);
  EXPECT_EQ(r.status().message(), "job " + std::to_string(old_id) +
                                      " has unique key 'k', now held by job " +
                                      std::to_string(new_id));
  EXPECT_EQ(MustGet(old_id).state, JobState::kCancelled);
}

TEST_P(StoreContractTest, CountsPerTypeIncludingDelayed) {
  Add(MakeJob("a", 0, 0));
  Add(MakeJob("a", 0, 99999));  // delayed
  AddRunning("b");
  JobId done = AddRunning("b");
  ASSERT_TRUE(store_->Finish(done, Ended(JobState::kDone, 6000)).ok());
  JobId failed = AddRunning("b");
  ASSERT_TRUE(store_->Finish(failed, Ended(JobState::kFailed, 6000)).ok());
  ASSERT_TRUE(store_->Cancel(Add(MakeJob("b")), 6000).ok());

  auto counts = store_->Counts(10000);
  ASSERT_TRUE(counts.ok());
  ASSERT_EQ(counts->size(), 2u);
  const TypeCounts& a = (*counts)[0];
  EXPECT_EQ(a.type, "a");
  EXPECT_EQ(a.queued, 2);
  EXPECT_EQ(a.delayed, 1);
  EXPECT_EQ(a.running, 0);
  const TypeCounts& b = (*counts)[1];
  EXPECT_EQ(b.type, "b");
  EXPECT_EQ(b.queued, 0);
  EXPECT_EQ(b.running, 1);
  EXPECT_EQ(b.done, 1);
  EXPECT_EQ(b.failed, 1);
  EXPECT_EQ(b.cancelled, 1);
  EXPECT_EQ((*store_->Counts(100000))[0].delayed, 0);
}

TEST_P(StoreContractTest, ListsNewestFirstWithFilters) {
  std::vector<JobId> a;
  for (int i = 0; i < 5; ++i) a.push_back(Add(MakeJob("a")));
  JobId b = Add(MakeJob("b"));
  ASSERT_TRUE(store_->Cancel(a[1], 6000).ok());

  auto all = store_->List(ListFilter());
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(Ids(*all), (std::vector<JobId>{b, a[4], a[3], a[2], a[1], a[0]}));
  EXPECT_EQ(Ids(*store_->List(Filter("a", {}, {}, 2))), (std::vector<JobId>{a[4], a[3]}));
  EXPECT_EQ(Ids(*store_->List(Filter("a", {}, a[3]))), (std::vector<JobId>{a[2], a[1], a[0]}));
  EXPECT_EQ(Ids(*store_->List(Filter({}, JobState::kCancelled))), std::vector<JobId>{a[1]});
  EXPECT_EQ(Ids(*store_->List(Filter("a", JobState::kQueued, a[2]))), std::vector<JobId>{a[0]});
  EXPECT_TRUE(store_->List(Filter("nope"))->empty());
  EXPECT_TRUE(store_->List(Filter({}, {}, {}, 0))->empty());
}

TEST_P(StoreContractTest, PausedTypesSurviveReopen) {
  EXPECT_TRUE(store_->PausedTypes()->empty());
  ASSERT_TRUE(store_->SetPaused("a", true).ok());
  ASSERT_TRUE(store_->SetPaused("b", true).ok());
  ASSERT_TRUE(store_->SetPaused("b", false).ok());
  Reopen();
  EXPECT_EQ(*store_->PausedTypes(), std::set<std::string>{"a"});
}

TEST_P(StoreContractTest, PurgeHonoursARetentionOfTheType) {
  // Three types finished at 1000, 2000 and 3000; "short" keeps jobs less long than the
  // server, "long" longer.
  for (const char* type : {"short", "long", "other"}) {
    for (TimeMs at : {1000, 2000, 3000}) {
      JobId id = AddRunning(type);
      ASSERT_TRUE(store_->Finish(id, Ended(JobState::kDone, at)).ok());
    }
  }
  auto purged = store_->Purge(2500, {{"short", 3500}, {"long", 1500}});
  ASSERT_TRUE(purged.ok()) << purged.status().ToString();
  EXPECT_EQ(*purged, 6);  // short: 3, long: 1, other: 2
  auto listed = store_->List(ListFilter());
  ASSERT_TRUE(listed.ok());
  std::map<std::string, int> left;
  for (const Job& j : *listed) ++left[j.type];
  EXPECT_EQ(left, (std::map<std::string, int>{{"long", 2}, {"other", 1}}));
}

TEST_P(StoreContractTest, FireRecordsTheFireAndInsertsTheJobTogether) {
  EXPECT_TRUE(store_->ScheduleFires()->empty());
  NewJob job = MakeJob("tick", 0, 0, "schedule");
  auto first = store_->Fire("tick", 2000, job);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_FALSE(first->existing);
  EXPECT_EQ(MustGet(first->id).type, "tick");
  EXPECT_EQ(MustGet(first->id).unique_key, "schedule");
  EXPECT_EQ(*store_->ScheduleFires(), (std::map<std::string, TimeMs>{{"tick", 2000}}));

  // Queued: the next fire coalesces but still records its time.
  auto second = store_->Fire("tick", 4000, job);
  ASSERT_TRUE(second.ok());
  EXPECT_TRUE(second->existing);
  EXPECT_EQ(second->id, first->id);
  EXPECT_EQ(store_->ScheduleFires()->at("tick"), 4000);
  // Running: still coalesced.
  ASSERT_EQ(store_->Claim("tick", 1, 5000)->size(), 1u);
  auto third = store_->Fire("tick", 6000, job);
  ASSERT_TRUE(third.ok());
  EXPECT_EQ(third->id, first->id);
  EXPECT_TRUE(third->existing);
  // Done: a new job.
  ASSERT_TRUE(store_->Finish(first->id, Ended(JobState::kDone, 7000)).ok());
  auto fourth = store_->Fire("tick", 8000, job);
  ASSERT_TRUE(fourth.ok());
  EXPECT_FALSE(fourth->existing);
  EXPECT_NE(fourth->id, first->id);

  ASSERT_TRUE(store_->Fire("other", 9000, MakeJob("other")).ok());
  Reopen();  // durable
  EXPECT_EQ(*store_->ScheduleFires(),
            (std::map<std::string, TimeMs>{{"other", 9000}, {"tick", 8000}}));
  EXPECT_EQ(store_->List(Filter("tick"))->size(), 2u);
}

TEST_P(StoreContractTest, SetScheduleFireUpsertsWithoutAJob) {
  ASSERT_TRUE(store_->SetScheduleFire("tick", 1000).ok());
  ASSERT_TRUE(store_->SetScheduleFire("tick", 3000).ok());
  Reopen();
  EXPECT_EQ(*store_->ScheduleFires(), (std::map<std::string, TimeMs>{{"tick", 3000}}));
  EXPECT_TRUE(store_->List(Filter("tick"))->empty());
}

TEST_P(StoreContractTest, MaxRunningCapsClaims) {
  store_->SetMaxRunning({{"capped", 2}});
  for (int i = 0; i < 5; ++i) Add(MakeJob("capped"));
  for (int i = 0; i < 5; ++i) Add(MakeJob("free"));
  auto first = store_->Claim("capped", 5, 5000);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ(first->size(), 2u);
  EXPECT_TRUE(store_->Claim("capped", 5, 5000)->empty());
  EXPECT_EQ(store_->Claim("free", 5, 5000)->size(), 5u);  // other types: no cap
  // An end makes room for one.
  auto next = store_->FinishAndClaim(first->front().id, Ended(JobState::kDone, 6000), "capped",
                                     5, 6000);
  ASSERT_TRUE(next.ok()) << next.status().ToString();
  EXPECT_EQ(next->size(), 1u);
  store_->SetMaxRunning({});
  EXPECT_EQ(store_->Claim("capped", 5, 7000)->size(), 2u);
}

TEST_P(StoreContractTest, NodesAreRegisteredAndRunTheJobsTheyClaim) {
  auto node = store_->RegisterNode("host-a:42", 1000);
  ASSERT_TRUE(node.ok()) << node.status().ToString();
  EXPECT_GT(*node, 0);
  JobId claimed = AddRunning("t");
  NewJob started = MakeJob("t");
  started.start = true;
  JobId stored_running = Add(started);
  ASSERT_TRUE(store_->Heartbeat(2000).ok());

  auto nodes = store_->Nodes();
  ASSERT_TRUE(nodes.ok()) << nodes.status().ToString();
  ASSERT_EQ(nodes->size(), 1u);
  const NodeInfo& n = nodes->front();
  EXPECT_EQ(n.id, *node);
  EXPECT_EQ(n.name, "host-a:42");
  EXPECT_EQ(n.started_at, 1000);
  EXPECT_EQ(n.heartbeat_at, 2000);
  EXPECT_FALSE(n.dead);
  EXPECT_EQ(n.running, 2);
  ASSERT_TRUE(store_->Finish(claimed, Ended(JobState::kDone, 3000)).ok());
  ASSERT_TRUE(store_->Requeue(stored_running, 3000, false).ok());
  EXPECT_EQ(store_->Nodes()->front().running, 0);
}

TEST_P(StoreContractTest, ARestartedNodeRescuesTheJobsOfTheOldOneWhichCanEndThemNoMore) {
  auto old_node = store_->RegisterNode("host-a:1", 1000);
  ASSERT_TRUE(old_node.ok());
  JobId a = AddRunning("t");
  JobId b = AddRunning("t");
  Reopen();  // torqued killed and started again: a new node
  auto node = store_->RegisterNode("host-a:2", 5000);
  ASSERT_TRUE(node.ok());
  EXPECT_GT(*node, *old_node);

  // Before recovery the jobs still belong to the old node: this one cannot end them.
  Status st = store_->Finish(a, Ended(JobState::kDone, 5000));
  EXPECT_EQ(st.code(), Code::kFailedPrecondition);
  EXPECT_EQ(st.message(), "job " + std::to_string(a) +
                              " is not this node's: it was rescued from this node and runs "
                              "elsewhere now");
  EXPECT_EQ(store_->Requeue(b, 5000, true).code(), Code::kFailedPrecondition);
  EXPECT_EQ(MustGet(a).state, JobState::kRunning);

  auto report = store_->Recover(6000, 3);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->requeued, (std::vector<JobId>{a, b}));
  auto nodes = store_->Nodes();
  ASSERT_TRUE(nodes.ok());
  ASSERT_EQ(nodes->size(), 2u);
  EXPECT_EQ(nodes->at(0).id, *node);  // the live one first
  EXPECT_FALSE(nodes->at(0).dead);
  EXPECT_EQ(nodes->at(1).id, *old_node);
  EXPECT_TRUE(nodes->at(1).dead);
  EXPECT_EQ(nodes->at(1).running, 0);

  // Claimed again, the jobs are this node's.
  auto again = store_->Claim("t", 2, 7000);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(Ids(*again), (std::vector<JobId>{a, b}));
  EXPECT_TRUE(store_->Finish(a, Ended(JobState::kDone, 8000)).ok());
  EXPECT_EQ(store_->Nodes()->front().running, 1);
}

TEST_P(StoreContractTest, RecoveryLeavesTheJobsOfTheCurrentNodeAlone) {
  ASSERT_TRUE(store_->RegisterNode("host-a:1", 1000).ok());
  JobId mine = AddRunning("t");
  auto report = store_->Recover(2000, 3);
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->requeued.empty());
  EXPECT_EQ(MustGet(mine).state, JobState::kRunning);
  EXPECT_TRUE(store_->Finish(mine, Ended(JobState::kDone, 3000)).ok());
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreContractTest, ::testing::Values(Sqlite(), Postgresql()),
                         [](const ::testing::TestParamInfo<Backend>& info) {
                           return info.param.name;
                         });

}  // namespace
}  // namespace torque::server
