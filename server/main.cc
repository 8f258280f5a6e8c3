// torqued: the torque job dispatcher daemon. Parses flags and hands over.
#include <iostream>

#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include "server/daemon.h"
#include "server/sqlite_store.h"

int main(int argc, char** argv) {
  using namespace torque::server;
  SqliteStore::ConfigureProcess();
  DaemonOptions options;
  bool check_config = false, check_db = false;
  bool status = false, stop = false, restart = false;
  bool verbose = false, quiet = false, debug = false;
  CLI::App app{"torqued — persistent job dispatcher daemon"};
  app.set_version_flag("--version", TORQUE_VERSION);
  app.add_option("-c,--config", options.config_files, "Config file (repeatable; later ones win)");
  app.add_flag("--fg,--no-fork", options.foreground,
               "Stay in the foreground and log to stderr too (default: detach; return once "
               "the socket listens, or exit non-zero with the reason on stderr)");
  app.add_flag("-v,--verbose", verbose, "Log at debug level");
  app.add_flag("--debug", debug, "Log at trace level");
  app.add_flag("-q,--quiet", quiet, "Log warnings and errors only");
  app.add_flag("-n,--dry-run", options.dry_run, "Force dry_run on every job type");
  app.add_option("--pid-file", options.pid_file, "Pid file (overrides [server] pid_file)");
  app.add_option("--guard-file", options.guard_file,
                 "Start only while this file exists; deleting it stops the daemon "
                 "(default with --cron: torqued.guard next to the pid file)");
  app.add_flag("--cron", options.cron,
               "Start detached only if the guard file exists and no instance runs; "
               "else exit 75 quietly (for the rTorrent watchdog)");
  auto* status_flag = app.add_flag("--status", status, "Exit 0 if torqued runs, else 69");
  auto* stop_flag = app.add_flag("--stop", stop, "SIGTERM torqued and wait until it stopped");
  app.add_flag("--restart", restart, "--stop, then start")->excludes(status_flag)->excludes(stop_flag);
  status_flag->excludes(stop_flag);
  app.add_flag("--check-config", check_config, "Print the effective job types and exit (exit 0 valid, 1 invalid)");
  app.add_flag("--check-db", check_db,
               "Run integrity_check on the database (read-only, safe while torqued runs; "
               "PostgreSQL: connect) and exit (0 sound, 74 damaged or unreachable)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : kExitUsage;
  }
  options.verbosity = debug ? 2 : verbose ? 1 : quiet ? -1 : 0;
  if (check_config) return CheckConfig(options, std::cout, std::cerr);
  if (check_db) return CheckDatabase(options, std::cout, std::cerr);
  if (status) return DaemonStatus(options, std::cout, std::cerr);
  if (stop || restart) {
    int rc = StopDaemon(options, std::cout, std::cerr);
    if (stop || rc != kExitOk) return rc;
  }
  int rc = RunDaemon(options);
  spdlog::shutdown();  // flushes the log
  return rc;
}
