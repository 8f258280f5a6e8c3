#include "jobs/handler_table.h"

#include "jobs/engine_stats.h"
#include "jobs/exec_handler.h"
#include "jobs/item_action.h"
#include "jobs/metrics_exporter.h"
#include "jobs/noop_handler.h"
#include "jobs/queue_manager.h"
#include "jobs/tree_watch.h"

namespace torque::jobs {
namespace {

template <typename T>
Result<std::unique_ptr<Handler>> Upcast(Result<std::unique_ptr<T>> made) {
  if (!made.ok()) return made.status();
  return std::unique_ptr<Handler>(std::move(made).value());
}

std::vector<HandlerEntry> MakeTable() {
  std::vector<HandlerEntry> table = {
      {{"exec", {}, {"command", "shell", "cwd", "max_output", "env."}, true, {}},
       [](const JobTypeConfig& type, const HandlerEnv& env) {
         return Upcast(ExecHandler::Create(type, env.config->server, {}, env.config->rtorrent));
       }},
      {{"queue_manager",
        {"pyrocore.torrent.queue:QueueManager", "pyrosimple.job.queue:QueueManager"},
        {"sort_fields", "downloading_min", "downloading_max", "start_at_once", "intermission",
         "startable", "downloading", "quiet", "scgi_url", "view", "prefilter",
         "downloading_traffic_max", "max_downloading_traffic", "max_per_label", "max_per_label.",
         "max_per_tracker", "max_per_tracker.", "matcher", "sort"},
        true,
        {}},
       [](const JobTypeConfig& type, const HandlerEnv& env) {
         return Upcast(QueueManager::Create(type, env));
       }},
      {{"tree_watch",
        {"pyrocore.torrent.watch:TreeWatch", "pyrosimple.job.watch:TreeWatch"},
        {"path", "load_mode", "queued", "quiet", "trace_inotify", "cmd.", "check_unhandled",
         "remove_unhandled", "remove_already_added", "print_to_client", "start_immediately",
         "started", "label_from_path", "load_raw", "after_load", "quarantine", "settle",
         "poll_interval", "scgi_url"},
        true,
        // Loads are retried while rTorrent is down, at most a minute apart; loads running
        // at once share requests to rTorrent.
        {{"retries", "1000"},
         {"retry_delay", "1s"},
         {"retry_max_delay", "1m"},
         {"concurrent", "8"}}},
       [](const JobTypeConfig& type, const HandlerEnv& env) {
         return Upcast(TreeWatch::Create(type, env));
       }},
      {{"engine_stats",
        {"pyrocore.torrent.jobs:EngineStats", "pyrosimple.job.connstats:EngineStats"},
        {"scgi_url", "views"},
        true,
        {}},
       [](const JobTypeConfig& type, const HandlerEnv& env) {
         return Upcast(EngineStats::Create(type, env));
       }},
      {{"item_action",
        {"pyrosimple.job.action:Action", "pyrosimple.job.action:ItemCommand",
         "pyrosimple.job.move_path:PathMover"},
        {"action", "args", "target", "matcher", "view", "sort", "cwd", "scgi_url"},
        true,
        {}},
       [](const JobTypeConfig& type, const HandlerEnv& env) {
         return Upcast(ItemAction::Create(type, env));
       }},
      {{"metrics_exporter",
        {"pyrocore.daemon.exporter:RtorrentExporter", "pyrosimple.job.metrics:RtorrentExporter"},
        {"jobs", "port", "addr", "prefix", "item_stats", "item-stats", "item_labels",
         "item-labels", "scgi_url"},
        true,
        {}},
       [](const JobTypeConfig& type, const HandlerEnv& env) {
         return Upcast(MetricsExporter::Create(type, env));
       }},
      // Jobs that succeed at once, in process: for measuring the dispatcher (bench/run.sh).
      {{"noop", {}, {}, true, {}},
       [](const JobTypeConfig&, const HandlerEnv&) -> Result<std::unique_ptr<Handler>> {
         return std::unique_ptr<Handler>(std::make_unique<NoopHandler>());
       }},
  };
  for (HandlerEntry& e : table) e.spec.available = e.make != nullptr;
  return table;
}

}  // namespace

const std::vector<HandlerEntry>& HandlerTable() {
  static const auto* table = new std::vector<HandlerEntry>(MakeTable());
  return *table;
}

const std::vector<HandlerSpec>& HandlerSpecs() {
  static const auto* specs = [] {
    auto* out = new std::vector<HandlerSpec>();
    for (const HandlerEntry& e : HandlerTable()) out->push_back(e.spec);
    return out;
  }();
  return *specs;
}

Result<std::unique_ptr<Handler>> MakeHandler(const JobTypeConfig& type, const HandlerEnv& env) {
  // The handler setting's own line when there is one, else where the type is.
  SourceLocation where = type.where;
  if (auto it = type.settings.find("handler"); it != type.settings.end()) where = it->second.where;
  std::string prefix = where.file.empty() ? "" : where.ToString() + ": ";
  prefix += "job type '" + type.name + "': ";
  for (const HandlerEntry& e : HandlerTable()) {
    if (e.spec.name != type.handler) continue;
    if (!e.make) {
      return Status::InvalidArgument(prefix + "handler '" + type.handler +
                                     "' is not available in this build");
    }
    return e.make(type, env);
  }
  return Status::InvalidArgument(prefix + "unknown handler '" + type.handler + "'");
}

}  // namespace torque::jobs
