#include "core/database_uri.h"

#include <gtest/gtest.h>

namespace torque {
namespace {

TEST(DatabaseUriTest, PostgresqlSchemesOnly) {
  EXPECT_TRUE(IsPostgresqlUri("postgresql://db.example/torque"));
  EXPECT_TRUE(IsPostgresqlUri("postgres:///torque?host=/run/postgresql"));
  EXPECT_FALSE(IsPostgresqlUri("/var/lib/torque/torque.db"));
  EXPECT_FALSE(IsPostgresqlUri("sqlite:///x.db"));
  EXPECT_FALSE(IsPostgresqlUri("postgresql:/x"));
}

TEST(DatabaseUriTest, PasswordsAreRedacted) {
  EXPECT_EQ(RedactedDatabase("postgresql://torque:s3cr@t@db:5432/q"),
            "postgresql://torque:***@db:5432/q");
  EXPECT_EQ(RedactedDatabase("postgresql://torque@db/q?sslmode=require&password=x&a=b"),
            "postgresql://torque@db/q?sslmode=require&password=***&a=b");
  EXPECT_EQ(RedactedDatabase("postgres://db/q?password=x"), "postgres://db/q?password=***");
  // Nothing to hide: unchanged, including a path that only looks like one.
  EXPECT_EQ(RedactedDatabase("postgresql://u@db/q?mypassword=x"),
            "postgresql://u@db/q?mypassword=x");
  EXPECT_EQ(RedactedDatabase("postgresql:///q?host=/run/pg"), "postgresql:///q?host=/run/pg");
  EXPECT_EQ(RedactedDatabase("/srv/a:b@c.db"), "/srv/a:b@c.db");
}

}  // namespace
}  // namespace torque
