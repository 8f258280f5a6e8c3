#include "server/pg_pool.h"

#include <gtest/gtest.h>

#include <string>

#include "tests/server/pg_test_cluster.h"

namespace torque::server::pg {
namespace {

using Code = Status::Code;

class PgPoolTest : public ::testing::Test {
 protected:
  void SetUp() override { TORQUE_PG_URI_OR_SKIP(uri_); }

  // The backend process serving the pool's next call.
  int64_t BackendPid(Pool& pool) {
    int64_t pid = 0;
    Status st = pool.Run([&](Connection& c) {
      auto r = c.Exec("SELECT pg_backend_pid()");
      if (!r.ok()) return r.status();
      pid = r->Int(0, 0);
      return Status::Ok();
    });
    EXPECT_TRUE(st.ok()) << st.ToString();
    return pid;
  }

  std::string uri_;
};

TEST_F(PgPoolTest, ACallTakesAnIdleConnectionAgain) {
  Pool pool(uri_, 2);
  const int64_t first = BackendPid(pool);
  EXPECT_GT(first, 0);
  EXPECT_EQ(BackendPid(pool), first);
}

TEST_F(PgPoolTest, AConnectionTheServerClosedWhileIdleIsReplacedUnseen) {
  Pool pool(uri_, 1);
  const int64_t first = BackendPid(pool);
  auto admin = Connection::Open(uri_);
  ASSERT_TRUE(admin.ok());
  // Returns once the backend is gone (it waits up to 10 s for it).
  auto done = admin->Exec("SELECT pg_terminate_backend($1, 10000)", {std::to_string(first)});
  ASSERT_TRUE(done.ok()) << done.status().ToString();
  ASSERT_EQ(done->Text(0, 0), "t");
  const int64_t second = BackendPid(pool);  // no error for the caller
  EXPECT_GT(second, 0);
  EXPECT_NE(second, first);
}

TEST_F(PgPoolTest, AnUnreachableDatabaseIsUnavailableUntilItCanConnect) {
  Pool pool("postgresql:///nowhere?host=/nonexistent", 2);
  bool ran = false;
  Status st = pool.Run([&](Connection&) {
    ran = true;
    return Status::Ok();
  });
  EXPECT_EQ(st.code(), Code::kUnavailable);
  EXPECT_NE(st.message().find("database unreachable"), std::string::npos) << st.ToString();
  // Within the backoff the reason comes back without a new attempt.
  Status again = pool.Run([&](Connection&) {
    ran = true;
    return Status::Ok();
  });
  EXPECT_EQ(again.code(), Code::kUnavailable);
  EXPECT_EQ(again.message(), st.message());
  EXPECT_FALSE(ran);
  EXPECT_EQ(pool.Check().code(), Code::kUnavailable);
}

}  // namespace
}  // namespace torque::server::pg
