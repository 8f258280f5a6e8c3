#include "jobs/settle.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>

namespace torque::jobs {
namespace {

// The mtime in milliseconds, rounded down.
TimeMs MtimeMs(const FileStamp& stamp) {
  constexpr int64_t kNsPerMs = 1'000'000;
  int64_t ms = stamp.mtime_ns / kNsPerMs;
  if (stamp.mtime_ns % kNsPerMs < 0) --ms;
  return ms;
}

}  // namespace

std::optional<FileStamp> StatFile(const std::string& path) {
  struct stat st;
  int rc;
  do {
    rc = stat(path.c_str(), &st);
  } while (rc != 0 && errno == EINTR);
  if (rc != 0 || !S_ISREG(st.st_mode)) return std::nullopt;
  return FileStamp{static_cast<int64_t>(st.st_size),
                   static_cast<int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec};
}

SettleTracker::SettleTracker(DurationMs settle) : settle_(std::max<DurationMs>(settle, 0)) {}

bool SettleTracker::Observe(const std::string& path, TimeMs now, const StatFn& stat) {
  return Judge(path, stat(path), now);
}

std::vector<std::string> SettleTracker::Due(TimeMs now, const StatFn& stat) {
  std::vector<std::string> ready;
  for (auto it = pending_.begin(); it != pending_.end();) {
    if (it->second.check_at > now) {
      ++it;
      continue;
    }
    const std::string path = it->first;
    ++it;  // Judge may erase `path`, never another entry
    if (Judge(path, stat(path), now)) ready.push_back(path);
  }
  return ready;
}

std::optional<TimeMs> SettleTracker::NextCheck() const {
  std::optional<TimeMs> next;
  for (const auto& [path, p] : pending_) {
    if (!next || p.check_at < *next) next = p.check_at;
  }
  return next;
}

bool SettleTracker::Judge(const std::string& path, const std::optional<FileStamp>& stamp,
                          TimeMs now) {
  if (!stamp || stamp->size <= 0) {
    pending_.erase(path);
    return false;
  }
  if (settle_ == 0) {
    pending_.erase(path);
    return true;
  }
  const TimeMs mtime = MtimeMs(*stamp);
  const bool old_enough = mtime <= now - settle_;
  auto it = pending_.find(path);
  if (it != pending_.end() && it->second.stamp == *stamp) {
    if (old_enough || now - it->second.since >= settle_) {
      pending_.erase(it);
      return true;
    }
    return false;
  }
  if (old_enough) {
    if (it != pending_.end()) pending_.erase(it);
    return true;
  }
  // New or changed: stable at the earlier of mtime + settle and our own now + settle.
  pending_[path] = Pending{*stamp, now, std::min(mtime, now) + settle_};
  return false;
}

}  // namespace torque::jobs
