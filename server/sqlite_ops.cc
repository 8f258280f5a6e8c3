#include "server/sqlite_ops.h"

#include <algorithm>
#include <utility>

namespace torque::server {
namespace {

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

Status NoJob(JobId id) { return Status::NotFound("no job " + std::to_string(id)); }

// Reads job `id` with `get` (a SELECT of kColumns by id).
Status LoadJob(SQLite::Statement& get, JobId id, Job* job) {
  Use q(get, id);
  if (!q->executeStep()) return NoJob(id);
  *job = RowToJob(*q);
  return Status::Ok();
}

}  // namespace

SqliteStore::Writer::Writer(SQLite::Database d)
    : db(std::move(d)),
      begin(db, "BEGIN IMMEDIATE"),
      commit(db, "COMMIT"),
      savepoint(db, "SAVEPOINT op"),
      release(db, "RELEASE op"),
      rollback_to(db, "ROLLBACK TO op"),
      get(db, std::string("SELECT ") + kColumns + " FROM jobs WHERE id = ?1"),
      find_unique(db,
                  "SELECT id FROM jobs WHERE type = ?1 AND unique_key = ?2 AND state IN "
                  "('queued', 'running')"),
      insert(db,
             "INSERT INTO jobs (type, args, priority, run_at, max_attempts, timeout_ms, "
             "unique_key, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"),
      insert_started(db,
                     "INSERT INTO jobs (type, args, priority, run_at, max_attempts, timeout_ms, "
                     "unique_key, created_at, state, attempts, started_at, node) VALUES (?1, ?2, "
                     "?3, ?4, ?5, ?6, ?7, ?8, 'running', 1, ?8, ?9)"),
      // INDEXED BY: without ANALYZE statistics SQLite would pick jobs_next_run for the
      // run_at range and sort every ready job of the type.
      claim(db,
            "UPDATE jobs SET state = 'running', attempts = attempts + 1, started_at = ?1, "
            "node = ?4 WHERE id IN (SELECT id FROM jobs INDEXED BY jobs_claim "
            "WHERE state = 'queued' AND type = ?2 AND run_at <= ?1 "
            "ORDER BY priority DESC, run_at, id LIMIT ?3) RETURNING " +
                std::string(kColumns)),
      running_of_type(db, "SELECT n FROM job_counts WHERE type = ?1 AND state = 'running'"),
      finish(db,
             "UPDATE jobs SET state = ?2, result = ?3, error = ?4, finished_at = ?5 "
             "WHERE id = ?1 AND state = 'running' AND node = ?6"),
      finish_retry(db,
                   "UPDATE jobs SET state = 'queued', result = ?2, error = ?3, run_at = ?4, "
                   "cancel_requested = 0 WHERE id = ?1 AND state = 'running' AND node = ?5"),
      requeue(db,
              "UPDATE jobs SET state = 'queued', run_at = ?2, max_attempts = max_attempts + 1, "
              "interruptions = interruptions + ?3 WHERE id = ?1 AND state = 'running' "
              "AND node = ?4"),
      shift_retries(db,
                    "UPDATE jobs SET run_at = MAX(?1, run_at - ?2) "
                    "WHERE state = 'queued' AND run_at > ?1 AND attempts > 0"),
      cancel_queued(db, "UPDATE jobs SET state = 'cancelled', finished_at = ?2 WHERE id = ?1"),
      cancel_running(db, "UPDATE jobs SET cancel_requested = 1 WHERE id = ?1"),
      retry(db,
            "UPDATE jobs SET state = 'queued', max_attempts = attempts + ?3, run_at = ?2, "
            "finished_at = 0, cancel_requested = 0 WHERE id = ?1"),
      set_paused(db,
                 "INSERT INTO type_state (type, paused) VALUES (?1, ?2) "
                 "ON CONFLICT (type) DO UPDATE SET paused = excluded.paused"),
      set_fire(db,
               "INSERT INTO schedules (type, last_fire) VALUES (?1, ?2) "
               "ON CONFLICT (type) DO UPDATE SET last_fire = excluded.last_fire"),
      set_state(db,
                "INSERT INTO handler_state (type, key, value) VALUES (?1, ?2, ?3) "
                "ON CONFLICT (type, key) DO UPDATE SET value = excluded.value"),
      delete_state(db, "DELETE FROM handler_state WHERE type = ?1 AND key = ?2"),
      register_node(db,
                    "INSERT INTO nodes (name, started_at, heartbeat_at) VALUES (?1, ?2, ?2) "
                    "RETURNING id"),
      heartbeat(db, "UPDATE nodes SET heartbeat_at = ?2 WHERE id = ?1 AND dead = 0"),
      bury_nodes(db, "UPDATE nodes SET dead = 1 WHERE id <> ?1 AND dead = 0"),
      // "state <> 'queued'" repeats the condition of the partial index jobs_finished.
      running(db,
              "SELECT id, interruptions FROM jobs WHERE state <> 'queued' AND state = 'running' "
              "AND (node <> ?1 OR ?1 = 0)"),
      give_up(db,
              "UPDATE jobs SET state = 'failed', interruptions = ?2, finished_at = ?3, error = ?4 "
              "WHERE id = ?1"),
      recover(db,
              "UPDATE jobs SET state = 'queued', interruptions = ?2, run_at = ?3, "
              "max_attempts = max_attempts + 1 WHERE id = ?1"),
      purge(db,
            "DELETE FROM jobs WHERE id IN (SELECT id FROM jobs WHERE state <> 'queued' AND "
            "state IN ('done', 'failed', 'cancelled') AND finished_at < ?1 LIMIT ?2)"),
      purge_type(db,
                 "DELETE FROM jobs WHERE id IN (SELECT id FROM jobs WHERE state <> 'queued' AND "
                 "state IN ('done', 'failed', 'cancelled') AND finished_at < ?1 AND type = ?3 "
                 "LIMIT ?2)"),
      add_notice(db,
                 "INSERT INTO outbox (job_id, target, event, subject, body, created_at, next_at) "
                 "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"),
      remove_notice(db, "DELETE FROM outbox WHERE id = ?1"),
      defer_notice(db,
                   "UPDATE outbox SET attempts = attempts + 1, next_at = ?2, last_error = ?3 "
                   "WHERE id = ?1") {}

void SqliteStore::Writer::Exec(SQLite::Statement& s) { Use(s)->exec(); }

Status SqliteStore::Writer::Load(JobId id, Job* job) { return LoadJob(get, id, job); }

Status SqliteStore::Writer::NotRunning(JobId id) {
  Job job;
  Status st = Load(id, &job);
  if (!st.ok()) return st;
  return NotRunningError(job);
}

Status SqliteStore::Writer::RegisterNode(const std::string& name, TimeMs now, NodeId* out) {
  Use q(register_node, name, now);
  if (!q->executeStep()) return Status::Internal("INSERT ... RETURNING gave no row");
  *out = q->getColumn(0).getInt64();
  node = *out;
  return Status::Ok();
}

Status SqliteStore::Writer::Heartbeat(TimeMs now) {
  if (Use(heartbeat, node, now)->exec() == 0) {
    return Status::FailedPrecondition("node " + std::to_string(node) +
                                      " was declared dead; its running jobs were rescued");
  }
  return Status::Ok();
}

Status SqliteStore::Writer::Insert(const std::vector<NewJob>& jobs,
                                   std::vector<InsertResult>* out) {
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
    if (j.start) {
      Use(insert_started, j.type, j.args, j.priority, j.run_at, j.max_attempts, j.timeout,
          NullIfEmpty{j.unique_key}, j.created_at, node)
          ->exec();
    } else {
      Use(insert, j.type, j.args, j.priority, j.run_at, j.max_attempts, j.timeout,
          NullIfEmpty{j.unique_key}, j.created_at)
          ->exec();
    }
    out->push_back({db.getLastInsertRowid(), false});
  }
  return Status::Ok();
}

