// Dispatcher: one queue per job type with its own workers; claims jobs from the
// store in priority, run_at, id order and runs them, with retries, timeouts,
// cancellation and pause.
#pragma once

#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <spdlog/logger.h>

#include "core/clock.h"
#include "core/config.h"
#include "core/job.h"
#include "jobs/handler.h"
#include "server/store.h"

namespace torque::server {

class WorkerPool;

// What the dispatcher needs besides the store.
struct DispatcherOptions {
  std::string socket_path;  // exported to jobs as TORQUE_SOCKET
  std::string jobs_dir;
  // Retry delay for attempt n (1-based) of a type; default: exponential backoff with jitter.
  std::function<DurationMs(const JobTypeConfig&, int attempt)> backoff;
  // Called on a worker thread each time a job reaches a final state.
  std::function<void(const Job&)> on_final;
  // The notices of an attempt's outcome (`job` holds its new state), stored with it.
  std::function<std::vector<Notice>(const JobTypeConfig&, const Job& job, TimeMs now)>
      make_notices;
  // Called after an outcome with notices was stored.
  std::function<void()> on_notices;
  // Called on a worker thread after each attempt: its type, how long it ran (by the clock)
  // and how it ended: "done", "failed", "retry", "cancelled", or "interrupted" (back in the
  // queue at shutdown). For metrics; must not block.
  std::function<void(const std::string& type, DurationMs run_ms, std::string_view outcome)>
      on_attempt;
};

// Live numbers of one job type.
struct TypeRuntime {
  int running = 0;
  int lent = 0;  // slots lent by running jobs that wait for other jobs
  bool paused = false;
};

// Thread-safe. One internal thread claims; handlers run on per-type WorkerPools.
class Dispatcher {
  struct TypeQueue;

 public:
  using Handlers = std::map<std::string, std::shared_ptr<jobs::Handler>>;

  Dispatcher(Store& store, const Clock& clock, DispatcherOptions options);
  ~Dispatcher();  // Stop(0) if still running

  // Installs the active job types and their handlers, replacing earlier ones; before
  // Start, and again on a config reload. A type that stays keeps its running jobs and
  // pause state and takes the new settings for the jobs it claims from now on (a smaller
  // `concurrent` lets running jobs finish). A removed type claims nothing more; its
  // queued jobs stay in the store. `paused` applies to types new to the dispatcher.
  void Configure(const Config& config, Handlers handlers, std::set<std::string> paused);
  void Start();

  // Jobs of `type` were committed; ready at `run_at`.
  void Notify(const std::string& type, TimeMs run_at);

  // A submission on its way to the store (see BeginInsert).
  class InsertTicket {
   public:
    // The job may be stored running (NewJob::start): a worker waits for it.
    bool start() const { return start_; }

   private:
    friend class Dispatcher;
    TypeQueue* queue_ = nullptr;  // null: not a type of this dispatcher
    TimeMs run_at_ = 0;
    bool start_ = false;
    bool counted_ = false;  // in the queue's in-flight submissions
  };
  // Before a submission of `type` ready at `run_at` goes to the store. The ticket says
  // start when a worker of the type is free and no ready job of the type waits in the
  // store or on its way there, so the new job overtakes none: then the store saves it
  // running and EndInsert hands it to that worker, without a claim.
  InsertTicket BeginInsert(const std::string& type, TimeMs run_at);
  // After the store answered a BeginInsert's submission: `stored` is the new job (null when
  // nothing new was stored: a failure, or a coalesced submission). A started job runs;
  // another is announced as by Notify.
  void EndInsert(const InsertTicket& ticket, const Job* stored);
  // Re-examines every type (after a fake clock moved, or a timer fired).
  void Wake();

  // Pause stops claiming for the type (running jobs continue); resume restarts it.
  void SetPaused(const std::string& type, bool paused);
  // Raises the cancel signal of a running job. False if it is not running here.
  bool CancelRunning(JobId id);

  // A running job waits for another job: its slot is lent to its type until
  // EndWait. Returns false (and lends nothing) if `waiter` is not running.
  bool BeginWait(JobId waiter);
  void EndWait(JobId waiter);

  TypeRuntime Runtime(const std::string& type) const;

  // Stops claiming, lets running jobs finish for up to `grace`, then cancels
  // the rest and puts them back in the queue. Blocks until all workers are done.
  void Stop(DurationMs grace);

  // Default backoff: retry_delay * 2^(attempt-1), capped at 1 day, with ±25 % jitter.
  static DurationMs DefaultBackoff(const JobTypeConfig& type, int attempt);

 private:
  struct Running;

  void Loop();
  void NotifyLocked(const std::string& type, TimeMs run_at);  // Notify, mu_ held
  // Whether a worker of `q` ending a job may take the next one itself.
  bool MayPull(const TypeQueue& q) const;
  // Hands a claimed or started job to a worker of `q`.
  std::shared_ptr<Running> Track(TypeQueue& q, Job job);
  void ClaimFor(TypeQueue& q, std::unique_lock<std::mutex>& lock);
  // The wall clock went back by `back`: pending retries keep their delay (Store::
  // ShiftRetries). May unlock `lock` meanwhile.
  void RetimeRetries(TimeMs now, DurationMs back, std::unique_lock<std::mutex>& lock);
  // Runs `run`, then the jobs this worker takes after it (RunOne).
  void RunJob(TypeQueue* q, std::shared_ptr<Running> run);
  // Runs one job and stores its outcome; returns the next job of the type this worker
  // claimed in the same write, if any.
  std::shared_ptr<Running> RunOne(TypeQueue* q, std::shared_ptr<Running> run);
  Outcome Decide(const JobTypeConfig& config, const Job& job, const jobs::RunResult& result,
                 TimeMs now);
  // Destroys removed types whose last job ended; may unlock `lock` meanwhile.
  void ReapRetired(std::unique_lock<std::mutex>& lock);
  // A store error that may pass (the database is away, an I/O error) rather than a refusal.
  static bool StoreMayHeal(const Status& failure);
  // Records the end of `job` the store refused with `failure`, trying again with backoff
  // until it takes it, refuses for good, or the dispatcher stops past its grace (then
  // `failure`).
  Status RecordEnd(const Job& job, const Outcome& out, Status failure);

  Store& store_;
  const Clock& clock_;
  DispatcherOptions options_;
  std::shared_ptr<spdlog::logger> log_;

  mutable std::mutex mu_;
  std::condition_variable cv_;          // wakes Loop
  std::condition_variable idle_cv_;     // a job finished (for Stop)
  std::condition_variable stop_cv_;     // shutting_down_ set (for RecordEnd)
  std::map<std::string, std::unique_ptr<TypeQueue>> types_;
  std::vector<std::unique_ptr<TypeQueue>> retired_;  // removed types with running jobs
  std::map<JobId, std::shared_ptr<Running>> running_;
  int tickets_ = 0;                     // tickets holding a queue pointer, not yet ended
  bool dirty_ = false;                  // some type may have claimable work
  bool stopping_ = false;
  bool shutting_down_ = false;          // cancels mean requeue, not cancelled
  std::thread thread_;
};

}  // namespace torque::server
