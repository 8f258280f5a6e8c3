#include "server/dispatcher.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <random>

#include "core/duration.h"
#include "server/logging.h"
#include "server/type_state.h"
#include "server/worker_pool.h"

namespace torque::server {

// One job handed to a worker.
struct Dispatcher::Running {
  Job job;
  TypeQueue* queue = nullptr;  // valid while the job runs, even after its type was removed
  // The type's settings when the job was claimed: a reload does not change a running job.
  std::shared_ptr<const JobTypeConfig> config;
  std::shared_ptr<jobs::Handler> handler;
  std::shared_ptr<spdlog::logger> log;
  jobs::StateStore* state = nullptr;  // the queue's, which outlives the run
  CancelSignal cancel;
  bool user_cancel = false;  // CANCEL (as opposed to shutdown)
  int lent = 0;              // slots lent by nested waits
};

// The live state of one job type.
struct Dispatcher::TypeQueue {
  std::shared_ptr<const JobTypeConfig> config;
  std::shared_ptr<jobs::Handler> handler;
  std::shared_ptr<spdlog::logger> log;
  std::unique_ptr<WorkerPool> pool;
  std::unique_ptr<TypeState> state;  // the type's handler state, for its runs
  int running = 0;
  int lent = 0;
  int reserved = 0;  // workers waiting for jobs stored as started (BeginInsert)
  int inflight = 0;  // ready submissions on their way to the store, not started
  bool paused = false;
  bool retired = false;           // removed by a reload: claims nothing more
  bool ready = true;              // the store may hold ready jobs
  bool claim_failed = false;      // the last claim failed: ready jobs may wait unseen
  uint64_t notified = 0;          // bumped by Notify, so a short claim cannot hide a newer job
  std::optional<TimeMs> next_at;  // earliest known delayed job