Status SqliteStore::Writer::Claim(const std::string& type, int n, TimeMs now,
                                  std::vector<Job>* out) {
  out->clear();
  if (auto limit = max_running.find(type); limit != max_running.end()) {
    Use r(running_of_type, type);
    const int64_t running = r->executeStep() ? r->getColumn(0).getInt64() : 0;
    n = static_cast<int>(std::min<int64_t>(n, limit->second - running));
    if (n <= 0) return Status::Ok();
  }
  Use q(claim, now, type, n, node);
  while (q->executeStep()) out->push_back(RowToJob(*q));
  // RETURNING yields rows in no particular order.
  std::sort(out->begin(), out->end(), [](const Job& a, const Job& b) {
    if (a.priority != b.priority) return a.priority > b.priority;
    if (a.run_at != b.run_at) return a.run_at < b.run_at;
    return a.id < b.id;
  });
  return Status::Ok();
}

Status SqliteStore::Writer::Finish(JobId id, const Outcome& o) {
  int changed = 0;
  if (o.state == JobState::kQueued) {
    changed = Use(finish_retry, id, o.result, o.error, o.run_at, node)->exec();
  } else if (IsFinal(o.state)) {
    changed =
        Use(finish, id, JobStateName(o.state), o.result, o.error, o.finished_at, node)->exec();
  } else {
    return Status::InvalidArgument("a run cannot end in state running");
  }
  if (changed == 0) return NotRunning(id);
  if (!o.handler_state.empty()) {
    Job job;
    if (Status st = Load(id, &job); !st.ok()) return st;
    if (Status st = SetHandlerState(job.type, o.handler_state); !st.ok()) return st;
  }
  return AddNotices(o.notices);
}

