#include "jobs/tree_watcher.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <spdlog/logger.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "tests/jobs/recording_sink.h"
#include "tests/test_env.h"

namespace torque::jobs {
namespace {

namespace fs = std::filesystem;
using Paths = std::vector<std::string>;
using testing::RecordingSink;

constexpr DurationMs kGenerous = 10'000;  // upper bound for anything that should be quick
constexpr DurationMs kSettle = 100;
constexpr DurationMs kFastPoll = 50;

void WriteFile(const std::string& path, const std::string& content) {
  std::ofstream(path, std::ios::binary) << content;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

class TreeWatcherTest : public ::testing::Test {
 protected:
  TreeWatcherTest() : log_(std::make_shared<spdlog::logger>("watch", sink_)) {
    log_->set_level(spdlog::level::trace);
  }
  ~TreeWatcherTest() override { watcher_.reset(); }

  // The root (inside the temp dir), created.
  std::string Root(const std::string& name = "w") {
    const std::string path = tmp_.File(name);
    fs::create_directories(path);
    return path;
  }

  TreeWatcherOptions Options(Paths roots) {
    TreeWatcherOptions o;
    o.roots = std::move(roots);
    o.settle = kSettle;
    o.fallback_poll_interval = kFastPoll;
    return o;
  }

  // Starts a watcher recording what it reports; returns Start's description.
  std::string StartWatcher(TreeWatcherOptions options) {
    TreeWatcherCallbacks callbacks;
    callbacks.ready = [this](const std::string& path) {
      ready_.push_back(path);
      contents_.push_back(ReadFile(path));
      if (on_ready_) on_ready_(path);
    };
    callbacks.rescan = [this](const std::string& why) { rescans_.push_back(why); };
    watcher_ = std::make_unique<TreeWatcher>(io_.get_executor(), std::move(options),
                                             std::move(callbacks), log_, &clock_);
    return watcher_->Start();
  }

  // Runs the event loop until `done` holds or 10 s passed; returns `done()`.
  bool RunUntil(const std::function<bool()>& done) {
    const int64_t until = MonotonicMs() + kGenerous;
    while (!done()) {
      if (MonotonicMs() >= until) return false;
      io_.run_for(std::chrono::milliseconds(5));
    }
    return true;
  }
  // Runs the event loop for `ms` (to see that nothing more happens).
  void RunFor(DurationMs ms) { io_.run_for(std::chrono::milliseconds(ms)); }
  // Runs until `path` was reported; false after 10 s.
  bool RunUntilReported(const std::string& path) {
    return RunUntil([&] { return Count(path) > 0; });
  }

  int Count(const std::string& path) const {
    return static_cast<int>(std::count(ready_.begin(), ready_.end(), path));
  }

  testing::TempDir tmp_{"torque-tw"};
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_{
      io_.get_executor()};
  SystemClock clock_;
  std::shared_ptr<RecordingSink> sink_ = std::make_shared<RecordingSink>();
  std::shared_ptr<spdlog::logger> log_;
  Paths ready_;
  std::vector<std::string> contents_;  // of each reported file, read in the callback
  Paths rescans_;
  std::function<void(const std::string&)> on_ready_;
  std::unique_ptr<TreeWatcher> watcher_;
};

TEST_F(TreeWatcherTest, ReportsAFileInANestedFolderOnce) {
  const std::string root = Root();
  fs::create_directories(root + "/a/b/c");
  EXPECT_EQ(StartWatcher(Options({root})), "watching 1 tree, 4 folders");
  EXPECT_EQ(watcher_->stats().folders_watched, 4u);
  WriteFile(root + "/a/b/c/x.torrent", "d4:infoe");
  ASSERT_TRUE(RunUntilReported(root + "/a/b/c/x.torrent"));
  RunFor(3 * kSettle);
  EXPECT_EQ(ready_, Paths{root + "/a/b/c/x.torrent"});
  EXPECT_EQ(contents_, Paths{"d4:infoe"});
  EXPECT_EQ(rescans_, Paths{});
  EXPECT_EQ(sink_->At("warning"), Paths{});
  EXPECT_GE(watcher_->stats().events, 2u);  // IN_CREATE, IN_CLOSE_WRITE
  EXPECT_EQ(watcher_->stats().polled_roots, 0u);
}

TEST_F(TreeWatcherTest, StartAfterStopWatchesNothing) {
  const std::string root = Root();
  TreeWatcher watcher(io_.get_executor(), Options({root}), {}, log_, nullptr);
  watcher.Stop();
  EXPECT_EQ(watcher.Start(), "not watching: stopped");
  WriteFile(root + "/x.torrent", "x");
  RunFor(2 * kSettle);
  EXPECT_EQ(watcher.stats().folders_watched, 0u);
}

TEST_F(TreeWatcherTest, FilesPresentAtStartAreLeftToTheOwnersRescan) {
  const std::string root = Root();
  WriteFile(root + "/old.torrent", "old");
  StartWatcher(Options({root}));
  WriteFile(root + "/new.torrent", "new");
  ASSERT_TRUE(RunUntilReported(root + "/new.torrent"));
  RunFor(2 * kSettle);
  EXPECT_EQ(ready_, Paths{root + "/new.torrent"});
}

TEST_F(TreeWatcherTest, ReportsAFileInAFolderCreatedAfterStart) {
  const std::string root = Root();
  StartWatcher(Options({root}));
  // Written before the watcher saw the folders at all: found by the scan after the watch.
  fs::create_directories(root + "/new/deeper");
  WriteFile(root + "/new/deeper/early.torrent", "early");
  ASSERT_TRUE(RunUntilReported(root + "/new/deeper/early.torrent"));
  // And once the folder is watched, its events count.
  WriteFile(root + "/new/deeper/late.torrent", "late");
  ASSERT_TRUE(RunUntilReported(root + "/new/deeper/late.torrent"));
  RunFor(2 * kSettle);
  EXPECT_EQ(ready_.size(), 2u);
  EXPECT_EQ(watcher_->stats().folders_watched, 3u);
}

TEST_F(TreeWatcherTest, ReportsTheFilesOfAFolderMovedIn) {
  const std::string root = Root();
  const std::string outside = Root("outside");
  fs::create_directories(outside + "/batch/sub");
  Paths expected;
  for (int i = 0; i < 10; ++i) {
    WriteFile(outside + "/batch/f" + std::to_string(i) + ".torrent", "x");
    expected.push_back(root + "/batch/f" + std::to_string(i) + ".torrent");
  }
  WriteFile(outside + "/batch/sub/deep.magnet", "magnet:?xt=urn:btih:00");
  expected.push_back(root + "/batch/sub/deep.magnet");
  std::sort(expected.begin(), expected.end());
  StartWatcher(Options({root}));
  fs::rename(outside + "/batch", root + "/batch");
  ASSERT_TRUE(RunUntil([&] { return ready_.size() >= expected.size(); }));
  RunFor(2 * kSettle);
  Paths got = ready_;
  std::sort(got.begin(), got.end());
  EXPECT_EQ(got, expected);
  // Its folders are watched now.
  WriteFile(root + "/batch/sub/after.torrent", "after");
  ASSERT_TRUE(RunUntilReported(root + "/batch/sub/after.torrent"));
  EXPECT_EQ(watcher_->stats().folders_watched, 3u);
}

TEST_F(TreeWatcherTest, FolderMovedOutOrDeletedLosesItsWatches) {
  const std::string root = Root();
  const std::string outside = Root("outside");
  fs::create_directories(root + "/leaving/sub");
  fs::create_directories(root + "/doomed/sub");
  StartWatcher(Options({root}));
  EXPECT_EQ(watcher_->stats().folders_watched, 5u);
  fs::rename(root + "/leaving", outside + "/left");
  fs::remove_all(root + "/doomed");
  ASSERT_TRUE(RunUntil([&] { return watcher_->stats().folders_watched == 1; }));
  WriteFile(outside + "/left/sub/gone.torrent", "x");
  WriteFile(root + "/here.torrent", "x");
  ASSERT_TRUE(RunUntilReported(root + "/here.torrent"));
  RunFor(2 * kSettle);
  EXPECT_EQ(ready_, Paths{root + "/here.torrent"});
}

TEST_F(TreeWatcherTest, FolderRenamedWithinTheTreeKeepsWatchingUnderItsNewName) {
  const std::string root = Root();
  fs::create_directories(root + "/old/sub");
  StartWatcher(Options({root}));
  WriteFile(root + "/old/sub/first.torrent", "1");
  ASSERT_TRUE(RunUntilReported(root + "/old/sub/first.torrent"));
  fs::rename(root + "/old", root + "/new");
  WriteFile(root + "/new/sub/second.torrent", "2");
  ASSERT_TRUE(RunUntilReported(root + "/new/sub/second.torrent"));
  RunFor(2 * kSettle);
  // The file reported before the rename is not reported again under its new name.
  EXPECT_EQ(ready_, (Paths{root + "/old/sub/first.torrent", root + "/new/sub/second.torrent"}));
  EXPECT_EQ(watcher_->stats().folders_watched, 3u);
}

TEST_F(TreeWatcherTest, BrowserTempFileThenRenameIsReportedOnceUnderTheFinalName) {
  const std::string root = Root();
  StartWatcher(Options({root}));
  // Firefox: an empty placeholder under the final name, the data in a .part file.
  WriteFile(root + "/x.torrent", "");
  WriteFile(root + "/x.torrent.part", "d8:announce");
  RunFor(3 * kSettle);
  EXPECT_EQ(ready_, Paths{});
  std::ofstream(root + "/x.torrent.part", std::ios::app) << "3:urle";
  fs::rename(root + "/x.torrent.part", root + "/x.torrent");
  ASSERT_TRUE(RunUntilReported(root + "/x.torrent"));
  // Chrome: a .crdownload file renamed to the final name.
  WriteFile(root + "/Unconfirmed 1.crdownload", "chrome");
  fs::rename(root + "/Unconfirmed 1.crdownload", root + "/y.torrent");
  ASSERT_TRUE(RunUntilReported(root + "/y.torrent"));
  RunFor(3 * kSettle);
  EXPECT_EQ(ready_, (Paths{root + "/x.torrent", root + "/y.torrent"}));
  EXPECT_EQ(contents_, (Paths{"d8:announce3:urle", "chrome"}));
}

TEST_F(TreeWatcherTest, SlowWriterIsReportedOnceAfterItsLastWrite) {
  const std::string root = Root();
  StartWatcher(Options({root}));
  const std::string path = root + "/slow.torrent";
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  ASSERT_GE(fd, 0);
  std::string written;
  for (DurationMs pause : {kSettle / 2, 3 * kSettle, kSettle / 4, 2 * kSettle}) {
    const std::string chunk(1000, 'a' + static_cast<char>(written.size() / 1000));
    ASSERT_EQ(write(fd, chunk.data(), chunk.size()), static_cast<ssize_t>(chunk.size()));
    written += chunk;
    RunFor(pause);
    EXPECT_EQ(ready_, Paths{}) << "after " << written.size() << " bytes";
  }
  ASSERT_EQ(close(fd), 0);
  ASSERT_TRUE(RunUntilReported(path));
  RunFor(3 * kSettle);
  EXPECT_EQ(ready_, Paths{path});
  EXPECT_EQ(contents_, Paths{written});
}

TEST_F(TreeWatcherTest, EmptyFileIsReportedOnceFilled) {
  const std::string root = Root();
  StartWatcher(Options({root}));
  const std::string path = root + "/later.torrent";
  WriteFile(path, "");
  RunFor(3 * kSettle);
  EXPECT_EQ(ready_, Paths{});
  WriteFile(path, "d4:infoe");
  ASSERT_TRUE(RunUntilReported(path));
  RunFor(2 * kSettle);
  EXPECT_EQ(contents_, Paths{"d4:infoe"});
  // Written again: new content, reported again.
  WriteFile(path, "d4:infoi1ee");
  ASSERT_TRUE(RunUntil([&] { return Count(path) == 2; }));
}

TEST_F(TreeWatcherTest, ACloseWithoutChangeIsNotReportedAgainButTouchIs) {
  const std::string root = Root();
  StartWatcher(Options({root}));
  const std::string path = root + "/x.torrent";
  WriteFile(path, "x");
  ASSERT_TRUE(RunUntilReported(path));
  // Opened for writing and closed unchanged: a second IN_CLOSE_WRITE for the same file.
  close(open(path.c_str(), O_WRONLY | O_CLOEXEC));
  RunFor(3 * kSettle);
  EXPECT_EQ(Count(path), 1);
  // What touch(1) does: open, set the times, close.
  const int fd = open(path.c_str(), O_WRONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  const timespec times[2] = {{0, UTIME_NOW}, {1'000'000'000, 0}};
  ASSERT_EQ(futimens(fd, times), 0);
  close(fd);
  ASSERT_TRUE(RunUntil([&] { return Count(path) == 2; }));
}

TEST_F(TreeWatcherTest, ReportsHardLinksAndSymlinksCreatedInTheTree) {
  const std::string root = Root();
  const std::string outside = Root("outside");
  WriteFile(outside + "/a.torrent", "a");
  WriteFile(outside + "/b.torrent", "b");
  StartWatcher(Options({root}));
  ASSERT_EQ(link((outside + "/a.torrent").c_str(), (root + "/hard.torrent").c_str()), 0);
  ASSERT_EQ(symlink((outside + "/b.torrent").c_str(), (root + "/soft.torrent").c_str()), 0);
  ASSERT_TRUE(RunUntil([&] { return ready_.size() >= 2; }));
  RunFor(2 * kSettle);
  std::set<std::string> got(ready_.begin(), ready_.end());
  EXPECT_EQ(got, (std::set<std::string>{root + "/hard.torrent", root + "/soft.torrent"}));
  EXPECT_EQ(ready_.size(), 2u);
}

TEST_F(TreeWatcherTest, IgnoresOtherNamesExcludedAndSymlinkedFolders) {
  const std::string root = Root();
  const std::string outside = Root("outside");
  fs::create_directories(root + "/quarantine/sub");
  ASSERT_EQ(symlink(outside.c_str(), (root + "/link").c_str()), 0);
  ASSERT_EQ(symlink(root.c_str(), (root + "/loop").c_str()), 0);
  TreeWatcherOptions o = Options({root});
  o.excluded = {root + "/quarantine/"};
  EXPECT_EQ(StartWatcher(o), "watching 1 tree, 1 folder");
  WriteFile(root + "/notes.txt", "x");
  WriteFile(root + "/x.torrent.part", "x");
  WriteFile(root + "/quarantine/bad.torrent", "x");
  WriteFile(root + "/quarantine/sub/bad.torrent", "x");
  fs::create_directories(root + "/quarantine/new");
  WriteFile(root + "/quarantine/new/bad.torrent", "x");
  WriteFile(outside + "/elsewhere.torrent", "x");
  WriteFile(root + "/UPPER.TORRENT", "x");  // suffixes are case-insensitive
  ASSERT_TRUE(RunUntilReported(root + "/UPPER.TORRENT"));
  RunFor(3 * kSettle);
  EXPECT_EQ(ready_, Paths{root + "/UPPER.TORRENT"});
  EXPECT_EQ(watcher_->stats().folders_watched, 1u);
  EXPECT_GT(watcher_->stats().ignored, 0u);
  EXPECT_EQ(sink_->Matching("ignored"), Paths{});  // not without trace
  EXPECT_EQ(sink_->At("warning"), Paths{});
}

TEST_F(TreeWatcherTest, TraceLogsIgnoredEvents) {
  const std::string root = Root();
  TreeWatcherOptions o = Options({root});
  o.trace = true;
  StartWatcher(o);
  WriteFile(root + "/notes.txt", "x");
  ASSERT_TRUE(RunUntil([&] { return !sink_->Matching("notes.txt").empty(); }));
  EXPECT_EQ(sink_->Matching("notes.txt").front(),
            "info ignored inotify event IN_CREATE for " + root + "/notes.txt");
}

TEST_F(TreeWatcherTest, StopFromInsideACallback) {
  const std::string root = Root();
  StartWatcher(Options({root}));
  on_ready_ = [this](const std::string&) { watcher_->Stop(); };
  WriteFile(root + "/a.torrent", "a");
  WriteFile(root + "/b.torrent", "b");  // settles at the same check
  ASSERT_TRUE(RunUntil([&] { return !ready_.empty(); }));
  on_ready_ = nullptr;
  WriteFile(root + "/c.torrent", "c");
  RunFor(3 * kSettle);
  EXPECT_EQ(ready_.size(), 1u);
  watcher_.reset();
  RunFor(kSettle);
}

TEST_F(TreeWatcherTest, StopFromAnotherThreadWhileTheLoopRuns) {
  const std::string root = Root();
  StartWatcher(Options({root}));
  std::thread loop([this] {
    const int64_t until = MonotonicMs() + 3 * kSettle;
    while (MonotonicMs() < until) io_.run_for(std::chrono::milliseconds(5));
  });
  for (int i = 0; i < 20; ++i) WriteFile(root + "/f" + std::to_string(i) + ".torrent", "x");
  std::this_thread::sleep_for(std::chrono::milliseconds(kSettle / 2));
  watcher_->Stop();
  const size_t reported = ready_.size();  // no callback runs after Stop returned
  loop.join();
  EXPECT_EQ(ready_.size(), reported);
  watcher_->Stop();  // idempotent
}

TEST_F(TreeWatcherTest, WatchLimitFallsBackToPollingThatRoot) {
  const std::string big = Root("big");
  const std::string small = Root("small");
  fs::create_directories(big + "/a");
  fs::create_directories(big + "/b");
  TreeWatcherOptions o = Options({big, small});
  o.watch_limit = 2;
  EXPECT_EQ(StartWatcher(o), "watching 1 tree, 1 folder; polling " + big +
                                 " every 50ms: inotify watch limit reached");
  // One clear error naming the limit, and one rescan.
  const Paths errors = sink_->At("error");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].rfind("error inotify watch limit reached (fs.inotify.max_user_watches = ", 0),
            0u)
      << errors[0];
  EXPECT_NE(errors[0].find(", see sysctl): polling " + big + " every 50ms instead"),
            std::string::npos)
      << errors[0];
  ASSERT_TRUE(RunUntil([&] { return !rescans_.empty(); }));
  EXPECT_EQ(rescans_, Paths{"inotify watch limit reached"});
  EXPECT_EQ(watcher_->stats().polled_roots, 1u);
  EXPECT_EQ(watcher_->stats().rescans, 1u);
  // The polled tree still reports new files; the other tree is watched.
  WriteFile(big + "/b/polled.torrent", "p");
  WriteFile(small + "/watched.torrent", "w");
  ASSERT_TRUE(RunUntilReported(big + "/b/polled.torrent"));
  ASSERT_TRUE(RunUntilReported(small + "/watched.torrent"));
  RunFor(3 * kFastPoll + 2 * kSettle);
  EXPECT_EQ(ready_.size(), 2u);
  EXPECT_EQ(rescans_.size(), 1u);
}

TEST_F(TreeWatcherTest, WatchLimitReachedByANewFolderFallsBackThen) {
  const std::string root = Root();
  fs::create_directories(root + "/a");
  TreeWatcherOptions o = Options({root});
  o.watch_limit = 2;
  EXPECT_EQ(StartWatcher(o), "watching 1 tree, 2 folders");
  fs::create_directories(root + "/b");
  ASSERT_TRUE(RunUntil([&] { return !rescans_.empty(); }));
  EXPECT_EQ(rescans_, Paths{"inotify watch limit reached"});
  EXPECT_EQ(watcher_->stats().folders_watched, 0u);
  EXPECT_EQ(watcher_->stats().polled_roots, 1u);
  WriteFile(root + "/b/x.torrent", "x");
  ASSERT_TRUE(RunUntilReported(root + "/b/x.torrent"));
}

TEST_F(TreeWatcherTest, QueueOverflowRescansAndKeepsWatching) {
  // Real overflow: more events than the kernel queues, written while the loop does not run.
  const long max_queued = std::stol(ReadFile("/proc/sys/fs/inotify/max_queued_events"));
  if (max_queued > 200'000) GTEST_SKIP() << "max_queued_events " << max_queued << " too big";
  const std::string root = Root();
  fs::create_directories(root + "/flood");
  StartWatcher(Options({root}));
  // Each file makes IN_CREATE and IN_CLOSE_WRITE.
  for (long i = 0; i <= max_queued / 2 + 10; ++i) {
    const int fd = creat((root + "/flood/" + std::to_string(i)).c_str(), 0644);
    ASSERT_GE(fd, 0);
    close(fd);
  }
  fs::create_directories(root + "/flood/missed");  // its event is lost
  ASSERT_TRUE(RunUntil([&] { return !rescans_.empty(); }));
  EXPECT_EQ(rescans_, Paths{"inotify event queue overflowed"});
  EXPECT_EQ(sink_->Matching("overflowed").size(), 1u);
  // The re-walk found the folder whose event was lost.
  EXPECT_EQ(watcher_->stats().folders_watched, 3u);
  WriteFile(root + "/flood/missed/x.torrent", "x");
  ASSERT_TRUE(RunUntilReported(root + "/flood/missed/x.torrent"));
}

TEST_F(TreeWatcherTest, PollIntervalFindsChangesInotifyDoesNotSee) {
  const std::string root = Root();
  const std::string path = root + "/grown.torrent";
  WriteFile(path, "x");  // a baseline file
  TreeWatcherOptions o = Options({root});
  o.poll_interval = kFastPoll;
  EXPECT_EQ(StartWatcher(o), "watching 1 tree, 1 folder, scanned every 50ms");
  RunFor(3 * kFastPoll);
  EXPECT_EQ(ready_, Paths{});  // the first scan is a baseline
  // truncate(2) changes size and mtime with no event inotify is asked for.
  ASSERT_EQ(truncate(path.c_str(), 4096), 0);
  ASSERT_TRUE(RunUntilReported(path));
  // A file inotify reports is not reported again by the scans.
  WriteFile(root + "/seen.torrent", "s");
  ASSERT_TRUE(RunUntilReported(root + "/seen.torrent"));
  RunFor(4 * kFastPoll + 2 * kSettle);
  EXPECT_EQ(ready_, (Paths{path, root + "/seen.torrent"}));
}

TEST_F(TreeWatcherTest, WithoutInotifyEveryTreeIsPolled) {
  const std::string root = Root();
  fs::create_directories(root + "/sub");
  WriteFile(root + "/sub/old.torrent", "old");
  TreeWatcherOptions o = Options({root});
  o.fail_inotify_init = true;
  EXPECT_EQ(StartWatcher(o), "polling " + root + " every 50ms: inotify unavailable");
  EXPECT_EQ(sink_->Matching("error cannot use inotify (inotify_init1: ").size(), 1u);
  ASSERT_TRUE(RunUntil([&] { return !rescans_.empty(); }));
  EXPECT_EQ(rescans_, Paths{"inotify unavailable"});
  WriteFile(root + "/sub/new.torrent", "new");
  ASSERT_TRUE(RunUntilReported(root + "/sub/new.torrent"));
  RunFor(4 * kFastPoll + 2 * kSettle);
  EXPECT_EQ(ready_, Paths{root + "/sub/new.torrent"});  // old.torrent was the baseline
  // Changed: reported again.
  WriteFile(root + "/sub/new.torrent", "newer");
  ASSERT_TRUE(RunUntil([&] { return ready_.size() == 2; }));
  EXPECT_EQ(contents_, (Paths{"new", "newer"}));
  EXPECT_EQ(watcher_->stats().polled_roots, 1u);
  EXPECT_EQ(watcher_->stats().folders_watched, 0u);
}

TEST_F(TreeWatcherTest, MissingRootIsReportedWhenItAppearsThenWatched) {
  const std::string root = tmp_.File("later");
  EXPECT_EQ(StartWatcher(Options({root})),
            "watching 0 trees, 0 folders; polling " + root + " every 50ms: folder missing");
  EXPECT_EQ(sink_->Matching("error watch root " + root + " is missing").size(), 1u);
  EXPECT_EQ(watcher_->stats().polled_roots, 1u);
  RunFor(2 * kFastPoll);
  const std::string staging = Root("staging");
  fs::create_directories(staging + "/sub");
  WriteFile(staging + "/sub/first.torrent", "1");
  fs::rename(staging, root);
  ASSERT_TRUE(RunUntilReported(root + "/sub/first.torrent"));
  EXPECT_EQ(watcher_->stats().polled_roots, 0u);
  EXPECT_EQ(watcher_->stats().folders_watched, 2u);
  WriteFile(root + "/second.torrent", "2");
  ASSERT_TRUE(RunUntilReported(root + "/second.torrent"));
}

TEST_F(TreeWatcherTest, RootRemovedIsWatchedAgainWhenItComesBack) {
  const std::string root = Root();
  StartWatcher(Options({root}));
  fs::remove_all(root);
  ASSERT_TRUE(RunUntil([&] { return watcher_->stats().polled_roots == 1; }));
  EXPECT_EQ(sink_->Matching("warning watch root " + root + " was removed").size(), 1u);
  fs::create_directories(root);
  WriteFile(root + "/back.torrent", "b");
  ASSERT_TRUE(RunUntilReported(root + "/back.torrent"));
  EXPECT_EQ(watcher_->stats().polled_roots, 0u);
}

TEST_F(TreeWatcherTest, NestedAndRelativeRootsAreDropped) {
  const std::string root = Root();
  fs::create_directories(root + "/inner");
  EXPECT_EQ(StartWatcher(Options({root, root + "/inner", "relative/path", root + "/"})),
            "watching 1 tree, 2 folders");
  EXPECT_EQ(sink_->Matching("error watch root 'relative/path' is not an absolute path").size(), 1u);
  WriteFile(root + "/inner/x.torrent", "x");
  ASSERT_TRUE(RunUntilReported(root + "/inner/x.torrent"));
  RunFor(2 * kSettle);
  EXPECT_EQ(ready_.size(), 1u);
}

}  // namespace
}  // namespace torque::jobs
