#include "core/handler_catalog.h"

#include <map>

namespace torque {
namespace {

struct HandlerInfo {
  std::vector<std::string> aliases;
  std::vector<std::string> keys;
  bool implemented;
};

const std::map<std::string, HandlerInfo>& Catalog() {
  static const auto* catalog = new std::map<std::string, HandlerInfo>{
      {"exec",
       {{},
        {"command", "shell", "cwd", "max_output", "env."},
        true}},
      {"queue_manager",
       {{"pyrocore.torrent.queue:QueueManager", "pyrosimple.job.queue:QueueManager"},
        {"sort_fields", "downloading_min", "downloading_max", "start_at_once", "intermission",
         "startable", "downloading", "quiet", "scgi_url", "max_downloading_traffic",
         "downloading_traffic_max", "matcher", "sort"},
        false}},
      {"tree_watch",
       {{"pyrocore.torrent.watch:TreeWatch", "pyrosimple.job.watch:TreeWatch"},
        {"path", "load_mode", "queued", "quiet", "trace_inotify", "cmd.", "check_unhandled",
         "remove_unhandled", "remove_already_added", "scgi_url"},
        false}},
      {"engine_stats",
       {{"pyrocore.torrent.jobs:EngineStats", "pyrosimple.job.connstats:EngineStats"},
        {"scgi_url"},
        false}},
      {"metrics_exporter",
       {{"pyrocore.daemon.exporter:RtorrentExporter", "pyrosimple.job.metrics:RtorrentExporter"},
        {"jobs", "port", "addr", "system_stats", "item_stats", "item_labels", "tracker_stats",
         "scgi_url"},
        false}},
  };
  return *catalog;
}

}  // namespace

std::optional<std::string> CanonicalHandlerName(const std::string& name) {
  for (const auto& [canonical, info] : Catalog()) {
    if (name == canonical) return canonical;
    for (const auto& alias : info.aliases) {
      if (name == alias) return canonical;
    }
  }
  return std::nullopt;
}

const std::vector<std::string>& HandlerKeys(const std::string& handler) {
  static const std::vector<std::string> kNone;
  auto it = Catalog().find(handler);
  return it == Catalog().end() ? kNone : it->second.keys;
}

bool HandlerImplemented(const std::string& handler) {
  auto it = Catalog().find(handler);
  return it != Catalog().end() && it->second.implemented;
}

}  // namespace torque
