// The handler table: every handler torque knows, by name, with its pyrocore and pyrosimple
// class names as aliases, its own keys and the factory that makes it.
#pragma once

#include <functional>
#include <memory>
#include <vector>

#include "core/config.h"
#include "core/status.h"
#include "jobs/handler.h"
#include "jobs/handler_env.h"

namespace torque::jobs {

// Makes the handler of a validated job type. kInvalidArgument with the setting's file:line
// when a handler-specific value is wrong.
using HandlerFactory = std::function<Result<std::unique_ptr<Handler>>(const JobTypeConfig& type,
                                                                      const HandlerEnv& env)>;

struct HandlerEntry {
  HandlerSpec spec;     // name, aliases, keys; spec.available == (make != nullptr)
  HandlerFactory make;  // null: known, but not in this build
};

// The table, "exec" first (the order messages list handlers in).
const std::vector<HandlerEntry>& HandlerTable();
// The table's specs, for ConfigOptions::handlers.
const std::vector<HandlerSpec>& HandlerSpecs();

// Builds the handler of `type` (type.handler is a canonical name). kInvalidArgument
// "file:line: job type 'x': handler 'y' is not available in this build" (or "unknown
// handler") when the table cannot make it; the factory's error otherwise.
Result<std::unique_ptr<Handler>> MakeHandler(const JobTypeConfig& type, const HandlerEnv& env);

}  // namespace torque::jobs
