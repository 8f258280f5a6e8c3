#include "server/pg_store.h"

#include <signal.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <utility>

#include "core/embedded.h"
#include "core/host_name.h"
#include "server/pg_migrate.h"

namespace torque::server {
namespace {

using pg::Param;
using pg::Rows;

// The columns RowToJob reads, in its order.
constexpr char kColumns[] =
    "id, type, args, state, priority, run_at, attempts, max_attempts, timeout_ms, unique_key, "
    "result, error, created_at, started_at, finished_at, cancel_requested";
// The same, of table jobs where a statement reads another table too.
constexpr char kJobColumns[] =
    "jobs.id, jobs.type, jobs.args, jobs.state, jobs.priority, jobs.run_at, jobs.attempts, "
    "jobs.max_attempts, jobs.timeout_ms, jobs.unique_key, jobs.result, jobs.error, "
    "jobs.created_at, jobs.started_at, jobs.finished_at, jobs.cancel_requested";
// The database's clock in milliseconds: node liveness is judged on one clock.
#define TORQUE_PG_NOW "(extract(epoch from clock_timestamp()) * 1000)::bigint"

constexpr int kPurgeChunk = 10000;
constexpr char kJobsChannel[] = "torque_jobs";
constexpr char kControlChannel[] = "torque_control";
// pg_try_advisory_xact_lock's key for count compaction: one node at a time does it.
constexpr char kCompactLock[] = "127970698868326";
// pg_advisory_xact_lock's first key for the claims of a type with max_running.
constexpr char kMaxRunningLock[] = "1953658213";
// Waits of the watch thread between looks at its stop flag.
constexpr int kWatchSliceMs = 100;
// A poll round that could not read everything is made again after this.
constexpr int kPollRetryMs = 250;

// The longest wait between two tries to reach the database while it is away: at least one
// try per heartbeat, so that after an outage the other nodes see this one's heartbeat again
// before they could take it for dead.
std::chrono::milliseconds MaxBackoff(const PgStoreOptions& options) {
  return std::min(pg::kMaxBackoff, std::chrono::milliseconds(options.heartbeat_interval));
}

Param P(int64_t v) { return std::to_string(v); }
Param OrNull(const std::string& s) { return s.empty() ? std::nullopt : Param(s); }

// The INSERT of `j`, without RETURNING or a conflict clause; a job to start is stored
// running on `node`, made so by `token`.
pg::Connection::Statement InsertStatement(const NewJob& j, NodeId node, int64_t token) {
  pg::Connection::Statement s;
  s.params = {j.type,
              j.args,
              P(j.priority),
              P(j.run_at),
              P(j.max_attempts),
              P(j.timeout),
              OrNull(j.unique_key),
              P(j.created_at)};
  s.sql =
      "INSERT INTO jobs (type, args, priority, run_at, max_attempts, timeout_ms, unique_key, "
      "created_at";
  if (j.start) {
    s.sql +=
        ", state, attempts, started_at, node, claim_token) VALUES ($1, $2, $3, $4, $5, $6, $7, "
        "$8, 'running', 1, $8, $9, $10)";
    s.params.push_back(P(node));
    s.params.push_back(P(token));
  } else {
    s.sql += ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
  }
  return s;
}

// A PostgreSQL array literal of `items`, for a text[] parameter.
std::string ArrayLiteral(const std::vector<std::string>& items) {
  std::string out = "{";
  for (size_t i = 0; i < items.size(); ++i) {
    if (i) out += ',';
    out += '"';
    for (char c : items[i]) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  return out + "}";
}

Job RowToJob(const Rows& r, int i) {
  Job j;
  j.id = r.Int(i, 0);
  j.type = r.Text(i, 1);
  j.args = r.Text(i, 2);
  // The CHECK constraint on jobs.state admits only names ParseJobState knows.
  j.state = ParseJobState(r.Text(i, 3)).value_or(JobState::kFailed);
  j.priority = static_cast<int>(r.Int(i, 4));
  j.run_at = r.Int(i, 5);
  j.attempts = static_cast<int>(r.Int(i, 6));
  j.max_attempts = static_cast<int>(r.Int(i, 7));
  j.timeout = r.Int(i, 8);
  j.unique_key = r.Text(i, 9);  // "" for NULL
  j.result = r.Text(i, 10);
  j.error = r.Text(i, 11);
  j.created_at = r.Int(i, 12);
  j.started_at = r.Int(i, 13);
  j.finished_at = r.Int(i, 14);
  j.cancel_requested = r.Text(i, 15) == "t";
  return j;
}

std::vector<Job> RowsToJobs(const Rows& r) {
  std::vector<Job> jobs;
  jobs.reserve(static_cast<size_t>(r.size()));
  for (int i = 0; i < r.size(); ++i) jobs.push_back(RowToJob(r, i));
  return jobs;
}

// A numeric column (AVG) as a double; 0 for NULL.
double Real(const Rows& r, int i, int column) {
  return r.IsNull(i, column) ? 0 : std::strtod(r.Text(i, column).c_str(), nullptr);
}

Status NoJob(JobId id) { return Status::NotFound("no job " + std::to_string(id)); }

Status LoadJob(pg::Connection& c, JobId id, Job* out) {
  auto r = c.Exec(std::string("SELECT ") + kColumns + " FROM jobs WHERE id = $1", {P(id)});
  if (!r.ok()) return r.status();
  if (r->size() == 0) return NoJob(id);
  *out = RowToJob(*r, 0);
  return Status::Ok();
}

// "host:pid" of a node on this host whose process is gone.
bool GoneFromThisHost(const std::string& name) {
  const size_t colon = name.rfind(':');
  if (colon == std::string::npos || name.substr(0, colon) != HostName()) return false;
  const long pid = std::strtol(name.c_str() + colon + 1, nullptr, 10);
  return pid > 0 && ::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH;
}

TimeMs WallNow() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

Result<std::unique_ptr<PgStore>> PgStore::Open(const PgStoreOptions& options) {
  if (options.uri.empty()) return Status::InvalidArgument("database URI is empty");
  auto c = pg::Connection::Open(options.uri);
  if (!c.ok()) return c.status();
  if (Status st = pg::Migrate(*c, embedded::schema_pg_sql()); !st.ok()) return st;
  auto pool = std::make_unique<pg::Pool>(options.uri, options.pool_size, MaxBackoff(options));
  return std::unique_ptr<PgStore>(new PgStore(options, std::move(pool)));
}

PgStore::PgStore(PgStoreOptions options, std::unique_ptr<pg::Pool> pool)
    : options_(std::move(options)), pool_(std::move(pool)) {
  inserter_ = std::thread([this] { InsertLoop(); });
  watcher_ = std::thread([this] { WatchLoop(); });
}

PgStore::~PgStore() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  inserter_.join();
  watcher_.join();
}

Status PgStore::Transaction(bool durable, const std::function<Status(pg::Connection&)>& body) {
  for (int attempt = 1;; ++attempt) {
    std::string sqlstate;
    Status st = pool_->Run([&](pg::Connection& c) {
      Status s = c.ExecScript(durable ? "BEGIN" : "BEGIN; SET LOCAL synchronous_commit = off");
      if (s.ok()) s = body(c);
      if (s.ok()) s = c.ExecScript("COMMIT");
      if (!s.ok()) {
        sqlstate = c.last_sqlstate();
        if (!c.broken()) (void)c.ExecScript("ROLLBACK");
      }
      return s;
    });
    // Deadlocks and serialization failures are PostgreSQL asking for another try.
    if (st.ok() || attempt >= 5 || (sqlstate != "40P01" && sqlstate != "40001")) return st;
  }
}

void PgStore::InsertAsync(std::vector<NewJob> jobs, InsertCallback done, CommitBy) {
  {
    std::lock_guard lock(mu_);
    inserts_.push_back({std::move(jobs), std::move(done)});
  }
  cv_.notify_all();
}

void PgStore::InsertLoop() {
  for (;;) {
    std::deque<InsertOp> batch;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [this] { return stopping_ || !inserts_.empty(); });
      if (inserts_.empty()) return;  // stopping, every insert done
      batch.swap(inserts_);
    }
    // Group commit: every submission that arrived meanwhile shares one transaction.
    std::vector<std::vector<InsertResult>> results(batch.size());
    const int64_t token = NewToken();
    const bool unique = std::any_of(batch.begin(), batch.end(), [](const InsertOp& op) {
      return std::any_of(op.jobs.begin(), op.jobs.end(),
                         [](const NewJob& j) { return !j.unique_key.empty(); });
    });
    Status st = unique ? Transaction(true,
                                     [&](pg::Connection& c) {
                                       for (size_t i = 0; i < batch.size(); ++i) {
                                         Status s = InsertOn(c, batch[i].jobs, token, &results[i]);
                                         if (!s.ok()) return s;
                                       }
                                       return Status::Ok();
                                     })
                       : pool_->Run([&](pg::Connection& c) {
                           return InsertPipelined(c, batch, token, &results);
                         });
    if (st.code() == Status::Code::kUnavailable) Uncertain(token);
    if (!st.ok() && st.code() != Status::Code::kUnavailable && batch.size() > 1) {
      // One submission's error must not fail the others: each alone, in its own transaction.
      for (size_t i = 0; i < batch.size(); ++i) {
        Status one = Transaction(true, [&](pg::Connection& c) {
          return InsertOn(c, batch[i].jobs, token, &results[i]);
        });
        if (one.code() == Status::Code::kUnavailable) Uncertain(token);
        if (one.ok()) {
          batch[i].done(std::move(results[i]));
        } else {
          batch[i].done(one);
        }
      }
      continue;
    }
    for (size_t i = 0; i < batch.size(); ++i) {
      if (st.ok()) {
        batch[i].done(std::move(results[i]));
      } else {
        batch[i].done(st);
      }
    }
  }
}

