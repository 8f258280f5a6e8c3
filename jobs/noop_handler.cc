#include "jobs/noop_handler.h"

namespace torque::jobs {

RunResult NoopHandler::Run(JobContext& ctx) {
  if (ctx.cancel != nullptr && ctx.cancel->raised()) return RunResult::Cancelled("cancelled");
  return RunResult::Succeeded(ctx.args);
}

}  // namespace torque::jobs
