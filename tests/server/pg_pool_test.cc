#include "server/pg_pool.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <thread>

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

TEST_F(PgPoolTest, WhileTheDatabaseIsAwayAConnectionIsTriedAtLeastOncePerMaxBackoff) {
  // The pool reaches the cluster through a socket directory of its own: empty at first (the
  // database is away), then given a link to the cluster's socket (it is back).
  namespace fs = std::filesystem;
  const size_t host_at = uri_.find("host=");
  ASSERT_NE(host_at, std::string::npos) << uri_;
  const size_t host_end = uri_.find('&', host_at);
  const fs::path cluster_dir = uri_.substr(host_at + 5, host_end - host_at - 5);
  fs::path socket;
  for (const auto& entry : fs::directory_iterator(cluster_dir)) {
    const std::string name = entry.path().filename();
    if (name.starts_with(".s.PGSQL.") && !name.ends_with(".lock")) socket = entry.path();
  }
  ASSERT_FALSE(socket.empty()) << "no socket in " << cluster_dir;
  const fs::path dir = fs::temp_directory_path() / ("torque-pool-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::string uri = uri_;
  uri.replace(host_at + 5, cluster_dir.string().size(), dir.string());

  using Clock = std::chrono::steady_clock;
  Pool pool(uri, 1, std::chrono::milliseconds(200));
  const auto ok = [&] { return pool.Run([](Connection&) { return Status::Ok(); }).ok(); };
  // 3.5 s away: doubling from 100 ms without the cap, the next attempt would come at 6.3 s.
  for (const auto away = Clock::now(); Clock::now() - away < std::chrono::milliseconds(3500);) {
    ASSERT_FALSE(ok());
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  fs::create_symlink(socket, dir / socket.filename());
  const auto back = Clock::now();
  while (!ok() && Clock::now() - back < std::chrono::seconds(10)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_LT(Clock::now() - back, std::chrono::milliseconds(1500));
  fs::remove_all(dir);
}

}  // namespace
}  // namespace torque::server::pg