Status PgStore::InsertPipelined(pg::Connection& c, const std::deque<InsertOp>& batch, int64_t token,
                                std::vector<std::vector<InsertResult>>* results) {
  const NodeId node = node_.load();
  std::vector<pg::Connection::Statement> statements;
  statements.push_back({"BEGIN", {}});
  for (const InsertOp& op : batch) {
    for (const NewJob& j : op.jobs) {
      statements.push_back(InsertStatement(j, node, token));
      statements.back().sql += " RETURNING id";
    }
  }
  statements.push_back({"COMMIT", {}});
  auto rows = c.Pipeline(statements);
  if (!rows.ok()) {
    if (!c.broken()) (void)c.ExecScript("ROLLBACK");
    return rows.status();
  }
  size_t k = 1;  // after BEGIN's
  for (size_t i = 0; i < batch.size(); ++i) {
    (*results)[i].clear();
    for (size_t n = 0; n < batch[i].jobs.size(); ++n) {
      (*results)[i].push_back({(*rows)[k++].Int(0, 0), false});
    }
  }
  return Status::Ok();
}

Status PgStore::InsertOn(pg::Connection& c, const std::vector<NewJob>& jobs, int64_t token,
                         std::vector<InsertResult>* out) {
  out->clear();
  const NodeId node = node_.load();
  for (const NewJob& j : jobs) {
    auto [sql, params] = InsertStatement(j, node, token);
    if (j.unique_key.empty()) {
      auto r = c.Exec(sql + " RETURNING id", params);
      if (!r.ok()) return r.status();
      out->push_back({r->Int(0, 0), false});
      continue;
    }
    // Another node may hold the key: its job's id comes back. Should that job end between
    // the two statements, the insert is tried again.
    sql +=
        " ON CONFLICT (type, unique_key) WHERE unique_key IS NOT NULL AND state IN "
        "('queued', 'running') DO NOTHING RETURNING id";
    bool placed = false;
    for (int attempt = 0; attempt < 5 && !placed; ++attempt) {
      auto r = c.Exec(sql, params);
      if (!r.ok()) return r.status();
      if (r->size() == 1) {
        out->push_back({r->Int(0, 0), false});
        placed = true;
        break;
      }
      auto held = c.Exec(
          "SELECT id FROM jobs WHERE type = $1 AND unique_key = $2 AND state IN "
          "('queued', 'running')",
          {j.type, j.unique_key});
      if (!held.ok()) return held.status();
      if (held->size() == 1) {
        out->push_back({held->Int(0, 0), true});
        placed = true;
      }
    }
    if (!placed) return Status::Internal("unique key '" + j.unique_key + "' kept changing hands");
  }
  return Status::Ok();
}

Result<NodeId> PgStore::RegisterNode(const std::string& name, TimeMs now) {
  NodeId id = 0;
  Status st = Transaction(true, [&](pg::Connection& c) {
    auto r = c.Exec(
        "INSERT INTO nodes (name, started_at, heartbeat_at, seen_at) VALUES ($1, $2, "
        "$2, " TORQUE_PG_NOW ") RETURNING id",
        {name, P(now)});
    if (!r.ok()) return r.status();
    id = r->Int(0, 0);
    return Status::Ok();
  });
  {
    std::lock_guard lock(mu_);
    node_name_ = name;
  }
  node_.store(st.ok() ? id : 0);
  if (!st.ok()) return st;
  return id;
}

