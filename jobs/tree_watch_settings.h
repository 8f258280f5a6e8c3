// TreeWatchSettings: the tree watch's configuration — pyrocore's keys (path, load_mode,
// queued, quiet, trace_inotify, cmd.NAME), pyrosimple's, and what torque adds (settle time,
// polling, quarantine, labels from folders, loading by content, after-load actions).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "core/clock.h"
#include "core/config.h"
#include "core/status.h"
#include "jobs/rtorrent/traits.h"
#include "jobs/watch_template.h"

namespace torque::jobs {

// What happens to a metafile once rTorrent holds its item.
enum class AfterLoad { kLeave, kDelete, kRename };

// A cmd.NAME load command.
struct LoadCommand {
  std::string name;
  WatchTemplate text;
};

// Immutable once made; shared by the runs of one handler.
struct TreeWatchSettings {
  // The watched trees: absolute, without a trailing '/', in the order written.
  std::vector<std::string> roots;
  bool start = false;   // load_mode = start | started
  bool queued = false;  // loaded stopped, left for the queue manager to start
  bool quiet = false;   // no "TreeWatch: Loaded" line in rTorrent's log
  bool trace = false;   // trace_inotify: log ignored file system events
  // label_from_path: d.custom1 is the first folder below the root (flag folders skipped).
  bool label_from_path = false;
  // load_raw: send the file's bytes (load.raw_*), for an rTorrent on another host or in a
  // container that does not see the file; by path (load.*) otherwise, as pyrocore.
  bool load_raw = false;
  // remove_already_added: delete a metafile whose item rTorrent already holds.
  bool remove_already_added = false;
  AfterLoad after_load = AfterLoad::kLeave;
  // Where invalid metafiles go: an absolute folder, or one relative to the file's root.
  std::string quarantine = ".invalid";
  DurationMs settle = 250;            // a file must be unchanged this long before it is read
  DurationMs poll_interval = 0;       // >0: also scan the trees this often (network file systems)
  std::vector<LoadCommand> commands;  // cmd.NAME in name order
  rtorrent::AliasConfig aliases;      // for tracker_alias and label

  // The quarantine folder for files below `root`.
  std::string QuarantineFor(const std::string& root) const;
  // Every quarantine folder that lies inside a root (never watched nor scanned).
  std::vector<std::string> QuarantinesInside() const;
};

// "start"/"started" → true; "normal", "load", "" → false; anything else: an error message.
Result<bool> ParseLoadMode(const std::string& value);

// Reads and validates the settings of a tree_watch type: kInvalidArgument with file:line
// for a bad value, an empty path (when active), a root that is not a folder, or a cmd.NAME
// template that does not parse.
Result<TreeWatchSettings> ReadTreeWatchSettings(const JobTypeConfig& type);

}  // namespace torque::jobs
