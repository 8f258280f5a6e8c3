// Handler: the code behind a job type, the narrow context a run sees, and its life cycle.
#pragma once

#include <map>
#include <memory>
#include <string>

#include <spdlog/logger.h>

#include "core/cancel_signal.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/job.h"
#include "core/status.h"
#include "jobs/handler_host.h"

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
  StateStore* state = nullptr;      // the type's durable state (read it; write via RunResult)
};

// How a run ended.
struct RunResult {
  enum class Kind { kSucceeded, kFailed, kTimedOut, kCancelled };
  Kind kind = Kind::kSucceeded;
  std::string result;  // bounded output
  std::string error;   // one-paragraph reason when not kSucceeded
  // The type's durable state to store in the same transaction as this outcome (an
  // empty value deletes its key), whatever the kind.
  std::map<std::string, std::string> handler_state;
  // A failure that another attempt cannot cure (an invalid input): not retried.
  bool final = false;

  static RunResult Succeeded(std::string result) { return Of(Kind::kSucceeded, {}, std::move(result)); }
  static RunResult Failed(std::string error, std::string result = {}) {
    return Of(Kind::kFailed, std::move(error), std::move(result));
  }
  // Failed, and not retried.
  static RunResult FailedFinal(std::string error, std::string result = {}) {
    RunResult r = Failed(std::move(error), std::move(result));
    r.final = true;
    return r;
  }
  static RunResult TimedOut(std::string error, std::string result = {}) {
    return Of(Kind::kTimedOut, std::move(error), std::move(result));
  }
  static RunResult Cancelled(std::string error, std::string result = {}) {
    return Of(Kind::kCancelled, std::move(error), std::move(result));
  }

 private:
  static RunResult Of(Kind kind, std::string error, std::string result) {
    RunResult r;
    r.kind = kind;
    r.error = std::move(error);
    r.result = std::move(result);
    return r;
  }
};

// A job type's behaviour. One instance per job type (a reload that changes the type
// makes a new one); Run may be called from several worker threads at once (up to
// `concurrent`). Construction validates the settings and has no side effects, so an
// instance may be built only to check a configuration and then dropped unstarted.
class Handler {
 public:
  virtual ~Handler() = default;

  // Starts the background part, if the handler has one (a watcher, a listener). Called
  // once, by the runtime, after the database is open and before jobs of the type run;
  // `host` outlives Stop. A failure is logged; the type still takes jobs.
  virtual Status Start(HandlerHost& host) {
    (void)host;
    return Status::Ok();
  }
  // Stops the background part. Called once after Start (also after a failed Start),
  // from any thread, before the handler is dropped; runs still in progress finish on
  // this instance.
  virtual void Stop() {}

  // Runs one job. Must return soon after ctx.cancel is raised, and must honour
  // ctx.timeout. Never throws.
  virtual RunResult Run(JobContext& ctx) = 0;
};

}  // namespace torque::jobs
