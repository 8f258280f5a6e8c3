// Notifier: delivers the notices of the durable outbox, retrying failed deliveries.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <vector>

#include <spdlog/logger.h>

#include "core/clock.h"
#include "core/notify_config.h"
#include "server/pass_loop.h"
#include "server/store.h"

namespace torque::server {

// Delivers one notice to one target: Ok, or why not (the notice is retried).
using DeliverFn = std::function<Status(const NotifyTarget& target, const Notice& notice)>;

// Delivery over SMTP (MailSender) and syslog (SyslogSender) with `settings`.
DeliverFn MakeDeliverer(const NotifySettings& settings);

// Counters since start, for stats and tests.
struct NotifierStats {
  int64_t delivered = 0;
  int64_t failed_attempts = 0;  // deliveries that failed and were deferred
  int64_t dropped = 0;          // given up after give_up_after, or an unusable target
};

// One thread that works through the outbox oldest first. When more than digest_after
// mails for the same recipients are due at once (a mail server back after an outage, a
// burst of failures), they go out as one digest mail instead of a flood. A notice is removed only
// after its delivery succeeded (so a restart re-sends nothing that was delivered and
// loses nothing that was not); a failed delivery is retried after retry_delay, doubling
// up to retry_max_delay, and dropped with an error after give_up_after. Jobs never wait
// for it. Thread-safe.
class Notifier {
 public:
  Notifier(Store& store, const Clock& clock, NotifySettings settings, DeliverFn deliver);
  ~Notifier();  // Stop()

  void Start();
  // New notices were stored, or the clock moved (tests): look at the outbox now.
  void Wake();
  // Wake, then waits until a pass that began after this call has ended (tests).
  void Sync();
  // New settings and delivery (config reload); applies from the next delivery.
  void Reconfigure(NotifySettings settings, DeliverFn deliver);
  // Ends the thread after the delivery in progress. Idempotent.
  void Stop();

  NotifierStats stats() const;

  // How long the thread waits at most before it looks at the clock again.
  static constexpr DurationMs kMaxWaitMs = 1000;
  // Notices read from the store per pass.
  static constexpr int kBatch = 50;

 private:
  // One pass over the due notices; returns when the next one is due.
  TimeMs Pass();
  // The due notices in delivery groups: one notice each, except that more than
  // digest_after mails due for the same recipients form one group (one digest mail).
  std::vector<std::vector<Notice>> Group(std::vector<Notice> due) const;
  // Delivers a group (one notice, or a digest) and settles each of its notices; called
  // without mu_ held. False when the store could not record what happened.
  bool Handle(const std::vector<Notice>& group, TimeMs now);
  // One mail standing for `notices`: a summary line each, then each one's text.
  static Notice Digest(const std::vector<const Notice*>& notices);
  // Records the delivery outcome `st` of `n` (sent alone or in a digest of `batch`):
  // removed when delivered or given up, else deferred with backoff.
  bool Settle(const Notice& n, const Status& st, bool unusable, const NotifySettings& settings,
              size_t batch, TimeMs now);
  // Removes a delivered or abandoned notice; remembers it when the store fails.
  bool Remove(const Notice& n, const char* why);
  // The delay before attempt `attempts` + 1 of a delivery.
  static DurationMs RetryDelay(const NotifySettings& settings, int attempts);

  Store& store_;
  const Clock& clock_;
  std::shared_ptr<spdlog::logger> log_;

  mutable std::mutex mu_;
  NotifySettings settings_;
  DeliverFn deliver_;
  NotifierStats stats_;
  std::set<int64_t> unremoved_;  // delivered, but the store failed to remove them
  PassLoop loop_;  // last: its thread stops before the rest goes
};

}  // namespace torque::server
