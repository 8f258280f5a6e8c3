// Store: the persistent job queue. The database is the queue; memory holds a window.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/job.h"
#include "core/status.h"

namespace torque::server {

// A job to insert.
struct NewJob {
  std::string type;
  std::string args;
  int priority = 0;
  TimeMs run_at = 0;
  int max_attempts = 1;
  DurationMs timeout = 0;
  std::string unique_key;  // non-empty: coalesce with a queued/running job of the same type+key
  TimeMs created_at = 0;
  // Stored running, its first attempt started at created_at: a worker was reserved for it
  // (Dispatcher::BeginInsert), so it needs no claim.
  bool start = false;
};

// The row `job` became when stored under `id`.
Job StoredJob(const NewJob& job, JobId id);

// The id a submission got; `existing` when it coalesced with an earlier job.
struct InsertResult {
  JobId id = 0;
  bool existing = false;
};

// A notification in the durable outbox.
struct Notice {
  int64_t id = 0;        // outbox id; 0 until stored
  JobId job_id = 0;
  std::string target;    // NotifyTarget::Key(): "mail:a@x,b@y", "syslog:ident"
  bool failure = false;  // what it reports: a failure, or a success
  std::string subject;
  std::string body;
  int attempts = 0;      // delivery attempts so far
  TimeMs created_at = 0;
  TimeMs next_at = 0;    // when to (re)try delivery
  std::string last_error;
};

// How a running attempt ended.
struct Outcome {
  JobState state = JobState::kDone;  // kDone, kFailed, kCancelled, or kQueued (retry later)
  TimeMs run_at = 0;                 // kQueued: when to retry
  std::string result;
  std::string error;
  TimeMs finished_at = 0;            // also the time of a retry decision
  std::vector<Notice> notices;       // stored in the same transaction as the outcome
  // Handler state of the job's type (an empty value deletes its key), stored in the same
  // transaction as the outcome.
  std::map<std::string, std::string> handler_state;
};

// Which jobs LIST returns, newest first.
struct ListFilter {
  std::optional<std::string> type;
  std::optional<JobState> state;
  std::optional<JobId> before_id;  // paging: only ids below this
  int limit = 100;
};

// Number of jobs per state for one type.
struct TypeCounts {
  std::string type;
  int64_t queued = 0;   // ready or delayed
  int64_t delayed = 0;  // queued with run_at in the future (subset of queued)
  int64_t running = 0;
  int64_t done = 0;
  int64_t failed = 0;
  int64_t cancelled = 0;
};

// Why a write for running job `job` was refused: it runs on another node now (it was
// rescued from this one), or it is not running at all.
Status NotRunningError(const Job& job);

// Sets the count of `state` in `counts` to `n`.
void SetCount(TypeCounts& counts, JobState state, int64_t n);

// What the jobs of one type that finished in a recent window did.
struct TypeActivity {
  std::string type;
  int64_t finished = 0;       // done, failed or cancelled in the window
  int64_t failed = 0;
  double wait_ms_avg = 0;     // from ready (created or run_at) to started
  int64_t wait_ms_max = 0;
  double run_ms_avg = 0;      // from started to finished
};

// How many jobs finished in one minute.
struct MinuteActivity {
  TimeMs minute = 0;     // start of the minute (a multiple of 60 000 ms)
  int64_t finished = 0;  // done, failed or cancelled
  int64_t failed = 0;
};

// A torqued process working on the store: every start registers a new one.
using NodeId = int64_t;

struct NodeInfo {
  NodeId id = 0;
  std::string name;  // host and pid
  TimeMs started_at = 0;
  TimeMs heartbeat_at = 0;
  bool dead = false;  // declared dead: its running jobs were rescued
  int64_t running = 0;  // jobs it runs now
};

// What startup recovery did.
struct RecoveryReport {
  std::vector<JobId> requeued;  // were running, back to queued
  std::vector<Job> failed;      // were running, crash allowance used up
};

// The notifications of a job that startup recovery failed.
using NoticeMaker = std::function<std::vector<Notice>(const Job&)>;

// What other nodes did that this one acts on (several nodes on one database).
struct StoreEvents {
  // Jobs of `type` became ready, or will at `run_at` (submitted, retried or rescued).
  std::function<void(const std::string& type, TimeMs run_at)> ready;
  // A CANCEL of job `id`, which this node runs, reached another node.
  std::function<void(JobId id)> cancel;
  // A PAUSE or RESUME of `type` reached another node.
  std::function<void(const std::string& type, bool paused)> paused;
  // Notices were stored for delivery outside a job's end here (a rescue failed jobs).
  std::function<void()> notices;
};

// Who commits an insert. kWriter: the store's writer thread, woken at once. kCaller: the
// insert waits, without waking the writer thread, for the caller's next CommitQueued(),
// which must follow (post it to the caller's event loop). The inserts a thread queues in
// one go then share one commit, made on that thread when the writer thread is idle: one
// hand-over between threads less each way (how torqued's io thread commits submissions).
enum class CommitBy { kWriter, kCaller };

// Every method is thread-safe. Writes from all threads are group-committed:
// concurrent calls share one transaction and one fsync.
class Store {
 public:
  using InsertCallback = std::function<void(Result<std::vector<InsertResult>>)>;

