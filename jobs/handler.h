// Handler: the code behind a job type, and the narrow context a run sees.
#pragma once

#include <memory>
#include <string>

#include <spdlog/logger.h>

#include "core/cancel_signal.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/job.h"

namespace torque::jobs {

// What one run of a job sees. Owned by the dispatcher for the length of the run.
struct JobContext {
  JobId id = 0;
  std::string type;
  std::string args;
  int attempt = 1;                  // 1 for the first run
  const JobTypeConfig* config = nullptr;
  DurationMs timeout = 0;           // 0: none; the handler enforces it
  std::string socket_path;          // torqued's socket, for jobs that submit jobs
  std::string jobs_dir;             // [server] jobs_dir
  bool dry_run = false;
  std::shared_ptr<spdlog::logger> log;
  CancelSignal* cancel = nullptr;   // raised by CANCEL or shutdown
  const Clock* clock = nullptr;
};

// How a run ended.
struct RunResult {
  enum class Kind { kSucceeded, kFailed, kTimedOut, kCancelled };
  Kind kind = Kind::kSucceeded;
  std::string result;  // bounded output
  std::string error;   // one-paragraph reason when not kSucceeded

  static RunResult Succeeded(std::string result) { return {Kind::kSucceeded, std::move(result), {}}; }
  static RunResult Failed(std::string error, std::string result = {}) {
    return {Kind::kFailed, std::move(result), std::move(error)};
  }
};

// A job type's behaviour. One instance per job type; Run may be called from
// several worker threads at once (up to `concurrent`).
class Handler {
 public:
  virtual ~Handler() = default;
  // Runs one job. Must return soon after ctx.cancel is raised, and must honour
  // ctx.timeout. Never throws.
  virtual RunResult Run(JobContext& ctx) = 0;
};

}  // namespace torque::jobs
