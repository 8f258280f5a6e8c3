// Clock: the only way logic learns the time, so tests can move it.
#pragma once

#include <cstdint>

namespace torque {

// Milliseconds since the Unix epoch (UTC); every persisted time uses this unit.
using TimeMs = int64_t;
// A span of time in milliseconds.
using DurationMs = int64_t;

// Reads wall-clock time. Implementations are thread-safe.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual TimeMs Now() const = 0;
};

// The real clock (CLOCK_REALTIME).
class SystemClock : public Clock {
 public:
  TimeMs Now() const override;
};

// Monotonic milliseconds for measuring elapsed time (not persisted).
int64_t MonotonicMs();

}  // namespace torque
