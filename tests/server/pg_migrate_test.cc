#include "server/pg_migrate.h"

#include <gtest/gtest.h>

#include <future>
#include <vector>

#include "tests/server/pg_test_cluster.h"

namespace torque::server::pg {
namespace {

using Code = Status::Code;

class PgMigrateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string cluster;
    TORQUE_PG_URI_OR_SKIP(cluster);
    db_.emplace(cluster);
  }

  Connection Open() {
    auto c = Connection::Open(db_->uri());
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    return std::move(*c);
  }

  int64_t Scalar(Connection& c, const std::string& sql) {
    auto rows = c.Exec(sql);
    EXPECT_TRUE(rows.ok()) << sql << ": " << rows.status().ToString();
    return rows.ok() && rows->size() == 1 ? rows->Int(0, 0) : -1;
  }

  std::optional<testing::PgScratchDatabase> db_;
};

const std::vector<EmbeddedFile> kTwo = {
    {"0001_a.sql",
     "CREATE TABLE a (id bigserial PRIMARY KEY, x text);\n"
     "CREATE INDEX a_x ON a (x);"},
    {"0002_b.sql", "ALTER TABLE a ADD COLUMN y integer NOT NULL DEFAULT 7;"},
};

TEST_F(PgMigrateTest, AppliesEachMigrationOnceInOrder) {
  Connection c = Open();
  ASSERT_TRUE(Migrate(c, std::span(kTwo).first(1)).ok());
  EXPECT_EQ(Scalar(c, "SELECT version FROM torque_schema_version"), 1);
  ASSERT_TRUE(c.Exec("INSERT INTO a (x) VALUES ('kept')").ok());

  Status st = Migrate(c, kTwo);
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(Scalar(c, "SELECT version FROM torque_schema_version"), 2);
  EXPECT_EQ(Scalar(c, "SELECT y FROM a WHERE x = 'kept'"), 7);
  // Nothing left to do (0001 again would fail: the table exists).
  st = Migrate(c, kTwo);
  EXPECT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(Scalar(c, "SELECT count(*) FROM torque_schema_version"), 1);
}

TEST_F(PgMigrateTest, ADatabaseNewerThanTheBinaryIsRefused) {
  Connection c = Open();
  ASSERT_TRUE(Migrate(c, kTwo).ok());
  Status st = Migrate(c, std::span(kTwo).first(1));
  EXPECT_EQ(st.code(), Code::kFailedPrecondition);
  EXPECT_EQ(st.message(),
            "the database has schema version 2, newer than this torqued knows (1); "
            "upgrade torqued");
}

TEST_F(PgMigrateTest, AFailingMigrationLeavesTheDatabaseAtItsOldVersion) {
  Connection c = Open();
  ASSERT_TRUE(Migrate(c, std::span(kTwo).first(1)).ok());
  const std::vector<EmbeddedFile> broken = {
      kTwo[0], kTwo[1], {"0003_c.sql", "CREATE TABLE c (id integer);\nCREATE TABLE a (z int);"}};
  Status st = Migrate(c, broken);
  EXPECT_EQ(st.code(), Code::kIoError);
  EXPECT_EQ(st.message().rfind("migration 0003_c.sql failed: PostgreSQL error 42P07: ", 0), 0u)
      << st.message();
  EXPECT_EQ(Scalar(c, "SELECT version FROM torque_schema_version"), 1);
  EXPECT_EQ(Scalar(c,
                   "SELECT count(*) FROM information_schema.columns"
                   " WHERE table_name = 'a' AND column_name = 'y'"),
            0);  // 0002, applied in the same transaction, is undone too
  EXPECT_EQ(Scalar(c, "SELECT count(*) FROM information_schema.tables WHERE table_name = 'c'"), 0);
  ASSERT_TRUE(Migrate(c, kTwo).ok());  // the connection is fine for the next try
  EXPECT_EQ(Scalar(c, "SELECT version FROM torque_schema_version"), 2);
}

TEST_F(PgMigrateTest, NodesStartingTogetherApplyEachMigrationOnce) {
  {
    Connection c = Open();
    ASSERT_TRUE(c.Exec("CREATE TABLE applied (at timestamptz NOT NULL DEFAULT now())").ok());
  }
  // A slow migration that counts how often it ran.
  const std::vector<EmbeddedFile> slow = {
      {"0001_slow.sql",
       "INSERT INTO applied DEFAULT VALUES; SELECT pg_sleep(0.3);"
       "CREATE TABLE t (id integer);"}};
  std::vector<std::future<Status>> nodes;
  for (int i = 0; i < 3; ++i) {
    nodes.push_back(std::async(std::launch::async, [&] {
      auto c = Connection::Open(db_->uri());
      return c.ok() ? Migrate(*c, slow) : c.status();
    }));
  }
  for (auto& node : nodes) {
    Status st = node.get();
    EXPECT_TRUE(st.ok()) << st.ToString();
  }
  Connection c = Open();
  EXPECT_EQ(Scalar(c, "SELECT count(*) FROM applied"), 1);
  EXPECT_EQ(Scalar(c, "SELECT version FROM torque_schema_version"), 1);
}

TEST_F(PgMigrateTest, AMisnamedMigrationIsABug) {
  Connection c = Open();
  const std::vector<EmbeddedFile> misnamed = {{"0002_a.sql", "SELECT 1"}};
  Status st = Migrate(c, misnamed);
  EXPECT_EQ(st.code(), Code::kInternal);
  EXPECT_EQ(st.message(), "migration 1 is named 0002_a.sql");
  EXPECT_EQ(Scalar(c,
                   "SELECT count(*) FROM information_schema.tables"
                   " WHERE table_name = 'torque_schema_version'"),
            0);  // rolled back whole
}

}  // namespace
}  // namespace torque::server::pg
