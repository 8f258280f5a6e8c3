// The benchmark workloads. Each runs against one system and prints its figures as RESULT
// lines (see bench_util.h Emit); an error means the figures are missing, never made up.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>

#include "bench/queues.h"
#include "core/status.h"

namespace torque::bench {

// Durable submissions from `conns` connections (one thread each), each sending windows of
// `window` requests and waiting for all replies (1: serial). Runs for `seconds`, or until
// `count` jobs (split over the connections) when count > 0. Emits `<workload> <system> rate`
// in jobs/s; with pid > 0 also that process's VmHWM and VmRSS (hwm_mb, rss_mb) afterwards;
// with io_pid > 0 the bytes that process sent to the disk per job (bytes_per_job: the
// write_bytes of /proc/PID/io, the file system's and the journal's own writes not included).
struct SubmitOptions {
  std::string workload;
  std::string queue;
  int conns = 1;
  int window = 1;
  double seconds = 3;
  int64_t count = 0;
  pid_t pid = 0;
  pid_t io_pid = 0;
};
Status RunSubmit(const Target& target, const SubmitOptions& options);

// End-to-end no-op jobs: submits up to `count` jobs (stopping early after `seconds`) in
// pipelined windows of 100 and times until all of them are done. torque runs them itself
// (`queue` must be a type with `concurrent = 4`); beanstalkd and Redis get 4 consumer threads
// (reserve+delete / BRPOP). Emits `<workload> <system> rate` in jobs/s.
Status RunEndToEnd(const std::string& workload, const Target& target, const std::string& queue,
                   int64_t count, double seconds);

// Submit→start latency, one job at a time, `samples` times (after 10 warm-up rounds).
// torque: `queue` is a type whose command is `STAMP FIFO` (STAMP: torque_bench_stamp); the
// latency is that process's start stamp minus the send time; also emits the ACK time,
// ACK→start, and a baseline: `STAMP FIFO` spawned directly by this process.
// beanstalkd/Redis: put → reserve (LPUSH → BRPOP) on a waiting consumer thread.
// Emits `latency <system> p50_ms|p99_ms` and, for torque, more.
Status RunLatency(const Target& target, const std::string& queue, int samples,
                  const std::string& fifo, const std::string& stamp);

// The machine's own rate for an exec job's work: `threads` threads each posix_spawn and
// waitpid `program` (stdin, stdout and stderr /dev/null) for `seconds`. Emits
// `<workload> spawn rate` in processes/s.
Status RunSpawnRate(const std::string& workload, const std::string& program, int threads,
                    double seconds);

// Round trip of one request `line` (e.g. "STATS") on an open connection to torqued, `count`
// times after 3 warm-up rounds: what the server spends on it plus a socket round trip.
// Emits `<workload> torque p50_ms|max_ms`.
Status RunQueryTime(const std::string& workload, const Target& target, const std::string& line,
                    int count);

// Wall time of `cli -s SOCKET ping`, of `cli -s SOCKET <type> x` and of `true` (the cost of
// any process), and (when redis_port > 0) of `redis-cli ping` and `redis-cli lpush`, `count`
// runs each. Emits `cli_ping|cli_submit|cli_true <system> p50_ms|p99_ms`.
Status RunCli(const std::string& cli, const std::string& socket, const std::string& type, int count,
              const std::string& redis_cli, int redis_port);

// Overwrites 64 bytes of a preallocated file in `dir` and fdatasync()s it, for `seconds`;
// emits `env disk fsync_per_s`.
Status RunFsyncProbe(const std::string& dir, double seconds);

}  // namespace torque::bench
