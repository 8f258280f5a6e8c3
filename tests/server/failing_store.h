// FailingStore: a Store that forwards to a real one and fails the calls a test picks.
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "server/store.h"

namespace torque::testing {

// Forwards every call to `inner`, except that a call of an armed kind fails with the
// armed status without reaching `inner` (a failed InsertAsync runs its callback at once,
// on the calling thread, with the status: as after a failed commit, nothing was stored).
// Thread-safe; `inner` must outlive it.
class FailingStore : public server::Store {
 public:
  enum class Kind {
    kInsert,
    kClaim,
    kFinish,
    kRequeue,  // Requeue and ShiftRetries
    kCancel,
    kRetry,
    kSetPaused,
    kRecover,
    kPurge,
    kFire,    // Fire and SetScheduleFire
    kNotice,  // RemoveNotice and DeferNotice
    kState,   // SetHandlerState
    kRead,    // Get, List, NextRunAt, Counts, PausedTypes, ScheduleFires, HandlerState,
              // SizeBytes, notices
  };

  explicit FailingStore(server::Store& inner) : inner_(inner) {}

  // The next `count` calls of `kind` fail with `status`; count < 0: until Heal().
  void Fail(Kind kind, Status status, int count = -1) {
    std::lock_guard lock(mu_);
    if (count == 0) {
      armed_.erase(kind);
    } else {
      armed_[kind] = {std::move(status), count};
    }
  }
  // Every write fails with `status`, as on a full disk; reads still work.
  void FailWrites(Status status = Status::IoError("database or disk is full")) {
    for (Kind k : {Kind::kInsert, Kind::kClaim, Kind::kFinish, Kind::kRequeue, Kind::kCancel,
                   Kind::kRetry, Kind::kSetPaused, Kind::kRecover, Kind::kPurge, Kind::kFire,
                   Kind::kNotice, Kind::kState}) {
      Fail(k, status);
    }
  }
  void Heal() {
    std::lock_guard lock(mu_);
    armed_.clear();
  }
  // How many calls failed because of this wrapper.
  int failures() const {
    std::lock_guard lock(mu_);
    return failures_;
  }