Status PgStore::Heartbeat(TimeMs now) {
  const NodeId node = node_.load();
  return Transaction(false, [&](pg::Connection& c) {
    auto r = c.Exec("UPDATE nodes SET heartbeat_at = $2, seen_at = " TORQUE_PG_NOW
                    " WHERE id = $1 AND NOT dead",
                    {P(node), P(now)});
    if (!r.ok()) return r.status();
    if (r->affected() == 0) {
      return Status::FailedPrecondition("node " + std::to_string(node) +
                                        " was declared dead; its running jobs were rescued");
    }
    return Status::Ok();
  });
}

Result<std::vector<NodeInfo>> PgStore::Nodes() {
  std::vector<NodeInfo> nodes;
  Status st = pool_->Run([&](pg::Connection& c) {
    auto r = c.Exec(
        "SELECT n.id, n.name, n.started_at, n.heartbeat_at, n.dead, (SELECT COUNT(*) FROM jobs "
        "WHERE state = 'running' AND node = n.id) FROM nodes n ORDER BY n.dead, n.id DESC "
        "LIMIT 50");
    if (!r.ok()) return r.status();
    for (int i = 0; i < r->size(); ++i) {
      nodes.push_back({r->Int(i, 0), r->Text(i, 1), r->Int(i, 2), r->Int(i, 3),
                       r->Text(i, 4) == "t", r->Int(i, 5)});
    }
    return Status::Ok();
  });
  if (!st.ok()) return st;
  return nodes;
}

void PgStore::Watch(StoreEvents events) {
  std::lock_guard calling(callback_mu_);  // a call of the old handlers is over
  std::lock_guard lock(mu_);
  events_ = std::move(events);
  watching_ = true;
}

void PgStore::SetMaxRunning(std::map<std::string, int> limits) {
  std::lock_guard lock(mu_);
  max_running_ = std::move(limits);
}

Status PgStore::ClaimOn(pg::Connection& c, const std::string& type, int n, TimeMs now,
                        int64_t token, std::vector<Job>* out) {
  out->clear();
  int limit = 0;
  {
    std::lock_guard lock(mu_);
    if (auto it = max_running_.find(type); it != max_running_.end()) limit = it->second;
  }
  if (limit > 0) {
    // The nodes claiming this type take turns (a lock held to the commit), so that their
    // counts of its running jobs are right.
    auto locked = c.Exec("SELECT pg_advisory_xact_lock($1::int, hashtext($2))",
                         {std::string(kMaxRunningLock), type});
    if (!locked.ok()) return locked.status();
    auto running =
        c.Exec("SELECT COUNT(*) FROM jobs WHERE state = 'running' AND type = $1", {type});
    if (!running.ok()) return running.status();
    n = static_cast<int>(std::min<int64_t>(n, limit - running->Int(0, 0)));
    if (n <= 0) return Status::Ok();
  }
  // SKIP LOCKED: nodes claiming together take different jobs instead of queueing on one.
  auto r = c.Exec(std::string("UPDATE jobs SET state = 'running', attempts = attempts + 1, "
                              "started_at = $1, node = $4, claim_token = $5 FROM (SELECT id "
                              "FROM jobs WHERE state = 'queued' AND type = $2 AND run_at <= $1 "
                              "ORDER BY priority DESC, run_at, id LIMIT $3 "
                              "FOR UPDATE SKIP LOCKED) ready WHERE jobs.id = ready.id RETURNING ") +
                      kJobColumns,
                  {P(now), type, P(n), P(node_.load()), P(token)});
  if (!r.ok()) return r.status();
  *out = RowsToJobs(*r);
  std::sort(out->begin(), out->end(), [](const Job& a, const Job& b) {
    if (a.priority != b.priority) return a.priority > b.priority;
    if (a.run_at != b.run_at) return a.run_at < b.run_at;
    return a.id < b.id;
  });
  return Status::Ok();
}

Result<std::vector<Job>> PgStore::Claim(const std::string& type, int n, TimeMs now) {
  std::vector<Job> jobs;
  if (n <= 0) return jobs;
  const int64_t token = NewToken();
  Status st =
      Transaction(false, [&](pg::Connection& c) { return ClaimOn(c, type, n, now, token, &jobs); });
  if (st.code() == Status::Code::kUnavailable) Uncertain(token);
  if (!st.ok()) return st;
  return jobs;
}

Result<std::string> PgStore::ClaimPlan(const std::string& type) {
  std::string plan;
  Status st = pool_->Run([&](pg::Connection& c) {
    auto r = c.Exec(
        "EXPLAIN UPDATE jobs SET state = 'running', attempts = attempts + 1, started_at = $1, "
        "node = $4 FROM (SELECT id FROM jobs WHERE state = 'queued' AND type = $2 AND run_at <= "
        "$1 ORDER BY priority DESC, run_at, id LIMIT $3 FOR UPDATE SKIP LOCKED) ready "
        "WHERE jobs.id = ready.id",
        {P(WallNow()), type, P(1), P(node_.load())});
    if (!r.ok()) return r.status();
    for (int i = 0; i < r->size(); ++i) plan += r->Text(i, 0) + "\n";
    return Status::Ok();
  });
  if (!st.ok()) return st;
  return plan;
}

Result<std::optional<TimeMs>> PgStore::NextRunAt(const std::string& type) {
  std::optional<TimeMs> next;
  Status st = pool_->Run([&](pg::Connection& c) {
    auto r = c.Exec("SELECT MIN(run_at) FROM jobs WHERE state = 'queued' AND type = $1", {type});
    if (!r.ok()) return r.status();
    if (!r->IsNull(0, 0)) next = r->Int(0, 0);
    return Status::Ok();
  });
  if (!st.ok()) return st;
  return next;
}

Status PgStore::NotRunning(pg::Connection& c, JobId id) {
  Job job;
  if (Status st = LoadJob(c, id, &job); !st.ok()) return st;
  return NotRunningError(job);
}

Status PgStore::FinishOn(pg::Connection& c, JobId id, const Outcome& o) {
  const Param node = P(node_.load());
  if (o.state != JobState::kQueued && !IsFinal(o.state)) {
    return Status::InvalidArgument("a run cannot end in state running");
  }
  Result<Rows> r =
      o.state == JobState::kQueued
          ? c.Exec(
                "UPDATE jobs SET state = 'queued', result = $2, error = $3, run_at = $4, "
                "cancel_requested = false WHERE id = $1 AND state = 'running' AND node = $5 "
                "RETURNING type",
                {P(id), o.result, o.error, P(o.run_at), node})
          : c.Exec(
                "UPDATE jobs SET state = $2, result = $3, error = $4, finished_at = $5 "
                "WHERE id = $1 AND state = 'running' AND node = $6 RETURNING type",
                {P(id), std::string(JobStateName(o.state)), o.result, o.error, P(o.finished_at),
                 node});
  if (!r.ok()) return r.status();
  if (r->size() == 0) return NotRunning(c, id);
  if (!o.handler_state.empty()) {
    if (Status st = SetHandlerStateOn(c, r->Text(0, 0), o.handler_state); !st.ok()) return st;
  }
  return AddNotices(c, o.notices);
}

