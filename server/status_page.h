// StatusPage: the read-only HTML page the [http] listener serves at `/` — queues, running
// jobs, recent failures, schedules, the queue manager's last pass, rTorrent's state and a
// chart of jobs per minute — plain HTML with inline CSS and SVG, no external assets.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/job.h"
#include "core/status.h"
#include "jobs/rtorrent_metrics.h"
#include "server/dispatcher.h"
#include "server/intake.h"
#include "server/service.h"
#include "server/store.h"

namespace torque::server {

// Where the page's facts come from. Everything is read at request time.
struct StatusSources {
  Store* store = nullptr;
  Dispatcher* dispatcher = nullptr;
  Intake* intake = nullptr;  // the configuration in effect, jobs accepted
  const Clock* clock = nullptr;
  TimeMs started_at = 0;
  std::string database_path;
  Service::NextFire next_fire;  // schedules' next fire
  std::function<Service::OutboxInfo()> outbox;
};

// Everything the page shows, gathered in one go (plain data: the renderer is a pure
// function of it, so tests build one by hand).
struct StatusView {
  // The page's bounds: the chart's window, and how many running jobs and failures it lists.
  static constexpr int kChartMinutes = 180;
  static constexpr int kMaxRunning = 50;
  static constexpr int kMaxFailures = 20;

  TimeMs now = 0;
  std::string version;
  int64_t pid = 0;
  TimeMs started_at = 0;
  std::string database_path;
  int64_t database_bytes = -1;  // -1: unknown
  int64_t accepted = 0;         // jobs accepted since start
  struct TypeRow {
    std::string name, handler;  // handler empty: jobs of a type no longer configured
    bool active = true, paused = false;
    int concurrent = 1;
    TypeCounts counts;
    std::string schedule;
    std::optional<TimeMs> next_fire;
  };
  std::vector<TypeRow> types;     // by name
  std::vector<Job> running;       // running jobs, oldest first
  std::vector<Job> failures;      // recent failed jobs, newest first (with their errors)
  std::string queue_pass_type;    // the queue_manager type shown; empty: none configured
  std::optional<Job> queue_pass;  // the last finished run of that type
  std::optional<Service::OutboxInfo> notifications;  // nullopt: not known
  struct Minute {
    TimeMs start = 0;
    int64_t finished = 0;  // done, failed or cancelled
    int64_t failed = 0;
  };
  std::vector<Minute> per_minute;                // oldest first, covering the chart's window
  std::optional<jobs::RtorrentSample> rtorrent;  // nullopt: not configured
};

// Gathers the view; the rTorrent part is given (sampled by the caller). Blocking store reads:
// call off the io thread. Fails with the store's status when its jobs cannot be read.
Result<StatusView> GatherStatus(const StatusSources& sources,
                                std::optional<jobs::RtorrentSample> rtorrent);
// The page, refreshing itself every `refresh_s` seconds (<= 0: never). Every string from
// jobs, the configuration and rTorrent is HTML-escaped. Thread-safe.
std::string RenderStatusPage(const StatusView& view, int refresh_s = 30);

}  // namespace torque::server
