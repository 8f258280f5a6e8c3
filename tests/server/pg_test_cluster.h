// The PostgreSQL cluster of the tests (ctest fixture torque_pg, tests/pg/cluster.sh).
#pragma once

#include <cstdlib>
#include <fstream>
#include <optional>
#include <string>

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
