// cmd.* load templates of the tree watch (the Tempita subset and %(name)s), expanded with
// every variable set.
#include <map>
#include <string>

#include "jobs/watch_template.h"
#include "tests/fuzz/fuzz.h"

using namespace torque;

TORQUE_FUZZ_TARGET {
  auto parsed = jobs::WatchTemplate::Parse(fuzz::Text(data, size));
  if (!parsed.ok()) return 0;
  static const std::map<std::string, std::string> vars = [] {
    std::map<std::string, std::string> v;
    for (const std::string& name : jobs::WatchTemplateVariables()) v[name] = "value of " + name;
    v["flags"] = "start queue";
    v["traits"] = "video tv";
    return v;
  }();
  (void)parsed->Expand(vars);
  (void)parsed->Expand({});
  return 0;
}
