// A whole config file after the compiled-in defaults: INI syntax, every value type, [job]
// sections and [TORQUE] job.* keys checked against the real handler table, then every job
// type's handler built from it (conditions, templates, sort orders, paths: construction
// validates and has no side effects).
#include <memory>

#include "core/clock.h"
#include "core/config.h"
#include "jobs/handler_env.h"
#include "jobs/handler_table.h"
#include "jobs/rtorrent/connector.h"
#include "tests/fuzz/fuzz.h"

using namespace torque;

TORQUE_FUZZ_TARGET {
  ConfigOptions options;
  options.state_dir = "/nonexistent/torque-fuzz";
  options.handlers = &jobs::HandlerSpecs();
  auto config = LoadConfigFromTexts({{"fuzz.ini", std::string(fuzz::Text(data, size))}}, options);
  if (!config.ok()) return 0;
  static const SystemClock clock;
  jobs::HandlerEnv env;
  env.config = std::make_shared<const Config>(*config);
  env.clock = &clock;
  env.rtorrent = std::make_shared<rtorrent::ScgiConnectorFactory>(config->rtorrent);
  for (const auto& [name, type] : env.config->types) (void)jobs::MakeHandler(type, env);
  return 0;
}
