#include "jobs/settle.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "tests/test_env.h"

namespace torque::jobs {
namespace {

using Paths = std::vector<std::string>;

constexpr DurationMs kSettle = 250;
constexpr TimeMs kStart = 1'700'000'000'000;  // some wall-clock time

// A file system of stamps: what a StatFn sees, changed by the test.
class FakeFiles {
 public:
  // Writes `path` with `size` bytes at wall-clock `mtime`.
  void Write(const std::string& path, int64_t size, TimeMs mtime) {
    files_[path] = FileStamp{size, mtime * 1'000'000};
  }
  void Remove(const std::string& path) { files_.erase(path); }
  void Rename(const std::string& from, const std::string& to) {
    files_[to] = files_.at(from);
    files_.erase(from);
  }
  int stats() const { return stats_; }

  StatFn Fn() {
    return [this](const std::string& path) -> std::optional<FileStamp> {
      ++stats_;
      auto it = files_.find(path);
      if (it == files_.end()) return std::nullopt;
      return it->second;
    };
  }

 private:
  std::map<std::string, FileStamp> files_;
  int stats_ = 0;
};

TEST(SettleTest, MissingFileIsForgotten) {
  FakeFiles fs;
  SettleTracker t(kSettle);
  EXPECT_FALSE(t.Observe("/w/a.torrent", kStart, fs.Fn()));
  EXPECT_EQ(t.pending(), 0u);
  EXPECT_EQ(t.NextCheck(), std::nullopt);
}

TEST(SettleTest, FreshFileIsReadyAfterSettle) {
  FakeFiles fs;
  SettleTracker t(kSettle);
  fs.Write("/w/a.torrent", 100, kStart);
  EXPECT_FALSE(t.Observe("/w/a.torrent", kStart + 10, fs.Fn()));
  EXPECT_EQ(t.pending(), 1u);
  EXPECT_EQ(t.NextCheck(), kStart + kSettle);
  EXPECT_EQ(t.Due(kStart + kSettle - 1, fs.Fn()), Paths{});
  EXPECT_EQ(t.Due(kStart + kSettle, fs.Fn()), Paths{"/w/a.torrent"});
  EXPECT_EQ(t.pending(), 0u);
  EXPECT_EQ(t.NextCheck(), std::nullopt);
  EXPECT_EQ(t.Due(kStart + 10 * kSettle, fs.Fn()), Paths{});
}

TEST(SettleTest, OldFileRenamedInIsReadyAtOnce) {
  FakeFiles fs;
  SettleTracker t(kSettle);
  fs.Write("/w/a.torrent", 100, kStart - 86'400'000);
  EXPECT_TRUE(t.Observe("/w/a.torrent", kStart, fs.Fn()));
  EXPECT_EQ(t.pending(), 0u);
  fs.Write("/w/b.torrent", 100, kStart - kSettle);  // exactly settle old
  EXPECT_TRUE(t.Observe("/w/b.torrent", kStart, fs.Fn()));
}

TEST(SettleTest, EmptyPlaceholderIsForgottenUntilFilled) {
  FakeFiles fs;
  SettleTracker t(kSettle);
  fs.Write("/w/a.torrent", 0, kStart);
  EXPECT_FALSE(t.Observe("/w/a.torrent", kStart, fs.Fn()));
  EXPECT_EQ(t.pending(), 0u);
  // An old empty file is not ready either.
  fs.Write("/w/b.torrent", 0, kStart - 86'400'000);
  EXPECT_FALSE(t.Observe("/w/b.torrent", kStart, fs.Fn()));
  EXPECT_EQ(t.pending(), 0u);
  // The writer fills it and closes it: its event brings it back.
  fs.Write("/w/a.torrent", 4096, kStart + 500);
  EXPECT_FALSE(t.Observe("/w/a.torrent", kStart + 500, fs.Fn()));
  EXPECT_EQ(t.Due(kStart + 500 + kSettle, fs.Fn()), Paths{"/w/a.torrent"});
}

TEST(SettleTest, PendingFileTruncatedToEmptyIsForgotten) {
  FakeFiles fs;
  SettleTracker t(kSettle);
  fs.Write("/w/a.torrent", 10, kStart);
  EXPECT_FALSE(t.Observe("/w/a.torrent", kStart, fs.Fn()));
  fs.Write("/w/a.torrent", 0, kStart + 100);
  EXPECT_EQ(t.Due(kStart + kSettle, fs.Fn()), Paths{});
  EXPECT_EQ(t.pending(), 0u);
}

TEST(SettleTest, SlowWriterIsReadyOnlyAfterItsLastWrite) {
  FakeFiles fs;
  SettleTracker t(kSettle);
  const std::string p = "/w/slow.torrent";
  fs.Write(p, 1000, kStart);
  EXPECT_FALSE(t.Observe(p, kStart, fs.Fn()));
  TimeMs now = kStart;
  // It grows a little before every check.
  for (int i = 1; i <= 5; ++i) {
    now = *t.NextCheck();
    fs.Write(p, 1000 + i * 1000, now - 10);
    EXPECT_EQ(t.Due(now, fs.Fn()), Paths{}) << "check " << i;
    EXPECT_EQ(t.pending(), 1u);
    EXPECT_EQ(t.NextCheck(), now - 10 + kSettle) << "check " << i;
  }
  // Then it stops.
  now = *t.NextCheck();
  EXPECT_EQ(t.Due(now, fs.Fn()), Paths{p});
  EXPECT_EQ(t.pending(), 0u);
}

TEST(SettleTest, BrowserTempFileThenRename) {
  FakeFiles fs;
  SettleTracker t(kSettle);
  // Firefox: a 0-byte placeholder with the final name, the content in a .part file.
  fs.Write("/w/x.torrent", 0, kStart);
  EXPECT_FALSE(t.Observe("/w/x.torrent", kStart, fs.Fn()));
  fs.Write("/w/x.torrent.part", 30'000, kStart + 400);
  // The rename replaces the placeholder; its mtime is the .part file's.
  fs.Rename("/w/x.torrent.part", "/w/x.torrent");
  EXPECT_FALSE(t.Observe("/w/x.torrent", kStart + 450, fs.Fn()));
  EXPECT_EQ(t.NextCheck(), kStart + 400 + kSettle);
  EXPECT_EQ(t.Due(kStart + 400 + kSettle, fs.Fn()), Paths{"/w/x.torrent"});
}

TEST(SettleTest, FutureMtimeSettlesAfterSettleOfOurOwnTime) {
  FakeFiles fs;
  SettleTracker t(kSettle);
  const std::string p = "/nfs/a.torrent";
  fs.Write(p, 100, kStart + 3'600'000);  // the server's clock is an hour ahead
  EXPECT_FALSE(t.Observe(p, kStart, fs.Fn()));
  EXPECT_EQ(t.NextCheck(), kStart + kSettle);
  EXPECT_EQ(t.Due(kStart + kSettle - 1, fs.Fn()), Paths{});
  EXPECT_EQ(t.Due(kStart + kSettle, fs.Fn()), Paths{p});
}

TEST(SettleTest, FutureMtimeSettlesByRepeatedObservations) {
  FakeFiles fs;
  SettleTracker t(kSettle);
  const std::string p = "/nfs/a.torrent";
  fs.Write(p, 100, kStart + 3'600'000);
  EXPECT_FALSE(t.Observe(p, kStart, fs.Fn()));
  EXPECT_FALSE(t.Observe(p, kStart + kSettle - 1, fs.Fn()));  // too soon
  EXPECT_TRUE(t.Observe(p, kStart + kSettle, fs.Fn()));
  EXPECT_EQ(t.pending(), 0u);
}

TEST(SettleTest, FutureMtimeThatKeepsChangingNeverSettles) {
  FakeFiles fs;
  SettleTracker t(kSettle);
  const std::string p = "/nfs/a.torrent";
  fs.Write(p, 100, kStart + 3'600'000);
  EXPECT_FALSE(t.Observe(p, kStart, fs.Fn()));
  for (int i = 1; i <= 3; ++i) {
    const TimeMs now = *t.NextCheck();
    fs.Write(p, 100 + i, kStart + 3'600'000 + i);
    EXPECT_EQ(t.Due(now, fs.Fn()), Paths{});
    EXPECT_EQ(t.NextCheck(), now + kSettle);
  }
}

TEST(SettleTest, VanishedFileIsForgotten) {
  FakeFiles fs;
  SettleTracker t(kSettle);
  fs.Write("/w/a.torrent", 100, kStart);
  EXPECT_FALSE(t.Observe("/w/a.torrent", kStart, fs.Fn()));
  fs.Remove("/w/a.torrent");
  EXPECT_EQ(t.Due(kStart + kSettle, fs.Fn()), Paths{});
  EXPECT_EQ(t.pending(), 0u);
  EXPECT_EQ(t.NextCheck(), std::nullopt);
}

TEST(SettleTest, ReObserveUpdatesTheOneEntry) {
  FakeFiles fs;
  SettleTracker t(kSettle);
  const std::string p = "/w/a.torrent";
  fs.Write(p, 100, kStart);
  EXPECT_FALSE(t.Observe(p, kStart, fs.Fn()));
  fs.Write(p, 200, kStart + 100);
  EXPECT_FALSE(t.Observe(p, kStart + 100, fs.Fn()));
  EXPECT_EQ(t.pending(), 1u);
  EXPECT_EQ(t.NextCheck(), kStart + 100 + kSettle);
  // The same stamp again changes nothing.
  EXPECT_FALSE(t.Observe(p, kStart + 200, fs.Fn()));
  EXPECT_EQ(t.pending(), 1u);
  EXPECT_EQ(t.NextCheck(), kStart + 100 + kSettle);
  EXPECT_EQ(t.Due(kStart + 100 + kSettle, fs.Fn()), Paths{p});
}

TEST(SettleTest, ReObserveOfAStableFileMakesItReady) {
  FakeFiles fs;
  SettleTracker t(kSettle);
  const std::string p = "/w/a.torrent";
  fs.Write(p, 100, kStart);
  EXPECT_FALSE(t.Observe(p, kStart, fs.Fn()));
  EXPECT_TRUE(t.Observe(p, kStart + kSettle, fs.Fn()));
  EXPECT_EQ(t.pending(), 0u);
}

TEST(SettleTest, ChangedToAnOldMtimeIsReadyAtTheCheck) {
  // `cp -p`: written now, then given the original's old mtime.
  FakeFiles fs;
  SettleTracker t(kSettle);
  const std::string p = "/w/a.torrent";
  fs.Write(p, 100, kStart);
  EXPECT_FALSE(t.Observe(p, kStart, fs.Fn()));
  fs.Write(p, 5000, kStart - 86'400'000);
  EXPECT_EQ(t.Due(kStart + kSettle, fs.Fn()), Paths{p});
}

TEST(SettleTest, DueChecksOnlyFilesWhoseTimeHasCome) {
  FakeFiles fs;
  SettleTracker t(kSettle);
  fs.Write("/w/a.torrent", 100, kStart);
  fs.Write("/w/b.torrent", 100, kStart + 100);
  EXPECT_FALSE(t.Observe("/w/b.torrent", kStart + 100, fs.Fn()));
  EXPECT_FALSE(t.Observe("/w/a.torrent", kStart + 100, fs.Fn()));
  EXPECT_EQ(t.NextCheck(), kStart + kSettle);
  const int before = fs.stats();
  EXPECT_EQ(t.Due(kStart + kSettle, fs.Fn()), Paths{"/w/a.torrent"});
  EXPECT_EQ(fs.stats(), before + 1);  // b was not looked at
  EXPECT_EQ(t.NextCheck(), kStart + 100 + kSettle);
  EXPECT_EQ(t.Due(kStart + 100 + kSettle, fs.Fn()), Paths{"/w/b.torrent"});
}

TEST(SettleTest, SeveralReadyAtOneCheckComeInPathOrder) {
  FakeFiles fs;
  SettleTracker t(kSettle);
  for (const char* p : {"/w/c.torrent", "/w/a.torrent", "/w/b.torrent"}) {
    fs.Write(p, 100, kStart);
    EXPECT_FALSE(t.Observe(p, kStart, fs.Fn()));
  }
  EXPECT_EQ(t.Due(kStart + kSettle, fs.Fn()),
            (Paths{"/w/a.torrent", "/w/b.torrent", "/w/c.torrent"}));
}

TEST(SettleTest, ZeroSettleMakesEveryNonEmptyFileReadyAtOnce) {
  FakeFiles fs;
  SettleTracker t(0);
  fs.Write("/w/a.torrent", 100, kStart);
  fs.Write("/w/future.torrent", 100, kStart + 3'600'000);
  fs.Write("/w/empty.torrent", 0, kStart);
  EXPECT_TRUE(t.Observe("/w/a.torrent", kStart, fs.Fn()));
  EXPECT_TRUE(t.Observe("/w/future.torrent", kStart, fs.Fn()));
  EXPECT_FALSE(t.Observe("/w/empty.torrent", kStart, fs.Fn()));
  EXPECT_FALSE(t.Observe("/w/missing.torrent", kStart, fs.Fn()));
  EXPECT_EQ(t.pending(), 0u);
}

TEST(SettleTest, StatFileReadsTheRealFileSystem) {
  testing::TempDir dir("torque-settle");
  const std::string file = dir.Write("a.torrent", "12345");
  struct stat st;
  ASSERT_EQ(stat(file.c_str(), &st), 0);
  const auto stamp = StatFile(file);
  ASSERT_TRUE(stamp.has_value());
  EXPECT_EQ(stamp->size, 5);
  EXPECT_EQ(stamp->mtime_ns, st.st_mtim.tv_sec * 1'000'000'000LL + st.st_mtim.tv_nsec);
  ASSERT_EQ(symlink(file.c_str(), dir.File("link.torrent").c_str()), 0);
  EXPECT_EQ(StatFile(dir.File("link.torrent")), stamp);
  EXPECT_EQ(StatFile(dir.path()), std::nullopt);  // a folder
  EXPECT_EQ(StatFile(dir.File("missing.torrent")), std::nullopt);
  ASSERT_EQ(symlink("nowhere", dir.File("dangling.torrent").c_str()), 0);
  EXPECT_EQ(StatFile(dir.File("dangling.torrent")), std::nullopt);
}

}  // namespace
}  // namespace torque::jobs