  void InsertAsync(std::vector<server::NewJob> jobs, InsertCallback done,
                   server::CommitBy by = server::CommitBy::kWriter) override {
    if (auto st = Check(Kind::kInsert)) return done(std::move(*st));
    inner_.InsertAsync(std::move(jobs), std::move(done), by);
  }
  void CommitQueued() override { inner_.CommitQueued(); }
  Result<server::NodeId> RegisterNode(const std::string& name, TimeMs now) override {
    return inner_.RegisterNode(name, now);
  }
  Status Heartbeat(TimeMs now) override { return inner_.Heartbeat(now); }
  Result<std::vector<server::NodeInfo>> Nodes() override { return inner_.Nodes(); }
  void Watch(server::StoreEvents events) override { inner_.Watch(std::move(events)); }
  void SetMaxRunning(std::map<std::string, int> limits) override {
    inner_.SetMaxRunning(std::move(limits));
  }
  Result<std::vector<Job>> Claim(const std::string& type, int n, TimeMs now) override {
    if (auto st = Check(Kind::kClaim)) return *st;
    return inner_.Claim(type, n, now);
  }
  Result<std::optional<TimeMs>> NextRunAt(const std::string& type) override {
    if (auto st = Check(Kind::kRead)) return *st;
    return inner_.NextRunAt(type);
  }
  Status Finish(JobId id, const server::Outcome& outcome) override {
    if (auto st = Check(Kind::kFinish)) return *st;
    return inner_.Finish(id, outcome);
  }
  Status Requeue(JobId id, TimeMs now, bool count_interruption) override {
    if (auto st = Check(Kind::kRequeue)) return *st;
    return inner_.Requeue(id, now, count_interruption);
  }
  Result<int64_t> ShiftRetries(TimeMs now, DurationMs back) override {
    if (auto st = Check(Kind::kRequeue)) return *st;
    return inner_.ShiftRetries(now, back);
  }
  Result<Job> Get(JobId id) override {
    if (auto st = Check(Kind::kRead)) return *st;
    return inner_.Get(id);
  }
  Result<std::vector<Job>> List(const server::ListFilter& filter) override {
    if (auto st = Check(Kind::kRead)) return *st;
    return inner_.List(filter);
  }
  Result<Job> Cancel(JobId id, TimeMs now) override {
    if (auto st = Check(Kind::kCancel)) return *st;
    return inner_.Cancel(id, now);
  }
  Result<Job> Retry(JobId id, TimeMs now, int extra_attempts) override {
    if (auto st = Check(Kind::kRetry)) return *st;
    return inner_.Retry(id, now, extra_attempts);
  }
  Result<std::vector<server::TypeCounts>> Counts(TimeMs now) override {
    if (auto st = Check(Kind::kRead)) return *st;
    return inner_.Counts(now);
  }
  Status SetPaused(const std::string& type, bool paused) override {
    if (auto st = Check(Kind::kSetPaused)) return *st;
    return inner_.SetPaused(type, paused);
  }
  Result<std::set<std::string>> PausedTypes() override {
    if (auto st = Check(Kind::kRead)) return *st;
    return inner_.PausedTypes();
  }
  Result<std::map<std::string, TimeMs>> ScheduleFires() override {
    if (auto st = Check(Kind::kRead)) return *st;
    return inner_.ScheduleFires();
  }
  Result<server::InsertResult> Fire(const std::string& type, TimeMs fire_time,
                                    server::NewJob job) override {
    if (auto st = Check(Kind::kFire)) return *st;
    return inner_.Fire(type, fire_time, std::move(job));
  }
  Status SetScheduleFire(const std::string& type, TimeMs fire_time) override {
    if (auto st = Check(Kind::kFire)) return *st;
    return inner_.SetScheduleFire(type, fire_time);
  }
  Result<std::map<std::string, std::string>> HandlerState(const std::string& type) override {
    if (auto st = Check(Kind::kRead)) return *st;
    return inner_.HandlerState(type);
  }
  Status SetHandlerState(const std::string& type,
                         const std::map<std::string, std::string>& values) override {
    if (auto st = Check(Kind::kState)) return *st;
    return inner_.SetHandlerState(type, values);
  }
  Result<server::RecoveryReport> Recover(TimeMs now, int crash_retries,
                                         const server::NoticeMaker& make = {}) override {
    if (auto st = Check(Kind::kRecover)) return *st;
    return inner_.Recover(now, crash_retries, make);
  }
  Result<std::vector<server::Notice>> DueNotices(TimeMs now, int limit) override {
    if (auto st = Check(Kind::kRead)) return *st;
    return inner_.DueNotices(now, limit);
  }
  Result<std::pair<std::optional<TimeMs>, int64_t>> PendingNotices() override {
    if (auto st = Check(Kind::kRead)) return *st;
    return inner_.PendingNotices();
  }
  Status RemoveNotice(int64_t id) override {
    if (auto st = Check(Kind::kNotice)) return *st;
    return inner_.RemoveNotice(id);
  }
  Status DeferNotice(int64_t id, TimeMs next_at, const std::string& error) override {
    if (auto st = Check(Kind::kNotice)) return *st;
    return inner_.DeferNotice(id, next_at, error);
  }
  Result<int64_t> Purge(TimeMs before,
                        const std::map<std::string, TimeMs>& type_before = {}) override {
    if (auto st = Check(Kind::kPurge)) return *st;
    return inner_.Purge(before, type_before);
  }
  Result<std::vector<server::TypeActivity>> Activity(TimeMs since) override {
    if (auto st = Check(Kind::kRead)) return *st;
    return inner_.Activity(since);
  }
  Result<std::vector<server::MinuteActivity>> FinishedPerMinute(TimeMs since) override {
    if (auto st = Check(Kind::kRead)) return *st;
    return inner_.FinishedPerMinute(since);
  }
  Result<int64_t> SizeBytes() override {
    if (auto st = Check(Kind::kRead)) return *st;
    return inner_.SizeBytes();
  }

 private:
  struct Armed {
    Status status;
    int remaining = -1;  // < 0: unlimited
  };

  // The status this call must fail with, if any.
  std::optional<Status> Check(Kind kind) {
    std::lock_guard lock(mu_);
    auto it = armed_.find(kind);
    if (it == armed_.end()) return std::nullopt;
    Status st = it->second.status;
    if (it->second.remaining > 0 && --it->second.remaining == 0) armed_.erase(it);
    ++failures_;
    return st;
  }

  server::Store& inner_;
  mutable std::mutex mu_;
  std::map<Kind, Armed> armed_;
  int failures_ = 0;
};

}  // namespace torque::testing
