// pg::Pool: a few connections to one PostgreSQL database shared by the threads of a store,
// reconnecting with backoff while the database is away.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "server/pg_connection.h"

namespace torque::server::pg {

// The longest wait between two tries to reach an unreachable database, by default.
inline constexpr std::chrono::milliseconds kMaxBackoff{5000};

// The wait before the next try after one more failed one, `current` the wait before it (0
// after a success): 100 ms at first, doubling up to `max` (never under 100 ms).
std::chrono::milliseconds NextBackoff(std::chrono::milliseconds current,
                                      std::chrono::milliseconds max);

class Pool {
 public:
  // Up to `size` connections to `uri`, opened when first needed.
  Pool(std::string uri, int size, std::chrono::milliseconds max_backoff = kMaxBackoff);

  // Runs `body` on a connection of its own (waiting for one to be free). While the database
  // is unreachable, kUnavailable with the reason at once, without running `body`: a new
  // connection is tried at most once per NextBackoff(…, `max_backoff`). A connection `body`
  // finds broken is dropped, and the next call connects anew.
  Status Run(const std::function<Status(Connection&)>& body);

  // Connects at once (kUnavailable and its reason when it cannot), ignoring the backoff.
  Status Check();

 private:
  using Clock = std::chrono::steady_clock;
  // A connection for the caller, connecting when the free slot has none; nullopt with `why`
  // when the database cannot be reached.
  std::optional<Connection> Take(Status* why);
  void Give(std::optional<Connection> c);

  const std::string uri_;
  const std::chrono::milliseconds max_backoff_;
  std::mutex mu_;
  std::condition_variable freed_;
  std::vector<std::optional<Connection>> idle_;  // guarded by mu_: connected ones
  int slots_;                                    // guarded by mu_: connections not lent
  Clock::time_point retry_at_{};                 // guarded by mu_: no attempt before
  std::chrono::milliseconds backoff_{0};         // guarded by mu_
  Status down_;                                  // guarded by mu_: the last failure
};

}  // namespace torque::server::pg
