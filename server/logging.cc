#include "server/logging.h"

#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <filesystem>
#include <vector>

namespace torque::server {

Result<spdlog::level::level_enum> ParseLogLevel(const std::string& text) {
  if (text == "warning") return spdlog::level::warn;
  auto level = spdlog::level::from_str(text);
  if (level == spdlog::level::off && text != "off") {
    return Status::InvalidArgument("unknown log level '" + text +
                                   "' (trace, debug, info, warn, error, critical, off)");
  }
  return level;
}

Status SetUpLogging(const LogOptions& options) {
  auto level = ParseLogLevel(options.level);
  if (!level.ok()) return level.status();
  std::vector<spdlog::sink_ptr> sinks;
  if (options.console) sinks.push_back(std::make_shared<spdlog::sinks::stderr_sink_mt>());
  if (!options.file.empty()) {
    try {
      std::error_code ec;
      std::filesystem::create_directories(std::filesystem::path(options.file).parent_path(), ec);
      sinks.push_back(std::make_shared<spdlog::sinks::basic_file_sink_mt>(options.file));
    } catch (const spdlog::spdlog_ex& e) {
      return Status::IoError("cannot open log file " + options.file + ": " + e.what());
    }
  }
  auto logger = std::make_shared<spdlog::logger>("torqued", sinks.begin(), sinks.end());
  logger->set_level(*level);
  logger->set_pattern("%Y-%m-%d %H:%M:%S.%e %-5l [%n] %v");
  // Warnings and errors reach the file at once; the rest within a second, so a busy
  // daemon does not pay a write() per accepted job.
  logger->flush_on(spdlog::level::warn);
  spdlog::set_default_logger(logger);
  spdlog::flush_every(std::chrono::seconds(1));
  return Status::Ok();
}

std::shared_ptr<spdlog::logger> MakeLogger(const std::string& name, const std::string& level) {
  auto base = spdlog::default_logger();
  auto logger = std::make_shared<spdlog::logger>(name, base->sinks().begin(), base->sinks().end());
  logger->set_pattern("%Y-%m-%d %H:%M:%S.%e %-5l [%n] %v");
  logger->flush_on(spdlog::level::warn);
  auto parsed = level.empty() ? Result<spdlog::level::level_enum>(base->level()) : ParseLogLevel(level);
  logger->set_level(parsed.ok() ? *parsed : base->level());
  return logger;
}

}  // namespace torque::server
