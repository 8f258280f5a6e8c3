#include "server/sqlite_store.h"

#include <SQLiteCpp/SQLiteCpp.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <iostream>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "core/embedded.h"
#include "tests/server/failing_store.h"
#include "tests/test_env.h"

namespace torque::server {
namespace {

namespace fs = std::filesystem;
using Code = Status::Code;

NewJob MakeJob(const std::string& type, int priority = 0, TimeMs run_at = 0,
               const std::string& unique_key = "") {
  NewJob j;
  j.type = type;
  j.args = "args of " + type;
  j.priority = priority;
  j.run_at = run_at;
  j.unique_key = unique_key;
  j.created_at = 1000;
  j.max_attempts = 3;
  return j;
}

Outcome Ended(JobState state, TimeMs at, const std::string& error = "",
              const std::string& result = "") {
  Outcome o;
  o.state = state;
  o.finished_at = at;
  o.error = error;
  o.result = result;
  return o;
}

Outcome RetryLater(TimeMs run_at, const std::string& error) {
  Outcome o = Ended(JobState::kQueued, run_at - 1000, error);
  o.run_at = run_at;
  return o;
}

ListFilter Filter(std::optional<std::string> type, std::optional<JobState> state = {},
                  std::optional<JobId> before_id = {}, int limit = 100) {
  ListFilter f;
  f.type = std::move(type);
  f.state = state;
  f.before_id = before_id;
  f.limit = limit;
  return f;
}

std::vector<JobId> Ids(const std::vector<Job>& jobs) {
  std::vector<JobId> ids;
  for (const Job& j : jobs) ids.push_back(j.id);
  return ids;
}

class SqliteStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "torque-store-XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    path_ = dir_ + "/db/torque.sqlite";  // the db/ directory does not exist yet
    Reopen();
  }
  void TearDown() override {
    store_.reset();
    fs::remove_all(dir_);
  }

  SqliteStoreOptions Options(int64_t max_page_count = 0) const {
    SqliteStoreOptions o;
    o.path = path_;
    o.max_page_count = max_page_count;
    return o;
  }

  void Reopen(int64_t max_page_count = 0) {
    store_.reset();
    auto opened = SqliteStore::Open(Options(max_page_count));
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    store_ = std::move(*opened);
  }

  JobId Add(const NewJob& job) {
    auto r = store_->Insert({job});
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    if (!r.ok() || r->size() != 1) return 0;
    return (*r)[0].id;
  }

  // One job of `type` claimed (running).
  JobId AddRunning(const std::string& type, TimeMs now = 5000) {
    JobId id = Add(MakeJob(type));
    auto claimed = store_->Claim(type, 1, now);
    EXPECT_TRUE(claimed.ok());
    EXPECT_EQ(Ids(*claimed), std::vector<JobId>{id});
    return id;
  }

  Job MustGet(JobId id) {
    auto r = store_->Get(id);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : Job{};
  }

  // A column the Job struct does not carry, read with a connection of our own.
  int64_t RawColumn(JobId id, const std::string& column) {
    SQLite::Database db(path_, SQLite::OPEN_READONLY);
    SQLite::Statement q(db, "SELECT " + column + " FROM jobs WHERE id = ?");
    q.bind(1, id);
    EXPECT_TRUE(q.executeStep());
    return q.getColumn(0).getInt64();
  }

  // Joins the writer, so no callback still touches the test's locals.
  void Drain() { store_.reset(); }

  // Makes the writer wait: the returned promise's set_value lets it go on. Ops
  // enqueued meanwhile are committed together in the next batch.
  std::promise<void> BlockWriter() {
    std::promise<void> release;
    std::shared_future<void> go = release.get_future().share();
    auto blocked = std::make_shared<std::promise<void>>();
    std::future<void> is_blocked = blocked->get_future();
    store_->InsertAsync({MakeJob("blocker")}, [blocked, go](Result<std::vector<InsertResult>> r) {
      EXPECT_TRUE(r.ok());
      blocked->set_value();
      go.wait();
    });
    is_blocked.wait();
    return release;
  }

  std::string dir_;
  std::string path_;
  std::unique_ptr<SqliteStore> store_;
};

TEST_F(SqliteStoreTest, AppliesMigrationsAndSetsUserVersion) {
  SQLite::Database db(path_, SQLite::OPEN_READONLY);
  EXPECT_EQ(db.execAndGet("PRAGMA user_version").getInt(),
            static_cast<int>(embedded::schema_sql().size()));
  EXPECT_EQ(db.execAndGet("PRAGMA journal_mode").getString(), "wal");
  EXPECT_TRUE(db.tableExists("jobs"));
  EXPECT_TRUE(db.tableExists("type_state"));
  EXPECT_TRUE(db.tableExists("schedules"));
  EXPECT_TRUE(db.tableExists("handler_state"));
  EXPECT_EQ(embedded::schema_sql()[0].name, "0001_init.sql");
  EXPECT_EQ(embedded::schema_sql()[1].name, "0002_schedules.sql");
}

