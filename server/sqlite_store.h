// SqliteStore: the Store on one SQLite file in WAL mode, with group commit.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "server/lock_file.h"
#include "server/store.h"

namespace torque::server {

// How to open a SqliteStore.
struct SqliteStoreOptions {
  std::string path;                // the database file; its directory is created if missing
  DurationMs busy_timeout = 5000;  // how long a connection waits for a lock held elsewhere
  int64_t max_page_count = 0;      // > 0: cap the file at this many pages (tests: disk full)
};

// Counters of the writer thread, for tests and metrics.
struct SqliteStoreStats {
  int64_t commits = 0;         // write transactions committed
  int64_t synced_commits = 0;  // of which with synchronous=FULL (a WAL fsync)
  int64_t ops = 0;             // write operations carried by those commits
};

// One cached statement and SQLite's plan for it (EXPLAIN QUERY PLAN, a line per step).
struct QueryPlan {
  std::string sql;
  std::string plan;
};

// The persistent queue on SQLite. One write connection: a writer thread commits every
// pending write operation in one transaction (group commit); a caller finding that thread
// idle, nothing queued and commits fast commits its own write on its own thread instead.
// Reads use a second connection. Thread-safe; see Store for the method contracts.
class SqliteStore : public Store {
 public:
  // Process-wide SQLite settings; call before any other SQLite use (false if too late).
  // Page caches start empty instead of with a 20-page bulk allocation: the claim's
  // subquery and RETURNING each open a temporary table, that is a page cache of its own,
  // and glibc hands each freed bulk back to the kernel (madvise: a TLB shootdown on
  // every CPU) only to fault it in again for the next claim. Measured: 5x the in-process
  // dispatch rate on a 2-core VM.
  static bool ConfigureProcess();

  // Locks `<path>-lock` (kAlreadyExists when another process holds it), opens the
  // database, applies pending migrations from schema/ and starts the writer.
  // kFailedPrecondition when the database was written by a newer torqued;
  // kIoError for file and SQLite failures.
  static Result<std::unique_ptr<SqliteStore>> Open(const SqliteStoreOptions& options);

  // Runs every pending operation, stops the writer, closes, releases the lock.
  // No other thread may call the store during or after destruction.
  ~SqliteStore() override;

  SqliteStore(const SqliteStore&) = delete;
  SqliteStore& operator=(const SqliteStore&) = delete;

  // `done` runs on the writer thread (or CommitQueued's) and must not throw; a blocking
  // method of this store called from the writer thread fails with kInternal (InsertAsync
  // is fine).
  void InsertAsync(std::vector<NewJob> jobs, InsertCallback done,
                   CommitBy by = CommitBy::kWriter) override;
  void CommitQueued() override;
  Result<NodeId> RegisterNode(const std::string& name, TimeMs now) override;
  Status Heartbeat(TimeMs now) override;
  Result<std::vector<NodeInfo>> Nodes() override;
  void SetMaxRunning(std::map<std::string, int> limits) override;
  Result<std::vector<Job>> Claim(const std::string& type, int n, TimeMs now) override;
  Result<std::optional<TimeMs>> NextRunAt(const std::string& type) override;
  Status Finish(JobId id, const Outcome& outcome) override;
  Result<std::vector<Job>> FinishAndClaim(JobId id, const Outcome& outcome,
                                          const std::string& type, int n, TimeMs now) override;
  Status Requeue(JobId id, TimeMs now, bool count_interruption) override;
  Result<int64_t> ShiftRetries(TimeMs now, DurationMs back) override;
  Result<Job> Get(JobId id) override;
  Result<std::vector<Job>> List(const ListFilter& filter) override;
  Result<Job> Cancel(JobId id, TimeMs now) override;
  Result<Job> Retry(JobId id, TimeMs now, int extra_attempts) override;
  Result<std::vector<TypeCounts>> Counts(TimeMs now) override;
  Status SetPaused(const std::string& type, bool paused) override;
  Result<std::set<std::string>> PausedTypes() override;
  Result<std::map<std::string, TimeMs>> ScheduleFires() override;
  Result<InsertResult> Fire(const std::string& type, TimeMs fire_time, NewJob job) override;
  Status SetScheduleFire(const std::string& type, TimeMs fire_time) override;
  Result<std::map<std::string, std::string>> HandlerState(const std::string& type) override;
  Status SetHandlerState(const std::string& type,
                         const std::map<std::string, std::string>& values) override;
  Result<RecoveryReport> Recover(TimeMs now, int crash_retries,
                                 const NoticeMaker& make = {}) override;
  Result<std::vector<Notice>> DueNotices(TimeMs now, int limit) override;
  Result<std::pair<std::optional<TimeMs>, int64_t>> PendingNotices() override;
  Status RemoveNotice(int64_t id) override;
  Status DeferNotice(int64_t id, TimeMs next_at, const std::string& error) override;
  Result<int64_t> Purge(TimeMs before,
                        const std::map<std::string, TimeMs>& type_before = {}) override;
  Result<std::vector<TypeActivity>> Activity(TimeMs since) override;
  Result<std::vector<MinuteActivity>> FinishedPerMinute(TimeMs since) override;
  Result<int64_t> SizeBytes() override;

