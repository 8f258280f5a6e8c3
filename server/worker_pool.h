// WorkerPool: the threads of one job type; grows on demand, idle threads retire.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace torque::server {

// Runs posted tasks on its own threads. It never queues a task behind a busy
// thread: the caller (the dispatcher) admits at most as many tasks as it allows
// to run, and the pool starts a thread whenever none is idle. Thread-safe.
class WorkerPool {
 public:
  explicit WorkerPool(std::string name, int idle_seconds = 30);
  ~WorkerPool();  // waits for running tasks
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  void Post(std::function<void()> task);
  // Threads alive now (busy or idle).
  int threads() const;

 private:
  void Loop();

  const std::string name_;
  const int idle_seconds_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> tasks_;
  int idle_ = 0;
  int alive_ = 0;
  bool stopping_ = false;
  std::condition_variable exited_;
};

}  // namespace torque::server
