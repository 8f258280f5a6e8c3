// LockFile: an exclusive lock on a small file that names its holder's pid (the pid file,
// and the lock beside the SQLite database).
#pragma once

#include <optional>
#include <string>
#include <sys/types.h>

#include "core/status.h"

namespace torque::server {

// Holds an flock on the file, which names this process's pid, until destroyed. The lock
// goes away with the last copy of its descriptor, so a stale file never blocks a start.
class LockFile {
 public:
  // Opens or creates `path`, locks it and writes this process's pid into it. kAlreadyExists
  // when another process holds it, with `*holder` = the pid the file names (nullopt when it
  // names none); kIoError when the file cannot be opened, locked or written.
  //
  // A lock held although the pid the file names is gone is waited for, up to a second: a
  // holder SIGKILLed while spawning a job leaves the half-made child a copy of the
  // descriptor until its exec closes it, and a new holder writes its pid just after locking.
  static Result<LockFile> Acquire(const std::string& path, std::optional<pid_t>* holder);

  // The pid `path` names while somebody holds its lock; nullopt when nobody does.
  static std::optional<pid_t> Holder(const std::string& path);

  LockFile(LockFile&& other) noexcept;
  LockFile& operator=(LockFile&&) = delete;
  ~LockFile();  // releases the lock; the file stays

  const std::string& path() const { return path_; }
  bool held() const { return fd_ >= 0; }  // false once moved from

 private:
  LockFile(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  std::string path_;
  int fd_ = -1;
};

}  // namespace torque::server
