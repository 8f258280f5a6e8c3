// SqliteStore's SQL: the two connections' prepared statements and each operation's body.
// Private to sqlite_store.cc and sqlite_ops.cc.
#pragma once

#include <SQLiteCpp/SQLiteCpp.h>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "server/sqlite_store.h"

namespace torque::server {

// The write connection and its statements; used only by the writer thread (and by
// Open before that thread starts). Methods run inside the batch transaction; SQLite
// errors are thrown (the store catches them).
struct SqliteStore::Writer {
  explicit Writer(SQLite::Database d);

  // Runs a statement without parameters (begin, commit, the savepoint ones).
  void Exec(SQLite::Statement& s);

  // kNotFound when there is no job `id`.
  Status Load(JobId id, Job* job);
  // The error for a conditional update of a running job that changed nothing.
  Status NotRunning(JobId id);

  // Each method may run again when its batch is retried: it starts from empty outputs.
  Status Insert(const std::vector<NewJob>& jobs, std::vector<InsertResult>* out);
  Status Claim(const std::string& type, int n, TimeMs now, std::vector<Job>* out);
  Status Finish(JobId id, const Outcome& o);
  Status Requeue(JobId id, TimeMs now, bool count_interruption);
  Status ShiftRetries(TimeMs now, DurationMs back, int* changed);
  Status Cancel(JobId id, TimeMs now, Job* out);
  Status Retry(JobId id, TimeMs now, int extra_attempts, Job* out);
  Status SetPaused(const std::string& type, bool paused);
  Status SetScheduleFire(const std::string& type, TimeMs fire_time);
  Status SetHandlerState(const std::string& type, const std::map<std::string, std::string>& values);
  Status RegisterNode(const std::string& name, TimeMs now, NodeId* out);
  Status Heartbeat(TimeMs now);
  Status Recover(TimeMs now, int crash_retries, const NoticeMaker& make, RecoveryReport* out);
  Status AddNotices(const std::vector<Notice>& notices);
  Status RemoveNotice(int64_t id);
  Status DeferNotice(int64_t id, TimeMs next_at, const std::string& error);
  // Deletes up to `limit` final jobs that finished before `before`, of any type but
  // `except`, or of `type` only when it is not empty; `changed` says how many.
  Status Purge(TimeMs before, const std::vector<std::string>& except, int64_t limit,
               int* changed);
  Status PurgeType(const std::string& type, TimeMs before, int64_t limit, int* changed);

  SQLite::Database db;
  bool synchronous_full = true;  // what PRAGMA synchronous is set to now
  NodeId node = 0;               // the node this store acts for (RegisterNode)
  std::map<std::string, int> max_running;  // SetMaxRunning
  SQLite::Statement begin;
  SQLite::Statement commit;
  SQLite::Statement savepoint;
  SQLite::Statement release;
  SQLite::Statement rollback_to;
  SQLite::Statement get;
  SQLite::Statement find_unique;
  SQLite::Statement insert;
  SQLite::Statement insert_started;
  SQLite::Statement claim;
  SQLite::Statement running_of_type;
  SQLite::Statement finish;
  SQLite::Statement finish_retry;
  SQLite::Statement requeue;
  SQLite::Statement shift_retries;
  SQLite::Statement cancel_queued;
  SQLite::Statement cancel_running;
  SQLite::Statement retry;
  SQLite::Statement set_paused;
  SQLite::Statement set_fire;
  SQLite::Statement set_state;
  SQLite::Statement delete_state;
  SQLite::Statement register_node;
  SQLite::Statement heartbeat;
  SQLite::Statement bury_nodes;
  SQLite::Statement running;
  SQLite::Statement give_up;
  SQLite::Statement recover;
  SQLite::Statement purge;
  SQLite::Statement purge_type;
  SQLite::Statement add_notice;
  SQLite::Statement remove_notice;
  SQLite::Statement defer_notice;
};

// The read connection and its statements; used under SqliteStore::read_mu_. SQLite
// errors are thrown (SqliteStore::Read catches them).
struct SqliteStore::Reader {
  explicit Reader(SQLite::Database d);

  Status NextRunAt(const std::string& type, std::optional<TimeMs>* out);
  // kNotFound when there is no job `id`.
  Status Get(JobId id, Job* out);
  Status List(const ListFilter& filter, std::vector<Job>* out);
  Status Counts(TimeMs now, std::vector<TypeCounts>* out);
  Status PausedTypes(std::set<std::string>* out);
  Status ScheduleFires(std::map<std::string, TimeMs>* out);
  Status HandlerState(const std::string& type, std::map<std::string, std::string>* out);
  Status DueNotices(TimeMs now, int limit, std::vector<Notice>* out);
  Status PendingNotices(std::optional<TimeMs>* next, int64_t* count);
  Status Activity(TimeMs since, std::vector<TypeActivity>* out);
  Status FinishedPerMinute(TimeMs since, std::vector<MinuteActivity>* out);
  Status Nodes(std::vector<NodeInfo>* out);

  // LIST with the filters `mask` names (1: type, 2: state, 4: before_id), cached.
  SQLite::Statement& ListStatement(int mask);

  SQLite::Database db;
  SQLite::Statement get;
  SQLite::Statement next_run;
  SQLite::Statement counts;
  SQLite::Statement delayed;
  SQLite::Statement paused;
  SQLite::Statement fires;
  SQLite::Statement handler_state;
  SQLite::Statement due_notices;
  SQLite::Statement pending_notices;
  SQLite::Statement activity;
  SQLite::Statement per_minute;
  SQLite::Statement nodes;
  std::map<int, std::unique_ptr<SQLite::Statement>> lists;
};

}  // namespace torque::server
