#include "jobs/tree_walk.h"

#include <gtest/gtest.h>
#include <spdlog/logger.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "jobs/tree_watcher.h"  // callers walk with the watcher's options
#include "tests/jobs/recording_sink.h"
#include "tests/test_env.h"

namespace torque::jobs {
namespace {

namespace fs = std::filesystem;
using Paths = std::vector<std::string>;
using testing::RecordingSink;

void WriteFile(const std::string& path, const std::string& content) {
  std::ofstream(path, std::ios::binary) << content;
}

class TreeWalkTest : public ::testing::Test {
 protected:
  TreeWalkTest() : log_(std::make_shared<spdlog::logger>("walk", sink_)) {
    log_->set_level(spdlog::level::trace);
  }

  // The root (inside the temp dir), created.
  std::string Root(const std::string& name = "w") {
    const std::string path = tmp_.File(name);
    fs::create_directories(path);
    return path;
  }

  testing::TempDir tmp_{"torque-tw"};
  std::shared_ptr<RecordingSink> sink_ = std::make_shared<RecordingSink>();
  std::shared_ptr<spdlog::logger> log_;
};

TEST_F(TreeWalkTest, WalkCandidatesFollowsTheWatchersRules) {
  const std::string root = Root();
  const std::string outside = Root("outside");
  fs::create_directories(root + "/a/b");
  fs::create_directories(root + "/skip/deeper");
  fs::create_directories(root + "/locked");
  WriteFile(root + "/top.torrent", "x");
  WriteFile(root + "/a/b/deep.LOAD", "x");
  WriteFile(root + "/a/m.magnet", "x");
  WriteFile(root + "/a/s.start", "x");
  WriteFile(root + "/a/q.queue", "x");
  WriteFile(root + "/a/notes.txt", "x");
  WriteFile(root + "/a/x.torrent.part", "x");
  WriteFile(root + "/skip/deeper/no.torrent", "x");
  WriteFile(root + "/locked/hidden.torrent", "x");
  WriteFile(outside + "/target.torrent", "x");
  fs::create_directories(outside + "/dir.torrent");
  ASSERT_EQ(symlink((outside + "/target.torrent").c_str(), (root + "/link.torrent").c_str()), 0);
  ASSERT_EQ(symlink((outside + "/dir.torrent").c_str(), (root + "/dirlink.torrent").c_str()), 0);
  ASSERT_EQ(symlink(outside.c_str(), (root + "/linked-folder").c_str()), 0);
  ASSERT_EQ(symlink(root.c_str(), (root + "/a/loop").c_str()), 0);
  ASSERT_EQ(chmod((root + "/locked").c_str(), 0), 0);
  const bool root_user = geteuid() == 0;  // reads the folder anyway

  TreeWatcherOptions o;
  o.roots = {root, root + "/a", tmp_.File("missing")};
  o.excluded = {root + "/skip"};
  Paths got;
  WalkCandidates(
      o, [&](const std::string& path) { got.push_back(path); }, log_.get());
  chmod((root + "/locked").c_str(), 0755);
  std::sort(got.begin(), got.end());
  Paths expected = {root + "/a/b/deep.LOAD", root + "/a/m.magnet",   root + "/a/q.queue",
                    root + "/a/s.start",     root + "/link.torrent", root + "/top.torrent"};
  if (root_user) expected.push_back(root + "/locked/hidden.torrent");
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(got, expected);
  if (!root_user) {
    EXPECT_EQ(
        sink_->Matching("warning cannot read folder " + root + "/locked: Permission denied").size(),
        1u);
  }
  EXPECT_EQ(sink_->Matching("warning watch root " + tmp_.File("missing") + " is missing").size(),
            1u);
}

TEST_F(TreeWalkTest, WalkCandidatesWithOtherSuffixes) {
  const std::string root = Root();
  WriteFile(root + "/a.torrent", "x");
  WriteFile(root + "/b.TXT", "x");
  TreeWatcherOptions o;
  o.roots = {root};
  o.suffixes = {".txt"};
  Paths got;
  WalkCandidates(o, [&](const std::string& path) { got.push_back(path); });
  EXPECT_EQ(got, Paths{root + "/b.TXT"});
}

}  // namespace
}  // namespace torque::jobs
