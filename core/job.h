// Job records: the states a job goes through and what is stored about it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

#include "core/clock.h"

namespace torque {

using JobId = int64_t;

// queued (also delayed: run_at in the future) → running → done | failed | cancelled.
// A failed attempt with attempts left goes back to queued with a later run_at.
enum class JobState { kQueued, kRunning, kDone, kFailed, kCancelled };

// "queued", "running", "done", "failed", "cancelled".
const char* JobStateName(JobState s);
// Inverse of JobStateName; nullopt for anything else.
std::optional<JobState> ParseJobState(std::string_view name);
// done, failed and cancelled are final.
inline bool IsFinal(JobState s) {
  return s == JobState::kDone || s == JobState::kFailed || s == JobState::kCancelled;
}

// Everything torque keeps about one job (one row of the jobs table).
struct Job {
  JobId id = 0;
  std::string type;
  std::string args;
  JobState state = JobState::kQueued;
  int priority = 0;        // higher runs first
  TimeMs run_at = 0;       // not before this time
  int attempts = 0;        // runs started so far
  int max_attempts = 1;    // 1 + retries
  DurationMs timeout = 0;  // 0: no limit
  std::string unique_key;  // empty: none
  std::string result;      // bounded stdout of the last run
  std::string error;       // why the last attempt failed
  TimeMs created_at = 0;
  TimeMs started_at = 0;   // 0: never started
  TimeMs finished_at = 0;  // 0: not final
  bool cancel_requested = false;
};

// JSON object with every field; times as FormatTimeUtc strings or null.
nlohmann::json JobToJson(const Job& job);

}  // namespace torque
