// Test helper: an spdlog sink that keeps every line as "level message".
#pragma once

#include <spdlog/details/log_msg.h>
#include <spdlog/sinks/base_sink.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <vector>

namespace torque::testing {

class RecordingSink : public spdlog::sinks::base_sink<std::mutex> {
 public:
  std::vector<std::string> Lines() {
    std::lock_guard<std::mutex> lock(mutex_);
    return lines_;
  }
  // The lines at `level` ("warning", "error").
  std::vector<std::string> At(const std::string& level) {
    return Select([&](const std::string& line) { return line.rfind(level + " ", 0) == 0; });
  }
  // The lines containing `text`.
  std::vector<std::string> Matching(const std::string& text) {
    return Select([&](const std::string& line) { return line.find(text) != std::string::npos; });
  }
  // Waits up to 10 s for the line `line`; whether it came.
  bool WaitFor(const std::string& line) {
    std::unique_lock<std::mutex> lock(mutex_);
    return changed_.wait_for(lock, std::chrono::seconds(10), [&] {
      return std::find(lines_.begin(), lines_.end(), line) != lines_.end();
    });
  }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    lines_.push_back(std::string(spdlog::level::to_string_view(msg.level).data()) + " " +
                     std::string(msg.payload.data(), msg.payload.size()));
    changed_.notify_all();
  }
  void flush_() override {}

 private:
  template <typename Pred>
  std::vector<std::string> Select(Pred keep) {
    std::vector<std::string> found;
    for (const std::string& line : Lines()) {
      if (keep(line)) found.push_back(line);
    }
    return found;
  }

  std::vector<std::string> lines_;
  std::condition_variable_any changed_;
};

}  // namespace torque::testing
