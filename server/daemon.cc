#include "server/daemon.h"

#include <csignal>
#include <iostream>
#include <thread>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <spdlog/spdlog.h>

#include "core/config.h"
#include "core/duration.h"
#include "core/handler_catalog.h"
#include "jobs/handler_registry.h"
#include "server/dispatcher.h"
#include "server/logging.h"
#include "server/pid_file.h"
#include "server/scheduler.h"
#include "server/service.h"
#include "server/socket_server.h"
#include "server/sqlite_store.h"

namespace torque::server {
namespace {

// How often finished jobs past their retention are purged.
constexpr auto kPurgeInterval = std::chrono::hours(1);

Result<Config> Load(const DaemonOptions& options) {
  ConfigOptions co;
  co.files = options.config_files;
  if (co.files.empty()) {
    if (auto f = DefaultConfigFile()) co.files.push_back(*f);
  }
  co.dry_run = options.dry_run;
  return LoadConfig(co);
}

std::string LogLevel(const Config& config, int verbosity) {
  switch (verbosity) {
    case -1: return "warn";
    case 1: return "debug";
    case 2: return "trace";
    default: return config.server.log_level;
  }
}

Result<Dispatcher::Handlers> MakeHandlers(const Config& config) {
  Dispatcher::Handlers handlers;
  for (const auto& [name, type] : config.types) {
    if (!type.active) continue;
    auto handler = jobs::MakeHandler(type, config.server);
    if (!handler.ok()) return handler.status();
    handlers[name] = std::move(*handler);
  }
  return handlers;
}

void SchedulePurge(boost::asio::steady_timer& timer, Store& store, const Clock& clock,
                   DurationMs retention, std::thread& worker) {
  timer.expires_after(kPurgeInterval);
  timer.async_wait([&timer, &store, &clock, retention, &worker](auto ec) {
    if (ec) return;
    if (worker.joinable()) worker.join();
    worker = std::thread([&store, &clock, retention] {
      auto purged = store.Purge(clock.Now() - retention);
      if (!purged.ok()) spdlog::error("purge failed: {}", purged.status().message());
      else if (*purged > 0) spdlog::info("purged {} finished job(s) older than {}", *purged,
                                         FormatDuration(retention));
    });
    SchedulePurge(timer, store, clock, retention, worker);
  });
}

// apscheduler.misfire_grace_time from [TORQUE] (seconds, as in pyrotorque), else 7 s.
Result<DurationMs> MisfireGrace(const Config& config) {
  auto it = config.torque_globals.find("apscheduler.misfire_grace_time");
  if (it == config.torque_globals.end()) return SchedulerOptions().misfire_grace;
  auto grace = ParseDuration(it->second.value);
  if (!grace.ok()) {
    return Status::InvalidArgument("apscheduler.misfire_grace_time: " + grace.status().message());
  }
  return *grace;
}

}  // namespace

int CheckConfig(const DaemonOptions& options, std::ostream& out, std::ostream& err) {
  auto config = Load(options);
  if (!config.ok()) {
    err << "torqued: invalid configuration: " << config.status().message() << "\n";
    return 1;
  }
  for (const auto& w : config->warnings) err << "torqued: warning: " << w.ToString() << "\n";
  if (auto handlers = MakeHandlers(*config); !handlers.ok()) {
    err << "torqued: invalid configuration: " << handlers.status().message() << "\n";
    return 1;
  }
  if (auto grace = MisfireGrace(*config); !grace.ok()) {
    err << "torqued: invalid configuration: " << grace.status().message() << "\n";
    return 1;
  }
  out << "files:";
  if (config->files.empty()) out << " (compiled-in defaults only)";
  for (const auto& f : config->files) out << " " << f;
  out << "\nsocket: " << config->server.socket << "\ndatabase: " << config->server.database
      << "\n\njob types:\n";
  for (const auto& [name, t] : config->types) {
    out << "  " << name << ": handler=" << t.handler << (t.active ? "" : " (inactive)")
        << " concurrent=" << t.concurrent << " retries=" << t.retries;
    if (t.timeout) out << " timeout=" << FormatDuration(t.timeout);
    if (!t.schedule.empty()) out << " schedule=\"" << t.schedule << "\"";
    if (!t.aliases.empty()) {
      out << " aliases=";
      for (size_t i = 0; i < t.aliases.size(); ++i) out << (i ? "," : "") << t.aliases[i];
    }
    if (t.dry_run) out << " dry_run";
    out << "\n";
  }
  return kExitOk;
}

int RunDaemon(const DaemonOptions& options) {
  auto loaded = Load(options);
  if (!loaded.ok()) {
    std::cerr << "torqued: invalid configuration: " << loaded.status().message() << "\n";
    return kExitConfig;
  }
  const Config config = std::move(*loaded);
  LogOptions log_options{config.server.log_file, options.foreground,
                         LogLevel(config, options.verbosity)};
  if (Status s = SetUpLogging(log_options); !s.ok()) {
    std::cerr << "torqued: " << s.message() << "\n";
    return s.code() == Status::Code::kIoError ? kExitIoError : kExitConfig;
  }
  auto log = spdlog::default_logger();
  for (const auto& w : config.warnings) log->warn("config: {}", w.ToString());
  for (const auto& [name, t] : config.types) {
    if (!t.active) continue;
    if (!t.notify_success.empty() || !t.notify_fail.empty()) {
      log->warn("job type {}: notifications are not sent by this version", name);
    }
  }

  // Lock.
  const std::string pid_path = options.pid_file.empty() ? config.server.pid_file : options.pid_file;
  auto pid_file = PidFile::Acquire(pid_path);
  if (!pid_file.ok()) {
    log->error("{}", pid_file.status().message());
    return pid_file.status().code() == Status::Code::kAlreadyExists ? kExitTempFail : kExitIoError;
  }
  auto handlers = MakeHandlers(config);
  if (!handlers.ok()) {
    log->error("invalid configuration: {}", handlers.status().message());
    return kExitConfig;
  }
  SystemClock clock;
  // Declared before the store: its last callbacks may still post replies while it closes.
  boost::asio::io_context io;
  IoMailbox mailbox(io);
  auto opened = SqliteStore::Open(SqliteStoreOptions{config.server.database});
  if (!opened.ok()) {
    log->error("cannot open the database: {}", opened.status().message());
    return opened.status().code() == Status::Code::kAlreadyExists ? kExitTempFail : kExitIoError;
  }
  std::unique_ptr<SqliteStore> store = std::move(*opened);

  // Recover.
  auto recovered = store->Recover(clock.Now(), config.server.crash_retries);
  if (!recovered.ok()) {
    log->error("recovery failed: {}", recovered.status().message());
    return kExitIoError;
  }
  if (!recovered->requeued.empty()) {
    log->warn("recovered {} job(s) interrupted by the last stop; they run again",
              recovered->requeued.size());
  }
  for (const Job& job : recovered->failed) {
    log->error("job {} ({}) failed: {}", job.id, job.type, job.error);
  }
  auto paused = store->PausedTypes();
  if (!paused.ok()) {
    log->error("cannot read paused job types: {}", paused.status().message());
    return kExitIoError;
  }

  // Serve.
  Service* service_ptr = nullptr;
  DispatcherOptions dopts;
  dopts.socket_path = config.server.socket;
  dopts.jobs_dir = config.server.jobs_dir;
  dopts.on_final = [&service_ptr](const Job& job) {
    if (service_ptr) service_ptr->OnFinal(job);
  };
  Dispatcher dispatcher(*store, clock, dopts);
  dispatcher.Configure(config, std::move(*handlers), std::move(*paused));
  auto misfire_grace = MisfireGrace(config);
  if (!misfire_grace.ok()) {
    log->error("invalid configuration: {}", misfire_grace.status().message());
    return kExitConfig;
  }
  SchedulerOptions sopts;
  sopts.misfire_grace = *misfire_grace;
  sopts.on_fired = [&dispatcher, &clock](const std::string& type, JobId, bool existing) {
    if (!existing) dispatcher.Notify(type, clock.Now());
  };
  Scheduler scheduler(*store, clock, sopts);
  if (Status s = scheduler.Configure(config); !s.ok()) {
    log->error("invalid configuration: {}", s.message());
    return kExitConfig;
  }
  Service service(*store, dispatcher, config, clock, io.get_executor(),
                  ServiceInfo{config.server.database, clock.Now()});
  service.SetNextFire([&scheduler](const std::string& type) { return scheduler.NextFire(type); });
  service_ptr = &service;
  SocketServer server(io, service, mailbox);
  if (Status s = server.Listen(config.server); !s.ok()) {
    log->error("{}", s.message());
    return s.code() == Status::Code::kAlreadyExists ? kExitTempFail : kExitOsError;
  }
  dispatcher.Start();
  scheduler.Start();

  std::signal(SIGPIPE, SIG_IGN);
  boost::asio::signal_set signals(io, SIGTERM, SIGINT, SIGHUP);
  std::thread drain;
  std::function<void()> wait_signal = [&] {
    signals.async_wait([&](auto ec, int signo) {
      if (ec) return;
      if (signo == SIGHUP) {
        log->info("SIGHUP received; configuration reload is not available in this version");
        wait_signal();
        return;
      }
      if (drain.joinable()) {
        log->info("second termination signal; already stopping");
        wait_signal();
        return;
      }
      log->info("termination requested (signal {}); draining", signo);
      server.StopAccepting();
      service.BeginShutdown();
      drain = std::thread([&] {
        scheduler.Stop();
        dispatcher.Stop(config.server.shutdown_grace);
        boost::asio::post(io, [&] {
          server.CloseSessions();
          io.stop();
        });
      });
      wait_signal();
    });
  };
  wait_signal();

  boost::asio::steady_timer purge_timer(io);
  std::thread purge_worker;
  if (auto purged = store->Purge(clock.Now() - config.server.retention); purged.ok() && *purged) {
    log->info("purged {} finished job(s) older than {}", *purged,
              FormatDuration(config.server.retention));
  }
  SchedulePurge(purge_timer, *store, clock, config.server.retention, purge_worker);

  log->info("torqued {} ready on {} (database {}, {} job type(s))", TORQUE_VERSION,
            config.server.socket, config.server.database, config.types.size());
  io.run();
  if (drain.joinable()) drain.join();
  if (purge_worker.joinable()) purge_worker.join();
  SqliteStoreStats st = store->stats();
  log->info("torqued stopped; {} database commits ({} synced) carried {} writes", st.commits,
            st.synced_commits, st.ops);
  return kExitOk;
}

}  // namespace torque::server
