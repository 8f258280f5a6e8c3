// HttpPages: what the [http] listener serves — /metrics (torqued's metrics, then rTorrent's
// with pyrosimple's names) and / (the status page) — made from the running daemon's parts.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>

#include "core/config.h"
#include "jobs/handler_env.h"
#include "jobs/rtorrent_metrics.h"
#include "server/http_listener.h"
#include "server/metrics_text.h"
#include "server/service.h"

namespace torque::server {

// Where the pages' facts come from; read at request time, on the listener's pool.
struct HttpPageSources {
  MetricsSources daemon;
  std::string database_path;
  Service::NextFire next_fire;
  // What to ask rTorrent and how long to wait (the configuration in effect: a reload
  // replaces it); null: rTorrent is not sampled.
  std::function<std::shared_ptr<const jobs::RtorrentMetrics>()> rtorrent;
  std::function<DurationMs()> rtorrent_timeout;
};

// "/metrics" and "/". Concurrent requests share one rTorrent sample in progress.
std::map<std::string, HttpPage> MakeHttpPages(HttpPageSources sources);

// What /metrics asks rTorrent under `env.config`: the settings of its [http] exporter type,
// else the defaults when rTorrent is configured ([rtorrent] url, or an rtorrent.rc that
// exists); nullptr when there is no rTorrent to ask. kInvalidArgument for bad settings.
Result<std::shared_ptr<const jobs::RtorrentMetrics>> RtorrentMetricsFor(
    const jobs::HandlerEnv& env);

}  // namespace torque::server
