#include "jobs/item_mover.h"

#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <set>

namespace torque::jobs {
namespace {

std::string StripSlashes(std::string path) {
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  return path;
}

std::string Parent(const std::string& path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

std::string Base(const std::string& path) {
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

// Errors a retry cannot cure.
bool IsFinal(int error) {
  switch (error) {
    case EEXIST:
    case ENOTEMPTY:
    case EXDEV:
    case EACCES:
    case EPERM:
    case EROFS:
    case ENOTDIR:
    case EISDIR:
    case EINVAL:
    case ELOOP:
    case ENAMETOOLONG:
      return true;
    default:
      return false;
  }
}

Status Errno(int error, const std::string& what) {
  const std::string message = what + ": " + std::strerror(error);
  return IsFinal(error) ? Status::FailedPrecondition(message) : Status::IoError(message);
}

// Whether `path` has a "." or ".." part, or is absolute.
bool Escapes(const std::string& path) {
  if (path.empty() || path[0] == '/') return true;
  size_t i = 0;
  while (i <= path.size()) {
    const size_t end = std::min(path.find('/', i), path.size());
    const std::string part = path.substr(i, end - i);
    if (part == "." || part == "..") return true;
    i = end + 1;
  }
  return false;
}

// Whether `dir` or a folder between it and `file` (relative to it) exists but is not a real
// directory (a symbolic link, say): deleting through it would reach files that are not the
// item's. A missing folder is not (the file is then missing).
bool ThroughLink(const std::string& dir, const std::string& file) {
  struct stat st {};
  std::string path = dir;
  size_t i = 0;
  for (;;) {
    if (::lstat(path.c_str(), &st) != 0) return false;
    if (!S_ISDIR(st.st_mode)) return true;
    const size_t slash = file.find('/', i);
    if (slash == std::string::npos) return false;
    path = dir + "/" + file.substr(0, slash);
    i = slash + 1;
  }
}

}  // namespace

Result<std::string> ItemDisk::CheckMove(const std::string& source_in,
                                        const std::string& target_in) {
  const std::string source = StripSlashes(source_in);
  const std::string target = StripSlashes(target_in);
  if (target.empty() || target[0] != '/') {
    return Status::FailedPrecondition("move target '" + target_in + "' is not an absolute path");
  }
  struct stat src {};
  if (source.empty() || source[0] != '/' || ::lstat(source.c_str(), &src) != 0) {
    return Status::FailedPrecondition("no data at " + (source.empty() ? "''" : source));
  }
  const std::string dest = (target == "/" ? "" : target) + "/" + Base(source);
  if (dest.compare(0, source.size() + 1, source + "/") == 0) {
    return Status::FailedPrecondition("cannot move " + source + " into itself (" + target + ")");
  }
  struct stat st {};
  if (::lstat(dest.c_str(), &st) == 0) return Status::FailedPrecondition(dest + " exists");
  // The nearest existing directory at or above the target decides the file system.
  std::string existing = target;
  while (::stat(existing.c_str(), &st) != 0) {
    if (errno != ENOENT && errno != ENOTDIR) return Errno(errno, "cannot check " + existing);
    existing = Parent(existing);
  }
  if (!S_ISDIR(st.st_mode)) return Status::FailedPrecondition(existing + " is not a directory");
  if (st.st_dev != src.st_dev) {
    return Status::FailedPrecondition(target + " is on another file system than " + source +
                                      " (data is moved by renaming only, never copied)");
  }
  return dest;
}

Status ItemDisk::Move(const std::string& source, const std::string& dest,
                      std::vector<std::string>* created_dirs) {
  // The directories to create, outermost first.
  std::vector<std::string> missing;
  struct stat st {};
  for (std::string dir = Parent(dest); ::stat(dir.c_str(), &st) != 0; dir = Parent(dir)) {
    if (errno != ENOENT) return Errno(errno, "cannot check " + dir);
    missing.insert(missing.begin(), dir);
  }
  std::vector<std::string> created;
  auto undo = [&created] {
    for (auto it = created.rbegin(); it != created.rend(); ++it) ::rmdir(it->c_str());
  };
  for (const std::string& dir : missing) {
    if (::mkdir(dir.c_str(), 0777) != 0 && errno != EEXIST) {
      const int error = errno;
      undo();
      return Errno(error, "cannot create " + dir);
    }
    created.push_back(dir);
  }
  int rc = ::renameat2(AT_FDCWD, source.c_str(), AT_FDCWD, dest.c_str(), RENAME_NOREPLACE);
  if (rc != 0 && (errno == EINVAL || errno == ENOSYS)) {
    // A file system without RENAME_NOREPLACE: check, then rename (a narrow window).
    if (::lstat(dest.c_str(), &st) == 0) {
      errno = EEXIST;
    } else {
      rc = ::rename(source.c_str(), dest.c_str());
    }
  }
  if (rc != 0) {
    const int error = errno;
    undo();
    return Errno(error, "cannot move " + source + " to " + dest);
  }
  if (created_dirs) *created_dirs = std::move(created);
  return Status::Ok();
}

void ItemDisk::RemoveEmptyDirs(const std::vector<std::string>& dirs) {
  for (auto it = dirs.rbegin(); it != dirs.rend(); ++it) ::rmdir(it->c_str());
}

Result<DeleteReport> ItemDisk::DeleteData(const std::string& data_in, bool multi_file,
                                          const std::vector<std::string>& files) {
  const std::string data = StripSlashes(data_in);
  if (data.empty() || data[0] != '/' || data == "/") {
    return Status::FailedPrecondition("refusing to delete data at '" + data_in + "'");
  }
  DeleteReport report;
  struct stat st {};
  auto remove_file = [&](const std::string& path) {
    if (::lstat(path.c_str(), &st) != 0) {
      ++report.missing;
    } else if (S_ISDIR(st.st_mode) || ::unlink(path.c_str()) != 0) {
      report.kept.push_back(path);
    } else {
      ++report.deleted;
    }
  };
  if (!multi_file) {
    remove_file(data);
    return report;
  }
  std::set<std::string> dirs;  // below `data`, to remove when empty
  for (const std::string& file : files) {
    if (Escapes(file)) return Status::FailedPrecondition("file path '" + file + "' leaves " + data);
    if (ThroughLink(data, file)) {
      report.kept.push_back(data + "/" + file);
      continue;
    }
    remove_file(data + "/" + file);
    for (std::string dir = Parent(file); dir != "."; dir = Parent(dir))
      dirs.insert(data + "/" + dir);
  }
  // Deepest first; a directory that still holds something stays.
  std::vector<std::string> order(dirs.begin(), dirs.end());
  std::sort(order.begin(), order.end(), [](const std::string& a, const std::string& b) {
    return std::count(a.begin(), a.end(), '/') > std::count(b.begin(), b.end(), '/');
  });
  order.push_back(data);
  for (const std::string& dir : order) {
    if (::rmdir(dir.c_str()) != 0 && errno != ENOENT && dir == data) report.kept.push_back(data);
  }
  return report;
}

}  // namespace torque::jobs
