#include "server/worker_pool.h"

#include <pthread.h>

#include <chrono>

namespace torque::server {

WorkerPool::WorkerPool(std::string name, int idle_seconds)
    : name_(std::move(name)), idle_seconds_(idle_seconds) {}

WorkerPool::~WorkerPool() {
  std::unique_lock lock(mu_);
  stopping_ = true;
  cv_.notify_all();
  exited_.wait(lock, [this] { return alive_ == 0; });
}

void WorkerPool::Post(std::function<void()> task) {
  std::lock_guard lock(mu_);
  tasks_.push_back(std::move(task));
  if (idle_ >= static_cast<int>(tasks_.size())) {
    cv_.notify_one();
    return;
  }
  ++alive_;
  std::thread(&WorkerPool::Loop, this).detach();
}

int WorkerPool::threads() const {
  std::lock_guard lock(mu_);
  return alive_;
}

void WorkerPool::Loop() {
  // Linux limits thread names to 15 characters.
  pthread_setname_np(pthread_self(), ("T-" + name_).substr(0, 15).c_str());
  std::unique_lock lock(mu_);
  for (;;) {
    if (!tasks_.empty()) {
      auto task = std::move(tasks_.front());
      tasks_.pop_front();
      lock.unlock();
      task();
      lock.lock();
      continue;
    }
    if (stopping_) break;
    ++idle_;
    bool woke = cv_.wait_for(lock, std::chrono::seconds(idle_seconds_),
                             [this] { return !tasks_.empty() || stopping_; });
    --idle_;
    if (!woke) break;  // idle too long: retire
  }
  --alive_;
  exited_.notify_all();
}

}  // namespace torque::server
