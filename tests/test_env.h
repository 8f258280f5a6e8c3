// Test helpers for the process environment: temporary directories, environment variables
// and the time zone, each restored when the test's scope ends.
#pragma once

#include <stdlib.h>

#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>

namespace torque::testing {

// Whether this build runs under a sanitizer: 2-20x slower, so tests that only report
// figures do less work (and never fail on time anyway).
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
inline constexpr bool kSanitized = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
inline constexpr bool kSanitized = true;
#else
inline constexpr bool kSanitized = false;
#endif
#else
inline constexpr bool kSanitized = false;
#endif

// A fresh directory under the system temp dir ("<prefix>-XXXXXX"; keep the prefix short
// when sockets go in it), removed with everything in it at the end.
class TempDir {
 public:
  explicit TempDir(const std::string& prefix = "torque-test") {
    std::string templ =
        (std::filesystem::temp_directory_path() / (prefix + "-XXXXXX")).string();
    path_ = mkdtemp(templ.data());
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  std::string File(const std::string& name) const { return path_ + "/" + name; }
  // Writes `content` to the file `name` in the directory; returns its path.
  std::string Write(const std::string& name, const std::string& content) const {
    std::ofstream(File(name), std::ios::binary) << content;
    return File(name);
  }

 private:
  std::string path_;
};

// Sets (or, with nullptr, unsets) an environment variable for the scope, then restores it.
// The time zone is re-read both times, so it serves for TZ too.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    Set(value);
  }
  ~ScopedEnv() { Set(old_ ? old_->c_str() : nullptr); }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  void Set(const char* value) {
    if (value) {
      setenv(name_.c_str(), value, 1);
    } else {
      unsetenv(name_.c_str());
    }
    tzset();
  }

  std::string name_;
  std::optional<std::string> old_;
};

// TZ set for the scope.
class ScopedTz : public ScopedEnv {
 public:
  explicit ScopedTz(const char* tz) : ScopedEnv("TZ", tz) {}
};

}  // namespace torque::testing
