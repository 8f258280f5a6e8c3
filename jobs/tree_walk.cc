#include "jobs/tree_walk.h"

#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <memory>
#include <system_error>
#include <utility>

#include "core/utf8.h"

namespace torque::jobs {
namespace {

// `path` without "." / ".." parts and trailing slashes.
std::string Normalize(const std::string& path) {
  std::string n = std::filesystem::path(path).lexically_normal().string();
  while (n.size() > 1 && n.back() == '/') n.pop_back();
  return n;
}

// The candidate files below `root` with their stamps; nullopt when `root` is not a folder.
std::optional<std::map<std::string, FileStamp>> SnapshotTree(const std::string& root,
                                                             const CandidateFilter& filter,
                                                             spdlog::logger* log) {
  if (!IsDirectory(root)) return std::nullopt;
  std::map<std::string, FileStamp> files;
  WalkTree(
      root, filter, [](const std::string&) { return WalkStep::kDescend; },
      [&](const std::string& path) {
        if (auto stamp = StatFile(path)) files[path] = *stamp;
        return true;
      },
      log);
  return files;
}

}  // namespace

bool IsAtOrUnder(const std::string& path, const std::string& dir) {
  if (dir == "/") return !path.empty() && path[0] == '/';
  return path.size() >= dir.size() && path.compare(0, dir.size(), dir) == 0 &&
         (path.size() == dir.size() || path[dir.size()] == '/');
}

std::string DirPrefix(const std::string& dir) { return dir == "/" ? dir : dir + "/"; }

std::string JoinPath(const std::string& dir, std::string_view name) {
  return DirPrefix(dir) + std::string(name);
}

bool IsDirectory(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

CandidateFilter::CandidateFilter(const TreeWalkOptions& options) {
  for (const auto& e : options.excluded) excluded_.push_back(Normalize(e));
  for (const auto& s : options.suffixes) suffixes_.push_back(AsciiLower(s));
}

bool CandidateFilter::Excluded(const std::string& path) const {
  return std::any_of(excluded_.begin(), excluded_.end(),
                     [&](const std::string& e) { return IsAtOrUnder(path, e); });
}

bool CandidateFilter::IsCandidate(std::string_view name) const {
  const std::string lower = AsciiLower(name);
  return std::any_of(suffixes_.begin(), suffixes_.end(), [&](const std::string& s) {
    return !s.empty() && lower.size() >= s.size() &&
           lower.compare(lower.size() - s.size(), s.size(), s) == 0;
  });
}

std::vector<std::string> CleanRoots(const TreeWalkOptions& options, const CandidateFilter& filter,
                                    spdlog::logger* log) {
  std::vector<std::string> roots;
  for (const auto& r : options.roots) {
    const std::string n = Normalize(r);
    if (n.empty() || n[0] != '/') {
      if (log) log->error("watch root '{}' is not an absolute path: ignored", r);
    } else if (filter.Excluded(n)) {
      if (log) log->warn("watch root {} is excluded: ignored", n);
    } else if (std::find(roots.begin(), roots.end(), n) == roots.end()) {
      roots.push_back(n);
    }
  }
  std::vector<std::string> kept;
  for (const auto& r : roots) {
    auto outer = std::find_if(roots.begin(), roots.end(),
                              [&](const std::string& o) { return o != r && IsAtOrUnder(r, o); });
    if (outer == roots.end()) {
      kept.push_back(r);
    } else if (log) {
      log->info("watch root {} is inside {}: watched as part of it", r, *outer);
    }
  }
  return kept;
}

bool WalkTree(const std::string& top, const CandidateFilter& filter,
              const std::function<WalkStep(const std::string& dir)>& on_dir,
              const std::function<bool(const std::string& path)>& on_file, spdlog::logger* log) {
  std::vector<std::string> stack{top};
  while (!stack.empty()) {
    const std::string dir = std::move(stack.back());
    stack.pop_back();
    if (filter.Excluded(dir)) continue;
    const WalkStep step = on_dir(dir);
    if (step == WalkStep::kAbort) return false;
    if (step == WalkStep::kSkip) continue;
    std::unique_ptr<DIR, int (*)(DIR*)> d(opendir(dir.c_str()), closedir);
    if (!d) {
      if (errno != ENOENT && errno != ENOTDIR && log) {
        log->warn("cannot read folder {}: {}", dir, std::generic_category().message(errno));
      }
      continue;
    }
    std::vector<std::string> files;
    while (const dirent* e = readdir(d.get())) {
      const std::string_view name = e->d_name;
      if (name == "." || name == "..") continue;
      const std::string path = JoinPath(dir, name);
      unsigned char type = e->d_type;
      if (type == DT_UNKNOWN) {
        struct stat st;
        if (lstat(path.c_str(), &st) != 0) continue;
        type = S_ISDIR(st.st_mode)   ? DT_DIR
               : S_ISLNK(st.st_mode) ? DT_LNK
               : S_ISREG(st.st_mode) ? DT_REG
                                     : DT_UNKNOWN;
      }
      if (type == DT_DIR) {
        stack.push_back(path);
      } else if ((type == DT_REG || type == DT_LNK) && filter.IsCandidate(name)) {
        if (type == DT_REG || StatFile(path)) files.push_back(path);
      }
    }
    d.reset();
    for (const auto& f : files) {
      if (!on_file(f)) return false;
    }
  }
  return true;
}

void TreeSnapshot::Baseline(const std::string& root, const CandidateFilter& filter,
                            spdlog::logger* log) {
  files_ = SnapshotTree(root, filter, log).value_or(std::map<std::string, FileStamp>{});
  baseline_ = false;
}

void TreeSnapshot::Clear() {
  files_.clear();
  baseline_ = false;
}

std::optional<std::vector<std::string>> TreeSnapshot::Update(const std::string& root,
                                                             const CandidateFilter& filter,
                                                             spdlog::logger* log) {
  auto files = SnapshotTree(root, filter, log);
  if (!files) return std::nullopt;
  std::vector<std::string> changed;
  if (!baseline_) {
    for (const auto& [path, stamp] : *files) {
      auto old = files_.find(path);
      if (old == files_.end() || old->second != stamp) changed.push_back(path);
    }
  }
  files_ = std::move(*files);
  baseline_ = false;
  return changed;
}

void WalkCandidates(const TreeWalkOptions& options,
                    const std::function<void(const std::string& path)>& visit,
                    spdlog::logger* log) {
  const CandidateFilter filter(options);
  for (const auto& root : CleanRoots(options, filter, log)) {
    if (!IsDirectory(root)) {
      if (log) log->warn("watch root {} is missing", root);
      continue;
    }
    WalkTree(
        root, filter, [](const std::string&) { return WalkStep::kDescend; },
        [&](const std::string& path) {
          visit(path);
          return true;
        },
        log);
  }
}

}  // namespace torque::jobs
