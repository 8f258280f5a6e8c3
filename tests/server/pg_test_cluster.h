// The PostgreSQL cluster of the tests (ctest fixture torque_pg, tests/pg/cluster.sh).
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <string>

#include "server/pg_connection.h"

namespace torque::testing {

// The cluster's libpq URI, or nullopt when the tests run without one (PostgreSQL not
// installed, or the test binary run outside ctest).
inline std::optional<std::string> PgTestUri() {
  const char* file = std::getenv("TORQUE_TEST_PG_URI_FILE");
  if (!file) return std::nullopt;
  std::ifstream in(file);
  std::string uri;
  if (!std::getline(in, uri) || uri.empty()) return std::nullopt;
  return uri;
}

// Whether a missing cluster fails the tests instead of skipping them (.ci/run sets
// TORQUE_TEST_PG_REQUIRED=1: CI installs PostgreSQL, so a skip there would hide a failure).
inline bool PgTestRequired() {
  const char* required = std::getenv("TORQUE_TEST_PG_REQUIRED");
  return required && std::string(required) == "1";
}

// A database of its own for one test on the cluster at `cluster_uri` (tests/pg/cluster.sh's,
// whose database is torque_test): created empty, dropped at the end (with its connections).
class PgScratchDatabase {
 public:
  explicit PgScratchDatabase(const std::string& cluster_uri) : cluster_uri_(cluster_uri) {
    static std::atomic<int> serial{0};
    name_ = "torque_t" + std::to_string(::getpid()) + "_" + std::to_string(++serial);
    const std::string from = "/torque_test?";
    const size_t at = cluster_uri.find(from);
    EXPECT_NE(at, std::string::npos) << cluster_uri;
    uri_ = cluster_uri;
    if (at != std::string::npos) uri_.replace(at, from.size(), "/" + name_ + "?");
    Admin("CREATE DATABASE " + name_);
  }
  ~PgScratchDatabase() { Admin("DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)"); }
  PgScratchDatabase(const PgScratchDatabase&) = delete;
  PgScratchDatabase& operator=(const PgScratchDatabase&) = delete;

  const std::string& uri() const { return uri_; }

 private:
  void Admin(const std::string& sql) {
    auto admin = server::pg::Connection::Open(cluster_uri_);
    ASSERT_TRUE(admin.ok()) << admin.status().ToString();
    auto done = admin->Exec(sql);
    EXPECT_TRUE(done.ok()) << sql << ": " << done.status().ToString();
  }

  std::string cluster_uri_;
  std::string name_;
  std::string uri_;
};

}  // namespace torque::testing

// In a test or fixture SetUp: `uri` gets the cluster's URI, or the test skips (or fails,
// where a cluster is required).
#define TORQUE_PG_URI_OR_SKIP(uri)                                                          \
  do {                                                                                      \
    auto found = ::torque::testing::PgTestUri();                                            \
    if (!found) {                                                                           \
      if (::torque::testing::PgTestRequired()) FAIL() << "no PostgreSQL test cluster";      \
      GTEST_SKIP() << "no PostgreSQL test cluster (ctest starts one: tests/pg/cluster.sh)"; \
    }                                                                                       \
    uri = *found;                                                                           \
  } while (0)
