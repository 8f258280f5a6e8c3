// Daemon: torqued's life cycle — lock, recover, serve, drain.
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace torque::server {

// Exit codes (sysexits.h).
enum ExitCode {
  kExitOk = 0,
  kExitUsage = 64,
  kExitUnavailable = 69,
  kExitSoftware = 70,
  kExitOsError = 71,
  kExitIoError = 74,
  kExitTempFail = 75,  // already running
  kExitConfig = 78,
};

struct DaemonOptions {
  std::vector<std::string> config_files;  // empty: DefaultConfigFile(), if any
  bool foreground = false;                // also log to stderr
  int verbosity = 0;                      // -1 quiet (warn), 1 verbose (debug), 2 trace
  bool dry_run = false;                   // -n: dry_run on every job type
  std::string pid_file;                   // overrides [server] pid_file
  std::string guard_file;                 // --guard-file; empty: kDefaultGuardName with --cron
  bool cron = false;                      // start only if the guard file exists; else exit 75 quietly
};

// With --cron and no --guard-file, the guard file is this name next to the pid file.
inline constexpr const char* kDefaultGuardName = "torqued.guard";

// The guard file in effect for `options` with pid file `pid_path` ("" when none).
std::string GuardFile(const DaemonOptions& options, const std::string& pid_path);

// Starts the daemon and returns when it has stopped (SIGTERM/SIGINT, guard file
// deleted). Without `foreground` it detaches first (double fork, setsid) and the
// calling process returns once the daemon listens, or with its failure code and
// the reason on stderr. Returns an ExitCode.
int RunDaemon(const DaemonOptions& options);

// --status: prints "torqued (pid N) is running" or "torqued is not running".
// Returns 0 / kExitUnavailable (kExitConfig for an invalid configuration).
int DaemonStatus(const DaemonOptions& options, std::ostream& out, std::ostream& err);

// --stop: SIGTERMs the daemon holding the pid file and waits up to shutdown_grace
// + 10 s for it to go. Returns 0 when it stopped or was not running, kExitSoftware
// when it is still running.
int StopDaemon(const DaemonOptions& options, std::ostream& out, std::ostream& err);

// Loads and validates the configuration, prints the effective job types (or
// the reason it is invalid) to `out`/`err`. Returns 0 when valid, 1 when not.
int CheckConfig(const DaemonOptions& options, std::ostream& out, std::ostream& err);

// --check-db: runs PRAGMA integrity_check on the configured database without writing to
// it (safe while torqued runs) and prints "database P: ok" to `out` or the problem to
// `err`; a PostgreSQL database is connected to and its schema version read. Returns 0 when sound, kExitIoError when damaged or unreadable, kExitConfig for
// an invalid configuration.
int CheckDatabase(const DaemonOptions& options, std::ostream& out, std::ostream& err);

}  // namespace torque::server
