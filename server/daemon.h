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
};

// Starts the daemon and returns when it has stopped (SIGTERM/SIGINT). Returns an ExitCode.
int RunDaemon(const DaemonOptions& options);

// Loads and validates the configuration, prints the effective job types (or
// the reason it is invalid) to `out`/`err`. Returns 0 when valid, 1 when not.
int CheckConfig(const DaemonOptions& options, std::ostream& out, std::ostream& err);

}  // namespace torque::server
