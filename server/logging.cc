#include "server/logging.h"

#include <spdlog/details/file_helper.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <filesystem>
#include <mutex>
#include <vector>

namespace torque::server {
namespace {

constexpr char kPattern[] = "%Y-%m-%d %H:%M:%S.%e %-5l [%n] %v";

// A file sink that appends and can reopen its file, so logrotate may move the log away
// (SIGHUP makes torqued write a new file) or truncate it in place (copytruncate).
class ReopenableFileSink : public spdlog::sinks::base_sink<std::mutex> {
 public:
  explicit ReopenableFileSink(const std::string& path) { file_.open(path, false); }

  void Reopen() {
    std::lock_guard lock(mutex_);
    file_.reopen(false);
  }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    spdlog::memory_buf_t formatted;
    formatter_->format(msg, formatted);
    file_.write(formatted);
  }
  void flush_() override { file_.flush(); }

 private:
  spdlog::details::file_helper file_;
};

// The loggers MakeLogger made without their own level: they follow the daemon's level.
std::mutex g_mu;
std::shared_ptr<ReopenableFileSink> g_file;
std::vector<std::weak_ptr<spdlog::logger>> g_followers;

}  // namespace

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
  std::shared_ptr<ReopenableFileSink> file;
  if (!options.file.empty()) {
    try {
      std::error_code ec;
      std::filesystem::create_directories(std::filesystem::path(options.file).parent_path(), ec);
      file = std::make_shared<ReopenableFileSink>(options.file);
      sinks.push_back(file);
    } catch (const spdlog::spdlog_ex& e) {
      return Status::IoError("cannot open log file " + options.file + ": " + e.what());
    }
  }
  auto logger = std::make_shared<spdlog::logger>("torqued", sinks.begin(), sinks.end());
  logger->set_level(*level);
  logger->set_pattern(kPattern);
  // Warnings and errors reach the file at once; the rest within a second, so a busy
  // daemon does not pay a write() per accepted job.
  logger->flush_on(spdlog::level::warn);
  spdlog::set_default_logger(logger);
  spdlog::flush_every(std::chrono::seconds(1));
  std::lock_guard lock(g_mu);
  g_file = std::move(file);
  g_followers.clear();
  return Status::Ok();
}

Status ReopenLog() {
  std::shared_ptr<ReopenableFileSink> file;
  {
    std::lock_guard lock(g_mu);
    file = g_file;
  }
  if (!file) return Status::Ok();
  try {
    file->Reopen();
  } catch (const spdlog::spdlog_ex& e) {
    return Status::IoError(std::string("cannot reopen the log file: ") + e.what());
  }
  return Status::Ok();
}

Status SetLogLevel(const std::string& level) {
  auto parsed = ParseLogLevel(level);
  if (!parsed.ok()) return parsed.status();
  spdlog::default_logger()->set_level(*parsed);
  std::lock_guard lock(g_mu);
  std::vector<std::weak_ptr<spdlog::logger>> alive;
  for (auto& weak : g_followers) {
    if (auto logger = weak.lock()) {
      logger->set_level(*parsed);
      alive.push_back(std::move(weak));
    }
  }
  g_followers = std::move(alive);
  return Status::Ok();
}

std::shared_ptr<spdlog::logger> MakeLogger(const std::string& name, const std::string& level) {
  auto base = spdlog::default_logger();
  auto logger = std::make_shared<spdlog::logger>(name, base->sinks().begin(), base->sinks().end());
  logger->set_pattern(kPattern);
  logger->flush_on(spdlog::level::warn);
  auto parsed = level.empty() ? Result<spdlog::level::level_enum>(base->level()) : ParseLogLevel(level);
  logger->set_level(parsed.ok() ? *parsed : base->level());
  if (level.empty()) {
    std::lock_guard lock(g_mu);
    if (g_followers.size() > 64) {  // drop loggers that are gone now and then
      std::erase_if(g_followers, [](const auto& w) { return w.expired(); });
    }
    g_followers.push_back(logger);
  }
  return logger;
}

}  // namespace torque::server
