#include "jobs/process_runner.h"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>

extern char** environ;

namespace torque::jobs {
namespace {

constexpr size_t kReadChunk = 64 * 1024;
// Poll interval for the waitpid fallback when there is no pidfd.
constexpr DurationMs kPollInterval = 10;
// How often a terminated group whose leader is gone is checked for survivors.
constexpr DurationMs kGroupCheckInterval = 50;

// Owns one file descriptor.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { Reset(); }
  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  void Release() { fd_ = -1; }
  void Reset(int fd = -1) {
    if (fd_ >= 0) close(fd_);
    fd_ = fd;
  }

 private:
  int fd_ = -1;
};

std::string ErrnoText(int err) { return std::strerror(err); }

Status SysError(const std::string& what, int err) {
  return Status::IoError(what + ": " + ErrnoText(err));
}

bool MakePipe(Fd& read_end, Fd& write_end) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return false;
  read_end.Reset(fds[0]);
  write_end.Reset(fds[1]);
  return true;
}

// The daemon's environment with `extra` set on top, as "NAME=value" strings.
std::vector<std::string> BuildEnvironment(const std::map<std::string, std::string>& extra) {
  std::vector<std::string> env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    std::string_view entry(*e);
    const size_t eq = entry.find('=');
    const std::string name(entry.substr(0, eq));
    if (extra.count(name) == 0) env.emplace_back(entry);
  }
  for (const auto& [name, value] : extra) env.push_back(name + "=" + value);
  return env;
}

// PATH from the child's environment, else the usual default.
std::string PathOf(const std::vector<std::string>& env) {
  for (const auto& entry : env) {
    if (entry.rfind("PATH=", 0) == 0) return entry.substr(5);
  }
  return "/usr/local/bin:/usr/bin:/bin";
}

// The file execve should run for argv[0]; empty when a bare name is not in PATH.
std::string ResolveProgram(const std::string& name, const std::string& path) {
  if (name.find('/') != std::string::npos) return name;
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find(':', start);
    if (end == std::string::npos) end = path.size();
    std::string dir = path.substr(start, end - start);
    if (dir.empty()) dir = ".";
    std::string candidate = dir + "/" + name;
    struct stat st;
    if (stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
        access(candidate.c_str(), X_OK) == 0) {
      return candidate;
    }
    start = end + 1;
  }
  return {};
}

