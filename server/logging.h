// Logging set-up for torqued: one spdlog logger per area, all sharing the same sinks.
#pragma once

#include <memory>
#include <string>

#include <spdlog/logger.h>

#include "core/status.h"

namespace torque::server {

struct LogOptions {
  std::string file;          // empty: no file
  bool console = false;      // also write to stderr (--fg)
  std::string level = "info";
};

// Creates the "torqued" default logger. kInvalidArgument for a bad level,
// kIoError when the log file cannot be opened. Call from main before threads start.
Status SetUpLogging(const LogOptions& options);

// Config reload: reopens the log file (after logrotate moved it); a no-op without one.
Status ReopenLog();
// Config reload: the daemon's level, for the default logger and every logger that has
// no level of its own.
Status SetLogLevel(const std::string& level);

// A logger named `name` sharing the default logger's sinks; `level` empty: the
// default logger's level. Thread-safe.
std::shared_ptr<spdlog::logger> MakeLogger(const std::string& name, const std::string& level = {});

// Parses trace|debug|info|warn|warning|error|critical|off.
Result<spdlog::level::level_enum> ParseLogLevel(const std::string& text);

}  // namespace torque::server
