#include "bench/bench_util.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <utility>

extern char** environ;

namespace torque::bench {
namespace {

std::string ErrnoText(int err) { return std::strerror(err); }

// Bytes asked for per read call.
constexpr size_t kReadChunk = 64 * 1024;

}  // namespace

int64_t NowNs() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

double Percentile(std::vector<double> samples, double p) {
  if (samples.empty()) return 0;
  std::sort(samples.begin(), samples.end());
  const double rank = std::ceil(p / 100.0 * static_cast<double>(samples.size()));
  const size_t index = rank < 1 ? 0 : static_cast<size_t>(rank) - 1;
  return samples[std::min(index, samples.size() - 1)];
}

void Emit(std::string_view workload, std::string_view system, std::string_view metric,
          double value) {
  std::printf("RESULT %.*s %.*s %.*s %.10g\n", static_cast<int>(workload.size()), workload.data(),
              static_cast<int>(system.size()), system.data(), static_cast<int>(metric.size()),
              metric.data(), value);
  std::fflush(stdout);
}

Result<Conn> Conn::Tcp(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Status::Unavailable("socket: " + ErrnoText(errno));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    const int err = errno;
    close(fd);
    return Status::Unavailable("cannot connect to 127.0.0.1:" + std::to_string(port) + ": " +
                               ErrnoText(err));
  }
  const int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return Conn(fd);
}

Result<Conn> Conn::Unix(const std::string& path) {
  sockaddr_un addr{};
  if (path.size() >= sizeof addr.sun_path) return Status::InvalidArgument("path too long: " + path);
  const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Status::Unavailable("socket: " + ErrnoText(errno));
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.data(), path.size());
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    const int err = errno;
    close(fd);
    return Status::Unavailable("cannot connect to " + path + ": " + ErrnoText(err));
  }
  return Conn(fd);
}

Conn::Conn(Conn&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), buf_(std::move(other.buf_)), pos_(other.pos_) {}

Conn& Conn::operator=(Conn&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) close(fd_);
    fd_ = std::exchange(other.fd_, -1);
    buf_ = std::move(other.buf_);
    pos_ = other.pos_;
  }
  return *this;
}

Conn::~Conn() {
  if (fd_ >= 0) close(fd_);
}

Status Conn::Send(std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Status::IoError("send: " + ErrnoText(errno));
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return Status::Ok();
}

Status Conn::Fill() {
  if (pos_ > 0 && pos_ == buf_.size()) {
    buf_.clear();
    pos_ = 0;
  } else if (pos_ > kReadChunk) {
    buf_.erase(0, pos_);
    pos_ = 0;
  }
  const size_t old = buf_.size();
  buf_.resize(old + kReadChunk);
  for (;;) {
    const ssize_t n = recv(fd_, buf_.data() + old, kReadChunk, 0);
    if (n > 0) {
      buf_.resize(old + static_cast<size_t>(n));
      return Status::Ok();
    }
    if (n < 0 && errno == EINTR) continue;
    buf_.resize(old);
    return Status::IoError(n == 0 ? "connection closed by peer" : "recv: " + ErrnoText(errno));
  }
}

Result<std::string> Conn::Line() {
  size_t scanned = pos_;
  for (;;) {
    const size_t lf = buf_.find('\n', scanned);
    if (lf != std::string::npos) {
      size_t end = lf;
      if (end > pos_ && buf_[end - 1] == '\r') --end;
      std::string line = buf_.substr(pos_, end - pos_);
      pos_ = lf + 1;
      return line;
    }
    const size_t unread = buf_.size() - pos_;
    if (Status s = Fill(); !s.ok()) return s;
    scanned = pos_ + unread;  // Fill may have moved the unread bytes to the front
  }
}

Result<std::string> Conn::Bytes(size_t n) {
  while (buf_.size() - pos_ < n) {
    if (Status s = Fill(); !s.ok()) return s;
  }
  std::string out = buf_.substr(pos_, n);
  pos_ += n;
  return out;
}

int64_t ProcField(pid_t pid, std::string_view file, std::string_view field) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/" + std::string(file));
  std::string line;
  while (std::getline(in, line)) {
    if (line.size() > field.size() && line.compare(0, field.size(), field) == 0 &&
        line[field.size()] == ':') {
      return std::strtoll(line.c_str() + field.size() + 1, nullptr, 10);
    }
  }
  return -1;
}

int64_t ProcStatusKb(pid_t pid, std::string_view field) { return ProcField(pid, "status", field); }

int64_t FileSize(const std::string& path) {
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) return 0;
  return static_cast<int64_t>(st.st_size);
}

Result<int> RunQuiet(const std::vector<std::string>& argv) {
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  for (int fd = 0; fd <= 2; ++fd) {
    posix_spawn_file_actions_addopen(&actions, fd, "/dev/null", fd == 0 ? O_RDONLY : O_WRONLY, 0);
  }
  pid_t pid = 0;
  const int err = posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (err != 0) return Status::Internal("cannot run " + argv[0] + ": " + ErrnoText(err));
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return Status::Internal("waitpid: " + ErrnoText(errno));
  }
  if (!WIFEXITED(status)) return Status::Internal(argv[0] + " died of a signal");
  return WEXITSTATUS(status);
}

Result<std::pair<std::string, std::string>> SplitPair(const std::string& text,
                                                      std::string_view what) {
  const size_t eq = text.find('=');
  if (eq == std::string::npos || eq == 0) {
    return Status::InvalidArgument("invalid " + std::string(what) + " '" + text +
                                   "' (expected NAME=VALUE)");
  }
  return std::make_pair(text.substr(0, eq), text.substr(eq + 1));
}

}  // namespace torque::bench