Status PgStore::AddNotices(pg::Connection& c, const std::vector<Notice>& notices) {
  for (const Notice& n : notices) {
    auto r = c.Exec(
        "INSERT INTO outbox (job_id, target, event, subject, body, created_at, next_at) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7)",
        {P(n.job_id), n.target, std::string(n.failure ? "failure" : "success"), n.subject, n.body,
         P(n.created_at), P(n.next_at)});
    if (!r.ok()) return r.status();
  }
  return Status::Ok();
}

Status PgStore::Finish(JobId id, const Outcome& outcome) {
  return FinishAndClaim(id, outcome, {}, 0, 0).status();
}

Result<std::vector<Job>> PgStore::FinishAndClaim(JobId id, const Outcome& outcome,
                                                 const std::string& type, int n, TimeMs now) {
  std::vector<Job> jobs;
  // A notice or handler state is kept as durably as SQLite keeps it: with the WAL flush.
  const bool durable = !outcome.notices.empty() || !outcome.handler_state.empty();
  const int64_t token = n > 0 ? NewToken() : 0;
  Status st = Transaction(durable, [&](pg::Connection& c) {
    Status finished = FinishOn(c, id, outcome);
    if (!finished.ok() || n <= 0) return finished;
    return ClaimOn(c, type, n, now, token, &jobs);
  });
  if (token != 0 && st.code() == Status::Code::kUnavailable) Uncertain(token);
  if (!st.ok()) return st;
  return jobs;
}

Result<int64_t> PgStore::ShiftRetries(TimeMs now, DurationMs back) {
  int64_t changed = 0;
  Status st = Transaction(true, [&](pg::Connection& c) {
    auto r = c.Exec(
        "UPDATE jobs SET run_at = GREATEST($1, run_at - $2) "
        "WHERE state = 'queued' AND run_at > $1 AND attempts > 0",
        {P(now), P(back)});
    if (!r.ok()) return r.status();
    changed = r->affected();
    return Status::Ok();
  });
  if (!st.ok()) return st;
  return changed;
}

Status PgStore::Requeue(JobId id, TimeMs now, bool count_interruption) {
  return Transaction(false, [&](pg::Connection& c) {
    auto r = c.Exec(
        "UPDATE jobs SET state = 'queued', run_at = $2, max_attempts = max_attempts + 1, "
        "interruptions = interruptions + $3 WHERE id = $1 AND state = 'running' AND node = $4",
        {P(id), P(now), P(count_interruption ? 1 : 0), P(node_.load())});
    if (!r.ok()) return r.status();
    return r->affected() == 0 ? NotRunning(c, id) : Status::Ok();
  });
}

Result<Job> PgStore::Get(JobId id) {
  Job job;
  Status st = pool_->Run([&](pg::Connection& c) { return LoadJob(c, id, &job); });
  if (!st.ok()) return st;
  return job;
}

Result<std::vector<Job>> PgStore::List(const ListFilter& filter) {
  std::string sql = std::string("SELECT ") + kColumns + " FROM jobs WHERE true";
  std::vector<Param> params;
  const auto add = [&](const char* term, Param value) {
    params.push_back(std::move(value));
    sql += std::string(" AND ") + term + " $" + std::to_string(params.size());
  };
  if (filter.type) add("type =", *filter.type);
  if (filter.state) add("state =", std::string(JobStateName(*filter.state)));
  if (filter.before_id) add("id <", P(*filter.before_id));
  params.push_back(P(std::max(filter.limit, 0)));
  sql += " ORDER BY id DESC LIMIT $" + std::to_string(params.size());
  std::vector<Job> jobs;
  Status st = pool_->Run([&](pg::Connection& c) {
    auto r = c.Exec(sql, params);
    if (!r.ok()) return r.status();
    jobs = RowsToJobs(*r);
    return Status::Ok();
  });
  if (!st.ok()) return st;
  return jobs;
}

Result<Job> PgStore::Cancel(JobId id, TimeMs now) {
  Job job;
  Status st = Transaction(true, [&](pg::Connection& c) {
    auto r = c.Exec("SELECT state, node FROM jobs WHERE id = $1 FOR UPDATE", {P(id)});
    if (!r.ok()) return r.status();
    if (r->size() == 0) return NoJob(id);
    const JobState state = ParseJobState(r->Text(0, 0)).value_or(JobState::kFailed);
    if (IsFinal(state)) {
      return Status::FailedPrecondition("job " + std::to_string(id) + " is already " +
                                        JobStateName(state));
    }
    if (state == JobState::kQueued) {
      r = c.Exec("UPDATE jobs SET state = 'cancelled', finished_at = $2 WHERE id = $1",
                 {P(id), P(now)});
    } else {
      // The node running it stops it, wherever the CANCEL arrived.
      r = c.Exec(
          "WITH flagged AS (UPDATE jobs SET cancel_requested = true WHERE id = $1 RETURNING node) "
          "SELECT pg_notify($2, 'cancel ' || $1 || ' ' || node) FROM flagged",
          {P(id), std::string(kControlChannel)});
    }
    if (!r.ok()) return r.status();
    return LoadJob(c, id, &job);
  });
  if (!st.ok()) return st;
  return job;
}

Result<Job> PgStore::Retry(JobId id, TimeMs now, int extra_attempts) {
  if (extra_attempts < 1) return Status::InvalidArgument("a retry needs at least 1 attempt");
  Job job;
  Status st = Transaction(true, [&](pg::Connection& c) {
    auto r =
        c.Exec(std::string("SELECT ") + kColumns + " FROM jobs WHERE id = $1 FOR UPDATE", {P(id)});
    if (!r.ok()) return r.status();
    if (r->size() == 0) return NoJob(id);
    job = RowToJob(*r, 0);
    if (job.state != JobState::kFailed && job.state != JobState::kCancelled) {
      return Status::FailedPrecondition("job " + std::to_string(id) + " is " +
                                        JobStateName(job.state) +
                                        "; only failed or cancelled jobs can be retried");
    }
    if (!job.unique_key.empty()) {
      auto held = c.Exec(
          "SELECT id FROM jobs WHERE type = $1 AND unique_key = $2 AND state IN "
          "('queued', 'running')",
          {job.type, job.unique_key});
      if (!held.ok()) return held.status();
      if (held->size() > 0) {
        return Status::FailedPrecondition("job " + std::to_string(id) + " has unique key '" +
                                          job.unique_key + "', now held by job " +
                                          std::to_string(held->Int(0, 0)));
      }
    }
    // A retry racing another node's submission of the same key loses: the unique index says so.
    r = c.Exec(
        "UPDATE jobs SET state = 'queued', max_attempts = attempts + $3, run_at = $2, "
        "finished_at = 0, cancel_requested = false WHERE id = $1",
        {P(id), P(now), P(extra_attempts)});
    if (!r.ok()) return r.status();
    return LoadJob(c, id, &job);
  });
  if (!st.ok()) return st;
  return job;
}

