#include "server/scheduler.h"

#include <algorithm>
#include <chrono>
#include <utility>
#include <vector>

#include "core/duration.h"
#include "server/intake.h"
#include "server/logging.h"

namespace torque::server {
namespace {

// Fire times walked at most when looking for the latest missed one (a `second=*`
// schedule after a long stop); beyond it the skip is recorded at the current time.
constexpr int kMaxWalk = 100000;

// The latest fire time of `schedule` in [from, now], starting at fire time `from`
// (<= now); nullopt when the walk was cut short.
std::optional<TimeMs> LatestUpTo(const Schedule& schedule, TimeMs from, TimeMs now) {
  TimeMs latest = from;
  for (int i = 0; i < kMaxWalk; ++i) {
    std::optional<TimeMs> next = schedule.NextAfter(latest);
    if (!next || *next > now) return latest;
    latest = *next;
  }
  return std::nullopt;
}

std::string When(std::optional<TimeMs> t) { return t ? FormatTimeUtc(*t) : "never"; }

}  // namespace

Scheduler::Scheduler(Store& store, const Clock& clock, SchedulerOptions options)
    : store_(store),
      clock_(clock),
      options_(std::move(options)),
      log_(MakeLogger("schedule")),
      loop_(clock, kMaxWaitMs) {}

Scheduler::~Scheduler() { Stop(); }

Status Scheduler::Configure(const Config& config) {
  std::map<std::string, Entry> entries;
  for (const auto& [name, type] : config.types) {
    if (!type.active || type.schedule.empty()) continue;
    auto schedule = Schedule::Parse(type.schedule);
    if (!schedule.ok()) {
      return Status::InvalidArgument("job type " + name + ": schedule: " +
                                     schedule.status().message());
    }
    entries.emplace(name, Entry{type, std::move(*schedule), std::nullopt, 0});
  }
  std::lock_guard lock(mu_);
  entries_ = std::move(entries);
  loaded_ = false;
  // A reload: a schedule that never fired starts now, not at the daemon's start.
  if (started_) {
    started_at_ = clock_.Now();
    loop_.Wake();
  }
  return Status::Ok();
}

void Scheduler::Start() {
  {
    std::lock_guard lock(mu_);
    started_at_ = clock_.Now();
    started_ = true;
  }
  loop_.Start([this] { return Pass(); });
}

void Scheduler::Wake() { loop_.Wake(); }

void Scheduler::Sync() { loop_.Sync(); }

void Scheduler::Stop() { loop_.Stop(); }

std::optional<TimeMs> Scheduler::NextFire(const std::string& type) const {
  std::lock_guard lock(mu_);
  auto it = entries_.find(type);
  if (it == entries_.end()) return std::nullopt;
  return it->second.due;
}

bool Scheduler::Load() {
  auto fires = store_.ScheduleFires();
  if (!fires.ok()) {
    log_->error("cannot read the last schedule fires (retrying): {}", fires.status().message());
    return false;
  }
  std::lock_guard lock(mu_);
  for (auto& [name, e] : entries_) {
    auto it = fires->find(name);
    e.last = it != fires->end() ? it->second : started_at_;
    e.due = e.schedule.NextAfter(e.last);
    e.behind_noted = false;
    log_->debug("job type {}: schedule '{}' next fires at {}", name, e.type.schedule, When(e.due));
  }
  loaded_ = true;
  return true;
}

TimeMs Scheduler::Pass() {
  std::unique_lock lock(mu_);
  TimeMs wake_at = clock_.Now() + kMaxWaitMs;
  if (!loaded_) {
    lock.unlock();
    const bool ok = Load();
    lock.lock();
    if (!ok) wake_at = clock_.Now() + kRetryMs;
  }
  if (loaded_) {
    // Copies: the store call runs without the lock, and Configure may replace entries_.
    std::vector<std::pair<std::string, Entry>> due;
    const TimeMs now = clock_.Now();
    for (auto& [name, e] : entries_) {
      FollowClockBack(name, e, now);
      if (e.due && *e.due <= now && e.retry_at <= now) due.emplace_back(name, e);
    }
    lock.unlock();
    for (auto& [name, e] : due) FireDue(name, std::move(e), now);
    lock.lock();
    for (const auto& [name, e] : entries_) {
      if (!e.due) continue;
      wake_at = std::min(wake_at, std::max(*e.due, e.retry_at));
    }
  }
  return wake_at;
}

void Scheduler::FollowClockBack(const std::string& name, Entry& e, TimeMs now) {
  // A store error's retry is a second away, whatever the clock did since.
  e.retry_at = std::min(e.retry_at, now + kRetryMs);
  if (!e.due || now >= e.last) {
    e.behind_noted = false;
    return;
  }
  const DurationMs behind = e.last - now;
  const DurationMs interval = *e.due - e.last;
  if (behind <= interval) {
    // Waiting for `due` repeats nothing and costs at most one more interval.
    if (!e.behind_noted) {
      log_->warn("job type {}: the clock went back {} behind the last fire at {}; no fire "
                 "time is repeated, next at {}",
                 name, FormatDuration(behind), FormatTimeUtc(e.last), FormatTimeUtc(*e.due));
      e.behind_noted = true;
    }
    return;
  }
  // Further back than an interval: waiting for `due` would stall the schedule.
  e.last = now;
  e.due = e.schedule.NextAfter(now);
  e.behind_noted = false;
  log_->warn("job type {}: the clock went back {} behind the last fire; the schedule "
             "continues from now, next at {}",
             name, FormatDuration(behind), When(e.due));
}

void Scheduler::FireDue(const std::string& name, Entry entry, TimeMs now) {
  const Schedule& schedule = entry.schedule;
  const DurationMs grace = options_.misfire_grace;
  // The first fire time at or after max(due, now - grace): the fires a run may still use.
  const TimeMs window = std::max(*entry.due, now - grace);
  std::optional<TimeMs> in_grace = schedule.NextAfter(window - 1);
  std::optional<TimeMs> fire;      // run this one
  std::optional<TimeMs> recorded;  // the last fire as stored
  Status st;
  InsertResult inserted;
  if (in_grace && *in_grace <= now) {
    fire = LatestUpTo(schedule, *in_grace, now).value_or(now);
    protocol::SubmitOptions options;
    options.unique = kUniqueKey;
    auto r = store_.Fire(name, *fire, MakeJob(entry.type, "", options, now));
    st = r.status();
    if (r.ok()) inserted = *r;
    recorded = fire;
  } else {
    // Every missed fire is more than misfire_grace late: record the skip only.
    std::optional<TimeMs> latest = LatestUpTo(schedule, *entry.due, now);
    recorded = latest.value_or(now);
    st = store_.SetScheduleFire(name, *recorded);
  }
  std::optional<TimeMs> next;
  {
    std::lock_guard lock(mu_);
    auto it = entries_.find(name);
    if (it == entries_.end()) return;  // reconfigured meanwhile
    if (!st.ok()) {
      it->second.retry_at = now + kRetryMs;
      log_->error("job type {}: cannot record the schedule fire at {} (retrying): {}", name,
                  FormatTimeUtc(fire ? *fire : *recorded), st.message());
      return;
    }
    it->second.retry_at = 0;
    it->second.last = *recorded;
    it->second.behind_noted = false;
    it->second.due = next = schedule.NextAfter(*recorded);
  }
  if (!fire) {
    log_->warn("job type {}: missed fire at {} (more than misfire_grace {} late); next at {}",
               name, FormatTimeUtc(*recorded), FormatDuration(grace), When(next));
    return;
  }
  if (inserted.existing && inserted.id == 0) {
    log_->debug("job type {}: schedule fire at {} was made by another node", name,
                FormatTimeUtc(*fire));
    return;
  }
  if (inserted.existing) {
    log_->debug("job type {}: schedule fired at {}; job {} is still queued or running, so no "
               "second run is queued",
               name, FormatTimeUtc(*fire), inserted.id);
  } else {
    log_->info("schedule fired job {} ({})", inserted.id, name);
  }
  if (options_.on_fired) options_.on_fired(name, inserted.id, inserted.existing);
}

}  // namespace torque::server
