#include "jobs/tree_watcher.h"

#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <cerrno>
#include <chrono>
#include <fstream>
#include <map>
#include <mutex>
#include <optional>
#include <system_error>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "core/duration.h"
#include "jobs/settle.h"

namespace torque::jobs {
namespace {

namespace asio = boost::asio;
using SteadyTime = std::chrono::steady_clock::time_point;

// Folder events we act on; IN_Q_OVERFLOW and IN_IGNORED always arrive.
constexpr uint32_t kWatchMask = IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_CREATE |
                                IN_DELETE | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR |
                                IN_EXCL_UNLINK;
constexpr int kReadsPerTurn = 16;  // then the executor serves others before we read on
constexpr size_t kReportedSweepMin = 1024;
constexpr DurationMs kDefaultFallbackPoll = 5000;
constexpr DurationMs kMaxTimerWait = 1000;  // so a wall clock set back delays nothing long
// Files in a folder renamed within the tree this recent are observed again: one may have
// been settling under the old name.
constexpr DurationMs kRenameSlack = 10'000;

std::string ErrnoText(int e) { return std::generic_category().message(e); }

std::string ProcValue(const char* file) {
  std::ifstream in(file);
  std::string value;
  return (in >> value) ? value : "?";
}

std::string Plural(size_t n, const char* word) {
  return std::to_string(n) + " " + word + (n == 1 ? "" : "s");
}

std::string MaskNames(uint32_t mask) {
  static constexpr std::pair<uint32_t, const char*> kNames[] = {
      {IN_CLOSE_WRITE, "IN_CLOSE_WRITE"}, {IN_MOVED_FROM, "IN_MOVED_FROM"},
      {IN_MOVED_TO, "IN_MOVED_TO"},       {IN_CREATE, "IN_CREATE"},
      {IN_DELETE, "IN_DELETE"},           {IN_DELETE_SELF, "IN_DELETE_SELF"},
      {IN_MOVE_SELF, "IN_MOVE_SELF"},     {IN_UNMOUNT, "IN_UNMOUNT"},
      {IN_IGNORED, "IN_IGNORED"},         {IN_ISDIR, "IN_ISDIR"}};
  std::string names;
  for (const auto& [bit, name] : kNames) {
    if (mask & bit) names += (names.empty() ? "" : "|") + std::string(name);
  }
  return names.empty() ? "0" : names;
}

// Entries of a path-keyed map at or below `dir`: removed, or moved below `to`.
template <typename Map>
void EraseUnder(Map& map, const std::string& dir) {
  map.erase(dir);
  const std::string prefix = DirPrefix(dir);
  auto it = map.lower_bound(prefix);
  while (it != map.end() && it->first.compare(0, prefix.size(), prefix) == 0) it = map.erase(it);
}

template <typename Map>
void MoveUnder(Map& map, const std::string& from, const std::string& to) {
  const std::string prefix = DirPrefix(from);
  std::vector<std::pair<std::string, typename Map::mapped_type>> moved;
  for (auto it = map.lower_bound(prefix);
       it != map.end() && it->first.compare(0, prefix.size(), prefix) == 0;) {
    moved.emplace_back(DirPrefix(to) + it->first.substr(prefix.size()), it->second);
    it = map.erase(it);
  }
  for (auto& [path, value] : moved) map[path] = value;
}

}  // namespace

class TreeWatcher::Impl : public std::enable_shared_from_this<Impl> {
 public:
  Impl(asio::any_io_executor executor, TreeWatcherOptions options, TreeWatcherCallbacks callbacks,
       std::shared_ptr<spdlog::logger> log, const Clock* clock)
      : strand_(asio::make_strand(std::move(executor))),
        options_(std::move(options)),
        callbacks_(std::move(callbacks)),
        log_(std::move(log)),
        clock_(clock ? clock : &system_clock_),
        filter_(options_),
        tracker_(options_.settle),
        settle_timer_(strand_),
        poll_timer_(strand_) {}

