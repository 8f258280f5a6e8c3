// RtorrentMetrics: what the metrics listener and the status page ask rTorrent at scrape
// time, with pyrosimple's RtorrentExporter names — the `metrics_exporter` handler's
// settings (pyrocore.daemon.exporter:RtorrentExporter, pyrosimple.job.metrics:RtorrentExporter).
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/config.h"
#include "core/status.h"
#include "jobs/handler.h"
#include "jobs/handler_env.h"

namespace torque::rtorrent {
class Connector;
}

namespace torque::jobs {

// One sample of rTorrent, taken in as few round trips as possible.
struct RtorrentSample {
  bool up = false;              // rTorrent answered
  std::string error;            // why not, when !up ("cannot reach rTorrent: ...", "timed out")
  double scrape_ms = 0;         // how long the sample took
  std::string client_version;   // system.client_version
  std::string library_version;  // system.library_version
  int64_t up_rate = 0, up_max = 0, down_rate = 0, down_max = 0;  // bytes/s, max 0: no limit
  int64_t uptime_s = -1;                                         // -1: unknown
  std::map<std::string, int64_t> views;                          // view.size per view
  std::map<std::string, double> system;  // "throttle.global_up.total" -> value
  struct Tracker {
    int64_t amount = 0;  // items
    int64_t errors = 0;  // items whose d.message is not empty
  };
  std::map<std::string, Tracker> trackers;  // by alias (or domain)
  struct Item {
    std::map<std::string, std::string> labels;  // "d_hash" -> ..., "d_name" -> ...
    std::map<std::string, double> stats;        // "d_down_total" -> ...
  };
  std::vector<Item> items;
};

// pyrosimple's system gauges: each one rTorrent reports in system.listMethods is sampled.
extern const std::vector<std::string> kSystemGauges;

// What to sample: the settings of a `metrics_exporter` job type (keys `jobs`, `prefix`,
// `item_stats`/`item-stats`, `item_labels`/`item-labels`, `scgi_url`; pyrosimple's
// `addr`/`port` name the listener, see the [http] section), or the defaults.
class RtorrentMetrics {
 public:
  // kInvalidArgument "file:line: job type 'x': key 'k': ..." for a bad setting.
  static Result<std::shared_ptr<const RtorrentMetrics>> Create(const JobTypeConfig& type,
                                                               const HandlerEnv& env);
  // The defaults (jobs = system) on the [rtorrent] connection.
  static Result<std::shared_ptr<const RtorrentMetrics>> Default(const HandlerEnv& env);

  // Samples rTorrent, giving up at `deadline`. Never fails: a dead or hung rTorrent is a
  // sample with up = false and the reason. Thread-safe.
  RtorrentSample Sample(std::chrono::steady_clock::time_point deadline) const;

  // The sample in Prometheus text format (# HELP / # TYPE lines included), names with
  // `prefix` (default "rtorrent_"): <p>up, <p>info{...}, <p>view_size{view}, a gauge per
  // system method, <p>tracker_amount{alias}, <p>tracker_errors{alias}, per-item stats.
  std::string Exposition(const RtorrentSample& sample) const;

  // What `jobs` asked for.
  bool system() const { return system_; }
  bool tracker() const { return tracker_; }
  bool item() const { return item_; }
  const std::string& prefix() const { return prefix_; }

  // How long a learned system.listMethods answer is used before it is asked again.
  static constexpr std::chrono::minutes kMethodsTtl{10};

 private:
  RtorrentMetrics() = default;

  // The d.multicall2 commands of the tracker and item parts, in order; the column of each.
  std::vector<std::string> RowCommands() const;

  bool system_ = true, tracker_ = false, item_ = false;
  std::string prefix_ = "rtorrent_";
  std::vector<std::string> item_stats_;   // d.* commands without '=', e.g. "d.down.total"
  std::vector<std::string> item_labels_;  // e.g. "d.hash", "d.name"
  std::shared_ptr<const rtorrent::Connector> connector_;

  // What the last samples learned of this rTorrent (first sample, then cheaper ones):
  // the gauges it has (from system.listMethods) and its views (view.list). Reset when a
  // sample fails or the connection's target changes.
  struct Learned {
    std::string target;  // Connector::Describe()
    std::optional<std::chrono::steady_clock::time_point> methods_at;
    std::vector<std::string> gauges;  // of kSystemGauges, those rTorrent has
    std::vector<std::string> views;
  };
  mutable std::mutex mu_;
  mutable Learned learned_;  // guarded by mu_
};

}  // namespace torque::jobs
