#include "server/pg_pool.h"

#include <algorithm>
#include <exception>
#include <utility>

namespace torque::server::pg {

namespace {
constexpr std::chrono::milliseconds kFirstBackoff{100};
}  // namespace

std::chrono::milliseconds NextBackoff(std::chrono::milliseconds current,
                                      std::chrono::milliseconds max) {
  return std::clamp(current * 2, kFirstBackoff, std::max(max, kFirstBackoff));
}

Pool::Pool(std::string uri, int size, std::chrono::milliseconds max_backoff)
    : uri_(std::move(uri)), max_backoff_(max_backoff), slots_(std::max(size, 1)) {}

std::optional<Connection> Pool::Take(Status* why) {
  std::unique_lock lock(mu_);
  for (;;) {
    freed_.wait(lock, [this] { return slots_ > 0 || !idle_.empty(); });
    if (idle_.empty()) break;
    std::optional<Connection> c = std::move(idle_.back());
    idle_.pop_back();
    // One the server closed while it was idle (a restart) would fail its first statement.
    if (c->StillOpen()) return c;
    ++slots_;
  }
  if (Clock::now() < retry_at_) {
    *why = down_;
    return std::nullopt;
  }
  --slots_;  // connecting takes a while: others may use the idle ones meanwhile
  lock.unlock();
  auto opened = Connection::Open(uri_);
  lock.lock();
  if (!opened.ok()) {
    ++slots_;
    backoff_ = NextBackoff(backoff_, max_backoff_);
    retry_at_ = Clock::now() + backoff_;
    down_ = opened.status();
    *why = down_;
    freed_.notify_one();
    return std::nullopt;
  }
  backoff_ = std::chrono::milliseconds(0);
  retry_at_ = {};
  return std::move(*opened);
}

void Pool::Give(std::optional<Connection> c) {
  {
    std::lock_guard lock(mu_);
    if (c && !c->broken()) {
      idle_.push_back(std::move(c));
    } else {
      ++slots_;
    }
  }
  freed_.notify_one();
}

Status Pool::Run(const std::function<Status(Connection&)>& body) {
  Status why;
  std::optional<Connection> c = Take(&why);
  if (!c) return why;
  Status st;
  try {
    st = body(*c);
  } catch (const std::exception& e) {  // Rows::Int on a column that is no integer: a bug
    st = Status::Internal(std::string("store: ") + e.what());
  }
  Give(std::move(c));
  return st;
}

Status Pool::Check() {
  {
    std::lock_guard lock(mu_);
    retry_at_ = {};
  }
  return Run([](Connection&) { return Status::Ok(); });
}

}  // namespace torque::server::pg