  std::string Start();
  void Stop();
  Stats stats() const {
    std::lock_guard lock(stats_mu_);
    return published_;
  }

 private:
  enum class Mode { kWatched, kPolled, kMissing };
  struct Root {
    std::string path;
    Mode mode = Mode::kWatched;
    std::string why;    // why it is polled
    TreeSnapshot scan;  // for polling
    SteadyTime next_scan{};
  };
  struct Watch {
    std::string path;
    size_t root = 0;
  };
  static constexpr int kWatchGone = -1;
  static constexpr int kWatchLimit = -2;
  enum class Files { kSkip, kObserve, kObserveRecent };  // what a walk does with files

  // inotify events
  void ArmRead();
  void OnReadable(const boost::system::error_code& ec);
  void HandleEvent(const inotify_event& e);
  void FolderEvent(uint32_t mask, uint32_t cookie, const std::string& path, size_t root);
  void FinishMoves();
  void Overflow();
  void Ignore(uint32_t mask, const std::string& path);

  // Watches
  int AddWatch(const std::string& dir, size_t root);
  bool WatchTree(const std::string& dir, size_t root, Files files, std::unordered_set<int>* seen);
  void DropWatch(int wd);
  void DropUnder(const std::string& dir);
  void FallBack(size_t root, const std::string& why, const std::string& detail);
  void LoseRoot(size_t root);

  // Files
  void Observe(const std::string& path);
  void Report(const std::string& path);
  void OnSettle();

  // Polling
  DurationMs PollInterval(Mode mode) const;
  DurationMs PollInterval(const Root& r) const { return PollInterval(r.mode); }
  void Schedule(Root& r);
  void Baseline(Root& r) { r.scan.Baseline(r.path, filter_, log_.get()); }
  void Scan(size_t root);
  void OnPoll();

  // End of every turn on the executor: timers, a requested rescan, the published stats.
  void AfterTurn();
  void Publish();
  void RequestRescan(const std::string& why);
  std::string Describe() const;
  void Teardown();

  const asio::any_io_executor strand_;
  const TreeWatcherOptions options_;
  const TreeWatcherCallbacks callbacks_;
  const std::shared_ptr<spdlog::logger> log_;
  SystemClock system_clock_;
  const Clock* const clock_;
  const CandidateFilter filter_;

  std::atomic<bool> stopped_ = false;
  std::recursive_mutex callback_mu_;  // held while a callback runs, and by Stop
  bool started_ = false;

  // Owned by the executor (and by Start before it arms anything).
  int fd_ = -1;
  std::optional<asio::posix::stream_descriptor> stream_;
  alignas(inotify_event) std::array<char, 64 * 1024> buffer_;
  std::vector<Root> roots_;
  std::unordered_map<int, Watch> watches_;                // wd → folder
  std::map<std::string, int> wd_of_;                      // folder → wd
  std::unordered_map<uint32_t, std::string> moved_from_;  // cookie → folder moved away
  std::map<std::string, FileStamp> reported_;             // what `ready` was told
  size_t sweep_at_ = kReportedSweepMin;
  SettleTracker tracker_;
  asio::steady_timer settle_timer_;
  std::optional<TimeMs> settle_armed_;
  asio::steady_timer poll_timer_;
  std::optional<SteadyTime> poll_armed_;
  std::optional<std::string> rescan_why_;
  Stats counts_;

