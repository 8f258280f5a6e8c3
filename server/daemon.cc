#include "server/daemon.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
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


// Tells the process that launched a detached daemon how its start-up ended.
class Readiness {
 public:
  explicit Readiness(int fd) : fd_(fd) {}
  Readiness(const Readiness&) = delete;
  Readiness& operator=(const Readiness&) = delete;
  ~Readiness() {
    if (fd_ >= 0) close(fd_);
  }
  void Ready() { Send("R\n"); }
  void Fail(int rc, const std::string& why) { Send("F" + std::to_string(rc) + " " + why + "\n"); }

 private:
  void Send(const std::string& text) {
    if (fd_ < 0) return;
    if (write(fd_, text.data(), text.size()) < 0) {
      // The launcher is gone; nobody is left to tell.
    }
    close(fd_);
    fd_ = -1;
  }
  int fd_;
};

// The launcher's exit code for what the daemon reported on the readiness pipe.
int LauncherExit(const std::string& report, const std::string& log_file, bool quiet) {
  if (report.rfind("R", 0) == 0) return kExitOk;
  if (report.rfind("F", 0) == 0) {
    char* end = nullptr;
    long rc = std::strtol(report.c_str() + 1, &end, 10);
    std::string why(end && *end == ' ' ? end + 1 : end ? end : "");
    if (!why.empty() && why.back() == '\n') why.pop_back();
    if (rc <= 0 || rc > 255) rc = kExitSoftware;
    if (!(quiet && rc == kExitTempFail)) std::cerr << "torqued: " << why << "\n";
    return static_cast<int>(rc);
  }
  std::cerr << "torqued: the daemon exited before it was ready"
            << (log_file.empty() ? std::string() : "; see " + log_file) << "\n";
  return kExitSoftware;
}

// Detaches: fork, setsid, fork again; stdin from /dev/null, stdout/stderr appended
// to `log_file` (or /dev/null). In the launcher it waits for the daemon's report and
// returns the launcher's exit code; in the daemon it returns -1 and sets *ready_fd.
// Must run before any thread exists.
int Detach(const std::string& log_file, bool quiet, int* ready_fd) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) {
    std::cerr << "torqued: cannot detach: pipe: " << std::strerror(errno) << "\n";
    return kExitOsError;
  }
  std::cout.flush();
  std::cerr.flush();
  std::fflush(nullptr);
  pid_t child = fork();
  if (child < 0) {
    std::cerr << "torqued: cannot detach: fork: " << std::strerror(errno) << "\n";
    close(fds[0]);
    close(fds[1]);
    return kExitOsError;
  }
  if (child > 0) {  // The launcher.
    close(fds[1]);
    int status = 0;
    while (waitpid(child, &status, 0) < 0 && errno == EINTR) {
    }
    std::string report;
    char buf[512];
    for (;;) {
      ssize_t n = read(fds[0], buf, sizeof buf);
      if (n > 0) report.append(buf, static_cast<size_t>(n));
      else if (n == 0 || errno != EINTR) break;
    }
    close(fds[0]);
    return LauncherExit(report, log_file, quiet);
  }
  close(fds[0]);
  setsid();
  pid_t grandchild = fork();
  if (grandchild != 0) _exit(grandchild < 0 ? kExitOsError : kExitOk);
  int null_fd = open("/dev/null", O_RDWR);
  int out = -1;
  if (!log_file.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(std::filesystem::path(log_file).parent_path(), ec);
    out = open(log_file.c_str(), O_WRONLY | O_APPEND | O_CREAT, 0644);
  }
  if (out < 0) out = null_fd;
  if (null_fd >= 0) dup2(null_fd, STDIN_FILENO);
  if (out >= 0) {
    dup2(out, STDOUT_FILENO);
    dup2(out, STDERR_FILENO);
  }
  if (out > STDERR_FILENO) close(out);
  if (null_fd > STDERR_FILENO && null_fd != out) close(null_fd);
  *ready_fd = fds[1];
  return -1;
}

// Whether `pid` has exited (gone, or a zombie nobody reaped yet).
bool ProcessGone(pid_t pid) {
  if (kill(pid, 0) != 0) return errno == ESRCH;
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return false;
  auto paren = line.rfind(')');
  return paren != std::string::npos && paren + 2 < line.size() && line[paren + 2] == 'Z';
}

std::string PidPath(const DaemonOptions& options, const Config& config) {
  return options.pid_file.empty() ? config.server.pid_file : options.pid_file;
}

int Serve(const DaemonOptions& options, const Config& config, const std::string& pid_path,
          const std::string& guard, Readiness& ready);

}  // namespace

