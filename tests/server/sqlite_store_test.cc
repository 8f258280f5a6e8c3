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
#include "tests/server/store_test_util.h"
#include "tests/test_env.h"

namespace torque::server {
namespace {

namespace fs = std::filesystem;
using Code = Status::Code;

using namespace store_test;  // MakeJob, Ended, Filter, ... (the helpers of every store test)

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

  JobId Add(const NewJob& job) { return store_test::Add(*store_, job); }
  JobId AddRunning(const std::string& type, TimeMs now = 5000) {
    return store_test::AddRunning(*store_, type, now);
  }
  Job MustGet(JobId id) { return store_test::MustGet(*store_, id); }

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

TEST_F(SqliteStoreTest, ALoneWriteThatFailsPartWayStoresNothing) {
  // Committed alone (nothing else queued), FinishAndClaim has no savepoint of its own: a
  // claim that fails after the finish was written must still take the finish back.
  JobId first = AddRunning("t");
  JobId second = Add(MakeJob("t"));
  {
    SQLite::Database db(path_, SQLite::OPEN_READWRITE);
    db.exec("DROP INDEX jobs_claim");  // the claim names it (INDEXED BY): it cannot run
  }
  const SqliteStoreStats before = store_->stats();
  auto next = store_->FinishAndClaim(first, Ended(JobState::kDone, 6000), "t", 1, 6000);
  EXPECT_EQ(next.status().code(), Code::kIoError) << next.status().ToString();
  EXPECT_EQ(MustGet(first).state, JobState::kRunning);
  EXPECT_EQ(MustGet(second).state, JobState::kQueued);
  EXPECT_EQ(store_->stats().commits, before.commits);
  // The finish alone still works and is kept.
  ASSERT_TRUE(store_->Finish(first, Ended(JobState::kDone, 7000)).ok());
  EXPECT_EQ(MustGet(first).state, JobState::kDone);
  Drain();
}

TEST_F(SqliteStoreTest, ConcurrentBlockingWritesAllLand) {
  // Workers claim and finish from many threads at once: each write is committed by its
  // caller while the writer thread idles, else handed to it; none is lost or doubled.
  constexpr int kThreads = 8;
  constexpr int kJobs = 1600;
  std::vector<NewJob> batch(kJobs, MakeJob("t"));
  std::promise<Result<std::vector<InsertResult>>> inserted;
  store_->InsertAsync(batch, [&](Result<std::vector<InsertResult>> r) { inserted.set_value(r); });
  ASSERT_TRUE(inserted.get_future().get().ok());
  std::atomic<int> finished{0};
  std::mutex mu;
  std::vector<std::string> errors;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      auto claimed = store_->Claim("t", 1, 100);
      while (claimed.ok() && !claimed->empty()) {
        const JobId id = claimed->front().id;
        claimed = store_->FinishAndClaim(id, Ended(JobState::kDone, 200), "t", 1, 200);
        if (claimed.ok()) ++finished;
      }
      if (!claimed.ok()) {
        std::lock_guard lock(mu);
        errors.push_back(claimed.status().ToString());
      }
    });
  }
  for (auto& t : threads) t.join();
  ASSERT_TRUE(errors.empty()) << errors[0];
  EXPECT_EQ(finished.load(), kJobs);
  auto counts = store_->Counts(0);
  ASSERT_EQ(counts->size(), 1u);
  EXPECT_EQ((*counts)[0].done, kJobs);
  EXPECT_EQ((*counts)[0].queued, 0);
  EXPECT_EQ((*counts)[0].running, 0);
  Drain();
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
        "DROP TRIGGER job_counts_delete; DROP TABLE job_counts; DROP TABLE nodes; "
        "ALTER TABLE jobs DROP COLUMN node; PRAGMA user_version = 4");
  }
  Reopen();
  auto counts = store_->Counts(0);
  ASSERT_TRUE(counts.ok());
  ASSERT_EQ(counts->size(), 2u);
  EXPECT_EQ((*counts)[0].queued, 2);
  EXPECT_EQ((*counts)[1].queued, 1);
  EXPECT_EQ((*counts)[1].running, 1);
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
    store_->InsertAsync(
        {MakeJob("t")}, [&](auto r) { ok += r.ok() ? 1 : 0; },
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
  EXPECT_THAT(plan_of("FROM job_counts WHERE n"), HasSubstr("SCAN job_counts"));
  EXPECT_THAT(plan_of("FROM job_counts WHERE type"),
              HasSubstr("SEARCH job_counts USING PRIMARY KEY (type=? AND state=?)"));
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
