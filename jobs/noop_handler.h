// NoopHandler (`handler = noop`): a job type whose jobs succeed at once, inside torqued.
// It exists to measure the dispatcher itself (bench/run.sh: submit, commit, claim, finish,
// without a process per job) and to check that a torqued dispatches at all; its job's
// result is its arguments.
#pragma once

#include "jobs/handler.h"

namespace torque::jobs {

class NoopHandler : public Handler {
 public:
  RunResult Run(JobContext& ctx) override;
};

}  // namespace torque::jobs
