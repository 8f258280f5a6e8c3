// libtorque_bench_slow_fsync.so, an LD_PRELOAD shim for `run.sh --fsync-delay-us N`: every
// fsync() and fdatasync() sleeps $TORQUE_BENCH_FSYNC_DELAY_US microseconds after it
// returns, so that one machine can show how the systems behave on a slower disk (a journaled
// SSD, a spinning disk) than its own. Only the benchmark ever loads it.
#include <dlfcn.h>
#include <time.h>

#include <cerrno>
#include <cstdlib>

namespace {

using SyncFn = int (*)(int);

long DelayUs() {
  static const long delay = [] {
    const char* text = std::getenv("TORQUE_BENCH_FSYNC_DELAY_US");
    return text ? std::strtol(text, nullptr, 10) : 0L;
  }();
  return delay;
}

// Sleeps the delay; keeps errno as the real call left it.
void Delay() {
  const long us = DelayUs();
  if (us <= 0) return;
  const int saved = errno;
  timespec ts{us / 1'000'000, (us % 1'000'000) * 1000};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
  errno = saved;
}

SyncFn Real(const char* name) { return reinterpret_cast<SyncFn>(dlsym(RTLD_NEXT, name)); }

}  // namespace

extern "C" int fsync(int fd) {
  static const SyncFn real = Real("fsync");
  const int rc = real(fd);
  Delay();
  return rc;
}

extern "C" int fdatasync(int fd) {
  static const SyncFn real = Real("fdatasync");
  const int rc = real(fd);
  Delay();
  return rc;
}
