#include "server/sqlite_store.h"

#include <SQLiteCpp/SQLiteCpp.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <future>
#include <map>
#include <utility>

#include "core/embedded.h"

namespace torque::server {
namespace {

namespace fs = std::filesystem;

// Final jobs deleted per transaction by Purge, so the writer is never blocked long.
constexpr int kPurgeChunk = 10000;

// The columns RowToJob reads, in its order.
constexpr char kColumns[] =
    "id, type, args, state, priority, run_at, attempts, max_attempts, timeout_ms, unique_key, "
    "result, error, created_at, started_at, finished_at, cancel_requested";

Job RowToJob(const SQLite::Statement& s) {
  Job j;
  j.id = s.getColumn(0).getInt64();
  j.type = s.getColumn(1).getString();
  j.args = s.getColumn(2).getString();
  // The CHECK constraint on jobs.state admits only names ParseJobState knows.
  j.state = ParseJobState(s.getColumn(3).getText()).value_or(JobState::kFailed);
  j.priority = s.getColumn(4).getInt();
  j.run_at = s.getColumn(5).getInt64();
  j.attempts = s.getColumn(6).getInt();
  j.max_attempts = s.getColumn(7).getInt();
  j.timeout = s.getColumn(8).getInt64();
  j.unique_key = s.getColumn(9).getString();  // "" for NULL
  j.result = s.getColumn(10).getString();
  j.error = s.getColumn(11).getString();
  j.created_at = s.getColumn(12).getInt64();
  j.started_at = s.getColumn(13).getInt64();
  j.finished_at = s.getColumn(14).getInt64();
  j.cancel_requested = s.getColumn(15).getInt() != 0;
  return j;
}

void BindOne(SQLite::Statement& s, int i, int v) { s.bind(i, v); }
void BindOne(SQLite::Statement& s, int i, int64_t v) { s.bind(i, v); }
void BindOne(SQLite::Statement& s, int i, const char* v) { s.bindNoCopy(i, v); }
void BindOne(SQLite::Statement& s, int i, const std::string& v) { s.bindNoCopy(i, v); }
// A string bound as NULL when empty.
struct NullIfEmpty {
  const std::string& text;
};
void BindOne(SQLite::Statement& s, int i, NullIfEmpty v) {
  if (v.text.empty()) {
    s.bind(i);
  } else {
    s.bindNoCopy(i, v.text);
  }
}
void BindOne(SQLite::Statement& s, int i, const std::optional<std::string>& v) {
  if (v) {
    s.bindNoCopy(i, *v);
  } else {
    s.bind(i);
  }
}
void BindOne(SQLite::Statement& s, int i, const std::optional<int64_t>& v) {
  if (v) {
    s.bind(i, *v);
  } else {
    s.bind(i);
  }
}

// A cached statement bound to fresh parameters for one use, reset when the use ends
// (a statement left un-reset would hold its read transaction open). Strings are bound
// without a copy: the arguments must outlive the Use.
class Use {
 public:
  template <typename... Args>
  explicit Use(SQLite::Statement& s, const Args&... args) : s_(s) {
    s_.reset();
    int i = 0;
    (BindOne(s_, ++i, args), ...);
  }
  ~Use() { s_.tryReset(); }
  Use(const Use&) = delete;
  Use& operator=(const Use&) = delete;
  SQLite::Statement* operator->() { return &s_; }
  SQLite::Statement& operator*() { return s_; }

 private:
  SQLite::Statement& s_;
};

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

Status NoJob(JobId id) { return Status::NotFound("no job " + std::to_string(id)); }

// Takes the lock file next to the database; returns its descriptor.
Result<int> LockDatabase(const std::string& path) {
  const std::string lock_path = path + "-lock";
  int fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return Status::IoError("cannot open " + lock_path + ": " + std::strerror(errno));
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    int err = errno;
    char buf[32] = {};
    ssize_t n = ::pread(fd, buf, sizeof(buf) - 1, 0);
    std::string pid;
    for (ssize_t i = 0; i < n && std::isdigit(static_cast<unsigned char>(buf[i])); ++i)
      pid += buf[i];
    ::close(fd);
    if (err != EWOULDBLOCK) {
      return Status::IoError("cannot lock " + lock_path + ": " + std::strerror(err));
    }
    return Status::AlreadyExists("database " + path + " is in use by another torqued" +
                                 (pid.empty() ? "" : " (pid " + pid + ")"));
  }
  const std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd, 0) != 0 ||
      ::pwrite(fd, pid.data(), pid.size(), 0) != static_cast<ssize_t>(pid.size())) {
    int err = errno;
    ::close(fd);
    return Status::IoError("cannot write " + lock_path + ": " + std::strerror(err));
  }
  return fd;
}