  virtual ~Store() = default;

  // Inserts `jobs` durably (fsync'd commit). `done` runs once, on a store thread (or, with
  // CommitBy::kCaller, the thread that calls CommitQueued), after the commit succeeded or
  // failed; on failure nothing was inserted.
  virtual void InsertAsync(std::vector<NewJob> jobs, InsertCallback done,
                           CommitBy by = CommitBy::kWriter) = 0;
  // Commits the inserts this thread queued with CommitBy::kCaller: here, if the writer
  // thread is idle and commits are fast, else by the writer thread. A store that does not
  // hold inserts for their caller commits them at once and does nothing here.
  virtual void CommitQueued() {}
  // Blocking form of InsertAsync.
  Result<std::vector<InsertResult>> Insert(std::vector<NewJob> jobs);

  // Nodes. RegisterNode makes this process a new node, the one this store acts for from
  // then on: its claims and jobs stored running are the node's, and only the node running a
  // job may record its end or requeue it (others get kFailedPrecondition: the job was
  // rescued from a node declared dead). Call once at start, before Recover. Until then the
  // store acts for node 0, which Recover does not spare (tests, tools).
  virtual Result<NodeId> RegisterNode(const std::string& name, TimeMs now) = 0;
  // This node is alive at `now`. kFailedPrecondition once it was declared dead.
  virtual Status Heartbeat(TimeMs now) = 0;
  // The live nodes, then the dead ones, newest first (at most 50), with the jobs each runs.
  virtual Result<std::vector<NodeInfo>> Nodes() = 0;

  // Calls `events`, on a thread of the store's, for what other nodes do from now on. Call
  // before serving, and with no handlers (Watch({})) before destroying what they call: once
  // it returns, none runs any more. A store only one node can use has nothing to report.
  virtual void Watch(StoreEvents events) { (void)events; }

  // Caps the running jobs of each type in `limits` (a type's max_running) across every node
  // sharing the store: Claim and FinishAndClaim take no more than the cap leaves. Types
  // absent: no cap.
  virtual void SetMaxRunning(std::map<std::string, int> limits) = 0;

  // Marks up to `n` ready jobs of `type` (queued, run_at <= now) running on this node:
  // attempts+1, started_at = now, and fewer where the type's max_running leaves fewer.
  // Returns them in priority desc, run_at, id order.
  virtual Result<std::vector<Job>> Claim(const std::string& type, int n, TimeMs now) = 0;
  // Earliest run_at among queued jobs of `type`; nullopt when none is queued.
  virtual Result<std::optional<TimeMs>> NextRunAt(const std::string& type) = 0;
  // Records the end of a running attempt. kFailedPrecondition if the job is not running on
  // this node.
  virtual Status Finish(JobId id, const Outcome& outcome) = 0;
  // Finish, then Claim(type, n, now), in one write: how a worker that ended a job takes
  // the next one. On failure neither happened. This default makes two calls.
  virtual Result<std::vector<Job>> FinishAndClaim(JobId id, const Outcome& outcome,
                                                  const std::string& type, int n, TimeMs now);
  // The wall clock went back by `back`: queued jobs waiting for a retry (attempts > 0,
  // run_at after `now`) get run_at - back, but not before `now`, so that a retry's delay
  // means time waited, not a wall-clock moment. Jobs submitted with a delay or a start
  // time keep theirs. Returns how many moved.
  virtual Result<int64_t> ShiftRetries(TimeMs now, DurationMs back) = 0;
  // A running job back to queued (run_at = now) without counting a failure:
  // max_attempts+1, and interruptions+1 when `count_interruption`.
  virtual Status Requeue(JobId id, TimeMs now, bool count_interruption) = 0;

