#include "core/handler_catalog.h"

namespace torque {
namespace {

struct HandlerInfo {
  std::string name;  // canonical
  std::vector<std::string> aliases;
  std::vector<std::string> keys;
  bool implemented;
};

// In the order CanonicalHandlerNames lists them.
const std::vector<HandlerInfo>& Catalog() {
  static const auto* catalog = new std::vector<HandlerInfo>{
      {"exec", {}, {"command", "shell", "cwd", "max_output", "env."}, true},
      {"queue_manager",
       {"pyrocore.torrent.queue:QueueManager", "pyrosimple.job.queue:QueueManager"},
       {"sort_fields", "downloading_min", "downloading_max", "start_at_once", "intermission",
        "startable", "downloading", "quiet", "scgi_url", "max_downloading_traffic",
        "downloading_traffic_max", "matcher", "sort"},
       false},
      {"tree_watch",
       {"pyrocore.torrent.watch:TreeWatch", "pyrosimple.job.watch:TreeWatch"},
       {"path", "load_mode", "queued", "quiet", "trace_inotify", "cmd.", "check_unhandled",
        "remove_unhandled", "remove_already_added", "scgi_url"},
       false},
      {"engine_stats",
       {"pyrocore.torrent.jobs:EngineStats", "pyrosimple.job.connstats:EngineStats"},
       {"scgi_url"},
       false},
      {"metrics_exporter",
       {"pyrocore.daemon.exporter:RtorrentExporter", "pyrosimple.job.metrics:RtorrentExporter"},
       {"jobs", "port", "addr", "system_stats", "item_stats", "item_labels", "tracker_stats",
        "scgi_url"},
       false},
  };
  return *catalog;
}

// The entry of canonical name `handler`; nullptr if none.
const HandlerInfo* Find(const std::string& handler) {
  for (const HandlerInfo& info : Catalog()) {
    if (info.name == handler) return &info;
  }
  return nullptr;
}

}  // namespace

std::optional<std::string> CanonicalHandlerName(const std::string& name) {
  for (const HandlerInfo& info : Catalog()) {
    if (name == info.name) return info.name;
    for (const auto& alias : info.aliases) {
      if (name == alias) return info.name;
    }
  }
  return std::nullopt;
}

std::vector<std::string> CanonicalHandlerNames() {
  std::vector<std::string> names;
  for (const HandlerInfo& info : Catalog()) names.push_back(info.name);
  return names;
}

const std::vector<std::string>& HandlerKeys(const std::string& handler) {
  static const std::vector<std::string> kNone;
  const HandlerInfo* info = Find(handler);
  return info ? info->keys : kNone;
}

bool IsHandlerKey(const std::string& handler, const std::string& key) {
  for (const std::string& k : HandlerKeys(handler)) {
    if (k == key || (!k.empty() && k.back() == '.' && key.size() > k.size() &&
                     key.compare(0, k.size(), k) == 0)) {
      return true;
    }
  }
  return false;
}

bool HandlerImplemented(const std::string& handler) {
  const HandlerInfo* info = Find(handler);
  return info && info->implemented;
}

}  // namespace torque
