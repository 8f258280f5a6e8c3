#include "server/db_check.h"

#include <SQLiteCpp/SQLiteCpp.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "server/sqlite_store.h"
#include "tests/test_env.h"

namespace torque::server {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using torque::testing::TempDir;

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void Overwrite(const std::string& path, int64_t offset, const std::string& bytes) {
  std::fstream f(path, std::ios::binary | std::ios::in | std::ios::out);
  f.seekp(offset);
  f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

class DbCheckTest : public ::testing::Test {
 protected:
  // A database made by the real store, holding `jobs` jobs, closed cleanly.
  void MakeDatabase(int jobs = 3000) {
    { ASSERT_TRUE(SqliteStore::Open(SqliteStoreOptions{db_}).ok()); }
    SQLite::Database db(db_, SQLite::OPEN_READWRITE);
    SQLite::Transaction txn(db);
    SQLite::Statement q(db, "INSERT INTO jobs (type, args) VALUES ('hello', ?)");
    for (int i = 0; i < jobs; ++i) {
      q.bind(1, "argument number " + std::to_string(i));
      q.exec();
      q.reset();
    }
    txn.commit();
  }

  // The page number of a leaf of `table` from the middle of its b-tree, and its root.
  std::pair<int64_t, int64_t> Pages(const std::string& table) {
    SQLite::Database db(db_, SQLite::OPEN_READONLY);
    SQLite::Statement leaves(db, "SELECT pageno FROM dbstat WHERE name = ? AND pagetype = 'leaf'");
    leaves.bind(1, table);
    std::vector<int64_t> pages;
    while (leaves.executeStep()) pages.push_back(leaves.getColumn(0).getInt64());
    SQLite::Statement root(db, "SELECT rootpage FROM sqlite_schema WHERE name = ?");
    root.bind(1, table);
    EXPECT_TRUE(root.executeStep());
    EXPECT_GT(pages.size(), 10u);
    return {pages[pages.size() / 2], root.getColumn(0).getInt64()};
  }

  static constexpr int64_t kPage = 4096;
  TempDir dir_;
  std::string db_ = dir_.File("torque.db");
};

TEST_F(DbCheckTest, AMissingOrEmptyFileIsANewDatabase) {
  EXPECT_TRUE(CheckDatabaseFile(db_).ok());
  EXPECT_FALSE(fs::exists(db_));
  // Asked to check it (--check-db), a missing file is an error.
  EXPECT_EQ(CheckDatabaseFile(db_, {.full = true}).message(), db_ + " does not exist");
  dir_.Write("torque.db", "");
  EXPECT_TRUE(CheckDatabaseFile(db_).ok());
}

TEST_F(DbCheckTest, ASoundDatabasePassesAndIsNotWritten) {
  MakeDatabase();
  const std::string before = ReadAll(db_);
  EXPECT_TRUE(CheckDatabaseFile(db_).ok());
  EXPECT_TRUE(CheckDatabaseFile(db_, {.quick_check_max_bytes = 0}).ok());
  EXPECT_TRUE(CheckDatabaseFile(db_, {.full = true}).ok());
  EXPECT_EQ(ReadAll(db_), before);
}

TEST_F(DbCheckTest, AGarbageHeaderIsRefusedByName) {
  MakeDatabase(10);
  Overwrite(db_, 0, std::string(16, 'x'));
  const std::string before = ReadAll(db_);
  Status s = CheckDatabaseFile(db_);
  EXPECT_EQ(s.code(), Status::Code::kIoError);
  EXPECT_THAT(s.message(), HasSubstr("database " + db_ +
                                     " is damaged: it does not start with "
                                     "the SQLite header; it was left as it is"));
  EXPECT_EQ(ReadAll(db_), before);
}

TEST_F(DbCheckTest, AFileShorterThanTheHeaderIsRefused) {
  dir_.Write("torque.db", "SQLite format 3");
  EXPECT_THAT(CheckDatabaseFile(db_).message(), HasSubstr("shorter than the 100-byte header"));
}

TEST_F(DbCheckTest, AFileCutMidPageIsRefused) {
  MakeDatabase();
  fs::resize_file(db_, fs::file_size(db_) - kPage / 2);
  EXPECT_THAT(CheckDatabaseFile(db_).message(),
              HasSubstr("is not a whole number of 4096-byte pages (truncated?)"));
}

TEST_F(DbCheckTest, AFileMissingWholePagesIsRefused) {
  MakeDatabase();
  const auto size = static_cast<int64_t>(fs::file_size(db_));
  fs::resize_file(db_, size - 2 * kPage);
  EXPECT_THAT(
      CheckDatabaseFile(db_).message(),
      HasSubstr("the header counts " + std::to_string(size / kPage) + " pages but the file holds " +
                std::to_string(size / kPage - 2) + " (truncated)"));
}

TEST_F(DbCheckTest, AnOverwrittenPageInTheMiddleIsFoundByQuickCheck) {
  MakeDatabase();
  const int64_t leaf = Pages("jobs").first;
  Overwrite(db_, (leaf - 1) * kPage, std::string(kPage, '\x5a'));
  const std::string before = ReadAll(db_);
  Status s = CheckDatabaseFile(db_);
  EXPECT_EQ(s.code(), Status::Code::kIoError);
  EXPECT_THAT(s.message(), HasSubstr("is damaged: "));
  // Above the size limit only the cheap checks run; they do not read that page.
  EXPECT_TRUE(CheckDatabaseFile(db_, {.quick_check_max_bytes = 0}).ok());
  EXPECT_EQ(ReadAll(db_), before);
}

TEST_F(DbCheckTest, AnOverwrittenRootPageIsFoundByTheCheapChecks) {
  MakeDatabase();
  const int64_t root = Pages("jobs").second;
  Overwrite(db_, (root - 1) * kPage, std::string(kPage, '\x5a'));
  Status s = CheckDatabaseFile(db_, {.quick_check_max_bytes = 0});
  EXPECT_EQ(s.code(), Status::Code::kIoError);
  EXPECT_THAT(s.message(), HasSubstr("is damaged: "));
}

}  // namespace
}  // namespace torque::server