  mutable std::mutex stats_mu_;
  Stats published_;  // guarded by stats_mu_
};

std::string TreeWatcher::Impl::Start() {
  if (started_ || stopped_) return "not watching: stopped";
  started_ = true;
  int init_errno = EMFILE;
  if (!options_.fail_inotify_init) {
    fd_ = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    init_errno = errno;
  }
  if (fd_ >= 0) {
    stream_.emplace(strand_, fd_);
  } else {
    log_->error(
        "cannot use inotify (inotify_init1: {}; see fs.inotify.max_user_instances): polling "
        "every tree every {} instead",
        ErrnoText(init_errno), ShortDuration(PollInterval(Mode::kPolled)));
  }
  for (const auto& path : CleanRoots(options_, filter_, log_.get())) {
    roots_.emplace_back().path = path;
  }
  for (size_t i = 0; i < roots_.size(); ++i) {
    Root& r = roots_[i];
    if (!IsDirectory(r.path)) {
      r.mode = Mode::kMissing;
      r.why = "folder missing";
      r.scan.Clear();
      log_->error("watch root {} is missing: checking it every {} until it appears", r.path,
                  ShortDuration(PollInterval(r)));
    } else if (fd_ < 0) {
      r.mode = Mode::kPolled;
      r.why = "inotify unavailable";
      Baseline(r);
      RequestRescan("inotify unavailable");
    } else if (WatchTree(r.path, i, Files::kSkip, nullptr) && options_.poll_interval > 0) {
      Baseline(r);
    }
    Schedule(r);
  }
  Publish();
  std::string description = Describe();
  // From here on the state belongs to the executor.
  asio::post(strand_, [self = shared_from_this()] {
    if (self->stopped_) {
      self->Teardown();
      return;
    }
    if (self->stream_) self->ArmRead();
    self->AfterTurn();
  });
  return description;
}

void TreeWatcher::Impl::Stop() {
  {
    std::lock_guard lock(callback_mu_);
    if (stopped_.exchange(true)) return;
  }
  asio::post(strand_, [self = shared_from_this()] { self->Teardown(); });
}

void TreeWatcher::Impl::Teardown() {
  boost::system::error_code ec;
  if (stream_) stream_->close(ec);  // closes fd_, and with it every watch
  fd_ = -1;
  settle_timer_.cancel();
  poll_timer_.cancel();
}

std::string TreeWatcher::Impl::Describe() const {
  std::vector<std::string> parts;
  size_t watched = 0;
  for (const auto& r : roots_) watched += r.mode == Mode::kWatched;
  if (watched > 0 || fd_ >= 0) {
    std::string part =
        "watching " + Plural(watched, "tree") + ", " + Plural(watches_.size(), "folder");
    if (options_.poll_interval > 0)
      part += ", scanned every " + ShortDuration(options_.poll_interval);
    parts.push_back(std::move(part));
  }
  for (const auto& r : roots_) {
    if (r.mode == Mode::kWatched) continue;
    parts.push_back("polling " + r.path + " every " + ShortDuration(PollInterval(r)) + ": " +
                    r.why);
  }
  std::string text;
  for (const auto& p : parts) text += (text.empty() ? "" : "; ") + p;
  return text.empty() ? "no trees to watch" : text;
}

// --- inotify events ---

void TreeWatcher::Impl::ArmRead() {
  stream_->async_wait(
      asio::posix::stream_descriptor::wait_read,
      [self = shared_from_this()](const boost::system::error_code& ec) { self->OnReadable(ec); });
}

void TreeWatcher::Impl::OnReadable(const boost::system::error_code& ec) {
  if (stopped_ || ec == asio::error::operation_aborted) return;
  bool broken = static_cast<bool>(ec);
  std::string error = ec ? ec.message() : "";
  for (int turn = 0; turn < kReadsPerTurn && !broken; ++turn) {
    const ssize_t n = read(fd_, buffer_.data(), buffer_.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) {
      FinishMoves();  // the queue is empty: a folder moved away without a pair left the tree
      break;
    }
    if (n <= 0) {
      broken = true;
      error = n < 0 ? ErrnoText(errno) : "end of file";
      break;
    }
    for (ssize_t at = 0; at < n;) {
      const auto* e = reinterpret_cast<const inotify_event*>(buffer_.data() + at);
      HandleEvent(*e);
      if (stopped_) return;
      at += static_cast<ssize_t>(sizeof(inotify_event) + e->len);
    }
  }
  if (broken) {
    log_->error("reading inotify events failed: {}", error);
    for (size_t i = 0; i < roots_.size(); ++i) {
      FallBack(i, "inotify failed", "reading inotify events failed");
    }
  } else {
    ArmRead();
  }
  AfterTurn();
}

void TreeWatcher::Impl::Ignore(uint32_t mask, const std::string& path) {
  ++counts_.ignored;
  if (options_.trace) log_->info("ignored inotify event {} for {}", MaskNames(mask), path);
}

void TreeWatcher::Impl::HandleEvent(const inotify_event& e) {
  ++counts_.events;
  if (e.mask & IN_Q_OVERFLOW) {
    Overflow();
    return;
  }
  auto it = watches_.find(e.wd);
  if (it == watches_.end()) {  // a folder we dropped, or not ours any more
    Ignore(e.mask, "watch " + std::to_string(e.wd));
    return;
  }
  const std::string dir = it->second.path;
  const size_t root = it->second.root;
  const bool is_root = dir == roots_[root].path;
  if (e.mask & IN_IGNORED) {  // the folder is gone; its parent told us or will
    watches_.erase(it);
    if (wd_of_.count(dir) && wd_of_[dir] == e.wd) wd_of_.erase(dir);
    if (is_root) LoseRoot(root);
    return;
  }
  if (e.mask & (IN_DELETE_SELF | IN_MOVE_SELF)) {
    if (is_root) {
      LoseRoot(root);
    } else {
      Ignore(e.mask, dir);
    }
    return;
  }
  const std::string_view name = e.len > 0 ? std::string_view(e.name) : std::string_view();
  if (name.empty()) {
    Ignore(e.mask, dir);
    return;
  }
  const std::string path = JoinPath(dir, name);
  if (e.mask & IN_ISDIR) {
    FolderEvent(e.mask, e.cookie, path, root);
  } else if (!filter_.IsCandidate(name)) {
    Ignore(e.mask, path);
  } else if (e.mask & (IN_MOVED_FROM | IN_DELETE)) {
    reported_.erase(path);  // back again later, it is new again
  } else if (e.mask & IN_CREATE) {
    // A new file is written and closed (IN_CLOSE_WRITE follows). Only a hard link or a
    // symlink arrives complete without another event.
    struct stat st;
    if (lstat(path.c_str(), &st) == 0 &&
        (S_ISLNK(st.st_mode) || (S_ISREG(st.st_mode) && st.st_nlink > 1))) {
      Observe(path);
    } else {
      Ignore(e.mask, path);
    }
  } else {
    Observe(path);  // IN_CLOSE_WRITE, IN_MOVED_TO
  }
}

void TreeWatcher::Impl::FolderEvent(uint32_t mask, uint32_t cookie, const std::string& path,
                                    size_t root) {
  if (filter_.Excluded(path)) {
    Ignore(mask, path);
  } else if (mask & IN_MOVED_FROM) {
    moved_from_[cookie] = path;  // renamed within the tree, or moved away: FinishMoves
  } else if (mask & IN_DELETE) {
    DropUnder(path);
    EraseUnder(reported_, path);
  } else if (mask & IN_MOVED_TO) {
    auto from = moved_from_.find(cookie);
    if (from == moved_from_.end()) {  // moved in from outside: its files are new here
      WatchTree(path, root, Files::kObserve, nullptr);
      return;
    }
    // Renamed within the tree: the same watches under the new name (what is left under the
    // old one is stale). Files reported stay reported; recent ones are observed again, as
    // one may have been settling under the old name.
    const std::string old = std::move(from->second);
    moved_from_.erase(from);
    MoveUnder(reported_, old, path);
    WatchTree(path, root, Files::kObserveRecent, nullptr);
    DropUnder(old);
  } else if (mask & IN_CREATE) {
    WatchTree(path, root, Files::kObserve, nullptr);  // watch first, then list
  } else {
    Ignore(mask, path);
  }
}

void TreeWatcher::Impl::FinishMoves() {
  for (const auto& [cookie, old] : moved_from_) {
    DropUnder(old);
    EraseUnder(reported_, old);
  }
  moved_from_.clear();
}

void TreeWatcher::Impl::Overflow() {
  log_->warn(
      "inotify event queue overflowed (fs.inotify.max_queued_events = {}): events were lost, "
      "rescanning",
      ProcValue("/proc/sys/fs/inotify/max_queued_events"));
  moved_from_.clear();  // the re-walk below finds where every folder is now
  std::unordered_set<int> seen;
  for (size_t i = 0; i < roots_.size(); ++i) {
    if (roots_[i].mode != Mode::kWatched) continue;
    if (!IsDirectory(roots_[i].path)) {
      LoseRoot(i);
    } else {
      WatchTree(roots_[i].path, i, Files::kSkip, &seen);
    }
  }
  std::vector<int> stale;
  for (const auto& [wd, watch] : watches_) {
    if (!seen.count(wd)) stale.push_back(wd);
  }
  for (int wd : stale) DropWatch(wd);
  RequestRescan("inotify event queue overflowed");
}

// --- watches ---

int TreeWatcher::Impl::AddWatch(const std::string& dir, size_t root) {
  if (fd_ < 0) return kWatchGone;
  if (options_.watch_limit > 0 && watches_.size() >= options_.watch_limit && !wd_of_.count(dir)) {
    return kWatchLimit;
  }
  // A root may be a symlink to a folder; below it symlinks are not followed.
  const uint32_t mask = kWatchMask | (dir == roots_[root].path ? 0 : IN_DONT_FOLLOW);
  const int wd = inotify_add_watch(fd_, dir.c_str(), mask);
  if (wd < 0) {
    if (errno == ENOSPC) return kWatchLimit;
    if (errno != ENOENT && errno != ENOTDIR) {
      log_->warn("cannot watch folder {}: {}", dir, ErrnoText(errno));
    }
    return kWatchGone;
  }
  // The same folder may come back under a new name; another folder may have taken this name.
  auto known = watches_.find(wd);
  if (known != watches_.end() && known->second.path != dir) {
    auto old = wd_of_.find(known->second.path);
    if (old != wd_of_.end() && old->second == wd) wd_of_.erase(old);
  }
  auto named = wd_of_.find(dir);
  if (named != wd_of_.end() && named->second != wd) DropWatch(named->second);
  watches_[wd] = Watch{dir, root};
  wd_of_[dir] = wd;
  return wd;
}

bool TreeWatcher::Impl::WatchTree(const std::string& dir, size_t root, Files files,
                                  std::unordered_set<int>* seen) {
  bool limit = false;
  const TimeMs recent = clock_->Now() - options_.settle - kRenameSlack;
  WalkTree(
      dir, filter_,
      [&](const std::string& d) {
        const int wd = AddWatch(d, root);
        if (wd == kWatchLimit) {
          limit = true;
          return WalkStep::kAbort;
        }
        if (wd == kWatchGone) return WalkStep::kSkip;
        if (seen) seen->insert(wd);
        return WalkStep::kDescend;
      },
      [&](const std::string& path) {
        if (files == Files::kObserveRecent) {
          const auto stamp = StatFile(path);
          if (stamp && stamp->mtime_ns / 1'000'000 > recent) Observe(path);
        } else if (files == Files::kObserve) {
          Observe(path);
        }
        return !stopped_;
      },
      log_.get());
  if (!limit) return true;
  FallBack(root, "inotify watch limit reached",
           "inotify watch limit reached (fs.inotify.max_user_watches = " +
               ProcValue("/proc/sys/fs/inotify/max_user_watches") + ", see sysctl)");
  return false;
}

void TreeWatcher::Impl::DropWatch(int wd) {
  auto it = watches_.find(wd);
  if (it == watches_.end()) return;
  if (fd_ >= 0) inotify_rm_watch(fd_, wd);
  auto named = wd_of_.find(it->second.path);
  if (named != wd_of_.end() && named->second == wd) wd_of_.erase(named);
  watches_.erase(it);
}

void TreeWatcher::Impl::DropUnder(const std::string& dir) {
  std::vector<int> wds;
  if (auto it = wd_of_.find(dir); it != wd_of_.end()) wds.push_back(it->second);
  const std::string prefix = DirPrefix(dir);
  for (auto it = wd_of_.lower_bound(prefix);
       it != wd_of_.end() && it->first.compare(0, prefix.size(), prefix) == 0; ++it) {
    wds.push_back(it->second);
  }
  for (int wd : wds) DropWatch(wd);
}

void TreeWatcher::Impl::FallBack(size_t root, const std::string& why, const std::string& detail) {
  Root& r = roots_[root];
  if (r.mode != Mode::kWatched) return;
  DropUnder(r.path);  // a partial tree is no use, and its watches may fit elsewhere
  r.mode = Mode::kPolled;
  r.why = why;
  log_->error("{}: polling {} every {} instead", detail, r.path, ShortDuration(PollInterval(r)));
  Baseline(r);
  Schedule(r);
  RequestRescan(why);
}

void TreeWatcher::Impl::LoseRoot(size_t root) {
  Root& r = roots_[root];
  if (r.mode != Mode::kWatched) return;
  DropUnder(r.path);
  EraseUnder(reported_, r.path);
  r.mode = Mode::kMissing;
  r.why = "folder missing";
  r.scan.Clear();
  log_->warn("watch root {} was removed or moved away: checking it every {} until it is back",
             r.path, ShortDuration(PollInterval(r)));
  Schedule(r);
}

// --- files ---

void TreeWatcher::Impl::Observe(const std::string& path) {
  if (tracker_.Observe(path, clock_->Now(), StatFile)) Report(path);
}

void TreeWatcher::Impl::Report(const std::string& path) {
  const auto stamp = StatFile(path);
  if (!stamp) return;
  auto it = reported_.find(path);
  if (it != reported_.end() && it->second == *stamp) return;  // a second event, same file
  reported_[path] = *stamp;
  if (reported_.size() > sweep_at_) {  // forget files that are gone or changed
    for (auto r = reported_.begin(); r != reported_.end();) {
      r = StatFile(r->first) == r->second ? std::next(r) : reported_.erase(r);
    }
    sweep_at_ = std::max(kReportedSweepMin, 2 * reported_.size());
  }
  std::lock_guard lock(callback_mu_);
  if (!stopped_ && callbacks_.ready) callbacks_.ready(path);
}

void TreeWatcher::Impl::OnSettle() {
  settle_armed_.reset();
  for (const auto& path : tracker_.Due(clock_->Now(), StatFile)) {
    Report(path);
    if (stopped_) return;
  }
  AfterTurn();
}

// --- polling ---

DurationMs TreeWatcher::Impl::PollInterval(Mode mode) const {
  const DurationMs poll = std::max<DurationMs>(options_.poll_interval, 0);
  if (mode == Mode::kWatched) return poll;
  const DurationMs fallback =
      options_.fallback_poll_interval > 0 ? options_.fallback_poll_interval : kDefaultFallbackPoll;
  return poll > 0 ? std::min(poll, fallback) : fallback;
}

void TreeWatcher::Impl::Schedule(Root& r) {
  r.next_scan = std::chrono::steady_clock::now() + std::chrono::milliseconds(PollInterval(r));
}

void TreeWatcher::Impl::Scan(size_t root) {
  Root& r = roots_[root];
  if (r.mode == Mode::kMissing) {
    if (!IsDirectory(r.path)) return;
    log_->info("watch root {} is there now", r.path);
    if (fd_ >= 0) {  // watch it, and report what it holds
      r.mode = Mode::kWatched;
      if (WatchTree(r.path, root, Files::kObserve, nullptr) && !stopped_ &&
          options_.poll_interval > 0) {
        Baseline(r);
      }
      return;
    }
    r.mode = Mode::kPolled;
    r.why = "inotify unavailable";
  }
  const auto changed = r.scan.Update(r.path, filter_, log_.get());
  if (!changed) {
    if (r.mode == Mode::kPolled) {
      log_->warn("watch root {} is gone: checking it every {} until it is back", r.path,
                 ShortDuration(PollInterval(r)));
      r.mode = Mode::kMissing;
      r.why = "folder missing";
      r.scan.Clear();
      EraseUnder(reported_, r.path);
    }
    return;  // a watched root's loss is told by inotify
  }
  const auto& files = r.scan.files();
  const std::string prefix = DirPrefix(r.path);
  for (auto it = reported_.lower_bound(prefix);
       it != reported_.end() && it->first.compare(0, prefix.size(), prefix) == 0;) {
    it = files.count(it->first) ? std::next(it) : reported_.erase(it);
  }
  for (const auto& path : *changed) {
    auto it = reported_.find(path);
    if (it != reported_.end() && it->second == files.at(path)) continue;
    Observe(path);
    if (stopped_) return;
  }
}

void TreeWatcher::Impl::OnPoll() {
  poll_armed_.reset();
  for (size_t i = 0; i < roots_.size(); ++i) {
    if (PollInterval(roots_[i]) <= 0 || roots_[i].next_scan > std::chrono::steady_clock::now()) {
      continue;
    }
    Scan(i);
    if (stopped_) return;
    Schedule(roots_[i]);
  }
  AfterTurn();
}

// --- turns ---

void TreeWatcher::Impl::RequestRescan(const std::string& why) {
  if (!rescan_why_) rescan_why_ = why;
}

void TreeWatcher::Impl::AfterTurn() {
  if (stopped_) return;
  if (const auto next = tracker_.NextCheck(); next && (!settle_armed_ || *next < *settle_armed_)) {
    settle_armed_ = next;
    settle_timer_.expires_after(
        std::chrono::milliseconds(std::clamp<DurationMs>(*next - clock_->Now(), 1, kMaxTimerWait)));
    settle_timer_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
      if (!ec && !self->stopped_) self->OnSettle();
    });
  }
  std::optional<SteadyTime> next_poll;
  for (const auto& r : roots_) {
    if (PollInterval(r) > 0 && (!next_poll || r.next_scan < *next_poll)) next_poll = r.next_scan;
  }
  if (next_poll && (!poll_armed_ || *next_poll < *poll_armed_)) {
    poll_armed_ = next_poll;
    poll_timer_.expires_at(*next_poll);
    poll_timer_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
      if (!ec && !self->stopped_) self->OnPoll();
    });
  }
  if (rescan_why_) {
    ++counts_.rescans;
    asio::post(strand_, [self = shared_from_this(), why = std::move(*rescan_why_)] {
      std::lock_guard lock(self->callback_mu_);
      if (!self->stopped_ && self->callbacks_.rescan) self->callbacks_.rescan(why);
    });
    rescan_why_.reset();
  }
  Publish();
}

void TreeWatcher::Impl::Publish() {
  counts_.folders_watched = watches_.size();
  counts_.polled_roots = static_cast<size_t>(std::count_if(
      roots_.begin(), roots_.end(), [](const Root& r) { return r.mode != Mode::kWatched; }));
  std::lock_guard lock(stats_mu_);
  published_ = counts_;
}

// --- TreeWatcher ---

TreeWatcher::TreeWatcher(asio::any_io_executor executor, TreeWatcherOptions options,
                         TreeWatcherCallbacks callbacks, std::shared_ptr<spdlog::logger> log,
                         const Clock* clock)
    : impl_(std::make_shared<Impl>(std::move(executor), std::move(options), std::move(callbacks),
                                   std::move(log), clock)) {}

TreeWatcher::~TreeWatcher() { Stop(); }

std::string TreeWatcher::Start() { return impl_->Start(); }

void TreeWatcher::Stop() { impl_->Stop(); }

TreeWatcher::Stats TreeWatcher::stats() const { return impl_->stats(); }

}  // namespace torque::jobs