Result<std::vector<TypeCounts>> PgStore::Counts(TimeMs now) {
  std::vector<TypeCounts> out;
  Status st = pool_->Run([&](pg::Connection& c) {
    auto r = c.Exec(
        "SELECT type, state, SUM(n) FROM (SELECT type, state, n FROM job_counts UNION ALL "
        "SELECT type, state, n FROM job_count_deltas) c GROUP BY type, state "
        "HAVING SUM(n) <> 0 ORDER BY type");
    if (!r.ok()) return r.status();
    std::map<std::string, TypeCounts> by_type;
    for (int i = 0; i < r->size(); ++i) {
      TypeCounts& tc = by_type[r->Text(i, 0)];
      const int64_t n = r->Int(i, 2);
      SetCount(tc, ParseJobState(r->Text(i, 1)).value_or(JobState::kFailed), n);
    }
    for (auto& [type, tc] : by_type) {
      if (tc.queued > 0) {
        auto d =
            c.Exec("SELECT COUNT(*) FROM jobs WHERE state = 'queued' AND type = $1 AND run_at > $2",
                   {type, P(now)});
        if (!d.ok()) return d.status();
        tc.delayed = d->Int(0, 0);
      }
      tc.type = type;
      out.push_back(std::move(tc));
    }
    return Status::Ok();
  });
  if (!st.ok()) return st;
  return out;
}

Status PgStore::CompactCounts() {
  return Transaction(false, [&](pg::Connection& c) {
    auto locked = c.Exec("SELECT pg_try_advisory_xact_lock($1::bigint)", {kCompactLock});
    if (!locked.ok()) return locked.status();
    if (locked->Text(0, 0) != "t") return Status::Ok();  // another node is at it
    auto r = c.Exec(
        "WITH taken AS (DELETE FROM job_count_deltas RETURNING type, state, n) "
        "INSERT INTO job_counts (type, state, n) SELECT type, state, SUM(n) FROM taken "
        "GROUP BY type, state ON CONFLICT (type, state) DO UPDATE SET n = job_counts.n + "
        "excluded.n");
    return r.status();
  });
}

Status PgStore::SetPaused(const std::string& type, bool paused) {
  return Transaction(true, [&](pg::Connection& c) {
    auto r = c.Exec(
        "INSERT INTO type_state (type, paused) VALUES ($1, $2) "
        "ON CONFLICT (type) DO UPDATE SET paused = excluded.paused",
        {type, std::string(paused ? "true" : "false")});
    if (!r.ok()) return r.status();
    r = c.Exec("SELECT pg_notify($1, $2)",
               {std::string(kControlChannel), std::string(paused ? "pause " : "resume ") + type});
    return r.status();
  });
}

Result<std::set<std::string>> PgStore::PausedTypes() {
  std::set<std::string> types;
  Status st = pool_->Run([&](pg::Connection& c) {
    auto r = c.Exec("SELECT type FROM type_state WHERE paused");
    if (!r.ok()) return r.status();
    for (int i = 0; i < r->size(); ++i) types.insert(r->Text(i, 0));
    return Status::Ok();
  });
  if (!st.ok()) return st;
  return types;
}

Result<std::map<std::string, TimeMs>> PgStore::ScheduleFires() {
  std::map<std::string, TimeMs> fires;
  Status st = pool_->Run([&](pg::Connection& c) {
    auto r = c.Exec("SELECT type, last_fire FROM schedules");
    if (!r.ok()) return r.status();
    for (int i = 0; i < r->size(); ++i) fires[r->Text(i, 0)] = r->Int(i, 1);
    return Status::Ok();
  });
  if (!st.ok()) return st;
  return fires;
}

namespace {
// The compare-and-set of a schedule's last fire: whether `fire_time` was recorded.
Result<bool> MoveLastFire(pg::Connection& c, const std::string& type, TimeMs fire_time) {
  auto r = c.Exec(
      "INSERT INTO schedules (type, last_fire) VALUES ($1, $2) ON CONFLICT (type) DO UPDATE "
      "SET last_fire = excluded.last_fire WHERE schedules.last_fire < excluded.last_fire",
      {type, P(fire_time)});
  if (!r.ok()) return r.status();
  return r->affected() == 1;
}
}  // namespace

Result<InsertResult> PgStore::Fire(const std::string& type, TimeMs fire_time, NewJob job) {
  InsertResult result{0, true};
  Status st = Transaction(true, [&](pg::Connection& c) {
    auto moved = MoveLastFire(c, type, fire_time);
    if (!moved.ok()) return moved.status();
    if (!*moved) return Status::Ok();  // another node made this fire
    std::vector<InsertResult> out;
    if (Status s = InsertOn(c, {job}, 0, &out); !s.ok()) return s;
    result = out.front();
    return Status::Ok();
  });
  if (!st.ok()) return st;
  return result;
}

Status PgStore::SetScheduleFire(const std::string& type, TimeMs fire_time) {
  return Transaction(true,
                     [&](pg::Connection& c) { return MoveLastFire(c, type, fire_time).status(); });
}

Result<std::map<std::string, std::string>> PgStore::HandlerState(const std::string& type) {
  std::map<std::string, std::string> values;
  Status st = pool_->Run([&](pg::Connection& c) {
    auto r = c.Exec("SELECT key, value FROM handler_state WHERE type = $1", {type});
    if (!r.ok()) return r.status();
    for (int i = 0; i < r->size(); ++i) values[r->Text(i, 0)] = r->Text(i, 1);
    return Status::Ok();
  });
  if (!st.ok()) return st;
  return values;
}

