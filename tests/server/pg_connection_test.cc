#include "server/pg_connection.h"

#include <gtest/gtest.h>

#include <stdexcept>

#include "tests/server/pg_test_cluster.h"

namespace torque::server::pg {
namespace {

using Code = Status::Code;

class PgConnectionTest : public ::testing::Test {
 protected:
  void SetUp() override { TORQUE_PG_URI_OR_SKIP(uri_); }

  Connection Open() {
    auto c = Connection::Open(uri_);
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    return std::move(*c);
  }

  std::string uri_;
};

TEST_F(PgConnectionTest, ParametersAndValuesRoundTrip) {
  Connection c = Open();
  const std::string odd = "it's \"quoted\"; DROP TABLE x; -- Motörhead \\ $1";
  auto rows = c.Exec("SELECT $1::text, $2::bigint, $3::text IS NULL, $3::text",
                     {odd, "-9223372036854775808", std::nullopt});
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  ASSERT_EQ(rows->size(), 1);
  ASSERT_EQ(rows->columns(), 4);
  EXPECT_EQ(rows->Text(0, 0), odd);
  EXPECT_EQ(rows->Int(0, 1), INT64_MIN);
  EXPECT_EQ(rows->Text(0, 2), "t");
  EXPECT_TRUE(rows->IsNull(0, 3));
  EXPECT_EQ(rows->Int(0, 3), 0);
  EXPECT_THROW(rows->Int(0, 0), std::logic_error);
}

TEST_F(PgConnectionTest, WritesReportTheRowsTheyChanged) {
  Connection c = Open();
  ASSERT_TRUE(c.Exec("CREATE TEMP TABLE t (k text PRIMARY KEY, n bigint)").ok());
  auto inserted = c.Exec("INSERT INTO t VALUES ('a', 1), ('b', 2), ('c', 3)");
  ASSERT_TRUE(inserted.ok()) << inserted.status().ToString();
  EXPECT_EQ(inserted->affected(), 3);
  EXPECT_EQ(inserted->size(), 0);
  auto updated = c.Exec("UPDATE t SET n = n + 10 WHERE n >= $1 RETURNING k", {"2"});
  ASSERT_TRUE(updated.ok());
  EXPECT_EQ(updated->affected(), 2);
  EXPECT_EQ(updated->size(), 2);
}

TEST_F(PgConnectionTest, APipelineRunsItsStatementsInOrderInOneGo) {
  Connection c = Open();
  ASSERT_TRUE(c.Exec("CREATE TEMP TABLE p (n bigint PRIMARY KEY)").ok());
  std::vector<Connection::Statement> statements = {{"BEGIN", {}}};
  for (int i = 0; i < 600; ++i) {  // more than one chunk
    statements.push_back({"INSERT INTO p VALUES ($1) RETURNING n * 2", {std::to_string(i)}});
  }
  statements.push_back({"COMMIT", {}});
  auto rows = c.Pipeline(statements);
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  ASSERT_EQ(rows->size(), statements.size());
  EXPECT_EQ(rows->at(1).Int(0, 0), 0);
  EXPECT_EQ(rows->at(600).Int(0, 0), 1198);
  EXPECT_EQ(c.Exec("SELECT COUNT(*) FROM p")->Int(0, 0), 600);

  // A failure: its error, nothing after it ran, and the connection serves on.
  auto failed = c.Pipeline({{"BEGIN", {}},
                            {"INSERT INTO p VALUES (1000)", {}},
                            {"INSERT INTO p VALUES (5)", {}},  // taken
                            {"INSERT INTO p VALUES (1001)", {}},
                            {"COMMIT", {}}});
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.status().code(), Code::kIoError);
  EXPECT_EQ(c.last_sqlstate(), "23505");
  ASSERT_TRUE(c.ExecScript("ROLLBACK").ok());
  EXPECT_EQ(c.Exec("SELECT COUNT(*) FROM p WHERE n >= 1000")->Int(0, 0), 0);
  EXPECT_FALSE(c.broken());
}

TEST_F(PgConnectionTest, AServerErrorCarriesItsSqlStateAndLeavesTheConnectionUsable) {
  Connection c = Open();
  ASSERT_TRUE(c.Exec("CREATE TEMP TABLE u (k text PRIMARY KEY)").ok());
  ASSERT_TRUE(c.Exec("INSERT INTO u VALUES ($1)", {"x"}).ok());
  auto again = c.Exec("INSERT INTO u VALUES ($1)", {"x"});
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.status().code(), Code::kIoError);
  EXPECT_EQ(c.last_sqlstate(), "23505");  // unique_violation
  EXPECT_EQ(again.status().message().rfind("PostgreSQL error 23505: duplicate key value", 0), 0u)
      << again.status().message();
  EXPECT_FALSE(c.broken());

  auto syntax = c.Exec("SELEC 1");
  ASSERT_FALSE(syntax.ok());
  EXPECT_EQ(c.last_sqlstate(), "42601");  // syntax_error
  ASSERT_TRUE(c.Exec("SELECT 1").ok());
  EXPECT_EQ(c.last_sqlstate(), "");
}

TEST_F(PgConnectionTest, AnUnreachableDatabaseIsUnavailableWithLibpqsReason) {
  auto c = Connection::Open("postgresql:///torque_test?host=/nonexistent/dir&user=torque");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), Code::kUnavailable);
  const std::string m = c.status().message();
  EXPECT_EQ(m.rfind("database unreachable: ", 0), 0u) << m;
  EXPECT_NE(m.find("/nonexistent/dir"), std::string::npos) << m;
  EXPECT_EQ(m.find('\n'), std::string::npos) << m;

  auto bad = Connection::Open("postgresql://[oops");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), Code::kUnavailable);
}

TEST_F(PgConnectionTest, ALostConnectionIsUnavailableAndBroken) {
  Connection killer = Open();
  Connection victim = Open();
  auto pid = victim.Exec("SELECT pg_backend_pid()");
  ASSERT_TRUE(pid.ok());
  auto killed = killer.Exec("SELECT pg_terminate_backend($1::int)", {pid->Text(0, 0)});
  ASSERT_TRUE(killed.ok()) << killed.status().ToString();
  ASSERT_EQ(killed->Text(0, 0), "t");

  auto lost = victim.Exec("SELECT 1");
  ASSERT_FALSE(lost.ok());
  EXPECT_EQ(lost.status().code(), Code::kUnavailable) << lost.status().ToString();
  EXPECT_EQ(lost.status().message().rfind("database connection lost: ", 0), 0u)
      << lost.status().message();
  EXPECT_TRUE(victim.broken());
  EXPECT_FALSE(killer.broken());
  EXPECT_TRUE(Open().Exec("SELECT 1").ok());  // the server is fine: a new connection works
}

}  // namespace
}  // namespace torque::server::pg