std::vector<char*> CStrings(std::vector<std::string>& strings) {
  std::vector<char*> out;
  out.reserve(strings.size() + 1);
  for (auto& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

// posix_spawn's file actions and attributes for one run: the child gets its own process
// group, stdin from /dev/null, stdout and stderr to the pipes, no other descriptor, default
// signal handlers and an empty signal mask. glibc spawns with clone(CLONE_VM|CLONE_VFORK):
// unlike fork() it copies no page tables, so a busy multi-threaded daemon pays no
// copy-on-write faults and TLB shootdowns per job (fork cost ~10x a spawn here).
class SpawnPlan {
 public:
  SpawnPlan() {
    posix_spawn_file_actions_init(&actions_);
    posix_spawnattr_init(&attr_);
  }
  SpawnPlan(const SpawnPlan&) = delete;
  SpawnPlan& operator=(const SpawnPlan&) = delete;
  ~SpawnPlan() {
    posix_spawn_file_actions_destroy(&actions_);
    posix_spawnattr_destroy(&attr_);
  }

  // The descriptors must all be above 2, so that no dup2 clobbers another's source.
  int Prepare(int stdin_fd, int stdout_fd, int stderr_fd, const char* cwd) {
    sigset_t all, none;
    sigfillset(&all);
    sigemptyset(&none);
    int err = 0;
    const auto step = [&err](int rc) {
      if (err == 0) err = rc;
    };
    step(posix_spawn_file_actions_adddup2(&actions_, stdin_fd, 0));
    step(posix_spawn_file_actions_adddup2(&actions_, stdout_fd, 1));
    step(posix_spawn_file_actions_adddup2(&actions_, stderr_fd, 2));
    step(posix_spawn_file_actions_addclosefrom_np(&actions_, 3));
    if (cwd != nullptr) step(posix_spawn_file_actions_addchdir_np(&actions_, cwd));
    step(posix_spawnattr_setpgroup(&attr_, 0));
    step(posix_spawnattr_setsigdefault(&attr_, &all));
    step(posix_spawnattr_setsigmask(&attr_, &none));
    step(posix_spawnattr_setflags(
        &attr_, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK));
    return err;
  }

  const posix_spawn_file_actions_t* actions() const { return &actions_; }
  const posix_spawnattr_t* attr() const { return &attr_; }

 private:
  posix_spawn_file_actions_t actions_;
  posix_spawnattr_t attr_;
};

// A descriptor at 3 or above (a daemon started with 0-2 closed may get them for pipes).
bool AboveStdio(Fd& fd) {
  if (fd.get() > 2) return true;
  const int moved = fcntl(fd.get(), F_DUPFD_CLOEXEC, 3);
  if (moved < 0) return false;
  fd.Reset(moved);
  return true;
}

// /dev/null for the children's stdin: opened once for the process (at 3 or above,
// close-on-exec), not twice per run; -1 when it cannot be opened (tried again next time).
int SharedDevNull() {
  static std::atomic<int> shared{-1};
  if (const int fd = shared.load(); fd >= 0) return fd;
  Fd fd(open("/dev/null", O_RDONLY | O_CLOEXEC));
  if (!fd.valid() || !AboveStdio(fd)) return -1;
  int expected = -1;
  if (shared.compare_exchange_strong(expected, fd.get())) {
    const int kept = fd.get();
    fd.Release();
    return kept;
  }
  return expected;  // another thread was first
}

// Whether `dir` is a directory this process can change into (to tell a failed chdir from a
// failed exec: posix_spawn reports only the errno).
bool CanEnter(const std::string& dir) {
  struct stat st;
  return stat(dir.c_str(), &st) == 0 && S_ISDIR(st.st_mode) && access(dir.c_str(), X_OK) == 0;
}

int OpenPidFd(pid_t pid) {
#ifdef SYS_pidfd_open
  return static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
#else
  (void)pid;
  return -1;
#endif
}

// Whether process group `pgid` has no member left but zombies: orphaned
// zombies stay until their new parent reaps them, which a container's init may
// never do. Falls back to kill(-pgid, 0) when /proc cannot be read.
bool GroupGone(pid_t pgid) {
  if (kill(-pgid, 0) != 0 && errno == ESRCH) return true;
  DIR* proc = opendir("/proc");
  if (proc == nullptr) return false;
  bool live = false;
  char path[300];
  char stat[512];
  while (!live) {
    const dirent* entry = readdir(proc);
    if (entry == nullptr) break;
    if (entry->d_name[0] < '1' || entry->d_name[0] > '9') continue;
    std::snprintf(path, sizeof path, "/proc/%s/stat", entry->d_name);
    const int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) continue;
    const ssize_t n = read(fd, stat, sizeof stat - 1);
    close(fd);
    if (n <= 0) continue;
    stat[n] = '\0';
    // "pid (comm) state ppid pgrp ...": comm may hold anything, so parse after the last ')'.
    const char* rest = std::strrchr(stat, ')');
    char state = 0;
    int ppid = 0, pgrp = 0;
    if (rest == nullptr || std::sscanf(rest + 1, " %c %d %d", &state, &ppid, &pgrp) != 3) continue;
    if (pgrp == pgid && state != 'Z' && state != 'X') live = true;
  }
  closedir(proc);
  return !live;
}

// Collects stdout (bounded) and stderr (lines for the callback, plus a tail).
class OutputCollector {
 public:
  explicit OutputCollector(const ProcessSpec& spec) : spec_(spec) {}

  void OnStdout(const char* data, size_t n, ProcessResult& result) {
    const size_t room = spec_.max_output - std::min(spec_.max_output, result.stdout_text.size());
    const size_t take = std::min(room, n);
    result.stdout_text.append(data, take);
    result.truncated_bytes += n - take;
  }

  void OnStderr(const char* data, size_t n) {
    tail_.append(data, n);
    if (tail_.size() > 2 * ProcessRunner::kStderrTail) TrimTail();
    for (size_t i = 0; i < n; ++i) {
      const char c = data[i];
      if (c == '\n') {
        if (!dropping_) EmitLine();
        line_.clear();
        dropping_ = false;
      } else if (!dropping_) {
        line_.push_back(c);
        if (line_.size() == ProcessRunner::kMaxStderrLine) {
          EmitLine();
          line_.clear();
          dropping_ = true;
        }
      }
    }
  }

  // Emits a last unterminated line and fills the tail into `result`.
  void Finish(ProcessResult& result) {
    if (!line_.empty() && !dropping_) EmitLine();
    line_.clear();
    if (tail_.size() > ProcessRunner::kStderrTail) TrimTail();
    if (tail_cut_) {
      const size_t nl = tail_.find('\n');
      if (nl != std::string::npos && nl + 1 < tail_.size()) tail_.erase(0, nl + 1);
    }
    result.stderr_tail = std::move(tail_);
  }

 private:
  void TrimTail() {
    tail_.erase(0, tail_.size() - ProcessRunner::kStderrTail);
    tail_cut_ = true;
  }

  void EmitLine() {
    if (!spec_.on_stderr_line) return;
    std::string_view line(line_);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    spec_.on_stderr_line(line);
  }

  const ProcessSpec& spec_;
  std::string line_;
  bool dropping_ = false;  // the rest of an over-long line is skipped
  std::string tail_;
  bool tail_cut_ = false;
};

// Reads what `fd` has; returns false once it is at EOF or broken.
bool ReadSome(int fd, char* buffer, const std::function<void(const char*, size_t)>& sink) {
  while (true) {
    const ssize_t n = read(fd, buffer, kReadChunk);
    if (n > 0) {
      sink(buffer, static_cast<size_t>(n));
      return true;
    }
    if (n == 0) return false;
    if (errno == EINTR) continue;
    return errno == EAGAIN || errno == EWOULDBLOCK;
  }
}

}  // namespace

