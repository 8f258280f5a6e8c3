// torque_bench_stamp FIFO: the smallest possible job for the latency workload. Writes its
// start time (CLOCK_MONOTONIC nanoseconds, as torque::bench::NowNs) and a newline to FIFO,
// which must have a reader. Linked statically against libc only, so that what the benchmark
// measures is torqued's dispatch and one fork/exec, not dynamic loading.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>

int main(int argc, char** argv) {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  if (argc != 2) {
    std::fprintf(stderr, "usage: torque_bench_stamp FIFO\n");
    return 64;
  }
  // O_NONBLOCK: fail (ENXIO) instead of hanging when no benchmark is reading.
  const int fd = open(argv[1], O_WRONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    std::fprintf(stderr, "torque_bench_stamp: cannot open %s: %s\n", argv[1], std::strerror(errno));
    return 1;
  }
  char line[32];
  const long long ns = static_cast<long long>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
  const int n = std::snprintf(line, sizeof line, "%lld\n", ns);
  const bool ok = write(fd, line, static_cast<size_t>(n)) == n;
  close(fd);
  return ok ? 0 : 1;
}
