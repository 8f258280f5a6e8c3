// Scheduler: fires the periodic job types (the `schedule` key) by enqueueing jobs.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include <spdlog/logger.h>

#include "core/clock.h"
#include "core/config.h"
#include "core/job.h"
#include "core/schedule.h"
#include "server/pass_loop.h"
#include "server/store.h"

namespace torque::server {

// What the scheduler needs besides the store and the clock.
struct SchedulerOptions {
  // A fire later than this after its time is skipped (apscheduler.misfire_grace_time).
  DurationMs misfire_grace = 7000;
  // Called on the scheduler's thread after each committed fire; `existing` when the fire
  // coalesced with a queued or running job of the type (no new job).
  std::function<void(const std::string& type, JobId id, bool existing)> on_fired;
};

// Fires each scheduled job type at the times its Schedule names, on its own thread.
//
// A fire enqueues a job of the type with no args and the unique key "schedule", so no
// second run is queued while one is queued or running. The store records each type's
// last fire in the same transaction as the job: after a restart a schedule continues
// from there, so it neither fires twice nor silently skips. Missed fire times coalesce
// into the latest one, which runs if it is at most `misfire_grace` late and is
// otherwise recorded as skipped, so a clock jumping forward fires at most once. A clock
// jumping back behind the last fire repeats no fire time: the schedule waits for its next
// time after the last fire, unless that is more than one schedule interval further off
// than it was; then it continues from the clock's new time (Vixie cron does the like for
// jumps of over 3 hours). A type that never fired starts from Start()'s time, so a new
// schedule does not fire for the past. Store errors are logged and retried a second
// later. Thread-safe.
class Scheduler {
 public:
  // The unique key of scheduled jobs.
  static constexpr char kUniqueKey[] = "schedule";

  Scheduler(Store& store, const Clock& clock, SchedulerOptions options);
  ~Scheduler();  // Stop()

  // Installs the active types with a non-empty schedule, replacing earlier ones; before
  // Start, and again on a config reload (schedules continue from their stored last fire;
  // one that never fired starts from the reload). kInvalidArgument (naming the type) when
  // a schedule does not parse; nothing changes then.
  Status Configure(const Config& config);
  void Start();
  // Re-examines the schedules now (after a fake clock moved).
  void Wake();
  // Wake, then waits until a pass that began after this call has ended (tests).
  void Sync();
  // Stops the thread; a fire in progress completes first. Idempotent.
  void Stop();

  // When `type` fires next; nullopt when it has no schedule, no future fire, or its
  // last fire is not known yet.
  std::optional<TimeMs> NextFire(const std::string& type) const;

  // How long a thread waits at most before it looks at the clock again.
  static constexpr DurationMs kMaxWaitMs = 1000;
  // How long after a store error a type is tried again.
  static constexpr DurationMs kRetryMs = 1000;

 private:
  struct Entry {
    JobTypeConfig type;
    Schedule schedule;
    std::optional<TimeMs> due;  // the next fire; nullopt: none, or not loaded yet
    TimeMs retry_at = 0;        // after a store error: not before this
    TimeMs last = 0;            // the last fire (or the start): `due` follows it
    bool behind_noted = false;  // the clock is behind `last`, and the log said so
  };

  // Handles a clock that went back behind entry `e`'s last fire (see the class comment).
  void FollowClockBack(const std::string& name, Entry& e, TimeMs now);

  // One pass over the schedules; returns when the next one is due.
  TimeMs Pass();
  // Loads the stored last fires; false (logged) on a store error.
  bool Load();
  // Handles a due entry `name`; called without mu_ held.
  void FireDue(const std::string& name, Entry entry, TimeMs now);

  Store& store_;
  const Clock& clock_;
  SchedulerOptions options_;
  std::shared_ptr<spdlog::logger> log_;

  mutable std::mutex mu_;
  std::map<std::string, Entry> entries_;
  TimeMs started_at_ = 0;
  bool started_ = false;
  bool loaded_ = false;
  PassLoop loop_;  // last: its thread stops before the rest goes
};

}  // namespace torque::server