Status PgStore::SetHandlerStateOn(pg::Connection& c, const std::string& type,
                                  const std::map<std::string, std::string>& values) {
  for (const auto& [key, value] : values) {
    auto r = value.empty()
                 ? c.Exec("DELETE FROM handler_state WHERE type = $1 AND key = $2", {type, key})
                 : c.Exec(
                       "INSERT INTO handler_state (type, key, value) VALUES ($1, $2, $3) "
                       "ON CONFLICT (type, key) DO UPDATE SET value = excluded.value",
                       {type, key, value});
    if (!r.ok()) return r.status();
  }
  return Status::Ok();
}

Status PgStore::SetHandlerState(const std::string& type,
                                const std::map<std::string, std::string>& values) {
  return Transaction(true, [&](pg::Connection& c) { return SetHandlerStateOn(c, type, values); });
}

Status PgStore::Rescue(pg::Connection& c, TimeMs now, bool starting, RecoveryReport* out) {
  *out = RecoveryReport();
  int crash_retries;
  NoticeMaker make;
  {
    std::lock_guard lock(mu_);
    crash_retries = crash_retries_;
    make = make_notices_;
  }
  const Param self = P(node_.load());
  if (starting) {
    // A node of this host whose process is gone need not be waited for.
    auto live = c.Exec("SELECT id, name FROM nodes WHERE NOT dead AND id <> $1", {self});
    if (!live.ok()) return live.status();
    for (int i = 0; i < live->size(); ++i) {
      if (!GoneFromThisHost(live->Text(i, 1))) continue;
      auto r = c.Exec("UPDATE nodes SET dead = true WHERE id = $1", {P(live->Int(i, 0))});
      if (!r.ok()) return r.status();
    }
  }
  auto r =
      c.Exec("UPDATE nodes SET dead = true WHERE NOT dead AND id <> $1 AND seen_at < " TORQUE_PG_NOW
             " - $2",
             {self, P(options_.node_timeout)});
  if (!r.ok()) return r.status();
  // SKIP LOCKED: two nodes rescuing at once share the work instead of waiting on each other.
  auto running = c.Exec(
      "SELECT id, interruptions FROM jobs WHERE state = 'running' AND node IN "
      "(SELECT id FROM nodes WHERE dead) FOR UPDATE SKIP LOCKED");
  if (!running.ok()) return running.status();
  for (int i = 0; i < running->size(); ++i) {
    const JobId id = running->Int(i, 0);
    const int64_t n = running->Int(i, 1) + 1;
    if (n > crash_retries) {
      const std::string error =
          "interrupted by a daemon crash " + std::to_string(n) + " times; giving up";
      r = c.Exec(
          "UPDATE jobs SET state = 'failed', interruptions = $2, finished_at = $3, error = $4 "
          "WHERE id = $1",
          {P(id), P(n), P(now), error});
      if (!r.ok()) return r.status();
      Job job;
      Status st = LoadJob(c, id, &job);
      if (st.ok() && make) st = AddNotices(c, make(job));
      if (!st.ok()) return st;
      out->failed.push_back(std::move(job));
    } else {
      r = c.Exec(
          "UPDATE jobs SET state = 'queued', interruptions = $2, run_at = $3, "
          "max_attempts = max_attempts + 1 WHERE id = $1",
          {P(id), P(n), P(now)});
      if (!r.ok()) return r.status();
      out->requeued.push_back(id);
    }
  }
  return Status::Ok();
}

Result<RecoveryReport> PgStore::Recover(TimeMs now, int crash_retries, const NoticeMaker& make) {
  {
    std::lock_guard lock(mu_);
    crash_retries_ = crash_retries;
    make_notices_ = make;
    recovered_ = true;
  }
  RecoveryReport report;
  Status st = Transaction(true, [&](pg::Connection& c) { return Rescue(c, now, true, &report); });
  if (!st.ok()) return st;
  return report;
}

Result<RecoveryReport> PgStore::RescueDead(TimeMs now) {
  RecoveryReport report;
  Status st = Transaction(true, [&](pg::Connection& c) { return Rescue(c, now, false, &report); });
  if (!st.ok()) return st;
  return report;
}

Result<std::vector<Notice>> PgStore::DueNotices(TimeMs now, int limit) {
  std::vector<Notice> notices;
  Status st = Transaction(false, [&](pg::Connection& c) {
    // The lease: next_at moves past the delivery; only a node that dies delivering lets
    // another one take the notice, once the lease is over.
    auto r = c.Exec(
        "WITH due AS (SELECT id, next_at FROM outbox WHERE next_at <= $1 ORDER BY next_at, id "
        "LIMIT $2 FOR UPDATE SKIP LOCKED) UPDATE outbox SET next_at = $3, leased_by = $4 "
        "FROM due WHERE outbox.id = due.id RETURNING outbox.id, job_id, target, event, "
        "subject, body, attempts, created_at, due.next_at, last_error",
        {P(now), P(limit), P(now + options_.notice_lease), P(node_.load())});
    if (!r.ok()) return r.status();
    for (int i = 0; i < r->size(); ++i) {
      Notice n;
      n.id = r->Int(i, 0);
      n.job_id = r->Int(i, 1);
      n.target = r->Text(i, 2);
      n.failure = r->Text(i, 3) == "failure";
      n.subject = r->Text(i, 4);
      n.body = r->Text(i, 5);
      n.attempts = static_cast<int>(r->Int(i, 6));
      n.created_at = r->Int(i, 7);
      n.next_at = r->Int(i, 8);
      n.last_error = r->Text(i, 9);
      notices.push_back(std::move(n));
    }
    return Status::Ok();
  });
  if (!st.ok()) return st;
  std::sort(notices.begin(), notices.end(), [](const Notice& a, const Notice& b) {
    return a.next_at != b.next_at ? a.next_at < b.next_at : a.id < b.id;
  });
  return notices;
}

Result<std::pair<std::optional<TimeMs>, int64_t>> PgStore::PendingNotices() {
  std::pair<std::optional<TimeMs>, int64_t> out{std::nullopt, 0};
  Status st = pool_->Run([&](pg::Connection& c) {
    auto r = c.Exec("SELECT MIN(next_at), COUNT(*) FROM outbox");
    if (!r.ok()) return r.status();
    if (!r->IsNull(0, 0)) out.first = r->Int(0, 0);
    out.second = r->Int(0, 1);
    return Status::Ok();
  });
  if (!st.ok()) return st;
  return out;
}

Status PgStore::RemoveNotice(int64_t id) {
  return Transaction(true, [&](pg::Connection& c) {
    return c.Exec("DELETE FROM outbox WHERE id = $1", {P(id)}).status();
  });
}

Status PgStore::DeferNotice(int64_t id, TimeMs next_at, const std::string& error) {
  return Transaction(false, [&](pg::Connection& c) {
    return c
        .Exec(
            "UPDATE outbox SET attempts = attempts + 1, next_at = $2, last_error = $3, "
            "leased_by = 0 WHERE id = $1",
            {P(id), P(next_at), error})
        .status();
  });
}