std::string SignalName(int signal) {
  const char* abbrev = sigabbrev_np(signal);
  if (abbrev == nullptr) return "signal " + std::to_string(signal);
  return std::string("SIG") + abbrev;
}

Result<ProcessResult> PosixProcessRunner::Run(const ProcessSpec& spec, CancelSignal* cancel) {
  if (spec.argv.empty()) return Status::InvalidArgument("empty command");
  if (cancel != nullptr && cancel->raised()) {  // do not start what is already cancelled
    ProcessResult result;
    result.cancelled = true;
    return result;
  }

  std::vector<std::string> env = BuildEnvironment(spec.env);
  const std::string program = ResolveProgram(spec.argv[0], PathOf(env));
  if (program.empty()) {
    return Status::NotFound("cannot run " + spec.argv[0] + ": not found in PATH");
  }
  std::vector<std::string> argv_strings = spec.argv;
  std::vector<char*> argv = CStrings(argv_strings);
  std::vector<char*> envp = CStrings(env);

  const int dev_null = SharedDevNull();
  if (dev_null < 0) return SysError("cannot open /dev/null", errno);
  Fd out_read, out_write, err_read, err_write;
  if (!MakePipe(out_read, out_write) || !MakePipe(err_read, err_write)) {
    return SysError("cannot create a pipe", errno);
  }
  if (!AboveStdio(out_write) || !AboveStdio(err_write)) {
    return SysError("cannot move a descriptor", errno);
  }
  SpawnPlan plan;
  if (const int err = plan.Prepare(dev_null, out_write.get(), err_write.get(),
                                   spec.cwd.empty() ? nullptr : spec.cwd.c_str());
      err != 0) {
    return SysError("cannot set up the child process", err);
  }

  const int64_t start = MonotonicMs();
  pid_t pid = 0;
  // Returns once the child has exec'd (or failed to: then nothing is left to reap).
  const int spawn_err =
      posix_spawn(&pid, program.c_str(), plan.actions(), plan.attr(), argv.data(), envp.data());
  if (spawn_err != 0) {
    if (!spec.cwd.empty() && !CanEnter(spec.cwd)) {
      return SysError("cannot change to directory " + spec.cwd, spawn_err);
    }
    std::string message = "cannot run " + spec.argv[0] + ": " + ErrnoText(spawn_err);
    if (spawn_err == ENOENT) return Status::NotFound(message);
    return Status::IoError(message);
  }
  out_write.Reset();
  err_write.Reset();

  fcntl(out_read.get(), F_SETFL, O_NONBLOCK);
  fcntl(err_read.get(), F_SETFL, O_NONBLOCK);
  Fd pidfd(OpenPidFd(pid));

  ProcessResult result;
  result.pid = pid;
  OutputCollector collector(spec);
  std::vector<char> buffer(kReadChunk);
  const auto stdout_sink = [&](const char* data, size_t n) { collector.OnStdout(data, n, result); };
  const auto stderr_sink = [&](const char* data, size_t n) { collector.OnStderr(data, n); };

  const int64_t deadline = spec.timeout > 0 ? start + spec.timeout : -1;
  bool reaped = false;
  int wait_status = 0;
  int64_t drain_until = -1;
  bool term_sent = false;
  bool kill_sent = false;
  int64_t kill_at = -1;
  bool cancel_seen = false;
  int64_t next_group_check = 0;
  Status failure;

  while (true) {
    if (!reaped) {
      const pid_t r = waitpid(pid, &wait_status, WNOHANG);
      if (r == pid) {
        reaped = true;
        drain_until = MonotonicMs() + kDrainAfterExit;
        pidfd.Reset();
      } else if (r < 0 && errno != EINTR) {
        failure = SysError("waitpid", errno);
        break;
      }
    }
    const int64_t now = MonotonicMs();
    if (!reaped && !term_sent) {
      if (cancel != nullptr && cancel->raised()) {
        result.cancelled = true;
      } else if (deadline >= 0 && now >= deadline) {
        result.timed_out = true;
      }
      if (result.cancelled || result.timed_out) {
        kill(-pid, SIGTERM);
        term_sent = true;
        kill_at = now + spec.kill_grace;
      }
    }
    // After SIGTERM the group gets kill_grace to go away, even once the program
    // itself is gone; what is left then is killed.
    bool group_done = !term_sent || kill_sent;
    if (!group_done) {
      if (now >= kill_at) {
        kill(-pid, SIGKILL);
        kill_sent = true;
        group_done = true;
      } else if (reaped && now >= next_group_check) {
        group_done = GroupGone(pid);
        next_group_check = now + kGroupCheckInterval;
      }
    }
    if (reaped && now >= drain_until) {
      out_read.Reset();
      err_read.Reset();
    }
    if (reaped && group_done && !out_read.valid() && !err_read.valid()) break;

    pollfd fds[4];
    nfds_t nfds = 0;
    int out_index = -1, err_index = -1, cancel_index = -1;
    if (out_read.valid()) {
      out_index = static_cast<int>(nfds);
      fds[nfds++] = {out_read.get(), POLLIN, 0};
    }
    if (err_read.valid()) {
      err_index = static_cast<int>(nfds);
      fds[nfds++] = {err_read.get(), POLLIN, 0};
    }
    if (!reaped && pidfd.valid()) fds[nfds++] = {pidfd.get(), POLLIN, 0};
    if (cancel != nullptr && !cancel_seen && !term_sent && !reaped) {
      cancel_index = static_cast<int>(nfds);
      fds[nfds++] = {cancel->fd(), POLLIN, 0};
    }
    int64_t wait_ms = -1;
    const auto until = [&](int64_t when) {
      const int64_t left = std::max<int64_t>(0, when - now);
      wait_ms = wait_ms < 0 ? left : std::min(wait_ms, left);
    };
    if (!reaped && !term_sent && deadline >= 0) until(deadline);
    if (term_sent && !kill_sent) {
      until(kill_at);
      if (reaped) until(next_group_check);  // is the rest of the group gone yet?
    }
    if (reaped && (out_read.valid() || err_read.valid())) until(drain_until);
    if (!reaped && !pidfd.valid()) until(now + kPollInterval);
    const int ready = poll(fds, nfds, static_cast<int>(std::min<int64_t>(wait_ms, 60'000)));
    if (ready < 0) {
      if (errno == EINTR) continue;
      failure = SysError("poll", errno);
      break;
    }
    if (out_index >= 0 && fds[out_index].revents != 0 &&
        !ReadSome(out_read.get(), buffer.data(), stdout_sink)) {
      out_read.Reset();
    }
    if (err_index >= 0 && fds[err_index].revents != 0 &&
        !ReadSome(err_read.get(), buffer.data(), stderr_sink)) {
      err_read.Reset();
    }
    if (cancel_index >= 0 && fds[cancel_index].revents != 0) cancel_seen = true;
  }

  if (!reaped) {  // only after a system call failure: never leave the child behind
    kill(-pid, SIGKILL);
    while (waitpid(pid, &wait_status, 0) < 0 && errno == EINTR) {
    }
  }
  if (!failure.ok()) return failure;

  collector.Finish(result);
  if (WIFSIGNALED(wait_status)) {
    result.signal = WTERMSIG(wait_status);
  } else if (WIFEXITED(wait_status)) {
    result.exit_code = WEXITSTATUS(wait_status);
  }
  result.duration = MonotonicMs() - start;
  return result;
}

}  // namespace torque::jobs
