// IoMailbox: hands work from other threads to the io thread, one wake-up per burst.
#pragma once

#include <functional>
#include <mutex>
#include <vector>

#include <boost/asio/io_context.hpp>

namespace torque::server {

// Replies completed on the store's writer thread arrive in batches; posting each one
// to the io_context would wake the io thread once per reply. The mailbox queues them
// and posts a single drain per burst. Thread-safe; must outlive every Run call.
class IoMailbox {
 public:
  explicit IoMailbox(boost::asio::io_context& io) : io_(io) {}

  // Runs `fn` on the io thread: at once when called there, else soon, in call order.
  void Run(std::function<void()> fn);

 private:
  void Drain();

  boost::asio::io_context& io_;
  std::mutex mu_;
  std::vector<std::function<void()>> pending_;  // guarded by mu_
};

}  // namespace torque::server
