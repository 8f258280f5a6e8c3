// Test helper: a JobTypeConfig as the config loader would hand it over.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "core/config.h"

namespace torque::testing {

// Type `name` declared at torque.ini:1; setting N (0-based) sits on torque.ini:N+2.
inline JobTypeConfig TestType(const std::vector<std::pair<std::string, std::string>>& settings,
                              const std::string& name = "t") {
  JobTypeConfig type;
  type.name = name;
  type.where = {"torque.ini", 1};
  int line = 2;
  for (const auto& [key, value] : settings) type.settings[key] = {value, {"torque.ini", line++}};
  return type;
}

}  // namespace torque::testing
