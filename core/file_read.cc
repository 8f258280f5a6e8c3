#include "core/file_read.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace torque {
namespace {

Status Failure(const std::string& path, const std::string& why) {
  return Status::IoError("cannot read " + path + ": " + why);
}

}  // namespace

Result<std::string> ReadWholeFile(const std::string& path, std::size_t max_bytes) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    const int error = errno;
    if (error == ENOENT)
      return Status::NotFound("cannot read " + path + ": " + std::strerror(error));
    return Failure(path, std::strerror(error));
  }
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  struct stat st {};
  if (::fstat(fd, &st) != 0) return Failure(path, std::strerror(errno));
  if (S_ISDIR(st.st_mode)) return Failure(path, "is a directory");
  std::string content;
  // A regular file's size is a hint (it may grow or shrink while being read); a pipe or a
  // character device has none.
  if (S_ISREG(st.st_mode) && static_cast<std::size_t>(st.st_size) <= max_bytes) {
    content.reserve(static_cast<std::size_t>(st.st_size));
  }
  char buffer[65536];
  for (;;) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Failure(path, std::strerror(errno));
    }
    if (n == 0) break;
    if (content.size() + static_cast<std::size_t>(n) > max_bytes) {
      return Failure(path, "larger than " + std::to_string(max_bytes) + " bytes");
    }
    content.append(buffer, static_cast<std::size_t>(n));
  }
  return content;
}

}  // namespace torque
