// Tree walks: which files below a set of folder trees are candidates (.torrent, .magnet, ...)
// and the walks that find them, shared by TreeWatcher and the rescans of its owner. Excluded
// and symlinked folders are skipped; a symlink to a file is a file.
#pragma once

#include <spdlog/logger.h>

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "jobs/settle.h"

namespace torque::jobs {

// The trees to walk and the rules for what is in them.
struct TreeWalkOptions {
  std::vector<std::string> roots;     // absolute folders; a root inside another is dropped
  std::vector<std::string> excluded;  // absolute folders neither watched nor scanned
  // Candidate file names end with one of these (ASCII case-insensitive).
  std::vector<std::string> suffixes = {".torrent", ".load", ".start", ".queue", ".magnet"};
};

// Calls `visit` for every candidate file below `options.roots` (regular files and symlinks
// to them), as the watcher sees them: excluded folders and symlinked folders are skipped,
// and so are unreadable folders and missing roots, each with a warning on `log` (if given).
// A TreeWatcherOptions is a TreeWalkOptions, so the watcher's options serve as they are.
void WalkCandidates(const TreeWalkOptions& options,
                    const std::function<void(const std::string& path)>& visit,
                    spdlog::logger* log = nullptr);

// The rules every walk shares: which folders to skip and which names are candidates.
class CandidateFilter {
 public:
  explicit CandidateFilter(const TreeWalkOptions& options);

  // True when `path` (normalized) is an excluded folder or below one.
  bool Excluded(const std::string& path) const;
  // True when the file name `name` ends with one of the suffixes.
  bool IsCandidate(std::string_view name) const;

 private:
  std::vector<std::string> excluded_;  // normalized
  std::vector<std::string> suffixes_;  // lower-case
};

// The roots, absolute and normalized, without duplicates, excluded ones and roots inside
// another root; each one dropped is logged on `log` (if given).
std::vector<std::string> CleanRoots(const TreeWalkOptions& options, const CandidateFilter& filter,
                                    spdlog::logger* log);

enum class WalkStep { kDescend, kSkip, kAbort };

// Walks the tree at `top` depth-first: `on_dir` for each folder before it is listed,
// `on_file` (false: abort) for each candidate that is a regular file or a symlink to one.
// Symlinked and excluded folders are skipped, unreadable ones with a warning on `log` (if
// given). False when aborted.
bool WalkTree(const std::string& top, const CandidateFilter& filter,
              const std::function<WalkStep(const std::string& dir)>& on_dir,
              const std::function<bool(const std::string& path)>& on_file, spdlog::logger* log);

// The candidate files of one tree with their stamps as of its last scan, so that polling
// finds the files that are new or changed since. Not thread-safe.
class TreeSnapshot {
 public:
  // Records the tree at `root` as it is now (empty when it is missing); the next Update
  // reports nothing found here.
  void Baseline(const std::string& root, const CandidateFilter& filter, spdlog::logger* log);
  // Forgets every file: the next Update reports all it finds.
  void Clear();
  // Scans the tree at `root` again. Returns nullopt when `root` is not a folder (nothing is
  // recorded then), else the files new or changed since the last scan, in path order; the
  // first scan of a new snapshot only records.
  std::optional<std::vector<std::string>> Update(const std::string& root,
                                                 const CandidateFilter& filter,
                                                 spdlog::logger* log);
  // The files found by the last scan.
  const std::map<std::string, FileStamp>& files() const { return files_; }

 private:
  std::map<std::string, FileStamp> files_;
  bool baseline_ = true;  // the next Update only records
};

// Path helpers for absolute, normalized paths.
// True when `path` is `dir` or below it.
bool IsAtOrUnder(const std::string& path, const std::string& dir);
// What paths below `dir` start with ("/" for the root, else `dir` + "/").
std::string DirPrefix(const std::string& dir);
// The path of `name` in `dir`.
std::string JoinPath(const std::string& dir, std::string_view name);
// True when `path` is a folder (symlinks followed).
bool IsDirectory(const std::string& path);

}  // namespace torque::jobs