Result<int64_t> PgStore::Purge(TimeMs before, const std::map<std::string, TimeMs>& type_before) {
  std::vector<std::string> except;
  for (const auto& [type, t] : type_before) except.push_back(type);
  int64_t total = 0;
  // In chunks, each its own transaction, so no large delete holds locks for long.
  const auto chunks = [&](const std::string& filter, const std::vector<Param>& params) -> Status {
    for (;;) {
      int64_t changed = 0;
      Status st = Transaction(false, [&](pg::Connection& c) {
        auto r = c.Exec(
            "DELETE FROM jobs WHERE id IN (SELECT id FROM jobs WHERE state IN ('done', "
            "'failed', 'cancelled') AND finished_at < $1 " +
                filter + " LIMIT " + std::to_string(kPurgeChunk) + ")",
            params);
        if (!r.ok()) return r.status();
        changed = r->affected();
        return Status::Ok();
      });
      if (!st.ok()) return st;
      total += changed;
      if (changed < kPurgeChunk) return Status::Ok();
    }
  };
  Status st = chunks("AND type <> ALL($2::text[])", {P(before), ArrayLiteral(except)});
  for (auto it = type_before.begin(); st.ok() && it != type_before.end(); ++it) {
    st = chunks("AND type = $2", {P(it->second), it->first});
  }
  if (!st.ok()) return st;
  return total;
}

Result<std::vector<TypeActivity>> PgStore::Activity(TimeMs since) {
  std::vector<TypeActivity> out;
  Status st = pool_->Run([&](pg::Connection& c) {
    auto r = c.Exec(
        "SELECT type, COUNT(*), COUNT(*) FILTER (WHERE state = 'failed'), "
        "AVG(CASE WHEN started_at > 0 THEN started_at - GREATEST(run_at, created_at) END), "
        "MAX(CASE WHEN started_at > 0 THEN started_at - GREATEST(run_at, created_at) END), "
        "AVG(CASE WHEN started_at > 0 THEN finished_at - started_at END) FROM jobs "
        "WHERE state IN ('done', 'failed', 'cancelled') AND finished_at >= $1 GROUP BY type "
        "ORDER BY type",
        {P(since)});
    if (!r.ok()) return r.status();
    for (int i = 0; i < r->size(); ++i) {
      out.push_back({r->Text(i, 0), r->Int(i, 1), r->Int(i, 2), Real(*r, i, 3), r->Int(i, 4),
                     Real(*r, i, 5)});
    }
    return Status::Ok();
  });
  if (!st.ok()) return st;
  return out;
}

