// PassLoop: the thread of a periodic worker (scheduler, notifier) that runs one pass of
// work again and again.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>

#include "core/clock.h"

namespace torque::server {

// Runs a pass at once when woken, else when the time the previous pass asked for comes.
// Times are read on `clock`, so a fake clock works: the thread looks at it at least every
// `max_wait` of real time. Thread-safe.
class PassLoop {
 public:
  // One pass of work; returns when the next pass is due (on the clock).
  using Pass = std::function<TimeMs()>;

  PassLoop(const Clock& clock, DurationMs max_wait);
  ~PassLoop();  // Stop()
  PassLoop(const PassLoop&) = delete;
  PassLoop& operator=(const PassLoop&) = delete;

  // Starts the thread; the first pass runs at once.
  void Start(Pass pass);
  // Runs a pass as soon as the current one (if any) ends.
  void Wake();
  // Wake, then waits until a pass that began after this call has ended (tests). Returns
  // at once when the loop was never started, and when it stops.
  void Sync();
  // Ends the thread after the pass in progress. Idempotent; a pass may call it.
  void Stop();
  // Stop was called: a long pass may end early.
  bool stopping() const;

 private:
  void Run();

  const Clock& clock_;
  const DurationMs max_wait_;
  Pass pass_;
  mutable std::mutex mu_;
  std::condition_variable cv_;       // wakes the thread
  std::condition_variable pass_cv_;  // a pass ended
  bool started_ = false;
  bool woken_ = false;
  bool stopping_ = false;
  uint64_t passes_started_ = 0;
  uint64_t passes_done_ = 0;
  std::thread thread_;
};

}  // namespace torque::server