// Applies the embedded migrations the database has not seen, one transaction each.
Status Migrate(SQLite::Database& db, const std::string& path) {
  const auto files = embedded::schema_sql();
  const int known = static_cast<int>(files.size());
  const int version = db.execAndGet("PRAGMA user_version").getInt();
  if (version > known) {
    return Status::FailedPrecondition(
        "database " + path + " has schema version " + std::to_string(version) +
        ", newer than this torqued knows (" + std::to_string(known) + "); upgrade torqued");
  }
  for (int v = version + 1; v <= known; ++v) {
    char prefix[16];
    std::snprintf(prefix, sizeof(prefix), "%04d_", v);
    if (!files[v - 1].name.starts_with(prefix)) {
      return Status::Internal("migration " + std::to_string(v) + " is named " +
                              std::string(files[v - 1].name));
    }
    SQLite::Transaction txn(db, SQLite::TransactionBehavior::IMMEDIATE);
    db.exec(std::string(files[v - 1].text));
    db.exec("PRAGMA user_version = " + std::to_string(v));
    txn.commit();
  }
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

// The write connection and its statements; used only by the writer thread (and by
// Open before that thread starts). Methods run inside the batch transaction.
struct SqliteStore::Writer {
  explicit Writer(SQLite::Database d) : db(std::move(d)) {}

  SQLite::Database db;
  bool synchronous_full = true;  // what PRAGMA synchronous is set to now
  SQLite::Statement begin{db, "BEGIN IMMEDIATE"};
  SQLite::Statement commit{db, "COMMIT"};
  SQLite::Statement savepoint{db, "SAVEPOINT op"};
  SQLite::Statement release{db, "RELEASE op"};
  SQLite::Statement rollback_to{db, "ROLLBACK TO op"};
  SQLite::Statement get{db, std::string("SELECT ") + kColumns + " FROM jobs WHERE id = ?1"};
  SQLite::Statement find_unique{
      db,
      "SELECT id FROM jobs WHERE type = ?1 AND unique_key = ?2 AND state IN ('queued', 'running')"};
  SQLite::Statement insert{
      db,
      "INSERT INTO jobs (type, args, priority, run_at, max_attempts, timeout_ms, unique_key, "
      "created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"};
  // INDEXED BY: without ANALYZE statistics SQLite would pick jobs_next_run for the
  // run_at range and sort every ready job of the type.
  SQLite::Statement claim{
      db,
      "UPDATE jobs SET state = 'running', attempts = attempts + 1, started_at = ?1 "
      "WHERE id IN (SELECT id FROM jobs INDEXED BY jobs_claim "
      "WHERE state = 'queued' AND type = ?2 AND run_at <= ?1 "
      "ORDER BY priority DESC, run_at, id LIMIT ?3) RETURNING " +
          std::string(kColumns)};
  SQLite::Statement finish{db,
                           "UPDATE jobs SET state = ?2, result = ?3, error = ?4, finished_at = ?5 "
                           "WHERE id = ?1 AND state = 'running'"};
  SQLite::Statement finish_retry{
      db,
      "UPDATE jobs SET state = 'queued', result = ?2, error = ?3, run_at = ?4, "
      "cancel_requested = 0 WHERE id = ?1 AND state = 'running'"};
  SQLite::Statement requeue{
      db,
      "UPDATE jobs SET state = 'queued', run_at = ?2, max_attempts = max_attempts + 1, "
      "interruptions = interruptions + ?3 WHERE id = ?1 AND state = 'running'"};
  SQLite::Statement cancel_queued{
      db, "UPDATE jobs SET state = 'cancelled', finished_at = ?2 WHERE id = ?1"};
  SQLite::Statement cancel_running{db, "UPDATE jobs SET cancel_requested = 1 WHERE id = ?1"};
  SQLite::Statement retry{
      db,
      "UPDATE jobs SET state = 'queued', max_attempts = attempts + ?3, run_at = ?2, "
      "finished_at = 0, cancel_requested = 0 WHERE id = ?1"};
  SQLite::Statement set_paused{db,
                               "INSERT INTO type_state (type, paused) VALUES (?1, ?2) "
                               "ON CONFLICT (type) DO UPDATE SET paused = excluded.paused"};
  // "state <> 'queued'" repeats the condition of the partial index jobs_finished.
  SQLite::Statement running{
      db, "SELECT id, interruptions FROM jobs WHERE state <> 'queued' AND state = 'running'"};
  SQLite::Statement give_up{
      db,
      "UPDATE jobs SET state = 'failed', interruptions = ?2, finished_at = ?3, error = ?4 "
      "WHERE id = ?1"};
  SQLite::Statement recover{db,
                            "UPDATE jobs SET state = 'queued', interruptions = ?2, run_at = ?3, "
                            "max_attempts = max_attempts + 1 WHERE id = ?1"};
  SQLite::Statement purge{
      db,
      "DELETE FROM jobs WHERE id IN (SELECT id FROM jobs WHERE state <> 'queued' AND "
      "state IN ('done', 'failed', 'cancelled') AND finished_at < ?1 LIMIT ?2)"};

  Status Load(JobId id, Job* job) {
    Use q(get, id);
    if (!q->executeStep()) return NoJob(id);
    *job = RowToJob(*q);
    return Status::Ok();
  }

  // The error for a conditional update of a running job that changed nothing.
  Status NotRunning(JobId id) {
    Job job;
    Status st = Load(id, &job);
    if (!st.ok()) return st;
    return Status::FailedPrecondition("job " + std::to_string(id) + " is " +
                                      JobStateName(job.state) + ", not running");
  }

  // Each method may run again when its batch is retried: it starts from empty outputs.
  Status Insert(const std::vector<NewJob>& jobs, std::vector<InsertResult>* out) {
    out->clear();
    out->reserve(jobs.size());
    for (const NewJob& j : jobs) {
      if (!j.unique_key.empty()) {
        Use q(find_unique, j.type, j.unique_key);
        if (q->executeStep()) {
          out->push_back({q->getColumn(0).getInt64(), true});
          continue;
        }
      }
      Use q(insert, j.type, j.args, j.priority, j.run_at, j.max_attempts, j.timeout,
            NullIfEmpty{j.unique_key}, j.created_at);
      q->exec();
      out->push_back({db.getLastInsertRowid(), false});
    }
    return Status::Ok();
  }

  Status Claim(const std::string& type, int n, TimeMs now, std::vector<Job>* out) {
    out->clear();
    Use q(claim, now, type, n);
    while (q->executeStep()) out->push_back(RowToJob(*q));
    // RETURNING yields rows in no particular order.
    std::sort(out->begin(), out->end(), [](const Job& a, const Job& b) {
      if (a.priority != b.priority) return a.priority > b.priority;
      if (a.run_at != b.run_at) return a.run_at < b.run_at;
      return a.id < b.id;
    });
    return Status::Ok();
  }

  Status Finish(JobId id, const Outcome& o) {
    int changed = 0;
    if (o.state == JobState::kQueued) {
      changed = Use(finish_retry, id, o.result, o.error, o.run_at)->exec();
    } else if (IsFinal(o.state)) {
      changed = Use(finish, id, JobStateName(o.state), o.result, o.error, o.finished_at)->exec();
    } else {
      return Status::InvalidArgument("a run cannot end in state running");
    }
    return changed == 0 ? NotRunning(id) : Status::Ok();
  }

  Status Requeue(JobId id, TimeMs now, bool count_interruption) {
    int changed = Use(requeue, id, now, count_interruption ? 1 : 0)->exec();
    return changed == 0 ? NotRunning(id) : Status::Ok();
  }

  Status Cancel(JobId id, TimeMs now, Job* out) {
    Job job;
    Status st = Load(id, &job);
    if (!st.ok()) return st;
    if (IsFinal(job.state)) {
      return Status::FailedPrecondition("job " + std::to_string(id) + " is already " +
                                        JobStateName(job.state));
    }
    if (job.state == JobState::kQueued) {
      Use(cancel_queued, id, now)->exec();
    } else {
      Use(cancel_running, id)->exec();
    }
    return Load(id, out);
  }

  Status Retry(JobId id, TimeMs now, int extra_attempts, Job* out) {
    if (extra_attempts < 1) return Status::InvalidArgument("a retry needs at least 1 attempt");
    Job job;
    Status st = Load(id, &job);
    if (!st.ok()) return st;
    if (job.state != JobState::kFailed && job.state != JobState::kCancelled) {
      return Status::FailedPrecondition("job " + std::to_string(id) + " is " +
                                        JobStateName(job.state) +
                                        "; only failed or cancelled jobs can be retried");
    }
    if (!job.unique_key.empty()) {
      Use q(find_unique, job.type, job.unique_key);
      if (q->executeStep()) {
        return Status::FailedPrecondition("job " + std::to_string(id) + " has unique key '" +
                                          job.unique_key + "', now held by job " +
                                          std::to_string(q->getColumn(0).getInt64()));
      }
    }
    Use(retry, id, now, extra_attempts)->exec();
    return Load(id, out);
  }

  Status Recover(TimeMs now, int crash_retries, RecoveryReport* out) {
    *out = RecoveryReport();
    std::vector<std::pair<JobId, int>> jobs;
    {
      Use q(running);
      while (q->executeStep())
        jobs.emplace_back(q->getColumn(0).getInt64(), q->getColumn(1).getInt());
    }
    for (const auto& [id, interruptions] : jobs) {
      const int n = interruptions + 1;
      if (n > crash_retries) {
        const std::string error =
            "interrupted by a daemon crash " + std::to_string(n) + " times; giving up";
        Use(give_up, id, n, now, error)->exec();
        Job job;
        Status st = Load(id, &job);
        if (!st.ok()) return st;
        out->failed.push_back(std::move(job));
      } else {
        Use(recover, id, n, now)->exec();
        out->requeued.push_back(id);
      }
    }
    return Status::Ok();
  }
};

// The read connection and its statements; used under SqliteStore::read_mu_.
struct SqliteStore::Reader {
  explicit Reader(SQLite::Database d) : db(std::move(d)) {}

  // LIST with the filters `mask` names (1: type, 2: state, 4: before_id), cached.
  SQLite::Statement& List(int mask) {
    auto& s = lists[mask];
    if (!s) {
      std::string sql = std::string("SELECT ") + kColumns + " FROM jobs WHERE 1";
      if (mask & 1) sql += " AND type = ?1";
      if (mask & 2) sql += " AND state = ?2";
      if (mask & 4) sql += " AND id < ?3";
      s = std::make_unique<SQLite::Statement>(db, sql + " ORDER BY id DESC LIMIT ?4");
    }
    return *s;
  }

  SQLite::Database db;
  SQLite::Statement get{db, std::string("SELECT ") + kColumns + " FROM jobs WHERE id = ?1"};
  SQLite::Statement next_run{db,
                             "SELECT MIN(run_at) FROM jobs WHERE state = 'queued' AND type = ?1"};
  SQLite::Statement counts{db, "SELECT type, state, COUNT(*) FROM jobs GROUP BY type, state"};
  SQLite::Statement delayed{db,
                            "SELECT type, COUNT(*) FROM jobs INDEXED BY jobs_next_run "
                            "WHERE state = 'queued' AND run_at > ?1 GROUP BY type"};
  SQLite::Statement paused{db, "SELECT type FROM type_state WHERE paused = 1"};
  std::map<int, std::unique_ptr<SQLite::Statement>> lists;
};

Result<std::unique_ptr<SqliteStore>> SqliteStore::Open(const SqliteStoreOptions& options) {
  const std::string& path = options.path;
  if (path.empty()) return Status::InvalidArgument("database path is empty");
  const fs::path parent = fs::path(path).parent_path();
  std::error_code ec;
  if (!parent.empty()) fs::create_directories(parent, ec);
  if (ec)
    return Status::IoError("cannot create directory " + parent.string() + ": " + ec.message());

  Result<int> lock = LockDatabase(path);
  if (!lock.ok()) return lock.status();
  const int fd = *lock;
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
    ::close(fd);
    if (st.code() == Status::Code::kIoError && st.message().find(path) == std::string::npos) {
      return Status::IoError("database " + path + ": " + st.message());
    }
    return st;
  }
  return std::unique_ptr<SqliteStore>(
      new SqliteStore(path, fd, std::move(writer), std::move(reader)));
}

