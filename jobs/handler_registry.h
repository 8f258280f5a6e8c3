// Builds the Handler for a configured job type.
#pragma once

#include <memory>

#include "core/config.h"
#include "core/status.h"
#include "jobs/handler.h"

namespace torque::jobs {

// Builds the handler of a validated job type. kInvalidArgument with the
// setting's file:line when a handler-specific value is wrong; kInvalidArgument
// when the handler is not implemented in this build.
Result<std::unique_ptr<Handler>> MakeHandler(const JobTypeConfig& type, const ServerConfig& server);

}  // namespace torque::jobs
