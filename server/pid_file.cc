#include "server/pid_file.h"

#include <unistd.h>

#include <filesystem>
#include <string>

namespace torque::server {

Result<PidFile> PidFile::Acquire(const std::string& path) {
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
  std::optional<pid_t> holder;
  auto lock = LockFile::Acquire(path, &holder);
  if (lock.ok()) return PidFile(std::move(*lock));
  if (lock.status().code() != Status::Code::kAlreadyExists) {
    return Status::IoError("pid file: " + lock.status().message());
  }
  return Status::AlreadyExists("torqued is already running (pid " +
                               (holder ? std::to_string(*holder) : std::string("?")) +
                               ", pid file " + path + ")");
}

PidFile::~PidFile() {
  if (lock_.held()) unlink(lock_.path().c_str());  // then lock_ releases the lock
}

}  // namespace torque::server
