// PidFile: the daemon's pid file, held with a lock while it runs.
#pragma once

#include <optional>
#include <string>
#include <sys/types.h>

#include "core/status.h"
#include "server/lock_file.h"

namespace torque::server {

// Owns a locked pid file (a LockFile); the lock goes away with the process, so a stale file
// never blocks a start. Removes the file on destruction.
class PidFile {
 public:
  // Creates/locks `path` and writes the current pid. kAlreadyExists
  // "torqued is already running (pid N, pid file P)" if another process holds it.
  static Result<PidFile> Acquire(const std::string& path);

  // The pid of the live process holding `path`'s lock, if any.
  static std::optional<pid_t> ReadLive(const std::string& path) {
    return LockFile::Holder(path);
  }

  PidFile(PidFile&& other) noexcept = default;
  PidFile& operator=(PidFile&&) = delete;
  ~PidFile();

 private:
  explicit PidFile(LockFile lock) : lock_(std::move(lock)) {}
  LockFile lock_;
};

}  // namespace torque::server
