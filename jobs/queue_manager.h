// QueueManager: the queue_manager handler (pyrocore.torrent.queue:QueueManager) — each job
// is one queue pass that starts stopped rTorrent items in a controlled way.
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "jobs/handler.h"
#include "jobs/handler_env.h"
#include "jobs/queue_settings.h"

namespace torque::rtorrent {
class Connector;
class RtorrentClient;
}  // namespace torque::rtorrent

namespace torque::jobs {

struct QueuePlan;

// A pass: one d.multicall2 (or d.multicall.filtered) fetching only the fields the
// conditions, the sort and the report need; PlanQueuePass; then every start of the pass
// (d.open, d.start, the cache write-backs of the started items, the "QueueManager:
// Started" line) in one system.multicall. The job's result is the pass report. The last
// start is kept in the type's durable state (key "last_start"), written with the job's
// outcome, so a restart does not start a burst. Args: none, or "dry-run" for a pass that
// starts nothing, changes no state and says what it would start. A dry_run type keeps its
// pretend last start in memory only. The queue never stops anything.
class QueueManager : public Handler {
 public:
  // The durable state key of the last start (milliseconds since the epoch).
  static constexpr char kLastStartKey[] = "last_start";

  // kInvalidArgument with file:line for a bad setting or scgi_url.
  static Result<std::unique_ptr<QueueManager>> Create(const JobTypeConfig& type,
                                                      const HandlerEnv& env);

  Status Start(HandlerHost& host) override;
  RunResult Run(JobContext& ctx) override;

  const QueueSettings& settings() const { return settings_; }

 private:
  explicit QueueManager(QueueSettings settings) : settings_(std::move(settings)) {}

  // Sends every start of `plan` (d.open, d.start, the item's cache write-backs, the log
  // line) in one system.multicall; a line per start rTorrent refused goes to `refused`.
  // The failure of the request as a whole, else Ok.
  Status SendStarts(rtorrent::RtorrentClient& client, const QueuePlan& plan, JobContext& ctx,
                    std::vector<std::string>& refused) const;

  QueueSettings settings_;
  std::string type_name_;
  std::shared_ptr<const rtorrent::Connector> connector_;
  std::mutex dry_mu_;
  std::optional<TimeMs> dry_last_start_;  // a dry_run type's pretend last start
};

}  // namespace torque::jobs
