#include "core/cancel_signal.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>

namespace torque {

CancelSignal::CancelSignal() : fd_(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {}

CancelSignal::~CancelSignal() {
  if (fd_ >= 0) close(fd_);
}

void CancelSignal::Raise() {
  if (raised_.exchange(true, std::memory_order_acq_rel)) return;
  uint64_t one = 1;
  if (fd_ >= 0) {
    [[maybe_unused]] ssize_t n = write(fd_, &one, sizeof one);
  }
}

bool CancelSignal::WaitFor(int64_t ms) const {
  using Clock = std::chrono::steady_clock;
  const Clock::time_point until = Clock::now() + std::chrono::milliseconds(ms);
  for (;;) {
    if (raised()) return true;
    const int64_t left = std::chrono::ceil<std::chrono::milliseconds>(until - Clock::now()).count();
    if (left <= 0) return false;
    if (fd_ < 0) {  // no eventfd: poll the flag
      usleep(static_cast<useconds_t>(std::min<int64_t>(left, 10)) * 1000);
      continue;
    }
    // The eventfd stays readable once raised (nobody reads it), so this returns at once.
    pollfd p{fd_, POLLIN, 0};
    poll(&p, 1, static_cast<int>(std::min<int64_t>(left, 60'000)));
  }
}

}  // namespace torque
