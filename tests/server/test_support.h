// Test helpers for server tests: a fake clock, a scripted handler, temp dirs.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include <poll.h>

#include "core/clock.h"
#include "jobs/handler.h"
#include "tests/test_env.h"

namespace torque::testing {

// A clock that only moves when told to.
class FakeClock : public Clock {
 public:
  explicit FakeClock(TimeMs start = 1'700'000'000'000) : now_(start) {}
  TimeMs Now() const override { return now_.load(); }
  void Advance(DurationMs ms) { now_ += ms; }

 private:
  std::atomic<TimeMs> now_;
};


// Runs a script per call: each run calls `behaviour` (default: succeed with the
// args). Records the order of runs and the most concurrent runs seen.
class ScriptedHandler : public jobs::Handler {
 public:
  using Behaviour = std::function<jobs::RunResult(jobs::JobContext&)>;
  explicit ScriptedHandler(Behaviour b = {}) : behaviour_(std::move(b)) {}

  jobs::RunResult Run(jobs::JobContext& ctx) override {
    {
      std::lock_guard lock(mu_);
      order_.push_back(ctx.id);
      max_parallel_ = std::max(max_parallel_, ++parallel_);
      cv_.notify_all();
    }
    jobs::RunResult r = behaviour_ ? behaviour_(ctx) : jobs::RunResult::Succeeded(ctx.args);
    std::lock_guard lock(mu_);
    --parallel_;
    return r;
  }

  std::vector<JobId> order() const {
    std::lock_guard lock(mu_);
    return order_;
  }
  int max_parallel() const {
    std::lock_guard lock(mu_);
    return max_parallel_;
  }
  // Waits until `n` runs have started; false after 10 s.
  bool WaitStarted(size_t n) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, std::chrono::seconds(10), [&] { return order_.size() >= n; });
  }

 private:
  Behaviour behaviour_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<JobId> order_;
  int parallel_ = 0;
  int max_parallel_ = 0;
};

// Blocks until ctx.cancel is raised (or `gate` opens), like a well-behaved handler.
inline jobs::RunResult BlockUntilCancelled(jobs::JobContext& ctx, const std::atomic<bool>& gate) {
  while (!gate.load()) {
    pollfd p{ctx.cancel->fd(), POLLIN, 0};
    poll(&p, 1, 10);
    if (ctx.cancel->raised()) return jobs::RunResult::Cancelled("cancelled");
  }
  return jobs::RunResult::Succeeded("released");
}

}  // namespace torque::testing
