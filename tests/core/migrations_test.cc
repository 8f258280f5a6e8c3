#include "core/migrations.h"

#include <gtest/gtest.h>

#include <vector>

namespace torque {
namespace {

using Code = Status::Code;

const std::vector<EmbeddedFile> kFiles = {
    {"0001_a.sql", "a"}, {"0002_b.sql", "b"}, {"0003_c.sql", "c"}};

TEST(PendingMigrationsTest, TheOnesAfterTheDatabasesVersion) {
  auto all = PendingMigrations(kFiles, 0, "the database");
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 3u);
  auto last = PendingMigrations(kFiles, 2, "the database");
  ASSERT_TRUE(last.ok());
  ASSERT_EQ(last->size(), 1u);
  EXPECT_EQ(last->front().name, "0003_c.sql");
  auto none = PendingMigrations(kFiles, 3, "the database");
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
}

TEST(PendingMigrationsTest, ANewerDatabaseIsRefusedByName) {
  auto newer = PendingMigrations(kFiles, 4, "database /x/torque.db");
  EXPECT_EQ(newer.status().code(), Code::kFailedPrecondition);
  EXPECT_EQ(newer.status().message(),
            "database /x/torque.db has schema version 4, newer than this torqued knows (3); "
            "upgrade torqued");
}

TEST(PendingMigrationsTest, AFileNotNamedAfterItsNumberIsABug) {
  const std::vector<EmbeddedFile> misnamed = {{"0001_a.sql", "a"}, {"0003_c.sql", "c"}};
  EXPECT_TRUE(PendingMigrations(misnamed, 2, "the database").ok());  // nothing left to check
  auto bad = PendingMigrations(misnamed, 0, "the database");
  EXPECT_EQ(bad.status().code(), Code::kInternal);
  EXPECT_EQ(bad.status().message(), "migration 2 is named 0003_c.sql");
}

}  // namespace
}  // namespace torque