// Pending migrations are one transaction: one failing (here 0005, on a table in its way)
// leaves the file at its old version, without the earlier pending ones either.
TEST_F(SqliteStoreTest, AFailedMigrationLeavesTheOldVersionWhole) {
  store_.reset();
  {
    SQLite::Database db(path_, SQLite::OPEN_READWRITE);
    db.exec(
        "DROP TABLE handler_state; DROP TRIGGER job_counts_insert; "
        "DROP TRIGGER job_counts_update; DROP TRIGGER job_counts_delete; "
        "DROP TABLE job_counts; CREATE TABLE job_counts (x); PRAGMA user_version = 3");
  }
  auto opened = SqliteStore::Open(Options());
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.status().code(), Code::kIoError);
  SQLite::Database db(path_, SQLite::OPEN_READONLY);
  EXPECT_EQ(db.execAndGet("PRAGMA user_version").getInt(), 3);
  EXPECT_FALSE(db.tableExists("handler_state"));  // 0004 undone with 0005
}

TEST_F(SqliteStoreTest, RejectsDatabaseFromNewerTorqued) {
  store_.reset();
  {
    SQLite::Database db(path_, SQLite::OPEN_READWRITE);
    db.exec("PRAGMA user_version = 99");
  }
  auto opened = SqliteStore::Open(Options());
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.status().code(), Code::kFailedPrecondition);
  EXPECT_EQ(opened.status().message(),
            "database " + path_ + " has schema version 99, newer than this torqued knows (" +
                std::to_string(embedded::schema_sql().size()) +
                "); "
                "upgrade torqued");
}

TEST_F(SqliteStoreTest, NotADatabaseIsAnIoError) {
  store_.reset();
  fs::remove(path_ + "-wal");
  fs::remove(path_ + "-shm");
  {
    std::ofstream f(path_, std::ios::trunc);
    f << std::string(4096, 'x');
  }
  auto opened = SqliteStore::Open(Options());
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.status().code(), Code::kIoError);
  EXPECT_EQ(opened.status().message(), "database " + path_ + ": file is not a database");
}

TEST_F(SqliteStoreTest, UncreatableDirectoryIsAnIoError) {
  { std::ofstream(dir_ + "/file") << "x"; }
  SqliteStoreOptions o;
  o.path = dir_ + "/file/sub/torque.db";
  auto opened = SqliteStore::Open(o);
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.status().code(), Code::kIoError);
  EXPECT_EQ(opened.status().message(),
            "cannot create directory " + dir_ + "/file/sub: Not a directory");
}

TEST_F(SqliteStoreTest, ReopenKeepsData) {
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

TEST_F(SqliteStoreTest, SecondOpenOfTheSamePathFails) {
  auto second = SqliteStore::Open(Options());
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), Code::kAlreadyExists);
  EXPECT_EQ(second.status().message(), "database " + path_ + " is in use by another torqued (pid " +
                                           std::to_string(::getpid()) + ")");
  store_.reset();  // releases the lock
  auto third = SqliteStore::Open(Options());
  EXPECT_TRUE(third.ok()) << third.status().ToString();
}

