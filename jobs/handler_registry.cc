#include "jobs/handler_registry.h"

#include "core/handler_catalog.h"
#include "jobs/exec_handler.h"

namespace torque::jobs {

Result<std::unique_ptr<Handler>> MakeHandler(const JobTypeConfig& type,
                                             const ServerConfig& server) {
  if (type.handler == "exec") {
    auto handler = ExecHandler::Create(type, server);
    if (!handler.ok()) return handler.status();
    return std::unique_ptr<Handler>(std::move(handler).value());
  }
  // The handler setting's own line when there is one, else where the type is.
  SourceLocation where = type.where;
  if (auto it = type.settings.find("handler"); it != type.settings.end()) where = it->second.where;
  std::string prefix = where.file.empty() ? "" : where.ToString() + ": ";
  prefix += "job type '" + type.name + "': ";
  if (CanonicalHandlerName(type.handler) == type.handler) {
    return Status::InvalidArgument(prefix + "handler '" + type.handler +
                                   "' is not available in this build");
  }
  return Status::InvalidArgument(prefix + "unknown handler '" + type.handler + "'");
}

}  // namespace torque::jobs
