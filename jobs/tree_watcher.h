// TreeWatcher: reports candidate files (.torrent, .magnet, ...) that land anywhere in folder
// trees once they are stable, through inotify on the daemon's executor, falling back to
// polling where inotify cannot help (watch limit, network file systems, missing roots).
#pragma once

#include <spdlog/logger.h>

#include <boost/asio/any_io_executor.hpp>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/clock.h"
#include "jobs/tree_walk.h"

namespace torque::jobs {

// The trees and their rules (roots, excluded, suffixes: see TreeWalkOptions), and how to
// watch them.
struct TreeWatcherOptions : TreeWalkOptions {
  DurationMs settle = 250;       // see SettleTracker
  DurationMs poll_interval = 0;  // >0: also scan every tree this often (network file systems)
  DurationMs fallback_poll_interval = 5000;  // scan interval for trees inotify cannot watch
  size_t watch_limit = 0;          // test seam: >0 makes inotify_add_watch fail (ENOSPC) beyond it
  bool fail_inotify_init = false;  // test seam: makes inotify_init1 fail (EMFILE)
  bool trace = false;              // log ignored events at info (otherwise they are never logged)
};

struct TreeWatcherCallbacks {
  // A stable candidate file (absolute path). Reported again only after its size or mtime
  // changed, or after it left the tree and came back.
  std::function<void(const std::string& path)> ready;
  // Events may have been lost (queue overflow, a switch to polling): the owner should
  // rescan the trees (WalkCandidates) for files it has not handled.
  std::function<void(const std::string& why)> rescan;
};

// Watches folder trees for candidate files and reports each once it has settled. Every
// folder is watched with inotify, read on `executor` (no thread of its own); a tree that
// inotify cannot watch is scanned periodically instead, and with `poll_interval` every tree
// is also scanned. Callbacks run on the executor.
class TreeWatcher {
 public:
  // `log` is required. `clock` (wall-clock time, for the settle check; nullptr: the system
  // clock) and the executor's context must outlive the watcher. Callbacks may be empty.
  TreeWatcher(boost::asio::any_io_executor executor, TreeWatcherOptions options,
              TreeWatcherCallbacks callbacks, std::shared_ptr<spdlog::logger> log,
              const Clock* clock);
  ~TreeWatcher();  // Stop()
  TreeWatcher(const TreeWatcher&) = delete;
  TreeWatcher& operator=(const TreeWatcher&) = delete;

  // Watches every root recursively (walking the trees now, on the calling thread) and starts
  // reading events on the executor. Call once, from any thread. Never fails: problems are
  // logged and handled by polling. Returns a line for the log, e.g. "watching 3 trees, 1204
  // folders" or "watching 0 trees, 0 folders; polling /srv/w every 5s: inotify watch limit
  // reached".
  std::string Start();

  // Ends watching: no callback runs after it returns (when a callback runs on another thread
  // at the time, it waits for that callback to return). Idempotent; any thread, callbacks
  // included; never waits for the executor (its descriptors and timers close there later).
  void Stop();

  struct Stats {
    size_t folders_watched = 0;  // inotify watches held
    size_t polled_roots = 0;     // roots scanned instead of watched (limit, no inotify, missing)
    uint64_t events = 0;         // inotify events read
    uint64_t ignored = 0;        // events that changed nothing (other names, stale folders)
    uint64_t rescans = 0;        // rescan callbacks requested
  };
  // Thread-safe.
  Stats stats() const;

 private:
  class Impl;
  std::shared_ptr<Impl> impl_;  // shared with the executor's pending handlers
};

}  // namespace torque::jobs
