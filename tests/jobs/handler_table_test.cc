#include "jobs/handler_table.h"

#include <gtest/gtest.h>

#include <set>

#include "jobs/exec_handler.h"
#include "tests/jobs/job_type.h"

namespace torque::jobs {
namespace {

using torque::testing::TestType;

HandlerEnv Env() {
  HandlerEnv env;
  env.config = std::make_shared<const Config>();
  return env;
}

TEST(HandlerTableTest, SpecsMirrorTheTable) {
  const auto& table = HandlerTable();
  const auto& specs = HandlerSpecs();
  ASSERT_EQ(table.size(), specs.size());
  ASSERT_FALSE(table.empty());
  EXPECT_EQ(table.front().spec.name, "exec");
  std::set<std::string> names;
  for (size_t i = 0; i < table.size(); ++i) {
    EXPECT_EQ(specs[i].name, table[i].spec.name);
    EXPECT_EQ(specs[i].available, table[i].make != nullptr) << specs[i].name;
    EXPECT_TRUE(names.insert(specs[i].name).second) << "duplicate " << specs[i].name;
    for (const auto& alias : specs[i].aliases) {
      EXPECT_TRUE(names.insert(alias).second) << "duplicate alias " << alias;
    }
  }
}

TEST(HandlerTableTest, PyrotorqueClassNamesAreAliases) {
  const std::pair<const char*, const char*> cases[] = {
      {"pyrocore.torrent.queue:QueueManager", "queue_manager"},
      {"pyrosimple.job.queue:QueueManager", "queue_manager"},
      {"pyrocore.torrent.watch:TreeWatch", "tree_watch"},
      {"pyrosimple.job.watch:TreeWatch", "tree_watch"},
      {"pyrocore.torrent.jobs:EngineStats", "engine_stats"},
      {"pyrosimple.job.connstats:EngineStats", "engine_stats"},
      {"pyrocore.daemon.exporter:RtorrentExporter", "metrics_exporter"},
      {"pyrosimple.job.metrics:RtorrentExporter", "metrics_exporter"},
  };
  for (const auto& [alias, name] : cases) {
    ConfigOptions options;
    options.handlers = &HandlerSpecs();
    auto config = LoadConfigFromTexts(
        {{"user.ini", std::string("[job x]\nactive = no\nhandler = ") + alias + "\n"}}, options);
    ASSERT_TRUE(config.ok()) << config.status().message();
    EXPECT_EQ(config->types.at("x").handler, name) << alias;
  }
}

TEST(HandlerTableTest, MakesExec) {
  auto exec = MakeHandler(TestType({{"command", "/bin/echo {type}"}}), Env());
  ASSERT_TRUE(exec.ok()) << exec.status().ToString();
  ASSERT_NE(dynamic_cast<ExecHandler*>(exec->get()), nullptr);
  JobContext ctx;
  ctx.id = 1;
  ctx.type = "t";
  EXPECT_EQ((*exec)->Run(ctx).result, "t\n");
}

TEST(HandlerTableTest, MakesNoopWhoseJobsSucceedWithTheirArgs) {
  JobTypeConfig type = TestType({{"handler", "noop"}});
  type.handler = "noop";
  auto noop = MakeHandler(type, Env());
  ASSERT_TRUE(noop.ok()) << noop.status().ToString();
  JobContext ctx;
  ctx.args = "a b";
  const RunResult done = (*noop)->Run(ctx);
  EXPECT_EQ(done.kind, RunResult::Kind::kSucceeded);
  EXPECT_EQ(done.result, "a b");
  CancelSignal cancel;
  cancel.Raise();
  ctx.cancel = &cancel;
  EXPECT_EQ((*noop)->Run(ctx).kind, RunResult::Kind::kCancelled);
}

TEST(HandlerTableTest, FactoryErrorsCarryTheSetting) {
  auto exec = MakeHandler(TestType({{"command", "/bin/echo {nope}"}}), Env());
  ASSERT_FALSE(exec.ok());
  EXPECT_EQ(exec.status().message().rfind("torque.ini:2: job type 't': key 'command': ", 0), 0u)
      << exec.status().message();
}

TEST(HandlerTableTest, RejectsUnavailableAndUnknown) {
  for (const HandlerEntry& e : HandlerTable()) {
    if (e.make) continue;
    JobTypeConfig type = TestType({{"handler", e.spec.aliases.front()}}, "x");
    type.handler = e.spec.name;
    auto r = MakeHandler(type, Env());
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().message(), "torque.ini:2: job type 'x': handler '" + e.spec.name +
                                        "' is not available in this build");
  }
  JobTypeConfig bogus = TestType({}, "x");
  bogus.handler = "bogus";
  auto r = MakeHandler(bogus, Env());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "torque.ini:1: job type 'x': unknown handler 'bogus'");
}

}  // namespace
}  // namespace torque::jobs