Status SqliteStore::Writer::AddNotices(const std::vector<Notice>& notices) {
  for (const Notice& n : notices) {
    Use(add_notice, n.job_id, n.target, n.failure ? "failure" : "success", n.subject, n.body,
        n.created_at, n.next_at)
        ->exec();
  }
  return Status::Ok();
}

Status SqliteStore::Writer::RemoveNotice(int64_t id) {
  Use(remove_notice, id)->exec();
  return Status::Ok();
}

Status SqliteStore::Writer::DeferNotice(int64_t id, TimeMs next_at, const std::string& error) {
  Use(defer_notice, id, next_at, error)->exec();
  return Status::Ok();
}

Status SqliteStore::Writer::Requeue(JobId id, TimeMs now, bool count_interruption) {
  int changed = Use(requeue, id, now, count_interruption ? 1 : 0, node)->exec();
  return changed == 0 ? NotRunning(id) : Status::Ok();
}

Status SqliteStore::Writer::ShiftRetries(TimeMs now, DurationMs back, int* changed) {
  *changed = Use(shift_retries, now, back)->exec();
  return Status::Ok();
}

Status SqliteStore::Writer::Cancel(JobId id, TimeMs now, Job* out) {
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

Status SqliteStore::Writer::Retry(JobId id, TimeMs now, int extra_attempts, Job* out) {
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

Status SqliteStore::Writer::SetPaused(const std::string& type, bool paused) {
  Use(set_paused, type, paused ? 1 : 0)->exec();
  return Status::Ok();
}

Status SqliteStore::Writer::SetScheduleFire(const std::string& type, TimeMs fire_time) {
  Use(set_fire, type, fire_time)->exec();
  return Status::Ok();
}

Status SqliteStore::Writer::SetHandlerState(const std::string& type,
                                            const std::map<std::string, std::string>& values) {
  for (const auto& [key, value] : values) {
    if (value.empty()) {
      Use(delete_state, type, key)->exec();
    } else {
      Use(set_state, type, key, value)->exec();
    }
  }
  return Status::Ok();
}

Status SqliteStore::Writer::Recover(TimeMs now, int crash_retries, const NoticeMaker& make,
                                    RecoveryReport* out) {
  *out = RecoveryReport();
  Use(bury_nodes, node)->exec();
  std::vector<std::pair<JobId, int>> jobs;
  {
    Use q(running, node);
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
      if (st.ok() && make) st = AddNotices(make(job));
      if (!st.ok()) return st;
      out->failed.push_back(std::move(job));
    } else {
      Use(recover, id, n, now)->exec();
      out->requeued.push_back(id);
    }
  }
  return Status::Ok();
}

Status SqliteStore::Writer::Purge(TimeMs before, const std::vector<std::string>& except,
                                  int64_t limit, int* changed) {
  if (except.empty()) {
    *changed = Use(purge, before, limit)->exec();
    return Status::Ok();
  }
  // Types with a retention of their own are left out (hourly: not worth caching).
  std::string sql =
      "DELETE FROM jobs WHERE id IN (SELECT id FROM jobs WHERE state <> 'queued' AND "
      "state IN ('done', 'failed', 'cancelled') AND finished_at < ?1 AND type NOT IN (";
  for (size_t i = 0; i < except.size(); ++i) sql += (i ? ", ?" : "?") + std::to_string(i + 3);
  sql += ") LIMIT ?2)";
  SQLite::Statement q(db, sql);
  q.bind(1, before);
  q.bind(2, limit);
  for (size_t i = 0; i < except.size(); ++i) q.bind(static_cast<int>(i + 3), except[i]);
  *changed = q.exec();
  return Status::Ok();
}

Status SqliteStore::Writer::PurgeType(const std::string& type, TimeMs before, int64_t limit,
                                      int* changed) {
  *changed = Use(purge_type, before, limit, type)->exec();
  return Status::Ok();
}

SqliteStore::Reader::Reader(SQLite::Database d)
    : db(std::move(d)),
      get(db, std::string("SELECT ") + kColumns + " FROM jobs WHERE id = ?1"),
      next_run(db, "SELECT MIN(run_at) FROM jobs WHERE state = 'queued' AND type = ?1"),
      counts(db, "SELECT type, state, n FROM job_counts WHERE n <> 0"),
      // One type at a time: a range of the index holding only its delayed jobs.
      delayed(db,
              "SELECT COUNT(*) FROM jobs INDEXED BY jobs_next_run "
              "WHERE type = ?1 AND run_at > ?2 AND state = 'queued'"),
      paused(db, "SELECT type FROM type_state WHERE paused = 1"),
      fires(db, "SELECT type, last_fire FROM schedules"),
      handler_state(db, "SELECT key, value FROM handler_state WHERE type = ?1"),
      due_notices(db,
                  "SELECT id, job_id, target, event, subject, body, attempts, created_at, "
                  "next_at, last_error FROM outbox WHERE next_at <= ?1 ORDER BY next_at, id LIMIT ?2"),
      pending_notices(db, "SELECT MIN(next_at), COUNT(*) FROM outbox"),
      // "state <> 'queued'" repeats the condition of the partial index jobs_finished.
      activity(db,
               "SELECT type, COUNT(*), SUM(state = 'failed'), "
               "AVG(CASE WHEN started_at > 0 THEN started_at - MAX(run_at, created_at) END), "
               "MAX(CASE WHEN started_at > 0 THEN started_at - MAX(run_at, created_at) END), "
               "AVG(CASE WHEN started_at > 0 THEN finished_at - started_at END) "
               "FROM jobs WHERE state <> 'queued' AND state IN ('done', 'failed', 'cancelled') "
               "AND finished_at >= ?1 GROUP BY type"),
      // Integer division: the minute each job finished in; the index holds both columns.
      per_minute(db,
                 "SELECT finished_at / 60000, COUNT(*), SUM(state = 'failed') FROM jobs "
                 "WHERE state <> 'queued' AND state IN ('done', 'failed', 'cancelled') "
                 "AND finished_at >= ?1 GROUP BY finished_at / 60000 ORDER BY 1"),
      nodes(db,
            "SELECT n.id, n.name, n.started_at, n.heartbeat_at, n.dead, (SELECT COUNT(*) FROM "
            "jobs WHERE state <> 'queued' AND state = 'running' AND node = n.id) FROM nodes n "
            "ORDER BY n.dead, n.id DESC LIMIT 50") {}

SQLite::Statement& SqliteStore::Reader::ListStatement(int mask) {
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

Status SqliteStore::Reader::NextRunAt(const std::string& type, std::optional<TimeMs>* out) {
  Use q(next_run, type);
  if (q->executeStep() && !q->getColumn(0).isNull()) *out = q->getColumn(0).getInt64();
  return Status::Ok();
}

Status SqliteStore::Reader::Get(JobId id, Job* out) { return LoadJob(get, id, out); }

Status SqliteStore::Reader::List(const ListFilter& filter, std::vector<Job>* out) {
  const int mask = (filter.type ? 1 : 0) | (filter.state ? 2 : 0) | (filter.before_id ? 4 : 0);
  const std::optional<std::string> state =
      filter.state ? std::optional<std::string>(JobStateName(*filter.state)) : std::nullopt;
  Use q(ListStatement(mask), filter.type, state, filter.before_id,
        static_cast<int64_t>(std::max(filter.limit, 0)));
  while (q->executeStep()) out->push_back(RowToJob(*q));
  return Status::Ok();
}

Status SqliteStore::Reader::Counts(TimeMs now, std::vector<TypeCounts>* out) {
  std::map<std::string, TypeCounts> by_type;
  {
    Use q(counts);
    while (q->executeStep()) {
      TypeCounts& c = by_type[q->getColumn(0).getString()];
      const int64_t n = q->getColumn(2).getInt64();
      SetCount(c, ParseJobState(q->getColumn(1).getText()).value_or(JobState::kFailed), n);
    }
  }
  for (auto& [type, c] : by_type) {
    if (c.queued > 0) {
      Use q(delayed, type, now);
      if (q->executeStep()) c.delayed = q->getColumn(0).getInt64();
    }
    c.type = type;
    out->push_back(std::move(c));
  }
  return Status::Ok();
}

Status SqliteStore::Reader::PausedTypes(std::set<std::string>* out) {
  Use q(paused);
  while (q->executeStep()) out->insert(q->getColumn(0).getString());
  return Status::Ok();
}

Status SqliteStore::Reader::ScheduleFires(std::map<std::string, TimeMs>* out) {
  Use q(fires);
  while (q->executeStep()) (*out)[q->getColumn(0).getString()] = q->getColumn(1).getInt64();
  return Status::Ok();
}

Status SqliteStore::Reader::HandlerState(const std::string& type,
                                         std::map<std::string, std::string>* out) {
  Use q(handler_state, type);
  while (q->executeStep()) (*out)[q->getColumn(0).getString()] = q->getColumn(1).getString();
  return Status::Ok();
}

Status SqliteStore::Reader::DueNotices(TimeMs now, int limit, std::vector<Notice>* out) {
  Use q(due_notices, now, static_cast<int64_t>(limit));
  while (q->executeStep()) {
    Notice n;
    n.id = q->getColumn(0).getInt64();
    n.job_id = q->getColumn(1).getInt64();
    n.target = q->getColumn(2).getString();
    n.failure = q->getColumn(3).getString() == "failure";
    n.subject = q->getColumn(4).getString();
    n.body = q->getColumn(5).getString();
    n.attempts = q->getColumn(6).getInt();
    n.created_at = q->getColumn(7).getInt64();
    n.next_at = q->getColumn(8).getInt64();
    n.last_error = q->getColumn(9).getString();
    out->push_back(std::move(n));
  }
  return Status::Ok();
}

Status SqliteStore::Reader::Activity(TimeMs since, std::vector<TypeActivity>* out) {
  Use q(activity, since);
  while (q->executeStep()) {
    TypeActivity a;
    a.type = q->getColumn(0).getString();
    a.finished = q->getColumn(1).getInt64();
    a.failed = q->getColumn(2).getInt64();
    a.wait_ms_avg = q->getColumn(3).getDouble();  // 0 for NULL
    a.wait_ms_max = q->getColumn(4).getInt64();
    a.run_ms_avg = q->getColumn(5).getDouble();
    out->push_back(std::move(a));
  }
  return Status::Ok();
}

Status SqliteStore::Reader::FinishedPerMinute(TimeMs since, std::vector<MinuteActivity>* out) {
  Use q(per_minute, since);
  while (q->executeStep()) {
    MinuteActivity m;
    m.minute = q->getColumn(0).getInt64() * 60'000;
    m.finished = q->getColumn(1).getInt64();
    m.failed = q->getColumn(2).getInt64();
    out->push_back(m);
  }
  return Status::Ok();
}

Status SqliteStore::Reader::Nodes(std::vector<NodeInfo>* out) {
  Use q(nodes);
  while (q->executeStep()) {
    NodeInfo n;
    n.id = q->getColumn(0).getInt64();
    n.name = q->getColumn(1).getString();
    n.started_at = q->getColumn(2).getInt64();
    n.heartbeat_at = q->getColumn(3).getInt64();
    n.dead = q->getColumn(4).getInt() != 0;
    n.running = q->getColumn(5).getInt64();
    out->push_back(std::move(n));
  }
  return Status::Ok();
}

Status SqliteStore::Reader::PendingNotices(std::optional<TimeMs>* next, int64_t* count) {
  Use q(pending_notices);
  if (q->executeStep()) {
    if (!q->getColumn(0).isNull()) *next = q->getColumn(0).getInt64();
    *count = q->getColumn(1).getInt64();
  }
  return Status::Ok();
}

}  // namespace torque::server
