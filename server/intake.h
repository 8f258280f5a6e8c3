// Intake: the one way a job gets into the queue — socket submissions, schedule fires and
// jobs that handlers submit all take it.
#pragma once

#include <spdlog/logger.h>

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <variant>

#include "core/clock.h"
#include "core/config.h"
#include "core/protocol.h"
#include "server/dispatcher.h"
#include "server/store.h"

namespace torque::server {

// The job a submission of `type` with `args` stores: the type's priority, retries, timeout
// and coalescing (args as the unique key), each overridden by `options`; ready at `now`
// (+ delay, or at the given time).
NewJob MakeJob(const JobTypeConfig& type, std::string args, const protocol::SubmitOptions& options,
               TimeMs now);

// How a store failure is refused: ERR store (nothing was stored), or ERR internal for a bug.
protocol::ProtocolError StoreRefusal(const Status& status);

// Looks up the type a command word names, refuses what cannot be taken, fills in the
// type's defaults, inserts durably and wakes the dispatcher. Thread-safe.
class Intake {
 public:
  // The committed job, or the refusal as the protocol words it.
  using Outcome = std::variant<InsertResult, protocol::ProtocolError>;
  using Reply = std::function<void(Outcome)>;

  Intake(Store& store, Dispatcher& dispatcher, const Clock& clock,
         std::shared_ptr<const Config> config);

  // Takes `word args`. `reply` runs exactly once: at once for a refusal (ERR unknown,
  // disabled, shutdown), else on a store thread after the commit (ACK) or its failure
  // (ERR store, nothing stored). `source` names the submitter in the log, e.g.
  // "uid 1000 pid 42" or "job type treewatch". `by`: who commits (Store::CommitQueued).
  void Take(const std::string& word, std::string args, const protocol::SubmitOptions& options,
            const std::string& source, Reply reply, CommitBy by = CommitBy::kWriter);

  // The configuration submissions see from now on (a reload).
  void SetConfig(std::shared_ptr<const Config> config);
  // The configuration in effect (requests in progress keep the one they started with).
  std::shared_ptr<const Config> config() const;

  // From now on every submission is refused with ERR shutdown.
  void BeginShutdown() { shutting_down_ = true; }

  // Jobs accepted since start (coalesced ones not counted).
  int64_t accepted() const { return accepted_.load(); }

 private:
  Store& store_;
  Dispatcher& dispatcher_;
  const Clock& clock_;
  std::shared_ptr<spdlog::logger> log_;
  mutable std::mutex config_mu_;
  std::shared_ptr<const Config> config_;
  std::atomic<bool> shutting_down_{false};
  std::atomic<int64_t> accepted_{0};
};

}  // namespace torque::server
