#include "jobs/metrics_exporter.h"

#include <cmath>

namespace torque::jobs {

Result<std::unique_ptr<MetricsExporter>> MetricsExporter::Create(const JobTypeConfig& type,
                                                                 const HandlerEnv& env) {
  auto metrics = RtorrentMetrics::Create(type, env);
  if (!metrics.ok()) return metrics.status();
  std::unique_ptr<MetricsExporter> h(new MetricsExporter());
  h->metrics_ = std::move(*metrics);
  if (env.config) h->default_timeout_ = env.config->http.rtorrent_timeout;
  return h;
}

RunResult MetricsExporter::Run(JobContext& ctx) {
  const DurationMs timeout = ctx.timeout > 0 ? ctx.timeout : default_timeout_;
  const RtorrentSample s =
      metrics_->Sample(std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout));
  if (!s.up) return RunResult::Failed(s.error);
  std::string line = "rTorrent " + s.client_version + "/" + s.library_version + " answered in " +
                     std::to_string(std::lround(s.scrape_ms)) +
                     " ms: " + std::to_string(s.views.size()) + " views";
  if (metrics_->system()) line += ", " + std::to_string(s.system.size()) + " system gauges";
  if (metrics_->tracker()) line += ", " + std::to_string(s.trackers.size()) + " trackers";
  if (metrics_->item()) line += ", " + std::to_string(s.items.size()) + " items";
  if (ctx.log) ctx.log->info("{}", line);
  return RunResult::Succeeded(line);
}

}  // namespace torque::jobs
