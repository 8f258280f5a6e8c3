#include "jobs/rtorrent/call_combiner.h"

namespace torque::rtorrent {

Result<std::vector<Result<Value>>> CallCombiner::Call(std::vector<MethodCall> calls,
                                                      const CallLimits& limits) {
  if (calls.empty()) return std::vector<Result<Value>>{};
  std::unique_lock lock(mu_);
  if (!queued_) queued_ = std::make_shared<Batch>();
  std::shared_ptr<Batch> batch = queued_;
  const size_t first = batch->calls.size();
  const size_t count = calls.size();
  for (MethodCall& c : calls) batch->calls.push_back(std::move(c));
  bool sent_by_me = false;
  while (!batch->done) {
    if (!sending_ && queued_ == batch) {
      sending_ = true;
      queued_ = nullptr;
      ++requests_;
      lock.unlock();
      auto answers = Send(batch->calls, limits);
      lock.lock();
      batch->answers = std::move(answers);
      batch->done = true;
      sending_ = false;
      sent_by_me = true;
      answered_.notify_all();
      break;
    }
    answered_.wait(lock);
  }
  if (!batch->answers.ok()) {
    const Status& st = batch->answers.status();
    const bool theirs =
        st.code() == Status::Code::kCancelled || st.code() == Status::Code::kTimeout;
    if (!sent_by_me && theirs) {
      return Status::Unavailable(st.message() + " (sent with another job's calls)");
    }
    return st;
  }
  const auto& all = *batch->answers;
  return std::vector<Result<Value>>(all.begin() + static_cast<std::ptrdiff_t>(first),
                                    all.begin() + static_cast<std::ptrdiff_t>(first + count));
}

int64_t CallCombiner::requests() const {
  std::lock_guard lock(mu_);
  return requests_;
}

Result<std::vector<Result<Value>>> CallCombiner::Send(const std::vector<MethodCall>& calls,
                                                      const CallLimits& limits) const {
  auto rpc = connector_->Connect(limits);
  if (!rpc.ok()) return rpc.status();
  if (calls.size() == 1) {
    // One call needs no system.multicall (and its answer stays as rTorrent gives it).
    std::vector<Result<Value>> one;
    auto answer = (*rpc)->Call(calls[0].method, calls[0].params);
    if (!answer.ok() && !FaultOf(answer.status())) return answer.status();
    one.push_back(std::move(answer));
    return one;
  }
  RtorrentClient client(**rpc);
  auto answers = client.SystemMultiCall(calls);
  if (!answers.ok()) return answers.status();
  if (answers->size() != calls.size()) {
    return Status::IoError("rTorrent answered " + std::to_string(answers->size()) + " of " +
                           std::to_string(calls.size()) + " calls");
  }
  return answers;
}

}  // namespace torque::rtorrent
