#include "server/lock_file.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <thread>

namespace torque::server {
namespace {

// How long a lock whose named holder is gone is waited for (see Acquire).
constexpr std::chrono::seconds kOrphanWait{1};

std::optional<pid_t> ReadPid(int fd) {
  char buf[32] = {};
  ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
  if (n <= 0) return std::nullopt;
  long pid = std::strtol(buf, nullptr, 10);  // 0 when the file names no number
  if (pid <= 0) return std::nullopt;
  return static_cast<pid_t>(pid);
}

bool Alive(pid_t pid) { return kill(pid, 0) == 0 || errno == EPERM; }

}  // namespace

Result<LockFile> LockFile::Acquire(const std::string& path, std::optional<pid_t>* holder) {
  *holder = std::nullopt;
  int fd = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return Status::IoError("cannot open " + path + ": " + std::strerror(errno));
  const auto deadline = std::chrono::steady_clock::now() + kOrphanWait;
  while (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int error = errno;
    if (error != EWOULDBLOCK) {
      close(fd);
      return Status::IoError("cannot lock " + path + ": " + std::strerror(error));
    }
    auto pid = ReadPid(fd);
    if ((pid && Alive(*pid)) || std::chrono::steady_clock::now() > deadline) {
      close(fd);
      *holder = pid;
      return Status::AlreadyExists(path + " is locked by " +
                                   (pid ? "pid " + std::to_string(*pid) : "another process"));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  const std::string text = std::to_string(getpid()) + "\n";
  if (ftruncate(fd, 0) != 0 ||
      pwrite(fd, text.data(), text.size(), 0) != static_cast<ssize_t>(text.size())) {
    const int error = errno;
    close(fd);
    return Status::IoError("cannot write " + path + ": " + std::strerror(error));
  }
  return LockFile(path, fd);
}

std::optional<pid_t> LockFile::Holder(const std::string& path) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  std::optional<pid_t> pid;
  if (flock(fd, LOCK_SH | LOCK_NB) != 0) pid = ReadPid(fd);  // somebody holds it
  close(fd);
  return pid;
}

LockFile::LockFile(LockFile&& other) noexcept : path_(std::move(other.path_)), fd_(other.fd_) {
  other.fd_ = -1;
}

LockFile::~LockFile() {
  if (fd_ >= 0) close(fd_);
}

}  // namespace torque::server
