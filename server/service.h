// Service: carries out parsed protocol requests against the store and dispatcher.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/thread_pool.hpp>
#include <spdlog/logger.h>

#include "core/clock.h"
#include "core/config.h"
#include "core/protocol.h"
#include "server/dispatcher.h"
#include "server/intake.h"
#include "server/store.h"

namespace torque::server {

// Who sent a request (SO_PEERCRED); -1 when unknown.
struct PeerInfo {
  int uid = -1;
  int pid = -1;
};

// Facts STATS reports about the daemon.
struct ServiceInfo {
  std::string database_path;  // or URI, password hidden
  TimeMs started_at = 0;
  std::string node_name;      // this process's node on the database (NodeName())
};

// Thread-safe. Replies may be delivered later and from any thread.
class Service {
 public:
  // Receives exactly one reply line (without LF) per request.
  using Reply = std::function<void(std::string line)>;

  // Submissions go through `intake`, whose configuration the other requests use too.
  // `io` (the io thread) runs WAIT timeouts and commits submissions.
  Service(Store& store, Dispatcher& dispatcher, Intake& intake, const Clock& clock,
          boost::asio::any_io_executor io, ServiceInfo info);
  ~Service();

  void Handle(const protocol::Request& request, const PeerInfo& peer, Reply reply);

  // A job reached a final state: answers its waiters. Any thread.
  void OnFinal(const Job& job);

  // When a scheduled type fires next (TYPES' next_fire). Call before serving.
  using NextFire = std::function<std::optional<TimeMs>(const std::string& type)>;
  void SetNextFire(NextFire next_fire) { next_fire_ = std::move(next_fire); }

  // STATS' notifications part: the outbox and what the notifier did since start.
  struct OutboxInfo {
    int64_t pending = 0;
    int64_t delivered = 0;
    int64_t failed_attempts = 0;
    int64_t dropped = 0;
  };
  void SetOutboxInfo(std::function<OutboxInfo()> info) { outbox_ = std::move(info); }

  // STATS reports throughput and latency of the jobs finished in this window.
  static constexpr DurationMs kActivityWindowMs = 5 * 60'000;

  // From now on submissions get "ERR shutdown"; pending waits get "ERR shutdown".
  void BeginShutdown();

 private:
  struct Waiter;

  void Submit(const protocol::Request& request, const PeerInfo& peer, Reply reply);
  void Wait(const protocol::Request& request, Reply reply);
  // Runs `fn` on the blocking pool and replies with what it returns.
  void Blocking(Reply reply, std::function<std::string()> fn);
  std::string Stats();
  std::string Types();
  std::string Pause(const std::string& word, bool paused);
  void FinishWaiter(const std::shared_ptr<Waiter>& waiter, std::string line);

  Store& store_;
  Dispatcher& dispatcher_;
  Intake& intake_;
  const Clock& clock_;
  boost::asio::any_io_executor io_;
  ServiceInfo info_;
  NextFire next_fire_;
  std::function<OutboxInfo()> outbox_;
  std::shared_ptr<spdlog::logger> log_;
  boost::asio::thread_pool blocking_{2};

  std::atomic<bool> shutting_down_{false};
  std::atomic<bool> commit_posted_{false};  // a Store::CommitQueued is on its way to io_
  std::mutex waiters_mu_;
  std::multimap<JobId, std::shared_ptr<Waiter>> waiters_;
};

// The ERR line for a store failure.
std::string StoreErrorReply(const Status& status);

}  // namespace torque::server
