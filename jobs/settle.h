// SettleTracker: decides when a file that just appeared or changed is stable enough to read
// (its size and mtime unchanged for a settle time), so a half-written file is never loaded.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"

namespace torque::jobs {

// What a stability check compares: a file's size and modification time.
struct FileStamp {
  int64_t size = 0;
  int64_t mtime_ns = 0;  // since the Unix epoch
  bool operator==(const FileStamp&) const = default;
};

// Stats `path`: nullopt when it is missing or not a regular file (symlinks are followed).
using StatFn = std::function<std::optional<FileStamp>(const std::string& path)>;

// The real StatFn (stat(2)). Thread-safe.
std::optional<FileStamp> StatFile(const std::string& path);

// Tracks candidate files until their stamp has been unchanged for `settle`. Pure logic: the
// time comes from the caller and the file system through a StatFn. A file is stable when its
// mtime is at least `settle` old, or when our own observations `settle` apart saw the same
// stamp (so a file whose mtime lies in the future, clock skew on a network file system,
// still settles). Missing, non-regular and empty files are forgotten: a 0-byte placeholder
// waits for its writer, whose next event brings it back. Not thread-safe.
class SettleTracker {
 public:
  explicit SettleTracker(DurationMs settle);

  // `path` was seen (an event or a scan) at wall-clock `now`. True when it is ready now;
  // then it is not kept. A path already pending is stat()ed again and updated.
  bool Observe(const std::string& path, TimeMs now, const StatFn& stat);
  // Re-checks the pending files whose time has come; returns those now ready, in path order.
  // Ready and vanished files are forgotten.
  std::vector<std::string> Due(TimeMs now, const StatFn& stat);
  // When Due should next be called; nullopt when nothing is pending.
  std::optional<TimeMs> NextCheck() const;
  size_t pending() const { return pending_.size(); }

 private:
  struct Pending {
    FileStamp stamp;
    TimeMs since = 0;     // our time when we first saw `stamp`
    TimeMs check_at = 0;  // when the stamp may have been stable for `settle`
  };

  // Judges a fresh stat of a file: true when ready (then forgotten), else kept pending.
  bool Judge(const std::string& path, const std::optional<FileStamp>& stamp, TimeMs now);

  const DurationMs settle_;
  std::map<std::string, Pending> pending_;
};

}  // namespace torque::jobs
