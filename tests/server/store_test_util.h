// Helpers of the store tests (the contract suite every backend passes, and each backend's
// own tests): jobs to insert, outcomes, filters, and short forms of common calls.
#pragma once

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "server/store.h"

namespace torque::server::store_test {

inline NewJob MakeJob(const std::string& type, int priority = 0, TimeMs run_at = 0,
                      const std::string& unique_key = "") {
  NewJob j;
  j.type = type;
  j.args = "args of " + type;
  j.priority = priority;
  j.run_at = run_at;
  j.unique_key = unique_key;
  j.created_at = 1000;
  j.max_attempts = 3;
  return j;
}

inline Outcome Ended(JobState state, TimeMs at, const std::string& error = "",
                     const std::string& result = "") {
  Outcome o;
  o.state = state;
  o.finished_at = at;
  o.error = error;
  o.result = result;
  return o;
}

inline Outcome RetryLater(TimeMs run_at, const std::string& error) {
  Outcome o = Ended(JobState::kQueued, run_at - 1000, error);
  o.run_at = run_at;
  return o;
}

inline ListFilter Filter(std::optional<std::string> type, std::optional<JobState> state = {},
                         std::optional<JobId> before_id = {}, int limit = 100) {
  ListFilter f;
  f.type = std::move(type);
  f.state = state;
  f.before_id = before_id;
  f.limit = limit;
  return f;
}

inline std::vector<JobId> Ids(const std::vector<Job>& jobs) {
  std::vector<JobId> ids;
  for (const Job& j : jobs) ids.push_back(j.id);
  return ids;
}

// Inserts one job; its id (0 after a failure, which fails the test).
inline JobId Add(Store& store, const NewJob& job) {
  auto r = store.Insert({job});
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  if (!r.ok() || r->size() != 1) return 0;
  return (*r)[0].id;
}

// One job of `type` inserted and claimed (running).
inline JobId AddRunning(Store& store, const std::string& type, TimeMs now = 5000) {
  JobId id = Add(store, MakeJob(type));
  auto claimed = store.Claim(type, 1, now);
  EXPECT_TRUE(claimed.ok());
  EXPECT_EQ(Ids(*claimed), std::vector<JobId>{id});
  return id;
}

inline Job MustGet(Store& store, JobId id) {
  auto r = store.Get(id);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? *r : Job{};
}

}  // namespace torque::server::store_test