TEST_F(SqliteStoreTest, ClaimsByPriorityThenRunAtThenId) {
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

TEST_F(SqliteStoreTest, DelayedJobsWaitForRunAt) {
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

TEST_F(SqliteStoreTest, UniqueKeysCoalesceWhileQueuedOrRunning) {
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

TEST_F(SqliteStoreTest, FinishRecordsTheOutcome) {
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

TEST_F(SqliteStoreTest, FinishAndClaimIsOneWriteAndAllOrNothing) {
  JobId first = AddRunning("t");
  JobId second = Add(MakeJob("t"));
  JobId third = Add(MakeJob("t"));
  const int64_t ops = store_->stats().ops;
  auto next = store_->FinishAndClaim(first, Ended(JobState::kDone, 6000), "t", 1, 6000);
  ASSERT_TRUE(next.ok()) << next.status().ToString();
  EXPECT_EQ(Ids(*next), std::vector<JobId>{second});
  EXPECT_EQ(store_->stats().ops - ops, 1);
  EXPECT_EQ(MustGet(first).state, JobState::kDone);
  Job claimed = MustGet(second);
  EXPECT_EQ(claimed.state, JobState::kRunning);
  EXPECT_EQ(claimed.started_at, 6000);
  // A finish that fails claims nothing.
  auto again = store_->FinishAndClaim(first, Ended(JobState::kDone, 7000), "t", 1, 7000);
  EXPECT_EQ(again.status().code(), Code::kFailedPrecondition);
  EXPECT_EQ(MustGet(third).state, JobState::kQueued);
  // n = 0: the finish alone.
  auto alone = store_->FinishAndClaim(second, Ended(JobState::kDone, 7000), "t", 0, 7000);
  ASSERT_TRUE(alone.ok());
  EXPECT_TRUE(alone->empty());
  EXPECT_EQ(MustGet(second).state, JobState::kDone);
  EXPECT_EQ(MustGet(third).state, JobState::kQueued);
}

TEST_F(SqliteStoreTest, AJobToStartIsStoredRunning) {
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

TEST_F(SqliteStoreTest, HandlerStateIsPerTypeAndSurvivesReopen) {
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

TEST_F(SqliteStoreTest, FinishStoresHandlerStateWithTheOutcome) {
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

TEST_F(SqliteStoreTest, FinishThatCannotStoreItsStateStoresNothing) {
  JobId id = AddRunning("queue");
  Reopen(/*max_page_count=*/1);  // SQLite raises it to the current size: no room to grow
  Outcome out = Ended(JobState::kDone, 6000, "", "report");
  out.handler_state = {{"big", std::string(256 * 1024, 'x')}};
  Status st = store_->Finish(id, out);
  EXPECT_EQ(st.code(), Code::kIoError) << st.ToString();
  EXPECT_EQ(MustGet(id).state, JobState::kRunning);  // the outcome went with the state
  EXPECT_TRUE(store_->HandlerState("queue")->empty());
  Drain();
}

TEST_F(SqliteStoreTest, ActivityOfRecentlyFinishedJobs) {
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

TEST_F(SqliteStoreTest, FinishedPerMinuteCountsEachMinuteOldestFirst) {
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

TEST_F(SqliteStoreTest, FinishFailedAndRetryLater) {
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

TEST_F(SqliteStoreTest, RequeueGivesTheAttemptBack) {
  JobId id = AddRunning("t");
  ASSERT_TRUE(store_->Requeue(id, 7000, true).ok());
  Job job = MustGet(id);
  EXPECT_EQ(job.state, JobState::kQueued);
  EXPECT_EQ(job.run_at, 7000);
  EXPECT_EQ(job.max_attempts, 4);
  EXPECT_EQ(RawColumn(id, "interruptions"), 1);
  ASSERT_EQ(Ids(*store_->Claim("t", 1, 7000)), std::vector<JobId>{id});
  ASSERT_TRUE(store_->Requeue(id, 7100, false).ok());
  EXPECT_EQ(MustGet(id).max_attempts, 5);
  EXPECT_EQ(RawColumn(id, "interruptions"), 1);

  Status not_running = store_->Requeue(id, 7200, false);
  EXPECT_EQ(not_running.code(), Code::kFailedPrecondition);
  EXPECT_EQ(not_running.message(), "job " + std::to_string(id) + " is queued, not running");
}

TEST_F(SqliteStoreTest, CancelQueuedRunningAndFinal) {
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

TEST_F(SqliteStoreTest, RetryFailedOrCancelledOnly) {
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

TEST_F(SqliteStoreTest, RetryRefusesWhenTheUniqueKeyIsTaken) {
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

TEST_F(SqliteStoreTest, CountsPerTypeIncludingDelayed) {
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

// Counts are kept by triggers (schema 0005): after every kind of change they must equal
// a full count of the rows.
TEST_F(SqliteStoreTest, CountsMatchAFullCountAfterEveryKindOfChange) {
  const auto full_count = [&] {
    std::map<std::pair<std::string, std::string>, int64_t> rows;
    SQLite::Database db(path_, SQLite::OPEN_READONLY);
    SQLite::Statement q(db, "SELECT type, state, COUNT(*) FROM jobs GROUP BY type, state");
    while (q.executeStep())
      rows[{q.getColumn(0).getString(), q.getColumn(1).getString()}] = q.getColumn(2).getInt64();
    return rows;
  };
  const auto kept = [&] {
    std::map<std::pair<std::string, std::string>, int64_t> rows;
    auto counts = store_->Counts(0);
    EXPECT_TRUE(counts.ok());
    for (const TypeCounts& c : *counts) {
      const std::pair<const char*, int64_t> states[] = {{"queued", c.queued},
                                                        {"running", c.running},
                                                        {"done", c.done},
                                                        {"failed", c.failed},
                                                        {"cancelled", c.cancelled}};
      for (const auto& [state, n] : states) {
        if (n != 0) rows[{c.type, state}] = n;
      }
    }
    return rows;
  };
  const auto check = [&](const char* step) { EXPECT_EQ(kept(), full_count()) << step; };

  ASSERT_TRUE(store_->Insert({MakeJob("a"), MakeJob("a"), MakeJob("b", 0, 0, "k")}).ok());
  ASSERT_TRUE(store_->Insert({MakeJob("b", 0, 0, "k")}).ok());  // coalesces: no new row
  check("insert");
  JobId done = AddRunning("c");
  ASSERT_TRUE(store_->Finish(done, Ended(JobState::kDone, 6000)).ok());
  JobId failed = AddRunning("c");
  ASSERT_TRUE(store_->Finish(failed, Ended(JobState::kFailed, 6000)).ok());
  JobId retried = AddRunning("c");
  ASSERT_TRUE(store_->Finish(retried, RetryLater(9000, "again")).ok());
  check("claim and finish");
  ASSERT_TRUE(store_->Cancel(Add(MakeJob("c")), 6000).ok());
  ASSERT_TRUE(store_->Retry(failed, 7000, 1).ok());
  ASSERT_TRUE(store_->Requeue(AddRunning("d"), 7000, true).ok());
  check("cancel, retry, requeue");
  AddRunning("e");
  Reopen();
  ASSERT_TRUE(store_->Recover(8000, 0).ok());  // e's job: failed, no crash allowance
  check("recover");
  ASSERT_TRUE(store_->Fire("f", 1000, MakeJob("f")).ok());
  check("fire");
  ASSERT_TRUE(store_->Purge(100000).ok());
  check("purge");
  EXPECT_EQ(store_->Counts(0)->size(), 5u);  // a, b, c (queued again), d, f; e purged
}

// A database made before the counts existed gets them from its rows.
TEST_F(SqliteStoreTest, MigrationCountsTheJobsAlreadyThere) {
  ASSERT_TRUE(store_->Insert({MakeJob("a"), MakeJob("a")}).ok());
  AddRunning("b");
  Add(MakeJob("b"));
  store_.reset();
  {
    SQLite::Database db(path_, SQLite::OPEN_READWRITE);
    db.exec(
        "DROP TRIGGER job_counts_insert; DROP TRIGGER job_counts_update; "
        "DROP TRIGGER job_counts_delete; DROP TABLE job_counts; PRAGMA user_version = 4");
  }
  Reopen();
  auto counts = store_->Counts(0);
  ASSERT_TRUE(counts.ok());
  ASSERT_EQ(counts->size(), 2u);
  EXPECT_EQ((*counts)[0].queued, 2);
  EXPECT_EQ((*counts)[1].queued, 1);
  EXPECT_EQ((*counts)[1].running, 1);
}

TEST_F(SqliteStoreTest, ListsNewestFirstWithFilters) {
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

TEST_F(SqliteStoreTest, PausedTypesSurviveReopen) {
  EXPECT_TRUE(store_->PausedTypes()->empty());
  ASSERT_TRUE(store_->SetPaused("a", true).ok());
  ASSERT_TRUE(store_->SetPaused("b", true).ok());
  ASSERT_TRUE(store_->SetPaused("b", false).ok());
  Reopen();
  EXPECT_EQ(*store_->PausedTypes(), std::set<std::string>{"a"});
}

TEST_F(SqliteStoreTest, RecoverRequeuesRunningJobsThenGivesUp) {
  JobId running = AddRunning("t");
  JobId queued = Add(MakeJob("t", 0, 1000000));  // delayed: never claimed here
  Reopen();                                      // as after a crash: the job is still running

  auto first = store_->Recover(8000, 2);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->requeued, std::vector<JobId>{running});
  EXPECT_TRUE(first->failed.empty());
  Job job = MustGet(running);
  EXPECT_EQ(job.state, JobState::kQueued);
  EXPECT_EQ(job.run_at, 8000);
  EXPECT_EQ(job.attempts, 1);
  EXPECT_EQ(job.max_attempts, 4);
  EXPECT_EQ(RawColumn(running, "interruptions"), 1);
  EXPECT_EQ(MustGet(queued).run_at, 1000000);

  ASSERT_EQ(Ids(*store_->Claim("t", 1, 8000)), std::vector<JobId>{running});
  EXPECT_EQ(store_->Recover(9000, 2)->requeued, std::vector<JobId>{running});
  ASSERT_EQ(Ids(*store_->Claim("t", 1, 9000)), std::vector<JobId>{running});
  auto last = store_->Recover(10000, 2);
  ASSERT_TRUE(last.ok());
  EXPECT_TRUE(last->requeued.empty());
  ASSERT_EQ(last->failed.size(), 1u);
  EXPECT_EQ(last->failed[0].id, running);
  EXPECT_EQ(last->failed[0].state, JobState::kFailed);
  EXPECT_EQ(last->failed[0].finished_at, 10000);
  EXPECT_EQ(last->failed[0].error, "interrupted by a daemon crash 3 times; giving up");
  EXPECT_EQ(RawColumn(running, "interruptions"), 3);
  EXPECT_EQ(MustGet(queued).state, JobState::kQueued);

  JobId zero = AddRunning("z");
  EXPECT_EQ(store_->Recover(11000, 0)->failed.at(0).id, zero);  // no crash allowance at all
}

TEST_F(SqliteStoreTest, PurgeHonoursARetentionOfTheType) {
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

TEST_F(SqliteStoreTest, PurgeDeletesOldFinalJobsInChunks) {
  constexpr int kOld = 25000;  // more than two chunks
  std::vector<NewJob> batch(kOld, MakeJob("t"));
  ASSERT_TRUE(store_->Insert(batch).ok());
  JobId keep_done = AddRunning("t2");
  ASSERT_TRUE(store_->Finish(keep_done, Ended(JobState::kDone, 50000)).ok());
  JobId keep_running = AddRunning("t2");
  JobId keep_queued = Add(MakeJob("t2"));
  store_.reset();
  {
    SQLite::Database db(path_, SQLite::OPEN_READWRITE);
    db.exec("UPDATE jobs SET state = 'done', finished_at = 1000 WHERE type = 't'");
  }
  Reopen();
  const JobId last_id = keep_queued;

  auto purged = store_->Purge(40000);
  ASSERT_TRUE(purged.ok());
  EXPECT_EQ(*purged, kOld);
  EXPECT_EQ(Ids(*store_->List(ListFilter())),
            (std::vector<JobId>{keep_queued, keep_running, keep_done}));
  EXPECT_EQ(*store_->Purge(40000), 0);
  // Ids are never reused, even for the newest rows after they are purged.
  ASSERT_TRUE(store_->Cancel(keep_queued, 100).ok());
  EXPECT_EQ(*store_->Purge(40000), 1);
  EXPECT_GT(Add(MakeJob("t")), last_id);
  auto size = store_->SizeBytes();
  ASSERT_TRUE(size.ok());
  EXPECT_GE(*size, static_cast<int64_t>(fs::file_size(path_)));
}

TEST_F(SqliteStoreTest, ConcurrentInsertsGetDistinctIds) {
  constexpr int kThreads = 8;
  constexpr int kPerThread = 2000;
  std::mutex mu;
  std::vector<JobId> ids;
  std::vector<Status> errors;
  std::promise<void> all_done;
  int remaining = kThreads * kPerThread;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        NewJob job = MakeJob("t");
        job.args = std::to_string(t) + "/" + std::to_string(i);
        store_->InsertAsync({job}, [&](Result<std::vector<InsertResult>> r) {
          std::lock_guard lock(mu);
          if (r.ok()) {
            ids.push_back((*r)[0].id);
          } else {
            errors.push_back(r.status());
          }
          if (--remaining == 0) all_done.set_value();
        });
      }
    });
  }
  for (auto& t : threads) t.join();
  all_done.get_future().wait();
  ASSERT_TRUE(errors.empty()) << errors[0].ToString();
  EXPECT_EQ(std::set<JobId>(ids.begin(), ids.end()).size(), size_t{kThreads * kPerThread});
  auto counts = store_->Counts(0);
  ASSERT_EQ(counts->size(), 1u);
  EXPECT_EQ((*counts)[0].queued, kThreads * kPerThread);
  std::cout << "[ info ] " << kThreads * kPerThread << " concurrent inserts took "
            << store_->stats().commits << " commits\n";
  Drain();
}

TEST_F(SqliteStoreTest, ConcurrentWritesShareOneCommit) {
  const SqliteStoreStats before = store_->stats();
  std::promise<void> release = BlockWriter();
  constexpr int kCalls = 1000;
  std::atomic<int> ok{0};
  std::promise<void> all_done;
  for (int i = 0; i < kCalls; ++i) {
    store_->InsertAsync({MakeJob("t")}, [&](Result<std::vector<InsertResult>> r) {
      if (r.ok() && ++ok == kCalls) all_done.set_value();
    });
  }
  release.set_value();
  all_done.get_future().wait();
  const SqliteStoreStats after = store_->stats();
  EXPECT_EQ(after.commits - before.commits, 2);  // the blocker's, then all the others
  EXPECT_EQ(after.ops - before.ops, kCalls + 1);
  auto counts = store_->Counts(0);
  ASSERT_EQ(counts->size(), 2u);  // blocker, t
  EXPECT_EQ(counts->at(1).queued, kCalls);
  Drain();
}

TEST_F(SqliteStoreTest, OnlyDurableBatchesSync) {
  SqliteStoreStats s0 = store_->stats();
  JobId id = Add(MakeJob("t"));
  SqliteStoreStats s1 = store_->stats();
  EXPECT_EQ(s1.commits - s0.commits, 1);
  EXPECT_EQ(s1.synced_commits - s0.synced_commits, 1);
  ASSERT_EQ(store_->Claim("t", 1, 0)->size(), 1u);
  ASSERT_TRUE(store_->Finish(id, Ended(JobState::kDone, 1)).ok());
  SqliteStoreStats s2 = store_->stats();
  EXPECT_EQ(s2.commits - s1.commits, 2);
  EXPECT_EQ(s2.synced_commits - s1.synced_commits, 0);
  ASSERT_TRUE(store_->SetPaused("t", true).ok());
  EXPECT_EQ(store_->stats().synced_commits - s2.synced_commits, 1);
}

TEST_F(SqliteStoreTest, DiskFullFailsOnlyTheOpThatNeedsSpace) {
  Reopen(/*max_page_count=*/1);  // SQLite raises it to the current size: no room to grow
  std::promise<void> release = BlockWriter();
  NewJob big = MakeJob("big");
  big.args = std::string(256 * 1024, 'x');
  std::promise<Result<std::vector<InsertResult>>> big_result;
  std::promise<Result<std::vector<InsertResult>>> small_result;
  store_->InsertAsync({MakeJob("small"), big}, [&](auto r) { big_result.set_value(std::move(r)); });
  store_->InsertAsync({MakeJob("small2")}, [&](auto r) { small_result.set_value(std::move(r)); });
  release.set_value();

  auto failed = big_result.get_future().get();
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.status().code(), Code::kIoError);
  EXPECT_EQ(failed.status().message(), "database or disk is full");
  auto small = small_result.get_future().get();
  ASSERT_TRUE(small.ok()) << small.status().ToString();

  // Nothing of the failed call was stored; reads and later writes still work.
  auto listed = store_->List(ListFilter());
  ASSERT_TRUE(listed.ok());
  std::set<std::string> types;
  for (const Job& j : *listed) types.insert(j.type);
  EXPECT_EQ(types, (std::set<std::string>{"blocker", "small2"}));
  EXPECT_EQ(store_->Insert({big}).status().code(), Code::kIoError);
  EXPECT_TRUE(store_->Counts(0).ok());
  EXPECT_EQ(store_->Claim("small2", 1, 0)->size(), 1u);
  Drain();
}

TEST_F(SqliteStoreTest, BlockingCallFromTheWriterThreadIsRefused) {
  std::promise<Status> inner;
  store_->InsertAsync({MakeJob("t")},
                      [&](auto) { inner.set_value(store_->Claim("t", 1, 0).status()); });
  Status st = inner.get_future().get();
  EXPECT_EQ(st.code(), Code::kInternal);
  EXPECT_EQ(st.message(), "blocking store call from the store's writer thread");
  Drain();
}

TEST_F(SqliteStoreTest, DestructorCompletesPendingWrites) {
  std::atomic<int> ok{0};
  for (int i = 0; i < 100; ++i) {
    // Half of them wait for a CommitQueued that never comes.
    store_->InsertAsync({MakeJob("t")}, [&](auto r) { ok += r.ok() ? 1 : 0; },
                        i % 2 ? CommitBy::kCaller : CommitBy::kWriter);
  }
  store_.reset();
  EXPECT_EQ(ok, 100);
  EXPECT_FALSE(fs::exists(path_ + "-wal"));  // closed cleanly: checkpointed
  Reopen();
  EXPECT_EQ(store_->Counts(0)->at(0).queued, 100);
}

// Where each callback of a CommitBy::kCaller insert ran; thread-safe.
class CallbackThreads {
 public:
  Store::InsertCallback Record() {
    return [this](Result<std::vector<InsertResult>> r) {
      EXPECT_TRUE(r.ok()) << r.status().ToString();
      std::lock_guard lock(mu_);
      threads_.push_back(std::this_thread::get_id());
      cv_.notify_all();
    };
  }
  std::vector<std::thread::id> WaitFor(size_t n) {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return threads_.size() >= n; });
    return threads_;
  }
  size_t size() {
    std::lock_guard lock(mu_);
    return threads_.size();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::thread::id> threads_;
};

TEST_F(SqliteStoreTest, CallerInsertsWaitForCommitQueuedAndShareOneCommitOnItsThread) {
  const SqliteStoreStats before = store_->stats();
  CallbackThreads ran;
  for (int i = 0; i < 10; ++i) store_->InsertAsync({MakeJob("t")}, ran.Record(), CommitBy::kCaller);
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(ran.size(), 0u);  // the writer thread was not woken for them
  EXPECT_EQ(store_->stats().commits, before.commits);

  store_->CommitQueued();
  ASSERT_EQ(ran.size(), 10u);  // committed and completed before CommitQueued returned
  for (std::thread::id id : ran.WaitFor(10)) EXPECT_EQ(id, std::this_thread::get_id());
  EXPECT_EQ(store_->stats().commits - before.commits, 1);
  EXPECT_EQ(store_->stats().synced_commits - before.synced_commits, 1);
  EXPECT_EQ(store_->Counts(0)->at(0).queued, 10);
  store_->CommitQueued();  // nothing held: nothing happens
  EXPECT_EQ(store_->stats().commits - before.commits, 1);
}

TEST_F(SqliteStoreTest, CallerInsertsGoToABusyWriterThread) {
  std::promise<void> release = BlockWriter();
  CallbackThreads ran;
  for (int i = 0; i < 3; ++i) store_->InsertAsync({MakeJob("t")}, ran.Record(), CommitBy::kCaller);
  store_->CommitQueued();  // does not wait for the busy writer
  EXPECT_EQ(ran.size(), 0u);
  release.set_value();
  for (std::thread::id id : ran.WaitFor(3)) EXPECT_NE(id, std::this_thread::get_id());
  Drain();
}

TEST_F(SqliteStoreTest, CallerInsertsRideAlongWithTheWriterThreadsNextCommit) {
  const SqliteStoreStats before = store_->stats();
  CallbackThreads ran;
  store_->InsertAsync({MakeJob("t")}, ran.Record(), CommitBy::kCaller);
  ASSERT_TRUE(store_->SetPaused("t", true).ok());  // wakes the writer thread
  EXPECT_NE(ran.WaitFor(1).front(), std::this_thread::get_id());
  EXPECT_EQ(store_->stats().commits - before.commits, 1);  // one commit carried both
  store_->CommitQueued();
  EXPECT_EQ(store_->stats().commits - before.commits, 1);
  Drain();
}

TEST_F(SqliteStoreTest, QueriesUseTheirIndexes) {
  ASSERT_TRUE(store_->List(Filter("t", JobState::kQueued)).ok());
  auto plans = store_->QueryPlans();
  ASSERT_TRUE(plans.ok()) << plans.status().ToString();
  // The plan of the one statement whose SQL contains `fragment`.
  auto plan_of = [&](const std::string& fragment) {
    std::string found;
    int matches = 0;
    for (const QueryPlan& p : *plans) {
      if (p.sql.find(fragment) != std::string::npos) {
        found = p.plan;
        ++matches;
      }
    }
    EXPECT_EQ(matches, 1) << fragment;
    return found;
  };
  using ::testing::HasSubstr;
  using ::testing::Not;
  EXPECT_THAT(plan_of("state = 'running', attempts"),
              HasSubstr("SEARCH jobs USING INDEX jobs_claim (type=?)"));
  EXPECT_THAT(plan_of("SELECT id FROM jobs WHERE type = ?1 AND unique_key = ?2"),
              HasSubstr("SEARCH jobs USING INDEX jobs_unique (type=? AND unique_key=?)"));
  EXPECT_THAT(plan_of("SELECT MIN(run_at)"),
              HasSubstr("SEARCH jobs USING COVERING INDEX jobs_next_run (type=?)"));
  EXPECT_THAT(plan_of("run_at > ?2 AND state = 'queued'"),
              HasSubstr("SEARCH jobs USING COVERING INDEX jobs_next_run (type=? AND run_at>?)"));
  EXPECT_THAT(plan_of("FROM job_counts"), HasSubstr("SCAN job_counts"));
  EXPECT_THAT(
      plan_of("finished_at < ?1 LIMIT ?2"),
      HasSubstr("SEARCH jobs USING COVERING INDEX jobs_finished (state=? AND finished_at<?)"));
  EXPECT_THAT(plan_of("finished_at < ?1 AND type = ?3"),
              HasSubstr("SEARCH jobs USING INDEX jobs_type_state (type=? AND state=?)"));
  EXPECT_THAT(plan_of("SELECT id, interruptions FROM jobs WHERE"),
              HasSubstr("SEARCH jobs USING INDEX jobs_finished (state=?)"));
  EXPECT_THAT(plan_of("AND finished_at >= ?1 GROUP BY type"),
              HasSubstr("SEARCH jobs USING INDEX jobs_finished (state=? AND finished_at>?)"));
  EXPECT_THAT(
      plan_of("GROUP BY finished_at / 60000"),
      HasSubstr("SEARCH jobs USING COVERING INDEX jobs_finished (state=? AND finished_at>?)"));
  EXPECT_THAT(plan_of("FROM outbox WHERE next_at"),
              HasSubstr("SEARCH outbox USING INDEX outbox_next (next_at<?)"));
  // Rows come in id order from the index: no sort.
  EXPECT_EQ(plan_of("type = ?1 AND state = ?2 ORDER BY id DESC"),
            "SEARCH jobs USING INDEX jobs_type_state (type=? AND state=?)\n");
  for (const QueryPlan& p : *plans) {
    if (p.sql.find("WHERE") != std::string::npos) {
      EXPECT_THAT(p.plan, Not(HasSubstr("SCAN jobs\n"))) << p.sql;  // no full table scans
    }
  }
}

TEST_F(SqliteStoreTest, FireRecordsTheFireAndInsertsTheJobTogether) {
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

TEST_F(SqliteStoreTest, FailedFireStoresNeitherTheTimeNorTheJob) {
  ASSERT_TRUE(store_->SetScheduleFire("tick", 1000).ok());
  // A unique key with another type's insert failing is hard to provoke; a full disk is not.
  std::string filler(4000, 'x');
  Reopen(/*max_page_count=*/40);
  Status full;
  for (int i = 0; i < 200 && full.ok(); ++i) {
    NewJob j = MakeJob("filler");
    j.args = filler;
    auto r = store_->Insert({j});
    if (!r.ok()) full = r.status();
  }
  ASSERT_FALSE(full.ok());
  NewJob big = MakeJob("tick");
  big.args = filler + filler;
  auto fired = store_->Fire("tick", 5000, big);
  ASSERT_FALSE(fired.ok());
  EXPECT_EQ(fired.status().code(), Code::kIoError);
  EXPECT_EQ(store_->ScheduleFires()->at("tick"), 1000);
  EXPECT_TRUE(store_->List(Filter("tick"))->empty());
}

TEST_F(SqliteStoreTest, SetScheduleFireUpsertsWithoutAJob) {
  ASSERT_TRUE(store_->SetScheduleFire("tick", 1000).ok());
  ASSERT_TRUE(store_->SetScheduleFire("tick", 3000).ok());
  Reopen();
  EXPECT_EQ(*store_->ScheduleFires(), (std::map<std::string, TimeMs>{{"tick", 3000}}));
  EXPECT_TRUE(store_->List(Filter("tick"))->empty());
}

TEST_F(SqliteStoreTest, FailingStoreFailsTheArmedCallsOnly) {
  using testing::FailingStore;
  FailingStore failing(*store_);
  failing.FailWrites();
  auto inserted = failing.Insert({MakeJob("t")});
  EXPECT_EQ(inserted.status().code(), Code::kIoError);
  EXPECT_EQ(inserted.status().message(), "database or disk is full");
  EXPECT_TRUE(failing.Counts(0)->empty());  // reads pass; nothing reached the store
  failing.Heal();
  JobId id = (*failing.Insert({MakeJob("t")}))[0].id;
  ASSERT_EQ(failing.Claim("t", 1, 0)->size(), 1u);

  failing.Fail(FailingStore::Kind::kFinish, Status::IoError("boom"), 1);
  EXPECT_EQ(failing.Finish(id, Ended(JobState::kDone, 1)).message(), "boom");
  EXPECT_EQ(MustGet(id).state, JobState::kRunning);
  EXPECT_TRUE(failing.Finish(id, Ended(JobState::kDone, 1)).ok());
  EXPECT_EQ(MustGet(id).state, JobState::kDone);
  EXPECT_EQ(failing.failures(), 2);
}

// Figures for the notes, not assertions: a slow or busy machine must not fail the suite.
// CPU time per job is printed too, as wall-clock rates swing with the machine's load.
TEST_F(SqliteStoreTest, ThroughputSelfCheck) {
  constexpr int kTotal = torque::testing::kSanitized ? 5000 : 100000;
  auto measure = [](const char* what, const std::function<void()>& body) {
    const auto start = std::chrono::steady_clock::now();
    const std::clock_t cpu_start = std::clock();
    body();
    const double cpu_us = 1e6 * static_cast<double>(std::clock() - cpu_start) / CLOCKS_PER_SEC;
    const double s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::cout << "[ info ] " << what << ": " << static_cast<int64_t>(kTotal / s) << " inserts/s, "
              << cpu_us / kTotal << " us CPU per job\n";
  };

  measure("1000 batches of 100", [&] {
    for (int i = 0; i < kTotal / 100; ++i) {
      ASSERT_TRUE(store_->Insert(std::vector<NewJob>(100, MakeJob("batch"))).ok());
    }
  });

  // 100 single-job calls in flight at all times: each completion issues the next.
  const SqliteStoreStats before = store_->stats();
  std::atomic<int> issued{0};
  std::atomic<int> completed{0};
  std::promise<void> all_done;
  std::function<void()> issue = [&] {
    if (issued.fetch_add(1) >= kTotal) return;
    store_->InsertAsync({MakeJob("single")}, [&](Result<std::vector<InsertResult>> r) {
      EXPECT_TRUE(r.ok());
      issue();
      if (completed.fetch_add(1) + 1 == kTotal) all_done.set_value();
    });
  };
  measure("100 concurrent single-job calls", [&] {
    for (int i = 0; i < 100; ++i) issue();
    all_done.get_future().wait();
  });
  const int64_t commits = store_->stats().commits - before.commits;
  std::cout << "[ info ] ... in " << commits << " commits\n";
  EXPECT_EQ(store_->Counts(0)->size(), 2u);
  Drain();
}

}  // namespace
}  // namespace torque::server
