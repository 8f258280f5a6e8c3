// How the tree watch loads one metafile: where it sits in the trees, its flags, the
// variables of the cmd.* templates, and the load call (pyrocore's load-mode table).
#pragma once

#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "jobs/metafile.h"
#include "jobs/tree_watch_settings.h"
#include "jobs/watch_folders.h"

namespace torque::jobs {

// Where a metafile sits in the watched trees.
struct WatchedPath {
  std::string path;     // absolute
  std::string root;     // the first root it is below; "" when outside every root
  std::string dir;      // its folder
  std::string relpath;  // dir relative to root: "" at the root, "tv/start" deeper
};

// Locates absolute `path` among `roots`.
WatchedPath Locate(const std::vector<std::string>& roots, const std::string& path);

// pyrocore's flags, counted only below the root: each folder of relpath and each
// '.'-separated part of the file name ("tv/start/a.queue.torrent" → a queue start torrent
// tv).
std::set<std::string> PathFlags(const WatchedPath& where);

// The first folder below the root that is not a flag folder (load, start, queue); "" when
// none: label_from_path's label ("tv/start/x.torrent" → "tv").
std::string FolderLabel(const WatchedPath& where);

// The cmd.* template variables of a metafile (see WatchTemplateVariables()).
std::map<std::string, std::string> TemplateVars(const TreeWatchSettings& settings,
                                                const WatchedPath& where,
                                                const std::set<std::string>& flags,
                                                const Metafile& meta);

// One load, decided.
struct LoadPlan {
  bool start = false;   // load_mode after watch.ini and flags (start beats load)
  bool queued = false;  // queued after watch.ini and the queue flag
  // load.verbose, load.start_verbose, or their load.raw_* forms.
  std::string method;
  bool raw = false;   // the target is the file's bytes
  std::string label;  // d.custom1 to set; "" for none
  // The load commands: d.custom1.set for the label, the expanded cmd.* in name order,
  // d.priority.set=0 for queued-normal, and the print of `announcement` unless quiet.
  std::vector<std::string> commands;
  // pyrocore's "TreeWatch: Loaded '<name>' from '<dir>/' [queued] [startable]".
  std::string announcement;
};

// Decides the load of `meta` at `where` under `settings` and `rules` (watch.ini). pyrocore's
// table: start and not queued → load.start_verbose; otherwise load.verbose, with
// d.priority.set=0 appended when queued and not start.
LoadPlan PlanLoad(const TreeWatchSettings& settings, const FolderRules& rules,
                  const WatchedPath& where, const Metafile& meta);

}  // namespace torque::jobs
