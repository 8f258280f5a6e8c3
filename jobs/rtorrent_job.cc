#include "jobs/rtorrent_job.h"

#include "core/duration.h"
#include "jobs/rtorrent/connector.h"
#include "jobs/settings.h"

namespace torque::jobs {

Result<std::shared_ptr<const rtorrent::Connector>> TypeConnector(const JobTypeConfig& type,
                                                                 const HandlerEnv& env) {
  const SettingReader r(type);
  if (!env.rtorrent) return Status::Internal("job type '" + type.name + "' built without rTorrent");
  auto connector = env.rtorrent->For(r.Text("scgi_url"));
  if (!connector.ok()) return r.Fail("scgi_url", connector.status().message());
  return connector;
}

RunDeadline DeadlineOf(const JobContext& ctx) {
  if (ctx.timeout <= 0) return std::nullopt;
  return std::chrono::steady_clock::now() + std::chrono::milliseconds(ctx.timeout);
}

RunResult CallFailure(const Status& status, const std::string& doing, const JobContext& ctx,
                      const RunDeadline& deadline) {
  if (status.code() == Status::Code::kCancelled) {
    return RunResult::Cancelled("cancelled while " + doing);
  }
  if (status.code() == Status::Code::kTimeout && deadline &&
      std::chrono::steady_clock::now() >= *deadline) {
    return RunResult::TimedOut("timed out after " + FormatDuration(ctx.timeout) + " while " +
                               doing);
  }
  return RunResult::Failed(doing + ": " + status.message());
}

}  // namespace torque::jobs
