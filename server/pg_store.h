// PgStore: the Store on a PostgreSQL database that several torqued nodes share.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "server/pg_connection.h"
#include "server/pg_pool.h"
#include "server/store.h"

namespace torque::server {

// How to open a PgStore.
struct PgStoreOptions {
  std::string uri;    // libpq connection URI: postgresql://user@host/db?...
  int pool_size = 4;  // connections for the store's calls; one more listens and heartbeats
  // LISTEN/NOTIFY for other nodes' work, cancels and pauses. false (PgBouncer in transaction
  // pooling mode, which cannot LISTEN): poll for them every poll_interval instead.
  bool listen = true;
  DurationMs poll_interval = 1000;
  DurationMs heartbeat_interval = 2000;
  // A node whose heartbeat is older than this is declared dead and its jobs are rescued.
  DurationMs node_timeout = 15000;
  // How long a node may deliver a notice it leased before another node may take it over.
  DurationMs notice_lease = 10 * 60 * 1000;
};

// The persistent queue on PostgreSQL. Claims are leases of the node that made them (its
// heartbeat keeps them); every write a node makes for a job is fenced on owning it; schedules
// fire by compare-and-set; notices are leased before delivery; new work, cancels and pauses
// reach every node by LISTEN/NOTIFY (or polling). Thread-safe; see Store for the contracts.
class PgStore : public Store {
 public:
  // Connects, applies pending migrations (schema_pg/) under an advisory lock and starts the
  // store's threads. kUnavailable when the database cannot be reached; kFailedPrecondition
  // when it was written by a newer torqued.
  static Result<std::unique_ptr<PgStore>> Open(const PgStoreOptions& options);
  // Finishes pending inserts, stops the threads and closes every connection.
  ~PgStore() override;

  PgStore(const PgStore&) = delete;
  PgStore& operator=(const PgStore&) = delete;

  void InsertAsync(std::vector<NewJob> jobs, InsertCallback done,
                   CommitBy by = CommitBy::kWriter) override;
  Result<NodeId> RegisterNode(const std::string& name, TimeMs now) override;
  Status Heartbeat(TimeMs now) override;
  Result<std::vector<NodeInfo>> Nodes() override;
  void Watch(StoreEvents events) override;
  void SetMaxRunning(std::map<std::string, int> limits) override;
  Result<std::vector<Job>> Claim(const std::string& type, int n, TimeMs now) override;
  Result<std::optional<TimeMs>> NextRunAt(const std::string& type) override;
  Status Finish(JobId id, const Outcome& outcome) override;
  Result<std::vector<Job>> FinishAndClaim(JobId id, const Outcome& outcome, const std::string& type,
                                          int n, TimeMs now) override;
  Result<int64_t> ShiftRetries(TimeMs now, DurationMs back) override;
  Status Requeue(JobId id, TimeMs now, bool count_interruption) override;
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

  // Declares dead the other nodes without a heartbeat for the node timeout and rescues their
  // running jobs as Recover does. The store does this every heartbeat interval by itself.
  Result<RecoveryReport> RescueDead(TimeMs now);
  // Folds the per-statement count changes into the totals (the store does it every
  // heartbeat interval); Counts is right either way.
  Status CompactCounts();
  // The claim query's plan (EXPLAIN) for `type`: how tests and the benchmark see that it
  // reads the partial index of queued jobs.
  Result<std::string> ClaimPlan(const std::string& type);
  NodeId node() const { return node_.load(); }

 private:
  struct InsertOp {
    std::vector<NewJob> jobs;
    InsertCallback done;
  };

  PgStore(PgStoreOptions options, std::unique_ptr<pg::Pool> pool);

  // Runs `body` in one transaction on a pool connection, again after a deadlock or a
  // serialization failure. `durable`: the commit waits for the WAL flush (synchronous_commit
  // on); otherwise it is asynchronous, as SQLite's claims and ends are (a lost claim or end
  // runs the job again: at least once).
  Status Transaction(bool durable, const std::function<Status(pg::Connection&)>& body);
  // The submissions of `batch` (none with a unique key) in one transaction and one round
  // trip: libpq's pipeline mode.
  Status InsertPipelined(pg::Connection& c, const std::deque<InsertOp>& batch, int64_t token,
                         std::vector<std::vector<InsertResult>>* results);
  // `token` marks the jobs stored running (to start), as a claim's does.
  Status InsertOn(pg::Connection& c, const std::vector<NewJob>& jobs, int64_t token,
                  std::vector<InsertResult>* out);
  Status ClaimOn(pg::Connection& c, const std::string& type, int n, TimeMs now, int64_t token,
                 std::vector<Job>* out);
  // A token for a claim; Uncertain records one whose transaction lost its connection (it may
  // have committed), RepairUncertain queues again what such claims took (at a heartbeat).
  int64_t NewToken();
  void Uncertain(int64_t token);
  void RepairUncertain();
  Status FinishOn(pg::Connection& c, JobId id, const Outcome& outcome);
  Status NotRunning(pg::Connection& c, JobId id);
  Status AddNotices(pg::Connection& c, const std::vector<Notice>& notices);
  Status SetHandlerStateOn(pg::Connection& c, const std::string& type,
                           const std::map<std::string, std::string>& values);
  Status Rescue(pg::Connection& c, TimeMs now, bool all_others, RecoveryReport* out);
  void InsertLoop();
  void WatchLoop();
  // The watch connection's round: heartbeat, rescue, compaction (every heartbeat interval).
  void Maintain(TimeMs now);
  // Reports what polling finds (listen = false, and after the listener connected); false
  // when it must be made again: before Watch, or a read failed.
  bool Poll();
  void Deliver(const pg::Connection::Notification& n);

  const PgStoreOptions options_;
  std::unique_ptr<pg::Pool> pool_;
  std::atomic<NodeId> node_{0};
  std::string node_name_;

  std::mutex mu_;
  std::condition_variable cv_;
  // Held while the events_ handlers run (before mu_): Watch waits for a call in progress,
  // so that once Watch({}) returns no handler runs (the daemon destroys their targets).
  std::mutex callback_mu_;
  std::deque<InsertOp> inserts_;            // guarded by mu_
  bool stopping_ = false;                   // guarded by mu_
  StoreEvents events_;                      // guarded by mu_
  bool watching_ = false;                   // guarded by mu_
  int crash_retries_ = 0;                   // guarded by mu_
  NoticeMaker make_notices_;                // guarded by mu_
  bool recovered_ = false;                  // guarded by mu_: Recover ran, rescues may begin
  std::map<std::string, int> max_running_;  // guarded by mu_
  std::vector<int64_t> uncertain_;          // guarded by mu_: claims that may have committed
  std::atomic<int64_t> tokens_{0};
  std::set<std::string> paused_seen_;  // watch thread only (polling)
  // Watch thread only: since when this node's heartbeats go through, and whether the last
  // one failed (logged once).
  std::optional<std::chrono::steady_clock::time_point> beating_since_;
  bool heartbeat_failed_ = false;

  std::thread inserter_;
  std::thread watcher_;
};

}  // namespace torque::server
