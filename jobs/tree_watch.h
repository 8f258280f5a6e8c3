// TreeWatch: the tree_watch handler (pyrocore.torrent.watch:TreeWatch) — loads metafiles
// into rTorrent the moment they land anywhere below the watched folders, and never loses one.
#pragma once

#include <sys/stat.h>

#include <memory>
#include <mutex>
#include <string>

#include "core/status.h"
#include "jobs/handler.h"
#include "jobs/handler_env.h"
#include "jobs/tree_watch_settings.h"
#include "jobs/watch_folders.h"

namespace torque::rtorrent {
class CallCombiner;
class Connector;
struct CallLimits;
}  // namespace torque::rtorrent

namespace torque::jobs {

class TreeWatcher;
struct LoadPlan;
struct Metafile;

// The background part (Start) watches the trees with inotify and turns each stable
// candidate file into a persisted job of the type (args: the path, unique per path), so a
// crash between the event and the load loses nothing; it also submits a rescan at start-up
// and whenever events may have been lost.
//
// A job with a path loads that file: read, validate (an invalid one is moved to the
// quarantine folder and the job fails without retries), skip a hash rTorrent already holds,
// load.verbose / load.start_verbose (or load.raw_*) with the load commands, wait until
// rTorrent shows the item, then the after-load action. rTorrent unreachable: the job fails
// and is retried. Each loaded file is remembered in the type's durable state (path, hash,
// size, mtime), written with the job's outcome.
//
// A job without args rescans the trees and submits a job for every metafile not loaded
// yet (new, or changed since it was loaded); the shipped type runs one every hour.
class TreeWatch : public Handler {
 public:
  // Durable state: kLoadedPrefix + path → "HASH SIZE MTIME_NS".
  static constexpr char kLoadedPrefix[] = "loaded:";
  // The unique key of rescan jobs (paths are absolute, so it never clashes with one).
  static constexpr char kRescanKey[] = "rescan";

  // kInvalidArgument with file:line for a bad setting or scgi_url.
  static Result<std::unique_ptr<TreeWatch>> Create(const JobTypeConfig& type,
                                                   const HandlerEnv& env);
  ~TreeWatch() override;

  Status Start(HandlerHost& host) override;
  void Stop() override;
  RunResult Run(JobContext& ctx) override;

  // What the watcher reports (public so tests can play the watcher): a stable candidate
  // file, and a reason to rescan. Both submit a job; without a started host they do nothing.
  void OnReady(const std::string& path);
  void OnRescan(const std::string& why);

  const TreeWatchSettings& settings() const { return settings_; }

 private:
  TreeWatch(TreeWatchSettings settings, std::string type_name);

  RunResult Load(JobContext& ctx, const std::string& path);
  RunResult Rescan(JobContext& ctx);
  // Moves an invalid file to the quarantine folder; the failure the job ends with.
  RunResult Quarantine(JobContext& ctx, const std::string& path, const std::string& root,
                       const std::string& why);
  // Whether rTorrent holds the item `hash`.
  Result<bool> HasItem(const std::string& hash, const rtorrent::CallLimits& limits);
  struct LoadTimes {
    double load_ms = 0;   // the load request
    double shown_ms = 0;  // from its answer until rTorrent showed the item
  };
  // Sends the load of `plan` and waits until rTorrent shows `meta`'s item: true. False when
  // rTorrent held the item already; kNotFound when it never shows it.
  Result<bool> SendLoad(JobContext& ctx, const rtorrent::CallLimits& limits, const LoadPlan& plan,
                        const Metafile& meta, const std::string& path, const std::string& bytes,
                        LoadTimes& times);
  // The outcome of a file whose item rTorrent holds already (remembered; removed with
  // remove_already_added).
  RunResult AlreadyHeld(JobContext& ctx, const Metafile& meta, const std::string& path,
                        const struct stat& st, const std::string& notes);
  void SubmitJob(const std::string& args, const std::string& why);

  const TreeWatchSettings settings_;
  const std::string type_name_;
  const Clock* clock_ = nullptr;
  std::shared_ptr<const rtorrent::Connector> connector_;
  // Every rTorrent call of the runs, so that loads running at once share requests.
  std::unique_ptr<rtorrent::CallCombiner> rtorrent_;
  WatchFolders folders_;

  std::mutex mu_;
  HandlerHost* host_ = nullptr;           // guarded by mu_; set by Start, cleared by Stop
  std::unique_ptr<TreeWatcher> watcher_;  // guarded by mu_
};

}  // namespace torque::jobs
