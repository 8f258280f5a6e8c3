// CancelSignal: a one-shot flag another thread can raise and a poll loop can wait on.
#pragma once

#include <atomic>
#include <cstdint>

namespace torque {

// Raised once (by CANCEL, a timeout or shutdown); never lowered. The fd becomes
// readable when raised, so a poll() loop wakes up. Thread-safe.
class CancelSignal {
 public:
  CancelSignal();
  ~CancelSignal();
  CancelSignal(const CancelSignal&) = delete;
  CancelSignal& operator=(const CancelSignal&) = delete;

  // Raises the flag; later calls do nothing.
  void Raise();
  bool raised() const { return raised_.load(std::memory_order_acquire); }
  // Waits up to `ms` milliseconds for the flag; whether it is raised.
  bool WaitFor(int64_t ms) const;
  // An eventfd, readable once raised. Owned by this object.
  int fd() const { return fd_; }

 private:
  std::atomic<bool> raised_{false};
  int fd_ = -1;
};

}  // namespace torque
