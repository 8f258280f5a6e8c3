// What the rTorrent job types share: the type's connection to rTorrent, a run's deadline,
// and a failed rTorrent call as the run's outcome.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "core/config.h"
#include "core/status.h"
#include "jobs/handler.h"
#include "jobs/handler_env.h"

namespace torque::rtorrent {
class Connector;
}

namespace torque::jobs {

using RunDeadline = std::optional<std::chrono::steady_clock::time_point>;

// The rTorrent of `type`: its own scgi_url, else the [rtorrent] one. kInvalidArgument
// "file:line: job type 'x': key 'scgi_url': ..." for a bad URL.
Result<std::shared_ptr<const rtorrent::Connector>> TypeConnector(const JobTypeConfig& type,
                                                                 const HandlerEnv& env);

// When a run that starts now must end: now + ctx.timeout, none without a timeout.
RunDeadline DeadlineOf(const JobContext& ctx);

// A failed rTorrent call made while `doing` ("loading X into rTorrent") as the run's
// outcome: cancelled; timed out when the run's deadline passed; failed (retried) otherwise.
RunResult CallFailure(const Status& status, const std::string& doing, const JobContext& ctx,
                      const RunDeadline& deadline);

}  // namespace torque::jobs
