#include "server/metrics_text.h"

#include <algorithm>
#include <set>

#include "core/prometheus_text.h"

namespace torque::server {

const std::vector<double>& JobMetrics::Bounds() {
  // From a quick rTorrent call to an hour-long transfer.
  static const std::vector<double> kBounds = {0.01, 0.05, 0.1, 0.5, 1,    5,   10,
                                              30,   60,   300, 900, 1800, 3600};
  return kBounds;
}

void JobMetrics::Observe(const std::string& type, DurationMs run_ms, std::string_view outcome) {
  const double seconds = std::max<DurationMs>(run_ms, 0) / 1000.0;
  const std::vector<double>& bounds = Bounds();
  const size_t bucket = std::lower_bound(bounds.begin(), bounds.end(), seconds) - bounds.begin();
  std::lock_guard lock(mu_);
  Type& t = types_[type];
  if (t.buckets.empty()) t.buckets.assign(bounds.size() + 1, 0);
  ++t.buckets[bucket];
  t.sum_s += seconds;
  ++t.outcomes[std::string(outcome)];
}

std::map<std::string, JobMetrics::Type> JobMetrics::Snapshot() const {
  std::lock_guard lock(mu_);
  return types_;
}

Result<DaemonFacts> GatherDaemonFacts(const MetricsSources& sources) {
  DaemonFacts f;
  f.now = sources.clock->Now();
  f.started_at = sources.started_at;
  auto counts = sources.store->Counts(f.now);
  if (!counts.ok()) return counts.status();
  std::map<std::string, TypeCounts> by_type;
  for (TypeCounts& c : *counts) by_type[c.type] = std::move(c);
  for (const auto& [name, type] : sources.intake->config()->types) by_type[name].type = name;
  for (auto& [name, c] : by_type) {
    f.types.push_back({std::move(c), sources.dispatcher->Runtime(name).paused});
  }
  f.accepted = sources.intake->accepted();
  if (sources.outbox) f.notifications = sources.outbox();
  auto size = sources.store->SizeBytes();
  f.database_bytes = size.ok() ? *size : -1;
  if (sources.jobs) f.attempts = sources.jobs->Snapshot();
  return f;
}

std::string RenderDaemonMetrics(const DaemonFacts& f) {
  PrometheusText t;
  t.Family("torque_build_info", "gauge", "torqued's version.");
  t.Sample("torque_build_info", {{"version", TORQUE_VERSION}}, 1);
  t.Family("torque_start_time_seconds", "gauge", "When torqued started, in Unix seconds.");
  t.Sample("torque_start_time_seconds", f.started_at / 1000.0);
  t.Family("torque_uptime_seconds", "gauge", "How long torqued has been running.");
  t.Sample("torque_uptime_seconds", (f.now - f.started_at) / 1000.0);

  t.Family("torque_jobs", "gauge",
           "Jobs in the database per type and state (queued includes delayed ones).");
  for (const DaemonFacts::TypeRow& row : f.types) {
    const TypeCounts& c = row.counts;
    for (const auto& [state, n] :
         std::vector<std::pair<const char*, int64_t>>{{"queued", c.queued},
                                                      {"running", c.running},
                                                      {"done", c.done},
                                                      {"failed", c.failed},
                                                      {"cancelled", c.cancelled}}) {
      t.Sample("torque_jobs", {{"type", c.type}, {"state", state}}, static_cast<double>(n));
    }
  }
  t.Family("torque_jobs_delayed", "gauge",
           "Queued jobs per type that wait for a later time (a retry, a delay).");
  for (const DaemonFacts::TypeRow& row : f.types) {
    t.Sample("torque_jobs_delayed", {{"type", row.counts.type}},
             static_cast<double>(row.counts.delayed));
  }
  t.Family("torque_jobs_ready", "gauge", "Queued jobs per type that may run now: the queue depth.");
  for (const DaemonFacts::TypeRow& row : f.types) {
    t.Sample("torque_jobs_ready", {{"type", row.counts.type}},
             static_cast<double>(row.counts.queued - row.counts.delayed));
  }
  t.Family("torque_type_paused", "gauge", "Whether a job type is paused (1) or not (0).");
  for (const DaemonFacts::TypeRow& row : f.types) {
    t.Sample("torque_type_paused", {{"type", row.counts.type}}, row.paused ? 1 : 0);
  }

  t.Family("torque_submissions_total", "counter", "Jobs accepted since start.");
  t.Sample("torque_submissions_total", static_cast<double>(f.accepted));
  t.Family("torque_job_attempts_total", "counter",
           "Attempts finished since start, per type and outcome (done, retry, failed, "
           "cancelled, interrupted).");
  for (const auto& [type, a] : f.attempts) {
    for (const auto& [outcome, n] : a.outcomes) {
      t.Sample("torque_job_attempts_total", {{"type", type}, {"outcome", outcome}},
               static_cast<double>(n));
    }
  }
  t.Family("torque_job_failures_total", "counter",
           "Jobs failed for good since start (no attempt left), per type.");
  for (const auto& [type, a] : f.attempts) {
    auto failed = a.outcomes.find("failed");
    t.Sample("torque_job_failures_total", {{"type", type}},
             failed == a.outcomes.end() ? 0 : static_cast<double>(failed->second));
  }
  t.Family("torque_job_run_seconds", "histogram", "Run time of attempts since start, per type.");
  for (const auto& [type, a] : f.attempts) {
    t.Histogram("torque_job_run_seconds", {{"type", type}}, JobMetrics::Bounds(), a.buckets,
                a.sum_s);
  }

  if (f.notifications) {
    const Service::OutboxInfo& n = *f.notifications;
    t.Family("torque_notifications_pending", "gauge", "Notifications waiting in the outbox.");
    t.Sample("torque_notifications_pending", static_cast<double>(n.pending));
    t.Family("torque_notifications_delivered_total", "counter",
             "Notifications delivered since start.");
    t.Sample("torque_notifications_delivered_total", static_cast<double>(n.delivered));
    t.Family("torque_notification_failed_attempts_total", "counter",
             "Failed delivery attempts since start (each is retried until given up).");
    t.Sample("torque_notification_failed_attempts_total", static_cast<double>(n.failed_attempts));
    t.Family("torque_notifications_dropped_total", "counter",
             "Notifications given up since start.");
    t.Sample("torque_notifications_dropped_total", static_cast<double>(n.dropped));
  }
  if (f.database_bytes >= 0) {
    t.Family("torque_database_size_bytes", "gauge", "Size of the database files.");
    t.Sample("torque_database_size_bytes", static_cast<double>(f.database_bytes));
  }
  return t.Take();
}

}  // namespace torque::server