  int free_slots() const { return config->concurrent + lent - running - reserved; }
  // Nothing of it is left: a removed type's queue can go.
  bool idle() const { return running == 0 && reserved == 0 && inflight == 0; }
};

namespace {

// Safety net: every type is re-examined at least this often, even without notifications.
constexpr DurationMs kRescanMs = 5'000;
// After a store error, claiming for that type pauses this long.
constexpr DurationMs kStoreErrorBackoffMs = 1'000;
// How soon a type held back by its max_running looks again for a free place.
constexpr DurationMs kMaxRunningRecheckMs = 250;
// The wall clock going back by more than this is a jump (NTP slews smaller steps).
constexpr DurationMs kClockJumpMs = 1'000;

}  // namespace

DurationMs Dispatcher::DefaultBackoff(const JobTypeConfig& type, int attempt) {
  const DurationMs kCap = std::max(type.retry_max_delay, type.retry_delay);
  double delay = static_cast<double>(type.retry_delay);
  for (int i = 1; i < attempt && delay < kCap; ++i) delay *= 2;
  delay = std::min(delay, static_cast<double>(kCap));
  thread_local std::mt19937_64 rng{std::random_device{}()};
  std::uniform_real_distribution<double> jitter(0.75, 1.25);
  return static_cast<DurationMs>(delay * jitter(rng));
}

Dispatcher::Dispatcher(Store& store, const Clock& clock, DispatcherOptions options)
    : store_(store), clock_(clock), options_(std::move(options)), log_(MakeLogger("dispatch")) {
  if (!options_.backoff) options_.backoff = &Dispatcher::DefaultBackoff;
}

Dispatcher::~Dispatcher() {
  if (thread_.joinable() || !running_.empty() || tickets_ > 0) Stop(0);
}

void Dispatcher::Configure(const Config& config, Handlers handlers, std::set<std::string> paused) {
  std::map<std::string, int> max_running;
  for (const auto& [name, type] : config.types) {
    if (type.max_running > 0) max_running[name] = type.max_running;
  }
  store_.SetMaxRunning(std::move(max_running));
  {
    std::lock_guard lock(mu_);
    std::map<std::string, std::unique_ptr<TypeQueue>> next;
    for (const auto& [name, type] : config.types) {
      if (!type.active) continue;
      auto h = handlers.find(name);
      if (h == handlers.end()) continue;
      std::unique_ptr<TypeQueue> q;
      if (auto old = types_.find(name); old != types_.end()) {
        q = std::move(old->second);  // keeps its running jobs, pool and pause state
        types_.erase(old);
        if (q->config->concurrent != type.concurrent) {
          log_->info("job type {}: concurrent {} -> {}", name, q->config->concurrent,
                     type.concurrent);
        }
      } else {
        q = std::make_unique<TypeQueue>();
        q->pool = std::make_unique<WorkerPool>(name);
        q->state = std::make_unique<TypeState>(store_, name);
        q->paused = paused.count(name) > 0;
      }
      q->config = std::make_shared<const JobTypeConfig>(type);
      q->handler = h->second;
      q->log = MakeLogger("job." + name, type.log_level);
      q->ready = true;
      next[name] = std::move(q);
    }
    // Types no longer configured: their queued jobs stay in the store; running ones end
    // on the old queue, which the loop destroys once they are done (only the loop, so
    // no pass ever holds a destroyed queue).
    for (auto& [name, q] : types_) {
      if (q->running > 0) {
        log_->info("job type {} removed; {} running job(s) finish first", name, q->running);
      }
      q->retired = true;
      retired_.push_back(std::move(q));
    }
    types_ = std::move(next);
    dirty_ = true;
    cv_.notify_one();
  }
}

void Dispatcher::Start() { thread_ = std::thread(&Dispatcher::Loop, this); }

void Dispatcher::Notify(const std::string& type, TimeMs run_at) {
  std::lock_guard lock(mu_);
  NotifyLocked(type, run_at);
}

void Dispatcher::NotifyLocked(const std::string& type, TimeMs run_at) {
  auto it = types_.find(type);
  if (it == types_.end()) return;
  TypeQueue& q = *it->second;
  if (run_at <= clock_.Now()) {
    q.ready = true;
    ++q.notified;
    // Paused, or no free worker: resuming or a finishing job wakes the loop anyway.
    if (q.paused || q.free_slots() <= 0) return;
  } else if (!q.next_at || run_at < *q.next_at) {
    q.next_at = run_at;
  } else {
    return;  // an earlier wake-up is already armed
  }
  if (dirty_) return;  // the loop has not seen the last wake-up yet
  dirty_ = true;
  cv_.notify_one();
}

Dispatcher::InsertTicket Dispatcher::BeginInsert(const std::string& type, TimeMs run_at) {
  InsertTicket ticket;
  ticket.run_at_ = run_at;
  std::lock_guard lock(mu_);
  auto it = types_.find(type);
  const TimeMs now = clock_.Now();
  if (it == types_.end() || run_at > now) return ticket;
  TypeQueue& q = *it->second;
  ticket.queue_ = &q;
  const bool waiting =
      q.ready || q.claim_failed || q.inflight > 0 || (q.next_at && *q.next_at <= now);
  // A type capped across nodes starts its jobs by claims only: the store counts them there.
  const bool capped = q.config->max_running > 0;
  if (!stopping_ && !q.paused && !waiting && !capped && q.free_slots() > 0) {
    ++q.reserved;
    ticket.start_ = true;
  } else {
    ++q.inflight;
    ticket.counted_ = true;
  }
  ++tickets_;  // Stop waits for it: EndInsert uses the queue
  return ticket;
}

void Dispatcher::EndInsert(const InsertTicket& ticket, const Job* stored) {
  std::lock_guard lock(mu_);
  TypeQueue* q = ticket.queue_;
  if (q) {
    --tickets_;
    idle_cv_.notify_all();
  }
  if (ticket.start_) {
    --q->reserved;
    if (stored) {
      // A removed type's queue still runs it, as its other running jobs; after a stop
      // timed out it goes back to the queue at once (RunJob).
      auto run = Track(*q, *stored);
      if (shutting_down_) run->cancel.Raise();
      q->pool->Post([this, q, run] { RunJob(q, run); });
    }
    dirty_ = true;  // the slot is free again when nothing was stored
    cv_.notify_one();
    return;
  }
  if (ticket.counted_) --q->inflight;
  if (stored) NotifyLocked(stored->type, ticket.run_at_);
}

void Dispatcher::Wake() {
  std::lock_guard lock(mu_);
  dirty_ = true;
  cv_.notify_one();
}

void Dispatcher::SetPaused(const std::string& type, bool paused) {
  std::lock_guard lock(mu_);
  auto it = types_.find(type);
  if (it == types_.end()) return;
  it->second->paused = paused;
  it->second->ready = true;
  dirty_ = true;
  cv_.notify_one();
}

bool Dispatcher::CancelRunning(JobId id) {
  std::lock_guard lock(mu_);
  auto it = running_.find(id);
  if (it == running_.end()) return false;
  it->second->user_cancel = true;
  it->second->cancel.Raise();
  return true;
}

bool Dispatcher::BeginWait(JobId waiter) {
  std::lock_guard lock(mu_);
  auto it = running_.find(waiter);
  if (it == running_.end()) return false;
  ++it->second->lent;
  ++it->second->queue->lent;
  dirty_ = true;
  cv_.notify_one();
  return true;
}

void Dispatcher::EndWait(JobId waiter) {
  std::lock_guard lock(mu_);
  auto it = running_.find(waiter);
  if (it == running_.end() || it->second->lent == 0) return;
  --it->second->lent;
  --it->second->queue->lent;
}

TypeRuntime Dispatcher::Runtime(const std::string& type) const {
  std::lock_guard lock(mu_);
  auto it = types_.find(type);
  if (it == types_.end()) return {};
  return {it->second->running, it->second->lent, it->second->paused};
}

void Dispatcher::Loop() {
  std::unique_lock lock(mu_);
  TimeMs last_rescan = clock_.Now();
  TimeMs last_now = last_rescan;
  while (!stopping_) {
    dirty_ = false;
    TimeMs now = clock_.Now();
    if (now < last_now - kClockJumpMs) {
      RetimeRetries(now, last_now - now, lock);
      last_rescan = now - kRescanMs;  // every type looks again
    }
    last_now = now;
    bool rescan = now - last_rescan >= kRescanMs || now < last_rescan;
    if (rescan) last_rescan = now;
    std::optional<TimeMs> earliest;
    // ClaimFor unlocks, and a reload may replace types_ meanwhile: walk a snapshot.
    // Replaced queues live on in retired_ until ReapRetired, below, on this thread.
    std::vector<TypeQueue*> queues;
    for (auto& [name, qp] : types_) queues.push_back(qp.get());
    for (TypeQueue* qp : queues) {
      TypeQueue& q = *qp;
      if (q.retired) continue;
      if (rescan || (q.next_at && *q.next_at <= now)) {
        q.ready = true;
        q.next_at.reset();
      }
      if (!q.paused && q.ready && q.free_slots() > 0) ClaimFor(q, lock);
      if (stopping_) return;
      if (!q.paused && q.next_at && (!earliest || *q.next_at < *earliest)) earliest = q.next_at;
    }
    if (!retired_.empty()) ReapRetired(lock);
    if (dirty_) continue;
    DurationMs wait = kRescanMs;
    if (earliest) wait = std::clamp<DurationMs>(*earliest - clock_.Now(), 0, kRescanMs);
    if (wait > 0) cv_.wait_for(lock, std::chrono::milliseconds(wait), [this] { return dirty_ || stopping_; });
  }
}

void Dispatcher::RetimeRetries(TimeMs now, DurationMs back, std::unique_lock<std::mutex>& lock) {
  lock.unlock();
  auto moved = store_.ShiftRetries(now, back);
  lock.lock();
  if (!moved.ok()) {
    log_->error("the clock went back by {}; cannot move pending retries: {}",
                FormatDuration(back), moved.status().message());
  } else {
    log_->warn("the clock went back by {}; {} pending retr{} moved back with it",
               FormatDuration(back), *moved, *moved == 1 ? "y" : "ies");
  }
  for (auto& [name, q] : types_) q->next_at.reset();
}

void Dispatcher::ClaimFor(TypeQueue& q, std::unique_lock<std::mutex>& lock) {
  const int want = q.free_slots();
  const uint64_t notified = q.notified;
  const std::string type = q.config->name;
  const TimeMs now = clock_.Now();
  lock.unlock();
  auto claimed = store_.Claim(type, want, now);
  std::optional<TimeMs> next;
  bool next_ok = true;
  if (claimed.ok() && static_cast<int>(claimed->size()) < want) {
    auto n = store_.NextRunAt(type);
    if (n.ok()) next = *n; else next_ok = false;
  }
  lock.lock();
  if (!claimed.ok() || !next_ok) {
    log_->error("claiming {} jobs failed: {}", type,
                claimed.ok() ? "cannot read next run time" : claimed.status().message());
    q.ready = false;  // until the back-off ends: no claim before
    q.claim_failed = true;
    q.next_at = now + kStoreErrorBackoffMs;
    if (!claimed.ok()) return;
    // The claim was committed: its jobs are this node's to run, whatever the read after it.
  } else {
    q.claim_failed = false;
  }
  if (next_ok && static_cast<int>(claimed->size()) < want && q.notified == notified) {
    q.ready = false;
    if (next && *next <= now && q.config->max_running > 0) {
      // Ready jobs left behind by the cap across nodes: a job ending here claims the next
      // one, one ending on another node is noticed at the next look.
      q.next_at = now + kMaxRunningRecheckMs;
    } else if (next) {
      if (*next <= now) q.ready = true;  // became ready meanwhile
      else if (!q.next_at || *next < *q.next_at) q.next_at = next;
    }
  }
  for (Job& job : *claimed) {
    auto run = Track(q, std::move(job));
    q.pool->Post([this, qp = &q, run] { RunJob(qp, run); });
  }
}

std::shared_ptr<Dispatcher::Running> Dispatcher::Track(TypeQueue& q, Job job) {
  auto run = std::make_shared<Running>();
  run->job = std::move(job);
  run->queue = &q;
  run->config = q.config;
  run->handler = q.handler;
  run->log = q.log;
  run->state = q.state.get();
  running_[run->job.id] = run;
  ++q.running;
  return run;
}

bool Dispatcher::MayPull(const TypeQueue& q) const {
  // free_slots() still counts the ending job: >= 0 means its slot stays with the type.
  return !stopping_ && !q.retired && !q.paused && q.ready && q.free_slots() >= 0;
}

Outcome Dispatcher::Decide(const JobTypeConfig& config, const Job& job, const jobs::RunResult& result,
                           TimeMs now) {
  using Kind = jobs::RunResult::Kind;
  Outcome out;
  out.finished_at = now;
  out.result = result.result;
  out.error = result.error;
  out.handler_state = result.handler_state;
  switch (result.kind) {
    case Kind::kSucceeded:
      out.state = JobState::kDone;
      break;
    case Kind::kCancelled:
      out.state = JobState::kCancelled;
      if (out.error.empty()) out.error = "cancelled";
      break;
    case Kind::kFailed:
    case Kind::kTimedOut:
      if (job.attempts < job.max_attempts && !result.final) {
        out.state = JobState::kQueued;
        out.run_at = now + options_.backoff(config, job.attempts);
      } else {
        out.state = JobState::kFailed;
      }
      break;
  }
  return out;
}

void Dispatcher::RunJob(TypeQueue* q, std::shared_ptr<Running> run) {
  while (run) run = RunOne(q, std::move(run));
}

std::shared_ptr<Dispatcher::Running> Dispatcher::RunOne(TypeQueue* q,
                                                        std::shared_ptr<Running> run) {
  const Job& job = run->job;
  jobs::JobContext ctx;
  ctx.id = job.id;
  ctx.type = job.type;
  ctx.args = job.args;
  ctx.attempt = job.attempts;
  ctx.config = run->config.get();
  ctx.timeout = job.timeout;
  ctx.socket_path = options_.socket_path;
  ctx.jobs_dir = options_.jobs_dir;
  ctx.dry_run = run->config->dry_run;
  ctx.log = run->log;
  ctx.cancel = &run->cancel;
  ctx.clock = &clock_;
  ctx.state = run->state;

  run->log->debug("job {} starting (attempt {}/{})", job.id, job.attempts, job.max_attempts);
  jobs::RunResult result;
  if (run->cancel.raised()) {
    result = jobs::RunResult::Cancelled("cancelled before start");
  } else {
    try {
      result = run->handler->Run(ctx);
    } catch (const std::exception& e) {
      result = jobs::RunResult::Failed(std::string("internal error in handler: ") + e.what());
      log_->critical("handler of {} threw: {}", job.type, e.what());
    }
  }
  const TimeMs now = clock_.Now();
  bool requeue;
  {
    std::lock_guard lock(mu_);
    requeue = shutting_down_ && !run->user_cancel &&
              result.kind == jobs::RunResult::Kind::kCancelled;
  }
  std::optional<Job> final_job;
  std::string_view outcome = "interrupted";
  std::vector<Job> pulled;  // the next job, claimed with this one's outcome
  if (requeue) {
    if (Status s = store_.Requeue(job.id, now, false); !s.ok()) {
      log_->error("job {}: cannot requeue at shutdown: {}", job.id, s.message());
    } else {
      run->log->info("job {} interrupted by shutdown, back in the queue", job.id);
    }
  } else {
    Outcome out = Decide(*run->config, job, result, now);
    outcome = out.state == JobState::kDone     ? "done"
              : out.state == JobState::kFailed ? "failed"
              : out.state == JobState::kQueued ? "retry"
                                               : "cancelled";
    Job after = job;
    after.state = out.state;
    after.result = out.result;
    after.error = out.error;
    after.finished_at = IsFinal(out.state) ? now : 0;
    after.cancel_requested = run->user_cancel;
    if (options_.make_notices) out.notices = options_.make_notices(*run->config, after, now);
    // A worker of a type with more ready jobs takes the next one in the same write: no
    // claim of its own, no round through the dispatcher's thread.
    int pull = 0;
    {
      std::lock_guard lock(mu_);
      if (MayPull(*q)) pull = 1;
    }
    Status stored;
    if (auto next = store_.FinishAndClaim(job.id, out, job.type, pull, now); next.ok()) {
      pulled = std::move(*next);
    } else {
      stored = next.status();
    }
    if (!stored.ok() && StoreMayHeal(stored)) stored = RecordEnd(job, out, stored);
    if (stored.ok() && !out.notices.empty() && options_.on_notices) options_.on_notices();
    if (Status s = stored; !s.ok()) {
      // The row stays 'running': recovery runs it again (a rescued job runs elsewhere).
      log_->error("job {}: cannot record its end ({}): {}", job.id, JobStateName(out.state),
                  s.message());
    } else if (out.state == JobState::kQueued) {
      run->log->warn("job {} failed (attempt {}/{}), retry in {}: {}", job.id, job.attempts,
                   job.max_attempts, FormatDuration(out.run_at - now), out.error);
      Notify(job.type, out.run_at);
    } else {
      auto level = out.state == JobState::kDone ? spdlog::level::info : spdlog::level::warn;
      run->log->log(level, "job {} {} in {}{}{}", job.id, JobStateName(out.state),
                  FormatDuration(now - job.started_at), out.error.empty() ? "" : ": ", out.error);
      final_job = std::move(after);
    }
  }
  if (options_.on_attempt) options_.on_attempt(job.type, now - job.started_at, outcome);
  std::shared_ptr<Running> next;
  {
    std::lock_guard lock(mu_);
    running_.erase(job.id);
    --q->running;
    q->lent -= run->lent;
    if (!pulled.empty()) {
      next = Track(*q, std::move(pulled.front()));
    } else {
      // The slot is free (or the type's queue ran dry: the loop finds out when its
      // delayed jobs are due).
      dirty_ = true;
      cv_.notify_one();
    }
    idle_cv_.notify_all();
  }
  if (final_job && options_.on_final) options_.on_final(*final_job);
  return next;
}

bool Dispatcher::StoreMayHeal(const Status& failure) {
  return failure.code() == Status::Code::kUnavailable || failure.code() == Status::Code::kIoError;
}

Status Dispatcher::RecordEnd(const Job& job, const Outcome& out, Status failure) {
  // The outcome is known and only the store is away (a database restart, a full disk): the
  // worker keeps it and tries again, rather than leave the job 'running' until a restart.
  log_->error("job {}: cannot record its end ({}), retrying: {}", job.id, JobStateName(out.state),
              failure.message());
  auto backoff = std::chrono::milliseconds(100);
  for (;;) {
    {
      std::unique_lock lock(mu_);
      // Stopping past the grace: give up, recovery runs the job again.
      if (stop_cv_.wait_for(lock, backoff, [this] { return shutting_down_; })) return failure;
    }
    Status st = store_.Finish(job.id, out);
    if (st.ok()) log_->info("job {}: its end is recorded", job.id);
    if (st.ok() || !StoreMayHeal(st)) return st;
    failure = st;
    backoff = std::min(backoff * 2, std::chrono::milliseconds(5000));
  }
}

void Dispatcher::Stop(DurationMs grace) {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    cv_.notify_all();
  }
  if (thread_.joinable()) thread_.join();
  std::unique_lock lock(mu_);
  // Jobs being stored as started count as running; the other submissions on their way to
  // the store are waited for too (their EndInsert uses the queue destroyed below).
  auto idle = [this] { return running_.empty() && tickets_ == 0; };
  if (!idle()) {
    log_->info("waiting up to {} for {} job(s) running or being stored", FormatDuration(grace),
               running_.size() + static_cast<size_t>(tickets_));
    idle_cv_.wait_for(lock, std::chrono::milliseconds(grace), idle);
  }
  if (!idle()) {
    log_->warn("stopping {} job(s) still running; they go back to the queue", running_.size());
    shutting_down_ = true;
    stop_cv_.notify_all();
    for (auto& [id, run] : running_) run->cancel.Raise();
    idle_cv_.wait(lock, idle);
  }
  auto types = std::move(types_);
  auto retired = std::move(retired_);
  lock.unlock();
  types.clear();  // joins the worker threads
  retired.clear();
}

void Dispatcher::ReapRetired(std::unique_lock<std::mutex>& lock) {
  std::vector<std::unique_ptr<TypeQueue>> done;
  for (auto it = retired_.begin(); it != retired_.end();) {
    if ((*it)->idle()) {
      done.push_back(std::move(*it));
      it = retired_.erase(it);
    } else {
      ++it;
    }
  }
  if (done.empty()) return;
  lock.unlock();
  done.clear();  // joins the pool's threads; their last task may still be returning
  lock.lock();
}

}  // namespace torque::server
