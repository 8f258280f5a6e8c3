#include "core/job.h"

#include <nlohmann/json.hpp>

#include "core/duration.h"

namespace torque {

const char* JobStateName(JobState s) {
  switch (s) {
    case JobState::kQueued: return "queued";
    case JobState::kRunning: return "running";
    case JobState::kDone: return "done";
    case JobState::kFailed: return "failed";
    case JobState::kCancelled: return "cancelled";
  }
  return "unknown";
}

std::optional<JobState> ParseJobState(std::string_view name) {
  for (JobState s : {JobState::kQueued, JobState::kRunning, JobState::kDone, JobState::kFailed,
                     JobState::kCancelled}) {
    if (name == JobStateName(s)) return s;
  }
  return std::nullopt;
}

nlohmann::json JobToJson(const Job& job) {
  auto time = [](TimeMs t) -> nlohmann::json {
    if (t == 0) return nullptr;
    return FormatTimeUtc(t);
  };
  nlohmann::json j = {
      {"id", job.id},
      {"type", job.type},
      {"args", job.args},
      {"state", JobStateName(job.state)},
      {"priority", job.priority},
      {"run_at", time(job.run_at)},
      {"attempts", job.attempts},
      {"max_attempts", job.max_attempts},
      {"timeout", job.timeout == 0 ? nlohmann::json(nullptr) : nlohmann::json(job.timeout / 1000.0)},
      {"unique_key", job.unique_key.empty() ? nlohmann::json(nullptr) : nlohmann::json(job.unique_key)},
      {"result", job.result},
      {"error", job.error},
      {"created_at", time(job.created_at)},
      {"started_at", time(job.started_at)},
      {"finished_at", time(job.finished_at)},
      {"cancel_requested", job.cancel_requested},
  };
  if (job.started_at != 0 && job.finished_at >= job.started_at && job.finished_at != 0) {
    j["duration"] = (job.finished_at - job.started_at) / 1000.0;
  } else {
    j["duration"] = nullptr;
  }
  return j;
}

}  // namespace torque