std::string GuardFile(const DaemonOptions& options, const std::string& pid_path) {
  if (!options.guard_file.empty()) return options.guard_file;
  if (!options.cron) return "";
  return (std::filesystem::path(pid_path).parent_path() / kDefaultGuardName).string();
}

int DaemonStatus(const DaemonOptions& options, std::ostream& out, std::ostream& err) {
  auto config = Load(options);
  if (!config.ok()) {
    err << "torqued: invalid configuration: " << config.status().message() << "\n";
    return kExitConfig;
  }
  if (auto pid = PidFile::ReadLive(PidPath(options, *config))) {
    out << "torqued (pid " << *pid << ") is running\n";
    return kExitOk;
  }
  out << "torqued is not running\n";
  return kExitUnavailable;
}

int StopDaemon(const DaemonOptions& options, std::ostream& out, std::ostream& err) {
  auto config = Load(options);
  if (!config.ok()) {
    err << "torqued: invalid configuration: " << config.status().message() << "\n";
    return kExitConfig;
  }
  const std::string pid_path = PidPath(options, *config);
  auto pid = PidFile::ReadLive(pid_path);
  if (!pid) {
    out << "torqued is not running\n";
    return kExitOk;
  }
  if (kill(*pid, SIGTERM) != 0 && errno != ESRCH) {
    err << "torqued: cannot signal pid " << *pid << ": " << std::strerror(errno) << "\n";
    return kExitSoftware;
  }
  const DurationMs limit = config->server.shutdown_grace + 10'000;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(limit);
  while (PidFile::ReadLive(pid_path) || !ProcessGone(*pid)) {
    if (std::chrono::steady_clock::now() > deadline) {
      err << "torqued: pid " << *pid << " did not stop within " << FormatDuration(limit) << "\n";
      return kExitSoftware;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  out << "torqued (pid " << *pid << ") stopped\n";
  return kExitOk;
}

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
  std::signal(SIGPIPE, SIG_IGN);
  auto loaded = Load(options);
  if (!loaded.ok()) {
    std::cerr << "torqued: invalid configuration: " << loaded.status().message() << "\n";
    return kExitConfig;
  }
  const Config config = std::move(*loaded);
  const std::string pid_path = PidPath(options, config);
  const std::string guard = GuardFile(options, pid_path);
  std::error_code ec;
  if (!guard.empty() && !std::filesystem::exists(guard, ec)) {
    // The rTorrent watchdog calls --cron every few minutes: stay quiet then.
    if (!options.cron) std::cerr << "torqued: guard file " << guard << " not found, won't start\n";
    return kExitTempFail;
  }
  if (options.cron && PidFile::ReadLive(pid_path)) return kExitTempFail;
  int ready_fd = -1;
  if (!options.foreground) {
    // Before any thread exists (spdlog's flusher, Asio, the store).
    if (int rc = Detach(config.server.log_file, options.cron, &ready_fd); rc >= 0) return rc;
  }
  Readiness ready(ready_fd);
  return Serve(options, config, pid_path, guard, ready);
}

namespace {

int Serve(const DaemonOptions& options, const Config& config, const std::string& pid_path,
          const std::string& guard, Readiness& ready) {
  LogOptions log_options{config.server.log_file, options.foreground,
                         LogLevel(config, options.verbosity)};
  if (Status s = SetUpLogging(log_options); !s.ok()) {
    std::cerr << "torqued: " << s.message() << "\n";
    int rc = s.code() == Status::Code::kIoError ? kExitIoError : kExitConfig;
    ready.Fail(rc, s.message());
    return rc;
  }
  auto log = spdlog::default_logger();
  // Logs why start-up failed and tells the launcher; returns rc.
  auto fail = [&](int rc, const std::string& why,
                  spdlog::level::level_enum level = spdlog::level::err) {
    log->log(level, "{}", why);
    ready.Fail(rc, why);
    return rc;
  };
  for (const auto& w : config.warnings) log->warn("config: {}", w.ToString());
  for (const auto& [name, t] : config.types) {
    if (!t.active) continue;
    if (!t.notify_success.empty() || !t.notify_fail.empty()) {
      log->warn("job type {}: notifications are not sent by this version", name);
    }
  }

  // Lock.
  auto pid_file = PidFile::Acquire(pid_path);
  if (!pid_file.ok()) {
    bool running = pid_file.status().code() == Status::Code::kAlreadyExists;
    // --cron: losing the race to another --cron is the normal case.
    return fail(running ? kExitTempFail : kExitIoError, pid_file.status().message(),
                running && options.cron ? spdlog::level::debug : spdlog::level::err);
  }
  auto handlers = MakeHandlers(config);
  if (!handlers.ok()) {
    return fail(kExitConfig, "invalid configuration: " + handlers.status().message());
  }
  SystemClock clock;
  // Declared before the store: its last callbacks may still post replies while it closes.
  boost::asio::io_context io;
  IoMailbox mailbox(io);
  auto opened = SqliteStore::Open(SqliteStoreOptions{config.server.database});
  if (!opened.ok()) {
    return fail(opened.status().code() == Status::Code::kAlreadyExists ? kExitTempFail : kExitIoError,
                "cannot open the database: " + opened.status().message());
  }
  std::unique_ptr<SqliteStore> store = std::move(*opened);

  // Recover.
  auto recovered = store->Recover(clock.Now(), config.server.crash_retries);
  if (!recovered.ok()) return fail(kExitIoError, "recovery failed: " + recovered.status().message());
  if (!recovered->requeued.empty()) {
    log->warn("recovered {} job(s) interrupted by the last stop; they run again",
              recovered->requeued.size());
  }
  for (const Job& job : recovered->failed) {
    log->error("job {} ({}) failed: {}", job.id, job.type, job.error);
  }
  auto paused = store->PausedTypes();
  if (!paused.ok()) {
    return fail(kExitIoError, "cannot read paused job types: " + paused.status().message());
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
    return fail(kExitConfig, "invalid configuration: " + misfire_grace.status().message());
  }
  SchedulerOptions sopts;
  sopts.misfire_grace = *misfire_grace;
  sopts.on_fired = [&dispatcher, &clock](const std::string& type, JobId, bool existing) {
    if (!existing) dispatcher.Notify(type, clock.Now());
  };
  Scheduler scheduler(*store, clock, sopts);
  if (Status s = scheduler.Configure(config); !s.ok()) {
    return fail(kExitConfig, "invalid configuration: " + s.message());
  }
  Service service(*store, dispatcher, config, clock, io.get_executor(),
                  ServiceInfo{config.server.database, clock.Now()});
  service.SetNextFire([&scheduler](const std::string& type) { return scheduler.NextFire(type); });
  service_ptr = &service;
  SocketServer server(io, service, mailbox);
  if (Status s = server.Listen(config.server); !s.ok()) {
    return fail(s.code() == Status::Code::kAlreadyExists ? kExitTempFail : kExitOsError, s.message());
  }
  dispatcher.Start();
  scheduler.Start();

  boost::asio::signal_set signals(io, SIGTERM, SIGINT, SIGHUP);
  std::thread drain;
  auto begin_stop = [&](const std::string& why) {
    if (drain.joinable()) {
      log->info("{}; already stopping", why);
      return;
    }
    log->info("{}; draining", why);
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
  };
  std::function<void()> wait_signal = [&] {
    signals.async_wait([&](auto ec, int signo) {
      if (ec) return;
      if (signo == SIGHUP) {
        log->info("SIGHUP received; configuration reload is not available in this version");
      } else {
        begin_stop("termination requested (signal " + std::to_string(signo) + ")");
      }
      wait_signal();
    });
  };
  wait_signal();

  // Deleting the guard file stops the daemon, as in pyrotorque.
  boost::asio::steady_timer guard_timer(io);
  std::function<void()> watch_guard = [&] {
    guard_timer.expires_after(std::chrono::seconds(1));
    guard_timer.async_wait([&](auto ec) {
      if (ec || drain.joinable()) return;
      std::error_code exists_ec;
      if (!std::filesystem::exists(guard, exists_ec)) {
        log->warn("guard file {} disappeared, stopping", guard);
        begin_stop("guard file removed");
        return;
      }
      watch_guard();
    });
  };
  if (!guard.empty()) watch_guard();

  boost::asio::steady_timer purge_timer(io);
  std::thread purge_worker;
  if (auto purged = store->Purge(clock.Now() - config.server.retention); purged.ok() && *purged) {
    log->info("purged {} finished job(s) older than {}", *purged,
              FormatDuration(config.server.retention));
  }
  SchedulePurge(purge_timer, *store, clock, config.server.retention, purge_worker);

  log->info("torqued {} ready on {} (database {}, {} job type(s))", TORQUE_VERSION,
            config.server.socket, config.server.database, config.types.size());
  ready.Ready();
  io.run();
  if (drain.joinable()) drain.join();
  if (purge_worker.joinable()) purge_worker.join();
  SqliteStoreStats st = store->stats();
  log->info("torqued stopped; {} database commits ({} synced) carried {} writes", st.commits,
            st.synced_commits, st.ops);
  return kExitOk;
}

}  // namespace

}  // namespace torque::server