Result<std::vector<MinuteActivity>> PgStore::FinishedPerMinute(TimeMs since) {
  std::vector<MinuteActivity> out;
  Status st = pool_->Run([&](pg::Connection& c) {
    auto r = c.Exec(
        "SELECT finished_at / 60000, COUNT(*), COUNT(*) FILTER (WHERE state = 'failed') "
        "FROM jobs WHERE state IN ('done', 'failed', 'cancelled') AND finished_at >= $1 "
        "GROUP BY 1 ORDER BY 1",
        {P(since)});
    if (!r.ok()) return r.status();
    for (int i = 0; i < r->size(); ++i) {
      out.push_back({r->Int(i, 0) * 60'000, r->Int(i, 1), r->Int(i, 2)});
    }
    return Status::Ok();
  });
  if (!st.ok()) return st;
  return out;
}

Result<int64_t> PgStore::SizeBytes() {
  int64_t size = 0;
  Status st = pool_->Run([&](pg::Connection& c) {
    auto r = c.Exec("SELECT pg_database_size(current_database())");
    if (!r.ok()) return r.status();
    size = r->Int(0, 0);
    return Status::Ok();
  });
  if (!st.ok()) return st;
  return size;
}

int64_t PgStore::NewToken() {
  // Unique across nodes: the node's id, then a count of this process's claims.
  return (node_.load() << 32) + tokens_.fetch_add(1) + 1;
}

void PgStore::Uncertain(int64_t token) {
  std::lock_guard lock(mu_);
  uncertain_.push_back(token);
}

void PgStore::RepairUncertain() {
  std::vector<std::string> tokens;
  {
    std::lock_guard lock(mu_);
    for (int64_t t : uncertain_) tokens.push_back(std::to_string(t));
  }
  if (tokens.empty()) return;
  int64_t requeued = 0;
  Status st = Transaction(true, [&](pg::Connection& c) {
    // This node's workers never got these: the claim (or the insert of a job to start) was
    // committed, but its answer was lost with the connection.
    auto r = c.Exec(
        "UPDATE jobs SET state = 'queued', attempts = attempts - 1 WHERE state = 'running' "
        "AND node = $1 AND claim_token = ANY($2::bigint[])",
        {P(node_.load()), ArrayLiteral(tokens)});
    if (!r.ok()) return r.status();
    requeued = r->affected();
    return Status::Ok();
  });
  if (!st.ok()) return;  // tried again at the next heartbeat
  {
    std::lock_guard lock(mu_);
    uncertain_.erase(uncertain_.begin(),
                     uncertain_.begin() + static_cast<std::ptrdiff_t>(tokens.size()));
  }
  if (requeued > 0) {
    spdlog::default_logger()->warn(
        "{} job(s) claimed as the database connection broke are queued again (the claim "
        "was committed, its answer lost)",
        requeued);
  }
}

void PgStore::Maintain(TimeMs now) {
  auto log = spdlog::default_logger();
  bool recovered;
  {
    std::lock_guard lock(mu_);
    recovered = recovered_;
  }
  const NodeId node = node_.load();
  const auto steady = std::chrono::steady_clock::now();
  if (node != 0) {
    Status beat = Heartbeat(now);
    if (beat.ok()) {
      RepairUncertain();
      if (!beating_since_) {
        if (heartbeat_failed_) log->info("node heartbeat recorded again");
        beating_since_ = steady;
      }
      heartbeat_failed_ = false;
    } else {
      beating_since_.reset();
    }
    if (beat.code() == Status::Code::kFailedPrecondition) {
      std::string name;
      {
        std::lock_guard lock(mu_);
        name = node_name_;
      }
      // Its jobs run elsewhere now; what it still runs of them cannot be recorded.
      log->error(
          "this node ({}) was declared dead by the others (no heartbeat for {} ms); "
          "its running jobs were rescued; registering again",
          node, options_.node_timeout);
      auto again = RegisterNode(name, now);
      if (!again.ok()) log->error("cannot register this node again: {}", again.status().message());
    } else if (!beat.ok() && !heartbeat_failed_) {
      log->warn("node heartbeat failed (retrying): {}", beat.message());
      heartbeat_failed_ = true;
    }
  }
  // Only a node whose own heartbeats have gone through for a node timeout judges others:
  // after the database was away longer than that, every node's heartbeat looks old, and the
  // first one back would otherwise declare all the others dead.
  const bool judge = recovered && beating_since_ &&
                     steady - *beating_since_ >= std::chrono::milliseconds(options_.node_timeout);
  if (judge) {
    auto rescued = RescueDead(now);
    if (!rescued.ok()) {
      log->warn("cannot look for dead nodes: {}", rescued.status().message());
    } else if (!rescued->requeued.empty() || !rescued->failed.empty()) {
      log->warn("rescued {} job(s) of dead node(s): {} back to the queue, {} failed",
                rescued->requeued.size() + rescued->failed.size(), rescued->requeued.size(),
                rescued->failed.size());
      for (const Job& job : rescued->failed) {
        log->error("job {} ({}) failed: {}", job.id, job.type, job.error);
      }
      std::lock_guard calling(callback_mu_);
      std::function<void()> notices;
      {
        std::lock_guard lock(mu_);
        notices = events_.notices;
      }
      if (!rescued->failed.empty() && notices) notices();
    }
  }
  if (Status st = CompactCounts(); !st.ok()) log->debug("count compaction: {}", st.message());
}

bool PgStore::Poll() {
  std::lock_guard calling(callback_mu_);
  StoreEvents events;
  {
    std::lock_guard lock(mu_);
    if (!watching_) return false;
    events = events_;
  }
  // A read that fails (the pool still waits to reconnect after an outage) makes the whole
  // round fail: it is made again, or what was notified while no one listened stays unseen.
  bool complete = true;
  const TimeMs now = WallNow();
  if (events.ready) {
    auto counts = Counts(now);
    complete = counts.ok();
    if (counts.ok()) {
      for (const TypeCounts& tc : *counts) {
        if (tc.queued == 0) continue;
        auto next = NextRunAt(tc.type);
        if (next.ok() && *next) events.ready(tc.type, **next);
        complete = complete && next.ok();
      }
    }
  }
  if (events.cancel) {
    std::vector<JobId> cancels;
    Status st = pool_->Run([&](pg::Connection& c) {
      auto r =
          c.Exec("SELECT id FROM jobs WHERE state = 'running' AND node = $1 AND cancel_requested",
                 {P(node_.load())});
      if (!r.ok()) return r.status();
      for (int i = 0; i < r->size(); ++i) cancels.push_back(r->Int(i, 0));
      return Status::Ok();
    });
    if (st.ok()) {
      for (JobId id : cancels) events.cancel(id);
    }
    complete = complete && st.ok();
  }
  if (events.paused) {
    auto paused = PausedTypes();
    if (paused.ok()) {
      for (const std::string& type : *paused) {
        if (!paused_seen_.count(type)) events.paused(type, true);
      }
      for (const std::string& type : paused_seen_) {
        if (!paused->count(type)) events.paused(type, false);
      }
      paused_seen_ = std::move(*paused);
    }
    complete = complete && paused.ok();
  }
  return complete;
}

void PgStore::Deliver(const pg::Connection::Notification& n) {
  std::lock_guard calling(callback_mu_);
  StoreEvents events;
  {
    std::lock_guard lock(mu_);
    events = events_;
  }
  const size_t space = n.payload.find(' ');
  if (space == std::string::npos) return;
  const std::string head = n.payload.substr(0, space);
  const std::string rest = n.payload.substr(space + 1);
  if (n.channel == kJobsChannel) {
    if (events.ready) events.ready(rest, std::strtoll(head.c_str(), nullptr, 10));
  } else if (head == "cancel") {
    const size_t second = rest.find(' ');
    const JobId id = std::strtoll(rest.c_str(), nullptr, 10);
    const NodeId node =
        second == std::string::npos ? 0 : std::strtoll(rest.c_str() + second + 1, nullptr, 10);
    if (node == node_.load() && events.cancel) events.cancel(id);
  } else if ((head == "pause" || head == "resume") && events.paused) {
    events.paused(rest, head == "pause");
  }
}

void PgStore::WatchLoop() {
  using Clock = std::chrono::steady_clock;
  auto log = spdlog::default_logger();
  std::optional<pg::Connection> conn;
  Clock::time_point next_beat =
      Clock::now() + std::chrono::milliseconds(options_.heartbeat_interval);
  Clock::time_point next_poll{};
  Clock::time_point next_connect{};
  std::chrono::milliseconds backoff{0};
  bool lost_logged = false;
  for (;;) {
    {
      std::unique_lock lock(mu_);
      if (stopping_) return;
    }
    const Clock::time_point now = Clock::now();
    if (options_.listen && !conn && now >= next_connect) {
      auto opened = pg::Connection::Open(options_.uri);
      Status st = opened.status();
      if (opened.ok()) {
        st = opened->ExecScript(std::string("LISTEN ") + kJobsChannel + "; LISTEN " +
                                kControlChannel);
      }
      if (st.ok()) {
        conn = std::move(*opened);
        backoff = std::chrono::milliseconds(0);
        if (lost_logged) log->info("database listener connected again");
        lost_logged = false;
        next_poll = now;  // what was notified while no one listened
      } else {
        backoff = pg::NextBackoff(backoff, MaxBackoff(options_));
        next_connect = now + backoff;
        if (!lost_logged)
          log->error("database listener cannot connect (retrying): {}", st.message());
        lost_logged = true;
      }
    }
    if (now >= next_beat) {
      Maintain(WallNow());
      next_beat = now + std::chrono::milliseconds(options_.heartbeat_interval);
    }
    if (now >= next_poll && next_poll != Clock::time_point::max()) {
      if (Poll()) {
        next_poll = options_.listen ? Clock::time_point::max()
                                    : now + std::chrono::milliseconds(options_.poll_interval);
      } else {
        next_poll = now + std::chrono::milliseconds(kPollRetryMs);
      }
    }
    if (conn) {
      auto got = conn->Wait(kWatchSliceMs);
      if (!got.ok()) {
        log->error("database listener lost its connection (reconnecting): {}",
                   got.status().message());
        lost_logged = true;
        conn.reset();
        continue;
      }
      for (const auto& n : *got) Deliver(n);
    } else {
      std::unique_lock lock(mu_);
      cv_.wait_for(lock, std::chrono::milliseconds(kWatchSliceMs), [this] { return stopping_; });
    }
  }
}

}  // namespace torque::server
