// ItemDisk on a real file system: the checks before a move, renames that never replace,
// directories made and unmade, deleting only an item's own files.
#include "jobs/item_mover.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>

#include "tests/test_env.h"

namespace torque::jobs {
namespace {

using testing::TempDir;

bool Exists(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0;
}

class ItemMoverTest : public ::testing::Test {
 protected:
  TempDir dir_;
  ItemDisk disk_;
};

TEST_F(ItemMoverTest, CheckMoveRefusesWhatCannotWork) {
  const std::string data = dir_.Write("data.bin", "x");
  auto dest = disk_.CheckMove(data, dir_.File("new/deeper/"));
  ASSERT_TRUE(dest.ok()) << dest.status().message();
  EXPECT_EQ(*dest, dir_.File("new/deeper/data.bin"));

  dir_.Write("file", "x");
  std::filesystem::create_directories(dir_.File("taken"));
  dir_.Write("taken/data.bin", "y");
  std::filesystem::create_directories(dir_.File("self"));
  struct Case {
    std::string source, target, error;
  };
  const Case cases[] = {
      {dir_.File("nothing"), dir_.path(), "no data at " + dir_.File("nothing")},
      {"", dir_.path(), "no data at ''"},
      {data, "relative/dir", "move target 'relative/dir' is not an absolute path"},
      {data, dir_.File("taken"), dir_.File("taken/data.bin") + " exists"},
      {data, dir_.File("file/below"), dir_.File("file") + " is not a directory"},
      {dir_.File("self"), dir_.File("self/in"),
       "cannot move " + dir_.File("self") + " into itself (" + dir_.File("self/in") + ")"},
  };
  for (const Case& c : cases) {
    auto r = disk_.CheckMove(c.source, c.target);
    ASSERT_FALSE(r.ok()) << c.error;
    EXPECT_EQ(r.status().code(), Status::Code::kFailedPrecondition);
    EXPECT_EQ(r.status().message(), c.error);
  }
}

TEST_F(ItemMoverTest, AnotherFileSystemIsRefused) {
  // /dev/shm is a tmpfs of its own on most Linux machines.
  struct stat a {
  }, b{};
  if (::stat("/dev/shm", &a) != 0 || ::stat(dir_.path().c_str(), &b) != 0 || a.st_dev == b.st_dev ||
      ::access("/dev/shm", W_OK) != 0) {
    GTEST_SKIP() << "no second writable file system (/dev/shm) here";
  }
  const std::string data = dir_.Write("data.bin", "x");
  auto r = disk_.CheckMove(data, "/dev/shm/torque-item-mover-test");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(),
            "/dev/shm/torque-item-mover-test is on another file system "
            "than " +
                data +
                " (data is moved by renaming only, never "
                "copied)");
}

TEST_F(ItemMoverTest, MoveMakesTheMissingDirectoriesAndNeverReplaces) {
  const std::string data = dir_.Write("data.bin", "x");
  ASSERT_TRUE(disk_.Move(data, dir_.File("a/b/data.bin")).ok());
  EXPECT_TRUE(Exists(dir_.File("a/b/data.bin")));
  EXPECT_FALSE(Exists(data));

  // Something appeared at the destination since the check: nothing changes.
  const std::string other = dir_.Write("other.bin", "y");
  Status s = disk_.Move(other, dir_.File("a/b/data.bin"));
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), Status::Code::kFailedPrecondition);
  EXPECT_EQ(s.message(),
            "cannot move " + other + " to " + dir_.File("a/b/data.bin") + ": File exists");
  EXPECT_TRUE(Exists(other));

  // A failed rename removes the directories it made.
  s = disk_.Move(dir_.File("gone"), dir_.File("x/y/gone"));
  ASSERT_FALSE(s.ok());
  EXPECT_FALSE(Exists(dir_.File("x")));
}

TEST_F(ItemMoverTest, DeleteDataRemovesOnlyTheListedFilesAndEmptyFolders) {
  std::filesystem::create_directories(dir_.File("item/sub/deep"));
  dir_.Write("item/a", "1");
  dir_.Write("item/sub/deep/b", "2");
  dir_.Write("outside", "keep");
  std::filesystem::create_symlink(dir_.File("outside"), dir_.File("item/link"));
  auto r = disk_.DeleteData(dir_.File("item"), true, {"a", "sub/deep/b", "link", "gone"});
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->deleted, 3);
  EXPECT_EQ(r->missing, 1);
  EXPECT_TRUE(r->kept.empty());
  EXPECT_FALSE(Exists(dir_.File("item")));
  EXPECT_TRUE(Exists(dir_.File("outside")));  // a link's target is never touched

  EXPECT_FALSE(disk_.DeleteData(dir_.path(), true, {"../outside"}).ok());
  EXPECT_FALSE(disk_.DeleteData("/", true, {}).ok());
  EXPECT_FALSE(disk_.DeleteData("relative", false, {}).ok());
  EXPECT_TRUE(Exists(dir_.File("outside")));
}

TEST_F(ItemMoverTest, DeleteDataNeverGoesThroughALinkedFolder) {
  // item/sub is a link to a folder elsewhere that holds a file of the listed name.
  std::filesystem::create_directories(dir_.File("elsewhere"));
  dir_.Write("elsewhere/b", "not the item's");
  std::filesystem::create_directories(dir_.File("item"));
  dir_.Write("item/a", "1");
  std::filesystem::create_directory_symlink(dir_.File("elsewhere"), dir_.File("item/sub"));
  auto r = disk_.DeleteData(dir_.File("item"), true, {"a", "sub/b"});
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->deleted, 1);
  ASSERT_EQ(r->kept.size(), 2u);  // sub/b, and the item's folder that still holds the link
  EXPECT_EQ(r->kept[0], dir_.File("item") + "/sub/b");
  EXPECT_TRUE(Exists(dir_.File("elsewhere/b")));

  // The item's folder itself a link: nothing below it is deleted.
  dir_.Write("elsewhere/c", "not the item's either");
  std::filesystem::create_directory_symlink(dir_.File("elsewhere"), dir_.File("linked"));
  auto linked = disk_.DeleteData(dir_.File("linked"), true, {"c"});
  ASSERT_TRUE(linked.ok()) << linked.status().message();
  EXPECT_EQ(linked->deleted, 0);
  EXPECT_TRUE(Exists(dir_.File("elsewhere/c")));
}

}  // namespace
}  // namespace torque::jobs
