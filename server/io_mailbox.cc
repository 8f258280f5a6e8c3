#include "server/io_mailbox.h"

#include <boost/asio/post.hpp>

namespace torque::server {

void IoMailbox::Run(std::function<void()> fn) {
  if (io_.get_executor().running_in_this_thread()) {
    fn();
    return;
  }
  bool first;
  {
    std::lock_guard lock(mu_);
    first = pending_.empty();
    pending_.push_back(std::move(fn));
  }
  if (first) boost::asio::post(io_, [this] { Drain(); });
}

void IoMailbox::Drain() {
  std::vector<std::function<void()>> batch;
  {
    std::lock_guard lock(mu_);
    batch.swap(pending_);
  }
  for (auto& fn : batch) fn();
}

}  // namespace torque::server
