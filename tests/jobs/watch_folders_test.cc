// Per-folder watch.ini files: parsing with file:line errors, the nearest file winning key
// by key, re-reading a changed file, and a broken one skipped and reported.
#include "jobs/watch_folders.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "tests/test_env.h"

namespace torque::jobs {
namespace {

namespace fs = std::filesystem;

TEST(WatchIni, ParsesEveryKey) {
  auto r = ParseWatchIni("tv/watch.ini",
                         "# comment\nload_mode = start\nqueued = yes\nlabel = TV Shows\n"
                         "cmd.prio = d.priority.set=3\ncmd.off =\n");
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->start, true);
  EXPECT_EQ(r->queued, true);
  EXPECT_EQ(r->label, "TV Shows");
  ASSERT_EQ(r->commands.size(), 2u);
  EXPECT_FALSE(r->commands.at("off").has_value());
  EXPECT_EQ(r->commands.at("prio")->Expand({}), "d.priority.set=3");
  auto section = ParseWatchIni("w.ini", "[watch]\nload_mode = normal\n");
  ASSERT_TRUE(section.ok()) << section.status().message();
  EXPECT_EQ(section->start, false);
  EXPECT_FALSE(section->queued.has_value());
}

TEST(WatchIni, ErrorsNameFileAndLine) {
  const std::pair<const char*, const char*> cases[] = {
      {"\nload_mode = sometimes\n",
       "w.ini:2: key 'load_mode': expected start, started or normal, got 'sometimes'"},
      {"queued = perhaps\n", "w.ini:1: key 'queued': expected"},
      {"colour = blue\n",
       "w.ini:1: unknown key 'colour' (known: load_mode, queued, label, cmd.NAME)"},
      {"[other]\nlabel = x\n", "w.ini:1: unknown section [other]"},
      {"cmd.x = {{nope}}\n", "w.ini:1: key 'cmd.x': unknown variable 'nope'"},
  };
  for (const auto& [text, want] : cases) {
    auto r = ParseWatchIni("w.ini", text);
    ASSERT_FALSE(r.ok()) << text;
    EXPECT_EQ(r.status().message().substr(0, std::string(want).size()), want) << text;
  }
}

class WatchFoldersTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fs::create_directories(root_ + "/tv/hd");
    fs::create_directories(root_ + "/tv/broken");
  }
  void Write(const std::string& rel, const std::string& text) { dir_.Write(rel, text); }
  testing::TempDir dir_{"torque-watch-folders"};
  const std::string root_ = dir_.path();
};

TEST_F(WatchFoldersTest, NearestWinsKeyByKey) {
  Write("watch.ini", "queued = yes\nlabel = Root\n");
  Write("tv/watch.ini", "load_mode = start\nlabel = TV\ncmd.a = d.custom.set=a,tv\n");
  Write("tv/hd/watch.ini", "label = HD\n");
  WatchFolders folders;
  FolderRules hd = folders.For(root_, root_ + "/tv/hd", nullptr);
  EXPECT_EQ(hd.queued, true);
  EXPECT_EQ(hd.start, true);
  EXPECT_EQ(hd.label, "HD");
  ASSERT_TRUE(hd.commands.count("a"));
  EXPECT_TRUE(hd.problems.empty());
  FolderRules top = folders.For(root_, root_, nullptr);
  EXPECT_EQ(top.label, "Root");
  EXPECT_FALSE(top.start.has_value());
}

TEST_F(WatchFoldersTest, AChangedFileIsReadAgain) {
  Write("tv/watch.ini", "label = one\n");
  WatchFolders folders;
  EXPECT_EQ(folders.For(root_, root_ + "/tv", nullptr).label, "one");
  Write("tv/watch.ini", "label = second\n");  // another size
  EXPECT_EQ(folders.For(root_, root_ + "/tv", nullptr).label, "second");
  fs::remove(root_ + "/tv/watch.ini");
  EXPECT_FALSE(folders.For(root_, root_ + "/tv", nullptr).label.has_value());
}

TEST_F(WatchFoldersTest, ABrokenFileIsSkippedAndReported) {
  Write("tv/watch.ini", "label = TV\n");
  Write("tv/broken/watch.ini", "label = B\nload_mode = sometimes\n");
  WatchFolders folders;
  FolderRules r = folders.For(root_, root_ + "/tv/broken", nullptr);
  EXPECT_EQ(r.label, "TV");
  ASSERT_EQ(r.problems.size(), 1u);
  EXPECT_EQ(r.problems[0].substr(0, r.problems[0].find(": key")), root_ + "/tv/broken/watch.ini:2");
  // Fixed, it counts again.
  Write("tv/broken/watch.ini", "label = Fixed\n");
  FolderRules fixed = folders.For(root_, root_ + "/tv/broken", nullptr);
  EXPECT_EQ(fixed.label, "Fixed");
  EXPECT_TRUE(fixed.problems.empty());
}

}  // namespace
}  // namespace torque::jobs
