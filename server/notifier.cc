#include "server/notifier.h"

#include <algorithm>
#include <chrono>
#include <map>
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
      deliver_(std::move(deliver)),
      loop_(clock, kMaxWaitMs) {}

Notifier::~Notifier() { Stop(); }

void Notifier::Start() { loop_.Start([this] { return Pass(); }); }

void Notifier::Wake() { loop_.Wake(); }

void Notifier::Sync() { loop_.Sync(); }

void Notifier::Reconfigure(NotifySettings settings, DeliverFn deliver) {
  {
    std::lock_guard lock(mu_);
    settings_ = std::move(settings);
    deliver_ = std::move(deliver);
  }
  loop_.Wake();
}

void Notifier::Stop() { loop_.Stop(); }

NotifierStats Notifier::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

DurationMs Notifier::RetryDelay(const NotifySettings& settings, int attempts) {
  DurationMs delay = settings.retry_delay;
  for (int i = 1; i < attempts && delay < settings.retry_max_delay; ++i) delay *= 2;
  return std::min(delay, settings.retry_max_delay);
}

std::vector<std::vector<Notice>> Notifier::Group(std::vector<Notice> due) const {
  size_t digest_after;
  {
    std::lock_guard lock(mu_);
    digest_after = static_cast<size_t>(settings_.digest_after);
  }
  std::map<std::string, size_t> mails;  // target → notices due for it
  for (const Notice& n : due) {
    if (n.target.rfind("mail:", 0) == 0) ++mails[n.target];
  }
  std::vector<std::vector<Notice>> groups;
  std::map<std::string, size_t> digest_index;  // target → its group
  for (Notice& n : due) {
    auto it = mails.find(n.target);
    if (digest_after == 0 || it == mails.end() || it->second <= digest_after) {
      groups.push_back({std::move(n)});
      continue;
    }
    auto [slot, added] = digest_index.try_emplace(n.target, groups.size());
    if (added) groups.emplace_back();
    groups[slot->second].push_back(std::move(n));
  }
  return groups;
}

TimeMs Notifier::Pass() {
  const TimeMs now = clock_.Now();
  auto due = store_.DueNotices(now, kBatch);
  if (!due.ok()) {
    log_->error("cannot read the notification outbox (retrying): {}", due.status().message());
    return now + kStoreRetryMs;
  }
  const size_t due_count = due->size();
  bool store_ok = true;
  for (const std::vector<Notice>& group : Group(std::move(*due))) {
    if (loop_.stopping()) break;
    store_ok = Handle(group, now) && store_ok;
  }
  TimeMs wake_at = now + kMaxWaitMs;
  auto pending = store_.PendingNotices();
  if (pending.ok() && pending->first) wake_at = std::min(wake_at, *pending->first);
  if (static_cast<int>(due_count) == kBatch) wake_at = now;  // more are due
  // A notice the store could not update is due again at once: not in a tight loop.
  if (!store_ok || !pending.ok()) wake_at = std::max(wake_at, now + kStoreRetryMs);
  return wake_at;
}

bool Notifier::Handle(const std::vector<Notice>& group, TimeMs now) {
  DeliverFn deliver;
  NotifySettings settings;
  std::vector<const Notice*> pending;  // not delivered by this process yet
  bool ok = true;
  {
    std::lock_guard lock(mu_);
    deliver = deliver_;
    settings = settings_;
  }
  for (const Notice& n : group) {
    bool delivered_before;
    {
      std::lock_guard lock(mu_);
      delivered_before = unremoved_.count(n.id) > 0;
    }
    if (delivered_before) {
      ok = Remove(n, "a delivered") && ok;
    } else {
      pending.push_back(&n);
    }
  }
  if (pending.empty()) return ok;

  Result<NotifyTarget> target = NotifyTarget::FromKey(pending.front()->target);
  Status st = target.status();
  if (target.ok()) st = deliver(*target, pending.size() == 1 ? *pending.front() : Digest(pending));
  for (const Notice* n : pending) {
    ok = Settle(*n, st, !target.ok(), settings, pending.size(), now) && ok;
  }
  return ok;
}

Notice Notifier::Digest(const std::vector<const Notice*>& notices) {
  int failures = 0;
  for (const Notice* n : notices) failures += n->failure ? 1 : 0;
  Notice digest = *notices.front();
  digest.failure = failures > 0;
  digest.subject = "[torque] " + std::to_string(notices.size()) + " notifications: " +
                   std::to_string(failures) + " failure(s), " +
                   std::to_string(notices.size() - failures) + " success(es)";
  digest.body = std::to_string(notices.size()) +
                " notifications were due at once (after an outage of the mail server, or a "
                "burst of jobs); they come in one mail.\n";
  for (const Notice* n : notices) digest.body += "\n" + n->subject + "\n";
  for (const Notice* n : notices) {
    digest.body += "\n------------------------------------------------------------\n" +
                   n->subject + "\n\n" + n->body;
  }
  return digest;
}

bool Notifier::Remove(const Notice& n, const char* why) {
  Status st = store_.RemoveNotice(n.id);
  std::lock_guard lock(mu_);
  if (st.ok()) {
    unremoved_.erase(n.id);
  } else {
    // Remembered so this process does not deliver it again; a restart before the store
    // recovers would (the only case of a repeated notification).
    unremoved_.insert(n.id);
    log_->error("cannot remove {} notification {} from the outbox: {}", why, n.id, st.message());
  }
  return st.ok();
}

bool Notifier::Settle(const Notice& n, const Status& st, bool unusable,
                      const NotifySettings& settings, size_t batch, TimeMs now) {
  if (st.ok()) {
    if (batch > 1) {
      log_->info("job {}: notified {} (in a digest of {})", n.job_id, n.target, batch);
    } else {
      log_->info("job {}: notified {}", n.job_id, n.target);
    }
    {
      std::lock_guard lock(mu_);
      ++stats_.delivered;
    }
    return Remove(n, "a delivered");
  }
  const int attempts = n.attempts + 1;
  if (unusable || now - n.created_at >= settings.give_up_after) {
    log_->error("job {}: giving up the notification to {} after {} attempt(s) since {}: {}",
                n.job_id, n.target, attempts, FormatTimeUtc(n.created_at), st.message());
    {
      std::lock_guard lock(mu_);
      ++stats_.dropped;
    }
    return Remove(n, "an undeliverable");
  }
  const DurationMs delay = RetryDelay(settings, attempts);
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
