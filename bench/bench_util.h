// Small pieces every benchmark workload uses: clocks, percentiles, result lines, a blocking
// socket with a read buffer, /proc readings and timed child processes.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace torque::bench {

// CLOCK_MONOTONIC in nanoseconds: one clock for every process on the machine, so a job's
// start stamp and the submitting client's send time can be subtracted.
int64_t NowNs();

// The p-th percentile (0..100) of `samples` by nearest rank; 0 when there are none.
double Percentile(std::vector<double> samples, double p);

// Prints one machine-readable result line: "RESULT <workload> <system> <metric> <value>".
// Thread-compatible (call from one thread); flushes stdout.
void Emit(std::string_view workload, std::string_view system, std::string_view metric,
          double value);

// A connected, blocking stream socket with a read buffer (used by one thread).
class Conn {
 public:
  // Connects to 127.0.0.1:port (never anywhere else). kUnavailable on failure.
  static Result<Conn> Tcp(int port);
  // Connects to a UNIX stream socket. kUnavailable on failure.
  static Result<Conn> Unix(const std::string& path);

  Conn(Conn&& other) noexcept;
  Conn& operator=(Conn&& other) noexcept;
  Conn(const Conn&) = delete;
  Conn& operator=(const Conn&) = delete;
  ~Conn();

  // Sends all of `data`. kIoError when the peer is gone.
  Status Send(std::string_view data);
  // The next line without its LF (and a CR before it). kIoError on EOF or error.
  Result<std::string> Line();
  // Exactly n bytes. kIoError on EOF or error.
  Result<std::string> Bytes(size_t n);

 private:
  explicit Conn(int fd) : fd_(fd) {}
  Status Fill();  // reads more into buf_

  int fd_ = -1;
  std::string buf_;
  size_t pos_ = 0;  // first unread byte of buf_
};

// A "Vm..." field of /proc/PID/status in KiB (e.g. "VmHWM"); -1 when unreadable.
int64_t ProcStatusKb(pid_t pid, std::string_view field);
// A "name: number" field of /proc/PID/FILE (e.g. "io", "write_bytes"); -1 when missing.
int64_t ProcField(pid_t pid, std::string_view file, std::string_view field);

// Size of a file in bytes; 0 when it does not exist.
int64_t FileSize(const std::string& path);

// Runs argv (looked up in PATH) with stdin/stdout/stderr on /dev/null and waits for it.
// Returns its exit status (0..255); kInternal when it cannot start or dies of a signal.
Result<int> RunQuiet(const std::vector<std::string>& argv);

// Splits "a=b" into {"a", "b"}; kInvalidArgument naming `what` without '='.
Result<std::pair<std::string, std::string>> SplitPair(const std::string& text,
                                                      std::string_view what);

}  // namespace torque::bench
