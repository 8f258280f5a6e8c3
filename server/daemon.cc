#include "server/daemon.h"

#include <fcntl.h>
#include <sys/resource.h>
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

#include <spdlog/spdlog.h>

#include "core/config.h"
#include "core/database_uri.h"
#include "core/duration.h"
#include "jobs/handler_table.h"
#include "jobs/rtorrent/regex.h"
#include "server/db_check.h"
#include "server/job_types.h"
#include "server/logging.h"
#include "server/pg_connection.h"
#include "server/pid_file.h"
#include "server/runtime.h"
#include "server/systemd_notify.h"

namespace torque::server {
namespace {

Result<Config> Load(const DaemonOptions& options) {
  ConfigOptions co;
  co.files = options.config_files;
  if (co.files.empty()) {
    if (auto f = DefaultConfigFile()) co.files.push_back(*f);
  }
  co.dry_run = options.dry_run;
  co.handlers = &jobs::HandlerSpecs();
  return LoadConfig(co);
}

// The signals the runtime handles (stop, reload). Until its handlers exist their default
// action would end the process: logrotate's SIGHUP, or a `systemctl reload` right after a
// start under a unit that does not wait for READY=1, would leave torqued dead, and systemd
// counts a SIGHUP death as clean, so Restart=on-failure would not bring it back. Blocked
// from the start, they stay pending and reach the runtime once it listens.
sigset_t RuntimeSignals() {
  sigset_t set;
  sigemptyset(&set);
  for (int signo : {SIGHUP, SIGTERM, SIGINT}) sigaddset(&set, signo);
  return set;
}

std::string LogLevel(const Config& config, int verbosity) {
  switch (verbosity) {
    case -1: return "warn";
    case 1: return "debug";
    case 2: return "trace";
    default: return config.server.log_level;
  }
}

// Tells the process that launched a detached daemon how its start-up ended, and systemd
// (Type=notify) why it failed; the runtime tells systemd that it is ready.
class Readiness {
 public:
  Readiness(int fd, SystemdNotifier systemd) : fd_(fd), systemd_(std::move(systemd)) {}
  Readiness(const Readiness&) = delete;
  Readiness& operator=(const Readiness&) = delete;
  ~Readiness() {
    if (fd_ >= 0) close(fd_);
  }
  const SystemdNotifier& systemd() const { return systemd_; }
  void Ready() { Send("R\n"); }
  void Fail(int rc, const std::string& why) {
    (void)systemd_.Failed(why);  // the log and the exit code say it too
    Send("F" + std::to_string(rc) + " " + why + "\n");
  }

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
  const SystemdNotifier systemd_;
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
  SystemClock clock;
  auto shared = std::make_shared<const Config>(*config);
  if (auto plan = JobTypes::Prepare(MakeHandlerEnv(shared, clock)); !plan.ok()) {
    err << "torqued: invalid configuration: " << plan.status().message() << "\n";
    return 1;
  }
  if (auto grace = MisfireGrace(*config); !grace.ok()) {
    err << "torqued: invalid configuration: " << grace.status().message() << "\n";
    return 1;
  }
  out << "files:";
  if (config->files.empty()) out << " (compiled-in defaults only)";
  for (const auto& f : config->files) out << " " << f;
  out << "\nsocket: " << config->server.socket
      << "\ndatabase: " << RedactedDatabase(config->server.database) << "\n\njob types:\n";
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

int CheckDatabase(const DaemonOptions& options, std::ostream& out, std::ostream& err) {
  auto config = Load(options);
  if (!config.ok()) {
    err << "torqued: invalid configuration: " << config.status().message() << "\n";
    return kExitConfig;
  }
  const std::string& path = config->server.database;
  if (IsPostgresqlUri(path)) {
    // A shared database: reachable, and with torque's tables at a version this torqued knows.
    Status s = Status::Ok();
    std::string version = "none yet";
    auto c = pg::Connection::Open(path);
    if (!c.ok()) s = c.status();
    if (s.ok()) {
      auto r = c->Exec("SELECT version FROM torque_schema_version");
      if (!r.ok() && c->last_sqlstate() != "42P01") s = r.status();
      if (r.ok() && r->size() == 1) version = r->Text(0, 0);
    }
    if (!s.ok()) {
      err << "torqued: database " << RedactedDatabase(path) << ": " << s.message() << "\n";
      return kExitIoError;
    }
    out << "database " << RedactedDatabase(path) << ": ok (PostgreSQL, schema version " << version
        << ")\n";
    return kExitOk;
  }
  if (Status s = CheckDatabaseFile(path, {.full = true}); !s.ok()) {
    err << "torqued: " << s.message() << "\n";
    return kExitIoError;
  }
  out << "database " << path << ": ok\n";
  return kExitOk;
}

int RunDaemon(const DaemonOptions& options) {
  // Read and removed from the environment before any thread exists.
  const SystemdNotifier systemd = SystemdNotifier::FromEnvironment();
  std::signal(SIGPIPE, SIG_IGN);
  const sigset_t held = RuntimeSignals();
  pthread_sigmask(SIG_BLOCK, &held, nullptr);
  auto loaded = Load(options);
  if (!loaded.ok()) {
    const std::string why = "invalid configuration: " + loaded.status().message();
    std::cerr << "torqued: " << why << "\n";
    (void)systemd.Failed(why);  // stderr and the exit code say it too
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
  Readiness ready(ready_fd, systemd);
  return Serve(options, config, pid_path, guard, ready);
}

namespace {

// Every client connection holds a descriptor, and the usual soft limit (1024, systemd's
// default too) would refuse clients long before memory runs short: up to the hard limit.
// Jobs inherit it; spawning closes descriptors with close_range, at no cost per limit.
void RaiseOpenFileLimit(spdlog::logger& log) {
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= rl.rlim_max) return;
  const rlim_t soft = rl.rlim_cur;
  rl.rlim_cur = rl.rlim_max;
  if (setrlimit(RLIMIT_NOFILE, &rl) == 0) {
    log.debug("open files limit raised from {} to {}", soft, rl.rlim_max);
  } else {
    log.warn("cannot raise the open files limit from {}: {}", soft, std::strerror(errno));
  }
}

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
  // A condition's regex that gives up on a value says so once, in the log.
  rtorrent::SetRegexNoticeSink([](const std::string& message) { spdlog::warn("{}", message); });
  // Logs why start-up failed and tells the launcher; returns rc.
  auto fail = [&](int rc, const std::string& why,
                  spdlog::level::level_enum level = spdlog::level::err) {
    log->log(level, "{}", why);
    ready.Fail(rc, why);
    return rc;
  };
  for (const auto& w : config.warnings) log->warn("config: {}", w.ToString());
  RaiseOpenFileLimit(*log);

  // Lock.
  auto pid_file = PidFile::Acquire(pid_path);
  if (!pid_file.ok()) {
    bool running = pid_file.status().code() == Status::Code::kAlreadyExists;
    // --cron: losing the race to another --cron is the normal case.
    return fail(running ? kExitTempFail : kExitIoError, pid_file.status().message(),
                running && options.cron ? spdlog::level::debug : spdlog::level::err);
  }
  RuntimeOptions ro;
  ro.guard_file = guard;
  ro.log_level = options.verbosity != 0 ? LogLevel(config, options.verbosity) : "";
  ro.detached = !options.foreground;
  ro.load_config = [options] { return Load(options); };
  ro.systemd = ready.systemd();
  Runtime runtime(config, std::move(ro));
  // Its signal handlers exist now: what arrived meanwhile is delivered to them, and the
  // threads started from here on (workers, store) take the ordinary mask.
  const sigset_t held = RuntimeSignals();
  pthread_sigmask(SIG_UNBLOCK, &held, nullptr);
  std::string why;
  if (int rc = runtime.Open(&why); rc != kExitOk) return fail(rc, why);
  runtime.Run([&ready] { ready.Ready(); });
  return kExitOk;
}

}  // namespace

}  // namespace torque::server
