#include "server/notifier.h"

#include <algorithm>
#include <chrono>
#include <utility>
#include <vector>

#include "core/duration.h"
#include "server/logging.h"
#include "server/mail_sender.h"
#include "server/syslog_sender.h"

namespace torque::server {
namespace {

// How long after a store error the outbox is read again.
constexpr DurationMs kStoreRetryMs = 1000;

}  // namespace

DeliverFn MakeDeliverer(const NotifySettings& settings) {
  // One sender of each kind, used by the notifier's single thread only.
  auto mail = std::make_shared<MailSender>(settings);
  auto syslog = std::make_shared<SyslogSender>(settings);
  return [mail, syslog](const NotifyTarget& target, const Notice& notice) {
    if (target.kind == NotifyTarget::Kind::kMail) {
      return mail->Send(MailMessage{target.to, notice.subject, notice.body});
    }
    auto severity = notice.failure ? SyslogSender::Severity::kError : SyslogSender::Severity::kInfo;
    return syslog->Send(severity, target.ident, notice.subject);
  };
}

Notifier::Notifier(Store& store, const Clock& clock, NotifySettings settings, DeliverFn deliver)
    : store_(store),
      clock_(clock),
      log_(MakeLogger("notify")),
      settings_(std::move(settings)),
      deliver_(std::move(deliver)) {}

Notifier::~Notifier() { Stop(); }

void Notifier::Start() { thread_ = std::thread([this] { Loop(); }); }

void Notifier::Wake() {
  std::lock_guard lock(mu_);
  woken_ = true;
  cv_.notify_one();
}

void Notifier::Sync() {
  std::unique_lock lock(mu_);
  const uint64_t target = passes_started_ + 1;
  woken_ = true;
  cv_.notify_one();
  pass_cv_.wait(lock, [&] { return passes_done_ >= target || stopping_; });
}

void Notifier::Reconfigure(NotifySettings settings, DeliverFn deliver) {
  std::lock_guard lock(mu_);
  settings_ = std::move(settings);
  deliver_ = std::move(deliver);
  woken_ = true;
  cv_.notify_one();
}

void Notifier::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    cv_.notify_all();
    pass_cv_.notify_all();
  }
  if (thread_.joinable()) thread_.join();
}

NotifierStats Notifier::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

DurationMs Notifier::RetryDelay(int attempts) const {
  DurationMs delay = settings_.retry_delay;
  for (int i = 1; i < attempts && delay < settings_.retry_max_delay; ++i) delay *= 2;
  return std::min(delay, settings_.retry_max_delay);
}

void Notifier::Loop() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    woken_ = false;
    ++passes_started_;
    lock.unlock();
    const TimeMs now = clock_.Now();
    TimeMs wake_at = now + kMaxWaitMs;
    auto due = store_.DueNotices(now, kBatch);
    if (!due.ok()) {
      log_->error("cannot read the notification outbox (retrying): {}", due.status().message());
      wake_at = now + kStoreRetryMs;
    } else {
      bool store_ok = true;
      for (const Notice& n : *due) {
        {
          std::lock_guard stop_lock(mu_);
          if (stopping_) break;
        }
        store_ok = Handle(n, now) && store_ok;
      }
      auto pending = store_.PendingNotices();
      if (pending.ok() && pending->first) wake_at = std::min(wake_at, *pending->first);
      if (static_cast<int>(due->size()) == kBatch) wake_at = now;  // more are due
      // A notice the store could not update is due again at once: not in a tight loop.
      if (!store_ok || !pending.ok()) wake_at = std::max(wake_at, now + kStoreRetryMs);
    }
    lock.lock();
    ++passes_done_;
    pass_cv_.notify_all();
    if (stopping_ || woken_) continue;
    const DurationMs wait = std::clamp<DurationMs>(wake_at - clock_.Now(), 0, kMaxWaitMs);
    if (wait > 0) {
      cv_.wait_for(lock, std::chrono::milliseconds(wait), [this] { return woken_ || stopping_; });
    }
  }
}

bool Notifier::Handle(const Notice& n, TimeMs now) {
  DeliverFn deliver;
  NotifySettings settings;
  bool delivered_before;
  {
    std::lock_guard lock(mu_);
    deliver = deliver_;
    settings = settings_;
    delivered_before = unremoved_.count(n.id) > 0;
  }
  auto remove = [&](const char* why) {
    Status st = store_.RemoveNotice(n.id);
    std::lock_guard lock(mu_);
    if (st.ok()) {
      unremoved_.erase(n.id);
    } else {
      // Remembered so this process does not deliver it again; a restart before the
      // store recovers would (the only case of a repeated notification).
      unremoved_.insert(n.id);
      log_->error("cannot remove {} notification {} from the outbox: {}", why, n.id,
                  st.message());
    }
    return st.ok();
  };
  if (delivered_before) return remove("a delivered");

  Result<NotifyTarget> target = NotifyTarget::FromKey(n.target);
  Status st = target.ok() ? deliver(*target, n) : target.status();
  if (st.ok()) {
    log_->info("job {}: notified {}", n.job_id, n.target);
    {
      std::lock_guard lock(mu_);
      ++stats_.delivered;
    }
    return remove("a delivered");
  }
  const int attempts = n.attempts + 1;
  if (!target.ok() || now - n.created_at >= settings.give_up_after) {
    log_->error("job {}: giving up the notification to {} after {} attempt(s) since {}: {}",
                n.job_id, n.target, attempts, FormatTimeUtc(n.created_at), st.message());
    {
      std::lock_guard lock(mu_);
      ++stats_.dropped;
    }
    return remove("an undeliverable");
  }
  const DurationMs delay = RetryDelay(attempts);
  log_->warn("job {}: notification to {} failed (attempt {}), retry in {}: {}", n.job_id,
             n.target, attempts, FormatDuration(delay), st.message());
  {
    std::lock_guard lock(mu_);
    ++stats_.failed_attempts;
  }
  Status d = store_.DeferNotice(n.id, now + delay, st.message());
  if (!d.ok()) log_->error("cannot defer notification {} in the outbox: {}", n.id, d.message());
  return d.ok();
}

}  // namespace torque::server