SqliteStore::SqliteStore(std::string path, int lock_fd, std::unique_ptr<Writer> writer,
                         std::unique_ptr<Reader> reader)
    : path_(std::move(path)),
      lock_fd_(lock_fd),
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
  writer_.reset();    // the last connection: checkpoints and removes the WAL
  ::close(lock_fd_);  // releases the flock; the file stays (removing it would race)
}

void SqliteStore::Enqueue(Op op) {
  {
    std::lock_guard lock(queue_mu_);
    queue_.push_back(std::move(op));
  }
  queue_cv_.notify_one();
}

Status SqliteStore::WriteAndWait(bool durable, bool savepoint,
                                 std::function<Status(Writer&)> apply) {
  if (std::this_thread::get_id() == thread_.get_id()) {
    return Status::Internal("blocking store call from the store's writer thread");
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
  for (;;) {
    {
      std::unique_lock lock(queue_mu_);
      queue_cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and every op has run
      batch.swap(queue_);
    }
    RunBatch(batch);
    batch.clear();
  }
}

void SqliteStore::RunBatch(std::deque<Op>& batch) {
  Writer& w = *writer_;
  sqlite3* handle = w.db.getHandle();
  const bool durable =
      std::any_of(batch.begin(), batch.end(), [](const Op& op) { return op.durable; });
  std::vector<Status> results(batch.size());
  // Ops that failed in a way that made SQLite roll the whole transaction back (SQLITE_FULL
  // does): they keep their error and the others run again in a fresh transaction.
  std::vector<bool> dropped(batch.size(), false);
  Status failure;  // of the transaction: every op not dropped gets it
  for (bool again = true; again;) {
    again = false;
    failure = Catch([&] {
      if (w.synchronous_full != durable) {
        w.db.exec(durable ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL");
        w.synchronous_full = durable;
      }
      Use(w.begin)->exec();
      return Status::Ok();
    });
    for (size_t i = 0; failure.ok() && i < batch.size(); ++i) {
      if (dropped[i]) continue;
      const bool savepoint = batch[i].savepoint;
      results[i] = Catch([&] {
        if (savepoint) Use(w.savepoint)->exec();
        return batch[i].apply(w);
      });
      if (sqlite3_get_autocommit(handle)) {
        if (results[i].ok()) results[i] = Status::IoError("transaction rolled back");
        dropped[i] = again = true;
        break;
      }
      // Otherwise an op's failure undoes only its own changes.
      if (!savepoint) continue;
      failure = Catch([&] {
        if (!results[i].ok()) Use(w.rollback_to)->exec();
        Use(w.release)->exec();
        return Status::Ok();
      });
    }
    if (!again && failure.ok()) {
      failure = Catch([&] {
        Use(w.commit)->exec();
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
    batch[i].complete(dropped[i] || failure.ok() ? std::move(results[i]) : failure);
  }
}

Status SqliteStore::Read(const std::function<Status(Reader&)>& body) {
  std::lock_guard lock(read_mu_);
  return Catch([&] { return body(*reader_); });
}

void SqliteStore::InsertAsync(std::vector<NewJob> jobs, InsertCallback done) {
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
             }});
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
  Status st = Read([&](Reader& r) {
    Use q(r.next_run, type);
    if (q->executeStep() && !q->getColumn(0).isNull()) next = q->getColumn(0).getInt64();
    return Status::Ok();
  });
  if (!st.ok()) return st;
  return next;
}

Status SqliteStore::Finish(JobId id, const Outcome& outcome) {
  return WriteAndWait(false, false, [&](Writer& w) { return w.Finish(id, outcome); });
}

Status SqliteStore::Requeue(JobId id, TimeMs now, bool count_interruption) {
  return WriteAndWait(false, false,
                      [&](Writer& w) { return w.Requeue(id, now, count_interruption); });
}

Result<Job> SqliteStore::Get(JobId id) {
  Job job;
  Status st = Read([&](Reader& r) {
    Use q(r.get, id);
    if (!q->executeStep()) return NoJob(id);
    job = RowToJob(*q);
    return Status::Ok();
  });
  if (!st.ok()) return st;
  return job;
}

Result<std::vector<Job>> SqliteStore::List(const ListFilter& filter) {
  std::vector<Job> jobs;
  const int mask = (filter.type ? 1 : 0) | (filter.state ? 2 : 0) | (filter.before_id ? 4 : 0);
  const std::optional<std::string> state =
      filter.state ? std::optional<std::string>(JobStateName(*filter.state)) : std::nullopt;
  Status st = Read([&](Reader& r) {
    Use q(r.List(mask), filter.type, state, filter.before_id,
          static_cast<int64_t>(std::max(filter.limit, 0)));
    while (q->executeStep()) jobs.push_back(RowToJob(*q));
    return Status::Ok();
  });
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
  std::map<std::string, TypeCounts> by_type;
  Status st = Read([&](Reader& r) {
    {
      Use q(r.counts);
      while (q->executeStep()) {
        TypeCounts& c = by_type[q->getColumn(0).getString()];
        const int64_t n = q->getColumn(2).getInt64();
        switch (ParseJobState(q->getColumn(1).getText()).value_or(JobState::kFailed)) {
          case JobState::kQueued:
            c.queued = n;
            break;
          case JobState::kRunning:
            c.running = n;
            break;
          case JobState::kDone:
            c.done = n;
            break;
          case JobState::kFailed:
            c.failed = n;
            break;
          case JobState::kCancelled:
            c.cancelled = n;
            break;
        }
      }
    }
    Use q(r.delayed, now);
    while (q->executeStep())
      by_type[q->getColumn(0).getString()].delayed = q->getColumn(1).getInt64();
    return Status::Ok();
  });
  if (!st.ok()) return st;
  std::vector<TypeCounts> counts;
  for (auto& [type, c] : by_type) {
    c.type = type;
    counts.push_back(std::move(c));
  }
  return counts;
}

Status SqliteStore::SetPaused(const std::string& type, bool paused) {
  return WriteAndWait(true, false, [&](Writer& w) {
    Use(w.set_paused, type, paused ? 1 : 0)->exec();
    return Status::Ok();
  });
}

Result<std::set<std::string>> SqliteStore::PausedTypes() {
  std::set<std::string> types;
  Status st = Read([&](Reader& r) {
    Use q(r.paused);
    while (q->executeStep()) types.insert(q->getColumn(0).getString());
    return Status::Ok();
  });
  if (!st.ok()) return st;
  return types;
}

Result<RecoveryReport> SqliteStore::Recover(TimeMs now, int crash_retries) {
  RecoveryReport report;
  Status st =
      WriteAndWait(true, true, [&](Writer& w) { return w.Recover(now, crash_retries, &report); });
  if (!st.ok()) return st;
  return report;
}

Result<int64_t> SqliteStore::Purge(TimeMs before) {
  int64_t total = 0;
  for (;;) {
    int changed = 0;
    Status st = WriteAndWait(false, false, [&](Writer& w) {
      changed = Use(w.purge, before, static_cast<int64_t>(kPurgeChunk))->exec();
      return Status::Ok();
    });
    if (!st.ok()) return st;
    total += changed;
    if (changed < kPurgeChunk) return total;
  }
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
