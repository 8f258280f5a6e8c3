#include "server/store.h"

#include <future>
#include <memory>
#include <utility>

namespace torque::server {

Result<std::vector<InsertResult>> Store::Insert(std::vector<NewJob> jobs) {
  using Inserted = Result<std::vector<InsertResult>>;
  // Shared with the callback, which may still be returning from set_value when get() does.
  auto done = std::make_shared<std::promise<Inserted>>();
  std::future<Inserted> result = done->get_future();
  InsertAsync(std::move(jobs), [done](Inserted r) { done->set_value(std::move(r)); });
  return result.get();
}

Status NotRunningError(const Job& job) {
  if (job.state == JobState::kRunning) {
    return Status::FailedPrecondition("job " + std::to_string(job.id) +
                                      " is not this node's: it was rescued from this node and "
                                      "runs elsewhere now");
  }
  return Status::FailedPrecondition("job " + std::to_string(job.id) + " is " +
                                    JobStateName(job.state) + ", not running");
}

void SetCount(TypeCounts& counts, JobState state, int64_t n) {
  switch (state) {
    case JobState::kQueued:
      counts.queued = n;
      break;
    case JobState::kRunning:
      counts.running = n;
      break;
    case JobState::kDone:
      counts.done = n;
      break;
    case JobState::kFailed:
      counts.failed = n;
      break;
    case JobState::kCancelled:
      counts.cancelled = n;
      break;
  }
}

Job StoredJob(const NewJob& job, JobId id) {
  Job out;
  out.id = id;
  out.type = job.type;
  out.args = job.args;
  out.priority = job.priority;
  out.run_at = job.run_at;
  out.max_attempts = job.max_attempts;
  out.timeout = job.timeout;
  out.unique_key = job.unique_key;
  out.created_at = job.created_at;
  if (job.start) {
    out.state = JobState::kRunning;
    out.attempts = 1;
    out.started_at = job.created_at;
  }
  return out;
}

Result<std::vector<Job>> Store::FinishAndClaim(JobId id, const Outcome& outcome,
                                               const std::string& type, int n, TimeMs now) {
  if (Status s = Finish(id, outcome); !s.ok()) return s;
  return Claim(type, n, now);
}

}  // namespace torque::server