  SqliteStoreStats stats() const;
  // The plans of every statement prepared so far on both connections: how tests check
  // that each query uses its index. kIoError on SQLite failures.
  Result<std::vector<QueryPlan>> QueryPlans();
  const std::string& path() const { return path_; }

 private:
  struct Writer;  // the write connection and its prepared statements
  struct Reader;  // the read connection and its prepared statements

  // One write operation. `apply` runs inside the batch transaction; `complete` runs after
  // the commit with apply's status, or with the commit's failure.
  struct Op {
    bool durable = false;   // the batch commits with a WAL fsync
    bool savepoint = true;  // false: apply fails only before its single write (no undo needed)
    std::function<Status(Writer&)> apply;
    std::function<void(Status)> complete;
  };

  SqliteStore(std::string path, LockFile lock, std::unique_ptr<Writer> writer,
              std::unique_ptr<Reader> reader);

  void Enqueue(Op op, CommitBy by = CommitBy::kWriter);
  // Runs an op and waits for its completion: on the calling thread when MayCommitHere,
  // else on the writer thread.
  Status WriteAndWait(bool durable, bool savepoint, std::function<Status(Writer&)> apply);
  void WriterLoop();
  // Before a batch: waits up to `most` while more ops arrive (see the definition).
  void Linger(std::unique_lock<std::mutex>& lock, std::chrono::microseconds most);
  // Linger only after commits this slow; it ends when no op arrived for kLingerIdle,
  // or after kLingerMax in all.
  static constexpr std::chrono::microseconds kLingerMinCommit{1000};
  static constexpr std::chrono::microseconds kLingerIdle{50};
  static constexpr std::chrono::microseconds kLingerMax{1000};
  // Callers leave their ops to the writer thread after a commit this slow (a slow or
  // stalled disk), so that CommitQueued's caller (torqued's io thread) stays responsive
  // and concurrent writers share one commit.
  static constexpr std::chrono::microseconds kCallerMaxCommit{2000};
  // Under queue_mu_: whether the calling thread may take the write connection now (the
  // writer thread waits with nothing queued, no other caller has it, commits are fast).
  bool MayCommitHere() const;
  // Commits `batch` on the calling thread, which set caller_committing_, gives the
  // connection back and completes the ops.
  void CommitHere(std::deque<Op>& batch);
  // Runs the ops of `batch` in one transaction; returns each op's status.
  std::vector<Status> CommitBatch(std::deque<Op>& batch);
  // Runs each op's completion with its status.
  static void Complete(std::deque<Op>& batch, std::vector<Status>& results);
  // Runs `body` on the read connection under its mutex; SQLite errors become kIoError.
  Status Read(const std::function<Status(Reader&)>& body);

  const std::string path_;
  LockFile lock_;  // before the connections: released after they close
  std::unique_ptr<Writer> writer_;
  std::unique_ptr<Reader> reader_;
  std::mutex read_mu_;

  std::mutex queue_mu_;
  std::condition_variable queue_cv_;
  std::deque<Op> queue_;   // guarded by queue_mu_
  bool stopping_ = false;  // guarded by queue_mu_
  bool writer_idle_ = false;  // guarded by queue_mu_: the writer waits for work
  std::deque<Op> held_;       // guarded by queue_mu_: CommitBy::kCaller inserts
  bool caller_committing_ = false;  // guarded by queue_mu_: a caller has the connection
  std::atomic<int64_t> last_commit_us_{0};  // how long the last commit took

  std::atomic<int64_t> commits_{0};
  std::atomic<int64_t> synced_commits_{0};
  std::atomic<int64_t> ops_{0};
  std::thread thread_;  // last: starts after everything above exists
};

}  // namespace torque::server
