// HandlerHost: what torqued lends a handler besides its configuration — in-process job
// submission, the type's durable state, the daemon's executor and a logger.
#pragma once

#include <spdlog/logger.h>

#include <boost/asio/any_io_executor.hpp>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <string>

#include "core/job.h"
#include "core/protocol.h"
#include "core/status.h"

namespace torque::jobs {

// Submits jobs from inside torqued, through exactly the intake a socket submission goes
// through (type lookup, active check, the type's defaults, coalescing, durable insert,
// wake-up). Thread-safe.
class JobSink {
 public:
  // The id of the committed job; `existing` when it coalesced with a queued or running one.
  struct Submitted {
    JobId id = 0;
    bool existing = false;
  };
  using Done = std::function<void(Result<Submitted>)>;

  virtual ~JobSink() = default;

  // Enqueues `word args` (word: a type name or alias). `done` runs once, on a store
  // thread, after the commit or the refusal: kNotFound for an unknown type,
  // kFailedPrecondition for an inactive one, kUnavailable while torqued shuts down,
  // kIoError when the database failed (nothing stored), kInvalidArgument for bad options.
  virtual void Submit(const std::string& word, std::string args,
                      const protocol::SubmitOptions& options, Done done) = 0;

  // The same, waiting for the outcome. Not from a store thread (a Done callback).
  Result<Submitted> Submit(const std::string& word, std::string args,
                           const protocol::SubmitOptions& options = {}) {
    auto promise = std::make_shared<std::promise<Result<Submitted>>>();
    auto future = promise->get_future();
    Submit(word, std::move(args), options,
           [promise](Result<Submitted> r) { promise->set_value(std::move(r)); });
    return future.get();
  }
};

// One job type's durable key/value state (the queue's last start, a watcher's
// bookkeeping), kept in the database across restarts. Thread-safe.
class StateStore {
 public:
  virtual ~StateStore() = default;
  // Every key of the type. kIoError when the database cannot be read.
  virtual Result<std::map<std::string, std::string>> Load() = 0;
  // Sets `values` (an empty value deletes its key) in one durable transaction.
  // kIoError when the database failed; then nothing changed.
  virtual Status Save(const std::map<std::string, std::string>& values) = 0;
};

// What a handler's background part is given by Handler::Start. Owned by the runtime;
// outlives the handler's Stop.
struct HandlerHost {
  JobSink* jobs = nullptr;
  StateStore* state = nullptr;
  boost::asio::any_io_executor executor;  // the daemon's event loop (timers, descriptors)
  std::shared_ptr<spdlog::logger> log;
};

}  // namespace torque::jobs
