#include "server/pass_loop.h"

#include <algorithm>
#include <chrono>
#include <utility>

namespace torque::server {

PassLoop::PassLoop(const Clock& clock, DurationMs max_wait)
    : clock_(clock), max_wait_(max_wait) {}

PassLoop::~PassLoop() { Stop(); }

void PassLoop::Start(Pass pass) {
  {
    std::lock_guard lock(mu_);
    pass_ = std::move(pass);
    started_ = true;
  }
  thread_ = std::thread(&PassLoop::Run, this);
}

void PassLoop::Wake() {
  {
    std::lock_guard lock(mu_);
    woken_ = true;
  }
  cv_.notify_one();
}

void PassLoop::Sync() {
  std::unique_lock lock(mu_);
  if (!started_) return;
  // A pass that begins after now ends when passes_done_ reaches this.
  const uint64_t target = passes_started_ + 1;
  woken_ = true;
  cv_.notify_one();
  pass_cv_.wait(lock, [&] { return passes_done_ >= target || stopping_; });
}

void PassLoop::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  pass_cv_.notify_all();
  if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id()) thread_.join();
}

bool PassLoop::stopping() const {
  std::lock_guard lock(mu_);
  return stopping_;
}

void PassLoop::Run() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    woken_ = false;
    ++passes_started_;
    lock.unlock();
    const TimeMs wake_at = pass_();
    lock.lock();
    ++passes_done_;
    pass_cv_.notify_all();
    if (stopping_ || woken_) continue;
    const DurationMs wait = std::clamp<DurationMs>(wake_at - clock_.Now(), 0, max_wait_);
    if (wait > 0) {
      cv_.wait_for(lock, std::chrono::milliseconds(wait), [this] { return woken_ || stopping_; });
    }
  }
}

}  // namespace torque::server