  virtual Result<Job> Get(JobId id) = 0;
  virtual Result<std::vector<Job>> List(const ListFilter& filter) = 0;
  // Queued → cancelled (finished_at = now). Running → cancel_requested set, state
  // unchanged (the dispatcher stops it). kFailedPrecondition when already final;
  // kNotFound for an unknown id. Durable.
  virtual Result<Job> Cancel(JobId id, TimeMs now) = 0;
  // Failed or cancelled → queued at `now` with `extra_attempts` more attempts allowed;
  // error kept until the next run. kFailedPrecondition otherwise. Durable.
  virtual Result<Job> Retry(JobId id, TimeMs now, int extra_attempts) = 0;

  // Counts per type (types with no jobs are absent).
  virtual Result<std::vector<TypeCounts>> Counts(TimeMs now) = 0;

  // Paused types survive restarts. Durable.
  virtual Status SetPaused(const std::string& type, bool paused) = 0;
  virtual Result<std::set<std::string>> PausedTypes() = 0;

  // Periodic job types: the last fire time recorded per type (types never fired are absent).
  virtual Result<std::map<std::string, TimeMs>> ScheduleFires() = 0;
  // One durable transaction: records `fire_time` as the last fire of `type` and inserts
  // `job`, coalescing on its unique_key like InsertAsync. On failure neither happened.
  // A store several nodes share makes it a compare-and-set: when the last fire recorded is
  // already at or after `fire_time` (another node made this fire), nothing happens and the
  // result has id 0 (existing). With one node an earlier time is the clock going back, and
  // it is recorded.
  virtual Result<InsertResult> Fire(const std::string& type, TimeMs fire_time, NewJob job) = 0;
  // Records `fire_time` as the last fire of `type` without a job (a skipped misfire), with
  // Fire's compare-and-set where several nodes share the store. Durable.
  virtual Status SetScheduleFire(const std::string& type, TimeMs fire_time) = 0;

  // Handler state: the key/value pairs kept for `type` (none: an empty map).
  virtual Result<std::map<std::string, std::string>> HandlerState(const std::string& type) = 0;
  // Sets keys of `type` (an empty value deletes its key) in one transaction. Durable.
  virtual Status SetHandlerState(const std::string& type,
                                 const std::map<std::string, std::string>& values) = 0;

  // Startup: the nodes that are not running any more are declared dead (with SQLite: every
  // node but this one; with PostgreSQL: those without a heartbeat for its node timeout), and
  // every job running on one of them goes back to queued with interruptions+1, or to failed
  // when its interruptions reach `crash_retries`; the notices `make` returns for a failed job
  // are stored in the same transaction. Call before serving. A store several nodes share
  // goes on doing this while it runs, with the same `crash_retries` and `make`.
  virtual Result<RecoveryReport> Recover(TimeMs now, int crash_retries,
                                         const NoticeMaker& make = {}) = 0;

  // The outbox: up to `limit` notices due at `now`, oldest first. A store several nodes
  // share leases them to this node: no other node gets them until this one removes or
  // defers them, or the lease runs out (a node that died delivering).
  virtual Result<std::vector<Notice>> DueNotices(TimeMs now, int limit) = 0;
  // Earliest next_at and the number of notices in the outbox.
  virtual Result<std::pair<std::optional<TimeMs>, int64_t>> PendingNotices() = 0;
  // A notice delivered or given up: removed for good. Durable.
  virtual Status RemoveNotice(int64_t id) = 0;
  // A failed delivery attempt: attempts+1, next try at `next_at`.
  virtual Status DeferNotice(int64_t id, TimeMs next_at, const std::string& error) = 0;
  // Deletes final jobs finished before `before`, those of a type in `type_before` before
  // its own time instead; returns how many.
  virtual Result<int64_t> Purge(TimeMs before,
                                const std::map<std::string, TimeMs>& type_before = {}) = 0;
  // Activity per type of the jobs finished at or after `since` (types without any absent).
  virtual Result<std::vector<TypeActivity>> Activity(TimeMs since) = 0;
  // Jobs finished at or after `since`, per minute, oldest first (minutes without any absent).
  virtual Result<std::vector<MinuteActivity>> FinishedPerMinute(TimeMs since) = 0;
  // Size of the database files in bytes.
  virtual Result<int64_t> SizeBytes() = 0;
};

}  // namespace torque::server
