// Runtime: a serving torqued — store, dispatcher, scheduler, notifier, service and socket
// server — built from a configuration, reloaded in place, drained on stop.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "core/config.h"
#include "core/status.h"
#include "jobs/handler_env.h"
#include "server/dispatcher.h"
#include "server/systemd_notify.h"

namespace torque::server {

// What the handlers of `config` are made from: it, `clock` (which must outlive them) and
// rTorrent connections as its [rtorrent] section says.
jobs::HandlerEnv MakeHandlerEnv(std::shared_ptr<const Config> config, const Clock& clock);
// apscheduler.misfire_grace_time from [TORQUE] (seconds, as in pyrotorque), else 7 s.
Result<DurationMs> MisfireGrace(const Config& config);

// How the daemon around the runtime behaves.
struct RuntimeOptions {
  std::string guard_file;  // non-empty: deleting it stops the daemon
  std::string log_level;   // the level in effect ("" : from the config); -v/-q win over reloads
  bool detached = false;   // stdout/stderr go to the log file: reopen them with it
  // A fresh configuration for SIGHUP (the same files and options as at start).
  std::function<Result<Config>()> load_config;
  // Told when the daemon is ready, reloads and stops (inactive: not under systemd).
  SystemdNotifier systemd;
};

// Single use: Open, then Run. Signals: SIGTERM/SIGINT drain and stop, SIGHUP reloads.
class Runtime {
 public:
  Runtime(Config config, RuntimeOptions options);
  ~Runtime();
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;

  // Opens the database, recovers interrupted jobs and listens on the socket. On failure
  // returns an ExitCode (daemon.h) and sets `why`; returns 0 when ready to Run.
  int Open(std::string* why);
  // Starts workers, scheduler and notifier, calls `on_ready`, and serves until stopped.
  void Run(const std::function<void()>& on_ready);

  // Applies `config`: job types added, removed or changed, schedules re-armed,
  // concurrency resized, notification settings and log level replaced, log reopened.
  // Queued and running jobs are kept. Settings that need a restart (socket, database,
  // pid file, log file, jobs_dir) keep their old values with a warning. On an invalid
  // configuration nothing changes and the reason is returned. Call on the io thread.
  Status Reload(Config config);

 private:
  struct Parts;
  std::unique_ptr<Parts> parts_;
};

}  // namespace torque::server
