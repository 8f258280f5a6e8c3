// WatchFolders: per-folder watch.ini files of a watched tree — overrides of load_mode,
// queued, the label and cmd.NAME for the metafiles below them (pyrotorque documented the
// file and never built it).
#pragma once

#include <spdlog/logger.h>
#include <sys/types.h>

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "jobs/watch_template.h"

namespace torque::jobs {

inline constexpr char kWatchIni[] = "watch.ini";

// The overrides of one watch.ini, or of several merged (the nearest wins, key by key).
struct FolderRules {
  std::optional<bool> start;  // load_mode
  std::optional<bool> queued;
  std::optional<std::string> label;  // d.custom1; "" sets none
  // cmd.NAME overrides; nullopt ("cmd.NAME =" left empty) drops the job's cmd.NAME.
  std::map<std::string, std::optional<WatchTemplate>> commands;
  std::vector<std::string> problems;  // broken watch.ini files that were skipped, with why

  // `nearer` applied over this.
  void MergeFrom(const FolderRules& nearer);
};

// Parses the text of a watch.ini: `key = value` lines (optionally under a [watch]
// header) with keys load_mode, queued, label and cmd.NAME. kInvalidArgument
// "file:line: reason" otherwise.
Result<FolderRules> ParseWatchIni(const std::string& file, std::string_view text);

// The watch.ini files of the trees, each read when first needed and again when it changes
// (size, mtime or inode). Thread-safe.
class WatchFolders {
 public:
  // The rules for a metafile in folder `dir` below `root` (absolute; `dir` is `root` or
  // inside it): the watch.ini files of root … dir merged, the nearest winning. A broken
  // one is logged on `log` (if given) once per version, listed in `problems`, and
  // contributes nothing.
  FolderRules For(const std::string& root, const std::string& dir, spdlog::logger* log);

 private:
  struct Entry {
    ino_t inode = 0;
    off_t size = -1;
    int64_t mtime_ns = -1;
    std::optional<FolderRules> rules;  // nullopt: no file there
  };
  // The rules of `folder`'s own watch.ini (empty when none), re-read when it changed.
  FolderRules Own(const std::string& folder, spdlog::logger* log);

  std::mutex mu_;
  std::map<std::string, Entry> cache_;  // by folder
};

}  // namespace torque::jobs
