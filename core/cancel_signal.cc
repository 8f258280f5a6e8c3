#include "core/cancel_signal.h"

#include <sys/eventfd.h>
#include <unistd.h>

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

}  // namespace torque
