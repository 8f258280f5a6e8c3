#include "server/sqlite_store.h"

#include <SQLiteCpp/SQLiteCpp.h>
#include <sqlite3.h>

#include <algorithm>
#include <filesystem>
#include <future>
#include <utility>

#include "core/embedded.h"
#include "core/migrations.h"
#include "server/sqlite_ops.h"

namespace torque::server {
namespace {

namespace fs = std::filesystem;

// Final jobs deleted per transaction by Purge, so the writer is never blocked long.
constexpr int kPurgeChunk = 10000;

// Runs `f` (returning Status); library exceptions become a Status here, at the edge.
template <typename F>
Status Catch(F&& f) {
  try {
    return f();
  } catch (const SQLite::Exception& e) {
    return Status::IoError(e.what());
  } catch (const std::exception& e) {
    return Status::Internal(std::string("store: ") + e.what());
  }
}

// Takes the lock file next to the database.
Result<LockFile> LockDatabase(const std::string& path) {
  std::optional<pid_t> holder;
  auto lock = LockFile::Acquire(path + "-lock", &holder);
  if (lock.ok() || lock.status().code() != Status::Code::kAlreadyExists) return lock;
  return Status::AlreadyExists("database " + path + " is in use by another torqued" +
                               (holder ? " (pid " + std::to_string(*holder) + ")" : ""));
}

// Applies the embedded migrations the database has not seen, all in one transaction: a
// failure part way (a full disk) leaves the file at its old version, never between two.
Status Migrate(SQLite::Database& db, const std::string& path) {
  const auto files = embedded::schema_sql();
  const int version = db.execAndGet("PRAGMA user_version").getInt();
  auto pending = PendingMigrations(files, version, "database " + path);
  if (!pending.ok()) return pending.status();
  if (pending->empty()) return Status::Ok();
  SQLite::Transaction txn(db, SQLite::TransactionBehavior::IMMEDIATE);
  int v = version;
  for (const EmbeddedFile& file : *pending) {
    db.exec(std::string(file.text));
    db.exec("PRAGMA user_version = " + std::to_string(++v));
  }
  txn.commit();
  return Status::Ok();
}

// EXPLAIN QUERY PLAN of each statement prepared on `db`.
std::vector<QueryPlan> ExplainAll(SQLite::Database& db) {
  std::vector<std::string> sqls;
  for (sqlite3_stmt* s = sqlite3_next_stmt(db.getHandle(), nullptr); s != nullptr;
       s = sqlite3_next_stmt(db.getHandle(), s)) {
    sqls.emplace_back(sqlite3_sql(s));
  }
  std::vector<QueryPlan> plans;
  for (std::string& sql : sqls) {
    SQLite::Statement q(db, "EXPLAIN QUERY PLAN " + sql);
    std::string plan;
    while (q.executeStep()) plan += q.getColumn(3).getString() + "\n";
    plans.push_back({std::move(sql), std::move(plan)});
  }
  return plans;
}

}  // namespace

bool SqliteStore::ConfigureProcess() {
  return sqlite3_config(SQLITE_CONFIG_PAGECACHE, nullptr, 0, 0) == SQLITE_OK;
}

Result<std::unique_ptr<SqliteStore>> SqliteStore::Open(const SqliteStoreOptions& options) {
  const std::string& path = options.path;
  if (path.empty()) return Status::InvalidArgument("database path is empty");
  const fs::path parent = fs::path(path).parent_path();
  std::error_code ec;
  if (!parent.empty()) fs::create_directories(parent, ec);
  if (ec)
    return Status::IoError("cannot create directory " + parent.string() + ": " + ec.message());

  Result<LockFile> lock = LockDatabase(path);
  if (!lock.ok()) return lock.status();
  const int flags = SQLite::OPEN_READWRITE | SQLite::OPEN_NOMUTEX;
  const int busy_ms = static_cast<int>(std::clamp<DurationMs>(options.busy_timeout, 0, 1 << 30));
  std::unique_ptr<Writer> writer;
  std::unique_ptr<Reader> reader;
  Status st = Catch([&] {
    SQLite::Database db(path, flags | SQLite::OPEN_CREATE, busy_ms);
    const std::string mode = db.execAndGet("PRAGMA journal_mode = WAL").getString();
    if (mode != "wal") {
      return Status::IoError("database " + path + " cannot use WAL mode (journal_mode " + mode +
                             ")");
    }
    db.exec("PRAGMA foreign_keys = ON; PRAGMA synchronous = FULL");
    Status migrated = Migrate(db, path);
    if (!migrated.ok()) return migrated;
    if (options.max_page_count > 0) {
      db.exec("PRAGMA max_page_count = " + std::to_string(options.max_page_count));
    }
    writer = std::make_unique<Writer>(std::move(db));
    SQLite::Database rdb(path, flags, busy_ms);
    rdb.exec("PRAGMA query_only = ON");
    reader = std::make_unique<Reader>(std::move(rdb));
    return Status::Ok();
  });
  if (!st.ok()) {
    reader.reset();
    writer.reset();
    if (st.code() == Status::Code::kIoError && st.message().find(path) == std::string::npos) {
      return Status::IoError("database " + path + ": " + st.message());
    }
    return st;
  }
  return std::unique_ptr<SqliteStore>(
      new SqliteStore(path, std::move(*lock), std::move(writer), std::move(reader)));
}

SqliteStore::SqliteStore(std::string path, LockFile lock, std::unique_ptr<Writer> writer,
                         std::unique_ptr<Reader> reader)
    : path_(std::move(path)),
      lock_(std::move(lock)),
      writer_(std::move(writer)),
      reader_(std::move(reader)),
      thread_([this] { WriterLoop(); }) {}

SqliteStore::~SqliteStore() {
  {
    std::lock_guard lock(queue_mu_);
    stopping_ = true;
  }
  queue_cv_.notify_all();
  thread_.join();
  reader_.reset();
  writer_.reset();  // the last connection: checkpoints and removes the WAL
  // lock_ goes last, with the members: the lock file stays (removing it would race).
}

void SqliteStore::Enqueue(Op op, CommitBy by) {
  bool wake;
  {
    std::lock_guard lock(queue_mu_);
    if (by == CommitBy::kCaller) {
      held_.push_back(std::move(op));
      return;
    }
    queue_.push_back(std::move(op));
    wake = writer_idle_;  // a busy or lingering writer looks at the queue by itself
  }
  if (wake) queue_cv_.notify_one();
}

bool SqliteStore::MayCommitHere() const {
  return writer_idle_ && queue_.empty() && !caller_committing_ &&
         last_commit_us_.load() <= kCallerMaxCommit.count();
}

void SqliteStore::CommitHere(std::deque<Op>& batch) {
  std::vector<Status> results = CommitBatch(batch);
  bool wake;
  {
    std::lock_guard lock(queue_mu_);
    caller_committing_ = false;
    wake = !queue_.empty() || stopping_;
  }
  if (wake) queue_cv_.notify_one();
  Complete(batch, results);  // after giving the connection back: a completion may write
}

void SqliteStore::CommitQueued() {
  std::deque<Op> batch;
  bool wake = false;
  {
    std::lock_guard lock(queue_mu_);
    if (held_.empty()) return;
    if (MayCommitHere()) {
      caller_committing_ = true;  // the writer thread stays in its wait until we are done
      batch.swap(held_);
    } else {
      // The writer thread is at work, or about to be, or commits are slow: it takes them.
      for (Op& op : held_) queue_.push_back(std::move(op));
      held_.clear();
      wake = writer_idle_;
    }
  }
  if (batch.empty()) {
    if (wake) queue_cv_.notify_one();
    return;
  }
  CommitHere(batch);
}

Status SqliteStore::WriteAndWait(bool durable, bool savepoint,
                                 std::function<Status(Writer&)> apply) {
  if (std::this_thread::get_id() == thread_.get_id()) {
    return Status::Internal("blocking store call from the store's writer thread");
  }
  // An idle writer thread would only be woken to wake us in turn (two context switches
  // and two futex calls per write): the caller commits itself.
  {
    std::unique_lock lock(queue_mu_);
    // Held inserts wait for their CommitQueued, or ride along with the writer thread.
    if (held_.empty() && MayCommitHere()) {
      caller_committing_ = true;
      lock.unlock();
      Status result;
      std::deque<Op> batch;
      batch.push_back(Op{durable, savepoint, std::move(apply),
                         [&result](Status s) { result = std::move(s); }});
      CommitHere(batch);
      return result;
    }
  }
  // Shared, so the writer's reference outlives this frame's until set_value returns.
  auto done = std::make_shared<std::promise<Status>>();
  std::future<Status> result = done->get_future();
  Enqueue(Op{durable, savepoint, std::move(apply),
             [done](Status s) { done->set_value(std::move(s)); }});
  return result.get();
}

void SqliteStore::WriterLoop() {
  std::deque<Op> batch;
  size_t last_batch = 0;
  for (;;) {
    {
      std::unique_lock lock(queue_mu_);
      writer_idle_ = true;
      // Held inserts alone do not wake the writer (their CommitQueued comes); it takes them
      // along with any other op, and at the end.
      queue_cv_.wait(lock,
                     [this] { return (stopping_ || !queue_.empty()) && !caller_committing_; });
      writer_idle_ = false;
      if (queue_.empty() && held_.empty()) return;  // stopping, and every op has run
      // Only a slow commit (a real disk's fsync) is worth waiting for more writers;
      // where commits are fast, waiting costs more than the fsync it saves.
      const std::chrono::microseconds last_commit{last_commit_us_.load()};
      if (last_batch > 1 && last_commit >= kLingerMinCommit) Linger(lock, last_commit / 4);
      batch.swap(queue_);
      for (Op& op : held_) batch.push_back(std::move(op));
      held_.clear();
    }
    std::vector<Status> results = CommitBatch(batch);
    Complete(batch, results);
    last_batch = batch.size();
    batch.clear();
  }
}

void SqliteStore::Linger(std::unique_lock<std::mutex>& lock, std::chrono::microseconds most) {
  // Several writers shared the last commit. The ones it just acknowledged are about
  // to send their next request; waiting for them while requests keep arriving lets
  // one commit (one fsync) carry them all, instead of batches settling into halves
  // that alternate. A single writer never waits here.
  // Enqueue does not wake a lingering writer: it naps and counts.
  const auto deadline = std::chrono::steady_clock::now() + std::min(most, kLingerMax);
  for (size_t seen = queue_.size(); !stopping_;) {
    lock.unlock();
    std::this_thread::sleep_for(kLingerIdle);
    lock.lock();
    if (queue_.size() == seen || std::chrono::steady_clock::now() >= deadline) return;
    seen = queue_.size();
  }
}

std::vector<Status> SqliteStore::CommitBatch(std::deque<Op>& batch) {
  const auto start = std::chrono::steady_clock::now();
  Writer& w = *writer_;
  sqlite3* handle = w.db.getHandle();
  const bool durable =
      std::any_of(batch.begin(), batch.end(), [](const Op& op) { return op.durable; });
  std::vector<Status> results(batch.size());
  // Ops that failed in a way that made SQLite roll the whole transaction back (SQLITE_FULL
  // does): they keep their error and the others run again in a fresh transaction.
  std::vector<bool> dropped(batch.size(), false);
  Status failure;  // of the transaction: every op not dropped gets it
  // A lone op needs no savepoint: its failure rolls the whole transaction back.
  const bool lone = batch.size() == 1;
  for (bool again = true; again;) {
    again = false;
    failure = Catch([&] {
      if (w.synchronous_full != durable) {
        w.db.exec(durable ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL");
        w.synchronous_full = durable;
      }
      w.Exec(w.begin);
      return Status::Ok();
    });
    for (size_t i = 0; failure.ok() && i < batch.size(); ++i) {
      if (dropped[i]) continue;
      const bool savepoint = batch[i].savepoint && !lone;
      results[i] = Catch([&] {
        if (savepoint) w.Exec(w.savepoint);
        return batch[i].apply(w);
      });
      if (sqlite3_get_autocommit(handle)) {
        if (results[i].ok()) results[i] = Status::IoError("transaction rolled back");
        dropped[i] = again = true;
        break;
      }
      // Otherwise an op's failure undoes only its own changes (a lone op's: the transaction).
      if (!savepoint) {
        if (lone && batch[i].savepoint && !results[i].ok()) failure = results[i];
        continue;
      }
      failure = Catch([&] {
        if (!results[i].ok()) w.Exec(w.rollback_to);
        w.Exec(w.release);
        return Status::Ok();
      });
    }
    if (!again && failure.ok()) {
      failure = Catch([&] {
        w.Exec(w.commit);
        return Status::Ok();
      });
    }
  }
  if (!sqlite3_get_autocommit(handle)) w.db.tryExec("ROLLBACK");
  if (failure.ok()) {
    commits_.fetch_add(1, std::memory_order_relaxed);
    if (durable) synced_commits_.fetch_add(1, std::memory_order_relaxed);
    ops_.fetch_add(static_cast<int64_t>(batch.size()), std::memory_order_relaxed);
  }
  for (size_t i = 0; i < batch.size(); ++i) {
    if (!dropped[i] && !failure.ok()) results[i] = failure;
  }
  last_commit_us_.store(std::chrono::duration_cast<std::chrono::microseconds>(
                            std::chrono::steady_clock::now() - start)
                            .count());
  return results;
}

void SqliteStore::Complete(std::deque<Op>& batch, std::vector<Status>& results) {
  for (size_t i = 0; i < batch.size(); ++i) batch[i].complete(std::move(results[i]));
}

Status SqliteStore::Read(const std::function<Status(Reader&)>& body) {
  std::lock_guard lock(read_mu_);
  return Catch([&] { return body(*reader_); });
}

void SqliteStore::InsertAsync(std::vector<NewJob> jobs, InsertCallback done, CommitBy by) {
  auto input = std::make_shared<std::vector<NewJob>>(std::move(jobs));
  auto output = std::make_shared<std::vector<InsertResult>>();
  const bool several = input->size() > 1;
  Enqueue(Op{true, several, [input, output](Writer& w) { return w.Insert(*input, output.get()); },
             [output, done = std::move(done)](Status st) {
               if (st.ok()) {
                 done(std::move(*output));
               } else {
                 done(std::move(st));
               }
             }},
          by);
}

Result<NodeId> SqliteStore::RegisterNode(const std::string& name, TimeMs now) {
  NodeId id = 0;
  Status st = WriteAndWait(true, false, [&](Writer& w) { return w.RegisterNode(name, now, &id); });
  if (!st.ok()) {
    // The node's row was rolled back: act for none rather than for a node that does not exist.
    (void)WriteAndWait(false, false, [](Writer& w) {
      w.node = 0;
      return Status::Ok();
    });
    return st;
  }
  return id;
}

Status SqliteStore::Heartbeat(TimeMs now) {
  return WriteAndWait(false, false, [&](Writer& w) { return w.Heartbeat(now); });
}

Result<std::vector<NodeInfo>> SqliteStore::Nodes() {
  std::vector<NodeInfo> nodes;
  Status st = Read([&](Reader& r) { return r.Nodes(&nodes); });
  if (!st.ok()) return st;
  return nodes;
}

void SqliteStore::SetMaxRunning(std::map<std::string, int> limits) {
  (void)WriteAndWait(false, false, [&](Writer& w) {
    w.max_running = std::move(limits);
    return Status::Ok();
  });
}

Result<std::vector<Job>> SqliteStore::Claim(const std::string& type, int n, TimeMs now) {
  std::vector<Job> jobs;
  if (n <= 0) return jobs;
  Status st = WriteAndWait(false, false, [&](Writer& w) { return w.Claim(type, n, now, &jobs); });
  if (!st.ok()) return st;
  return jobs;
}

Result<std::optional<TimeMs>> SqliteStore::NextRunAt(const std::string& type) {
  std::optional<TimeMs> next;
  Status st = Read([&](Reader& r) { return r.NextRunAt(type, &next); });
  if (!st.ok()) return st;
  return next;
}

Status SqliteStore::Finish(JobId id, const Outcome& outcome) {
  return FinishAndClaim(id, outcome, {}, 0, 0).status();
}

Result<std::vector<Job>> SqliteStore::FinishAndClaim(JobId id, const Outcome& outcome,
                                                     const std::string& type, int n,
                                                     TimeMs now) {
  // Several writes (state, notices, handler state, the claim) need a savepoint so that a
  // failure undoes them all; the state alone is one write.
  const bool savepoint = n > 0 || !outcome.handler_state.empty() || !outcome.notices.empty();
  std::vector<Job> jobs;
  Status st = WriteAndWait(false, savepoint, [&](Writer& w) {
    Status finished = w.Finish(id, outcome);
    if (!finished.ok() || n <= 0) return finished;
    return w.Claim(type, n, now, &jobs);
  });
  if (!st.ok()) return st;
  return jobs;
}

Status SqliteStore::Requeue(JobId id, TimeMs now, bool count_interruption) {
  return WriteAndWait(false, false,
                      [&](Writer& w) { return w.Requeue(id, now, count_interruption); });
}

Result<int64_t> SqliteStore::ShiftRetries(TimeMs now, DurationMs back) {
  int changed = 0;
  Status st = WriteAndWait(true, false,
                           [&](Writer& w) { return w.ShiftRetries(now, back, &changed); });
  if (!st.ok()) return st;
  return changed;
}

Result<Job> SqliteStore::Get(JobId id) {
  Job job;
  Status st = Read([&](Reader& r) { return r.Get(id, &job); });
  if (!st.ok()) return st;
  return job;
}

Result<std::vector<Job>> SqliteStore::List(const ListFilter& filter) {
  std::vector<Job> jobs;
  Status st = Read([&](Reader& r) { return r.List(filter, &jobs); });
  if (!st.ok()) return st;
  return jobs;
}

Result<Job> SqliteStore::Cancel(JobId id, TimeMs now) {
  Job job;
  Status st = WriteAndWait(true, true, [&](Writer& w) { return w.Cancel(id, now, &job); });
  if (!st.ok()) return st;
  return job;
}

Result<Job> SqliteStore::Retry(JobId id, TimeMs now, int extra_attempts) {
  Job job;
  Status st =
      WriteAndWait(true, true, [&](Writer& w) { return w.Retry(id, now, extra_attempts, &job); });
  if (!st.ok()) return st;
  return job;
}

Result<std::vector<TypeCounts>> SqliteStore::Counts(TimeMs now) {
  std::vector<TypeCounts> counts;
  Status st = Read([&](Reader& r) { return r.Counts(now, &counts); });
  if (!st.ok()) return st;
  return counts;
}

Status SqliteStore::SetPaused(const std::string& type, bool paused) {
  return WriteAndWait(true, false, [&](Writer& w) { return w.SetPaused(type, paused); });
}

Result<std::set<std::string>> SqliteStore::PausedTypes() {
  std::set<std::string> types;
  Status st = Read([&](Reader& r) { return r.PausedTypes(&types); });
  if (!st.ok()) return st;
  return types;
}

Result<std::map<std::string, TimeMs>> SqliteStore::ScheduleFires() {
  std::map<std::string, TimeMs> fires;
  Status st = Read([&](Reader& r) { return r.ScheduleFires(&fires); });
  if (!st.ok()) return st;
  return fires;
}

Result<InsertResult> SqliteStore::Fire(const std::string& type, TimeMs fire_time, NewJob job) {
  std::vector<NewJob> jobs;
  jobs.push_back(std::move(job));
  std::vector<InsertResult> out;
  Status st = WriteAndWait(true, true, [&](Writer& w) {
    Status set = w.SetScheduleFire(type, fire_time);
    if (!set.ok()) return set;
    return w.Insert(jobs, &out);
  });
  if (!st.ok()) return st;
  if (out.size() != 1) return Status::Internal("store: a fire inserted no job");
  return out.front();
}

Status SqliteStore::SetScheduleFire(const std::string& type, TimeMs fire_time) {
  return WriteAndWait(true, false,
                      [&](Writer& w) { return w.SetScheduleFire(type, fire_time); });
}

Result<std::map<std::string, std::string>> SqliteStore::HandlerState(const std::string& type) {
  std::map<std::string, std::string> values;
  Status st = Read([&](Reader& r) { return r.HandlerState(type, &values); });
  if (!st.ok()) return st;
  return values;
}

Status SqliteStore::SetHandlerState(const std::string& type,
                                    const std::map<std::string, std::string>& values) {
  return WriteAndWait(true, true, [&](Writer& w) { return w.SetHandlerState(type, values); });
}

Result<RecoveryReport> SqliteStore::Recover(TimeMs now, int crash_retries,
                                            const NoticeMaker& make) {
  RecoveryReport report;
  Status st = WriteAndWait(true, true,
                           [&](Writer& w) { return w.Recover(now, crash_retries, make, &report); });
  if (!st.ok()) return st;
  return report;
}

Result<std::vector<Notice>> SqliteStore::DueNotices(TimeMs now, int limit) {
  std::vector<Notice> notices;
  Status st = Read([&](Reader& r) { return r.DueNotices(now, limit, &notices); });
  if (!st.ok()) return st;
  return notices;
}

Result<std::pair<std::optional<TimeMs>, int64_t>> SqliteStore::PendingNotices() {
  std::pair<std::optional<TimeMs>, int64_t> out{std::nullopt, 0};
  Status st = Read([&](Reader& r) { return r.PendingNotices(&out.first, &out.second); });
  if (!st.ok()) return st;
  return out;
}

Status SqliteStore::RemoveNotice(int64_t id) {
  return WriteAndWait(true, false, [&](Writer& w) { return w.RemoveNotice(id); });
}

Status SqliteStore::DeferNotice(int64_t id, TimeMs next_at, const std::string& error) {
  return WriteAndWait(false, false, [&](Writer& w) { return w.DeferNotice(id, next_at, error); });
}

Result<int64_t> SqliteStore::Purge(TimeMs before, const std::map<std::string, TimeMs>& type_before) {
  std::vector<std::string> except;
  for (const auto& [type, t] : type_before) except.push_back(type);
  int64_t total = 0;
  // In chunks, each its own transaction, so submissions are not held up by a large purge.
  const auto chunks = [&](const std::function<Status(Writer&, int*)>& purge) -> Status {
    for (;;) {
      int changed = 0;
      Status st = WriteAndWait(false, false, [&](Writer& w) { return purge(w, &changed); });
      if (!st.ok()) return st;
      total += changed;
      if (changed < kPurgeChunk) return Status::Ok();
    }
  };
  Status st = chunks([&](Writer& w, int* changed) {
    return w.Purge(before, except, kPurgeChunk, changed);
  });
  for (auto it = type_before.begin(); st.ok() && it != type_before.end(); ++it) {
    st = chunks([&](Writer& w, int* changed) {
      return w.PurgeType(it->first, it->second, kPurgeChunk, changed);
    });
  }
  if (!st.ok()) return st;
  return total;
}

Result<std::vector<TypeActivity>> SqliteStore::Activity(TimeMs since) {
  std::vector<TypeActivity> activity;
  Status st = Read([&](Reader& r) { return r.Activity(since, &activity); });
  if (!st.ok()) return st;
  return activity;
}

Result<std::vector<MinuteActivity>> SqliteStore::FinishedPerMinute(TimeMs since) {
  std::vector<MinuteActivity> minutes;
  Status st = Read([&](Reader& r) { return r.FinishedPerMinute(since, &minutes); });
  if (!st.ok()) return st;
  return minutes;
}

Result<int64_t> SqliteStore::SizeBytes() {
  std::error_code ec;
  int64_t size = static_cast<int64_t>(fs::file_size(path_, ec));
  if (ec) return Status::IoError("cannot stat " + path_ + ": " + ec.message());
  const uintmax_t wal = fs::file_size(path_ + "-wal", ec);
  if (!ec) size += static_cast<int64_t>(wal);
  return size;
}

Result<std::vector<QueryPlan>> SqliteStore::QueryPlans() {
  std::vector<QueryPlan> plans;
  Status st = WriteAndWait(false, false, [&](Writer& w) {
    plans = ExplainAll(w.db);
    return Status::Ok();
  });
  if (st.ok()) {
    st = Read([&](Reader& r) {
      for (QueryPlan& p : ExplainAll(r.db)) plans.push_back(std::move(p));
      return Status::Ok();
    });
  }
  if (!st.ok()) return st;
  return plans;
}

SqliteStoreStats SqliteStore::stats() const {
  return {commits_.load(), synced_commits_.load(), ops_.load()};
}

}  // namespace torque::server
