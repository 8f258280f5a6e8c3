// A whole config file after the compiled-in defaults: INI syntax, every value type, [job]
// sections and [TORQUE] job.* keys checked against the real handler table, then the
// handler of every job type the file adds or changes built from it (conditions, templates,
// sort orders, paths: construction validates and has no side effects).
#include <map>
#include <memory>

#include "core/clock.h"
#include "core/config.h"
#include "jobs/handler_env.h"
#include "jobs/handler_table.h"
#include "jobs/rtorrent/connector.h"
#include "tests/fuzz/fuzz.h"

using namespace torque;

namespace {

ConfigOptions Options() {
  ConfigOptions options;
  options.state_dir = "/nonexistent/torque-fuzz";
  options.handlers = &jobs::HandlerSpecs();
  return options;
}

// What a handler is built from, besides the config's [server] and [rtorrent] (which only
// the exec handler reads when it is built).
std::map<std::string, std::string> Inputs(const JobTypeConfig& type) {
  std::map<std::string, std::string> inputs = {{" handler", type.handler}};
  for (const auto& [key, setting] : type.settings) inputs[key] = setting.value;
  return inputs;
}

// The job types of the defaults alone, whose handlers were built once: a unit that leaves
// one as it is would only repeat that work (most of a unit's time: the queue's conditions),
// with the same coverage.
bool IsDefault(const JobTypeConfig& type) {
  static const std::map<std::string, std::map<std::string, std::string>> defaults = [] {
    std::map<std::string, std::map<std::string, std::string>> types;
    auto config = LoadConfigFromTexts({}, Options());
    fuzz::Require(config.ok(), "the defaults load");
    static const SystemClock clock;
    jobs::HandlerEnv env;
    env.config = std::make_shared<const Config>(*config);
    env.clock = &clock;
    env.rtorrent = std::make_shared<rtorrent::ScgiConnectorFactory>(config->rtorrent);
    for (const auto& [name, type] : config->types) {
      fuzz::Require(jobs::MakeHandler(type, env).ok(), "the default handlers build");
      types[name] = Inputs(type);
    }
    return types;
  }();
  if (type.handler == "exec") return false;
  auto it = defaults.find(type.name);
  return it != defaults.end() && it->second == Inputs(type);
}

}  // namespace

TORQUE_FUZZ_TARGET {
  auto config = LoadConfigFromTexts({{"fuzz.ini", std::string(fuzz::Text(data, size))}}, Options());
  if (!config.ok()) return 0;
  static const SystemClock clock;
  jobs::HandlerEnv env;
  env.config = std::make_shared<const Config>(*config);
  env.clock = &clock;
  env.rtorrent = std::make_shared<rtorrent::ScgiConnectorFactory>(config->rtorrent);
  for (const auto& [name, type] : env.config->types) {
    if (!IsDefault(type)) (void)jobs::MakeHandler(type, env);
  }
  return 0;
}
