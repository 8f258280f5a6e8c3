// MetricsText: torqued's own metrics in Prometheus text format, every name torque_*: jobs
// per type and state, run-time histograms, attempts, failures, submissions, notifications,
// the database size, uptime — and JobMetrics, which counts attempts as the dispatcher
// reports them (DispatcherOptions::on_attempt).
#pragma once

#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/status.h"
#include "server/dispatcher.h"
#include "server/intake.h"
#include "server/service.h"
#include "server/store.h"

namespace torque::server {

// Counts finished attempts per type since start. Thread-safe.
class JobMetrics {
 public:
  // Upper bounds of the run-time histogram's buckets, in seconds (+Inf implied).
  static const std::vector<double>& Bounds();

  // One type's attempts.
  struct Type {
    std::vector<int64_t> buckets;             // per bound, then +Inf; not cumulative
    double sum_s = 0;                         // run time of all attempts
    std::map<std::string, int64_t> outcomes;  // "done", "failed", "retry", ... → attempts
  };

  // An attempt of `type` ran `run_ms` and ended as `outcome` (DispatcherOptions::on_attempt).
  void Observe(const std::string& type, DurationMs run_ms, std::string_view outcome);
  std::map<std::string, Type> Snapshot() const;

 private:
  mutable std::mutex mu_;
  std::map<std::string, Type> types_;  // guarded by mu_
};

// Everything the daemon's metrics show, gathered in one go (plain data: the renderer is a
// pure function of it, so tests build one by hand).
struct DaemonFacts {
  TimeMs now = 0;
  TimeMs started_at = 0;
  struct TypeRow {
    TypeCounts counts;  // counts.type is the type's name
    bool paused = false;
  };
  std::vector<TypeRow> types;  // configured types and those with jobs, by name
  int64_t accepted = 0;
  std::optional<Service::OutboxInfo> notifications;
  int64_t database_bytes = -1;  // -1: unknown
  std::map<std::string, JobMetrics::Type> attempts;
};

// Where the facts come from. The pointers outlive every gathering.
struct MetricsSources {
  Store* store = nullptr;
  Dispatcher* dispatcher = nullptr;
  Intake* intake = nullptr;
  const Clock* clock = nullptr;
  TimeMs started_at = 0;
  std::function<Service::OutboxInfo()> outbox;  // may be empty
  const JobMetrics* jobs = nullptr;
};

// Reads the store (blocking: not on the io thread). kIoError when the counts cannot be read.
Result<DaemonFacts> GatherDaemonFacts(const MetricsSources& sources);

// The text: HELP and TYPE lines, then the samples of each family.
std::string RenderDaemonMetrics(const DaemonFacts& facts);

}  // namespace torque::server
