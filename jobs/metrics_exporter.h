// MetricsExporter: the metrics_exporter handler (pyrocore.daemon.exporter:RtorrentExporter,
// pyrosimple.job.metrics:RtorrentExporter). Its settings say what /metrics of the [http]
// listener shows of rTorrent (see RtorrentMetrics; addr/port open that listener, see
// HttpConfig); a run takes one sample and reports it in a line, so `torque-cli exporter`
// checks the settings against rTorrent.
#pragma once

#include <memory>

#include "core/status.h"
#include "jobs/handler.h"
#include "jobs/handler_env.h"
#include "jobs/rtorrent_metrics.h"

namespace torque::jobs {

// A run's result: "rTorrent 0.9.8/0.13.8 answered in 3 ms: 9 views, 28 system gauges, 2
// trackers, 5 items" (the parts `jobs` asked for). It fails with the reason when rTorrent
// does not answer within the run's timeout (else the [http] rtorrent_timeout).
class MetricsExporter : public Handler {
 public:
  // kInvalidArgument with file:line for a bad jobs, prefix, item_stats, item_labels or
  // scgi_url.
  static Result<std::unique_ptr<MetricsExporter>> Create(const JobTypeConfig& type,
                                                         const HandlerEnv& env);
  RunResult Run(JobContext& ctx) override;

 private:
  MetricsExporter() = default;
  std::shared_ptr<const RtorrentMetrics> metrics_;
  DurationMs default_timeout_ = 5'000;
};

}  // namespace torque::jobs
