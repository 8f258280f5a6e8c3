// PidFile: the daemon's pid file, held with a lock while it runs.
#pragma once

#include <optional>
#include <string>
#include <sys/types.h>

#include "core/status.h"

namespace torque::server {

// Owns a locked pid file; the lock goes away with the process, so a stale file
// never blocks a start. Removes the file on destruction.
class PidFile {
 public:
  // Creates/locks `path` and writes the current pid. kAlreadyExists
  // "torqued is already running (pid N, pid file P)" if another process holds it.
  static Result<PidFile> Acquire(const std::string& path);

  // The pid of the live process holding `path`'s lock, if any.
  static std::optional<pid_t> ReadLive(const std::string& path);

  PidFile(PidFile&& other) noexcept;
  PidFile& operator=(PidFile&&) = delete;
  ~PidFile();

  // Rewrites the pid (after daemonizing forks). Returns kIoError on failure.
  Status Update();

 private:
  PidFile(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  std::string path_;
  int fd_ = -1;
};

}  // namespace torque::server
