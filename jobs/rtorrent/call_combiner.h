// CallCombiner: rTorrent calls that several threads make at the same time, sent together in
// one system.multicall, as a database groups the commits of concurrent transactions.
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <vector>

#include "core/status.h"
#include "jobs/rtorrent/connector.h"
#include "jobs/rtorrent/value.h"

namespace torque::rtorrent {

// A caller that finds no request in flight sends its calls at once, together with whatever
// others queued; callers arriving meanwhile queue up and the first of them sends everything
// queued as soon as that request is answered. A lone caller waits for nothing, and under
// load rTorrent answers one request per batch instead of one per call. Thread-safe.
class CallCombiner {
 public:
  explicit CallCombiner(std::shared_ptr<const Connector> connector)
      : connector_(std::move(connector)) {}

  // Each call's value or fault, in order. The outer Result fails when the request as a
  // whole does (rTorrent unreachable, hung, or the answer malformed). `limits` bound the
  // request when this caller sends it; a caller whose calls another caller sent gets its
  // answer when that request ends, and that caller's cancel or deadline reaches it as
  // kUnavailable ("... with another job's calls"), never as its own kCancelled or kTimeout.
  Result<std::vector<Result<Value>>> Call(std::vector<MethodCall> calls, const CallLimits& limits);

  // Requests sent so far (a batch counts once). Thread-safe.
  int64_t requests() const;

 private:
  struct Batch {
    std::vector<MethodCall> calls;
    bool done = false;
    Result<std::vector<Result<Value>>> answers = Status::Internal("not sent");
  };

  Result<std::vector<Result<Value>>> Send(const std::vector<MethodCall>& calls,
                                          const CallLimits& limits) const;

  const std::shared_ptr<const Connector> connector_;
  mutable std::mutex mu_;
  std::condition_variable answered_;
  bool sending_ = false;           // guarded by mu_
  std::shared_ptr<Batch> queued_;  // guarded by mu_; the calls for the next request
  int64_t requests_ = 0;           // guarded by mu_
};

}  // namespace torque::rtorrent
