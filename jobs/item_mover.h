// ItemDisk: what item_action does to an item's data on disk — moves it by rename within one
// file system, never replacing anything, and deletes an erased item's own files.
#pragma once

#include <string>
#include <vector>

#include "core/status.h"

namespace torque::jobs {

// What deleting an item's data did.
struct DeleteReport {
  int deleted = 0;                // files removed
  int missing = 0;                // files of the item that were not there
  std::vector<std::string> kept;  // paths left in place: not the item's (or not removable)
};

// The disk operations of item actions, behind a seam so tests can make them fail. Failures:
// kFailedPrecondition when trying again cannot help (the destination exists, another file
// system, no permission, not a directory), kIoError otherwise; every message names the
// paths. Thread-safe.
class ItemDisk {
 public:
  virtual ~ItemDisk() = default;

  // Checks, before anything is touched, that `source` (an absolute path to a file or
  // directory) can be moved into the directory `target` (absolute; missing directories are
  // created by Move) by one rename; returns the destination, target/basename(source).
  //   "no data at SOURCE", "move target 'T' is not an absolute path", "DEST exists",
  //   "T is not a directory", "T is on another file system than SOURCE (data is moved by
  //   renaming only, never copied)".
  virtual Result<std::string> CheckMove(const std::string& source, const std::string& target);
  // Renames `source` to `dest` (CheckMove's) without replacing anything (RENAME_NOREPLACE),
  // creating the missing directories above `dest` (listed, outermost first, in
  // `created_dirs` when given). On failure nothing changed: directories it created are
  // removed again.
  virtual Status Move(const std::string& source, const std::string& dest,
                      std::vector<std::string>* created_dirs = nullptr);
  // Removes those of `dirs` (as Move lists them) that are empty, innermost first.
  void RemoveEmptyDirs(const std::vector<std::string>& dirs);
  // Deletes the item's files: `data` itself for a single-file item, else each of `files`
  // (paths relative to the directory `data`, as f.path gives them) and then the directories
  // that became empty, `data` included. Never follows a symbolic link, never removes what
  // is not one of `files`. Fails only when `data` is not absolute or a file path leaves it.
  virtual Result<DeleteReport> DeleteData(const std::string& data, bool multi_file,
                                          const std::vector<std::string>& files);
};

}  // namespace torque::jobs
