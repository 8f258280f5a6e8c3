// EngineStats: the engine_stats handler (pyrocore.torrent.jobs:EngineStats), shipped as
// `connstats` — one line about rTorrent each run: version, uptime, transfer rates and limits,
// items per view, from one request.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/status.h"
#include "jobs/handler.h"
#include "jobs/handler_env.h"

namespace torque::rtorrent {
class Connector;
}

namespace torque::jobs {

// The views counted unless `views` says otherwise: those of rTorrent's own that tell where
// items are (pyrocore's InfluxDBStats list, without its custom `messages` view).
inline constexpr char kDefaultStatsViews[] =
    "main started stopped complete incomplete seeding leeching active";

// Each run sends one system.multicall (versions, session name and path, rTorrent's time and
// its start time when `system.startup_time` is defined — torque.rc and pyrocore define it —,
// the global rates and limits, view.size of each view) and logs pyrocore's line
//   Stats for <session name> - up <uptime>, rTorrent 0.9.8/0.13.8, up 1.2 MiB/s [max 5.0
//   MiB/s], down 0 B/s [no limit], views: main 120, started 8, ...
// at INFO; the job's result is that line. Without system.startup_time the uptime comes from
// the modification time of <session>/rtorrent.lock when torqued can see it (as pyrocore),
// else it is "?". A view rTorrent does not know shows as "?". Failures: the run fails with
// the reason (retried as the type says), logged at WARNING by the dispatcher.
class EngineStats : public Handler {
 public:
  // kInvalidArgument with file:line for a bad scgi_url or views.
  static Result<std::unique_ptr<EngineStats>> Create(const JobTypeConfig& type,
                                                     const HandlerEnv& env);
  RunResult Run(JobContext& ctx) override;

  const std::vector<std::string>& views() const { return views_; }

 private:
  EngineStats() = default;

  std::vector<std::string> views_;
  std::shared_ptr<const rtorrent::Connector> connector_;
};

}  // namespace torque::jobs
