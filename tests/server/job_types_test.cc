// JobTypes: handler lifecycle across reloads, and what the host lends handlers.
#include "server/job_types.h"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include "server/sqlite_store.h"
#include "tests/server/test_support.h"

namespace torque::server {
namespace {

using testing::FakeClock;
using testing::TempDir;

// Records its life cycle in a shared log; keeps the host it was started with.
class LifecycleHandler : public jobs::Handler {
 public:
  LifecycleHandler(std::string name, std::vector<std::string>* log)
      : name_(std::move(name)), log_(log) {}
  Status Start(jobs::HandlerHost& host) override {
    host_ = &host;
    log_->push_back("start " + name_);
    return fail_start_ ? Status::IoError("no watches left") : Status::Ok();
  }
  void Stop() override { log_->push_back("stop " + name_); }
  jobs::RunResult Run(jobs::JobContext&) override { return jobs::RunResult::Succeeded(name_); }

  jobs::HandlerHost* host_ = nullptr;
  bool fail_start_ = false;

 private:
  std::string name_;
  std::vector<std::string>* log_;
};

JobTypeConfig Type(const std::string& name, const std::string& value = "1") {
  JobTypeConfig t;
  t.name = name;
  t.settings["x"] = {value, {}};
  return t;
}

TEST(CompareTypesTest, AddedRemovedChangedKept) {
  Config before;
  before.types = {{"a", Type("a")}, {"b", Type("b")}, {"gone", Type("gone")}, {"off", Type("off")}};
  before.types["off"].active = false;
  Config after;
  after.types = {
      {"a", Type("a")}, {"b", Type("b", "2")}, {"new", Type("new")}, {"off", Type("off")}};
  TypeChanges c = CompareTypes(before, after);
  EXPECT_EQ(c.kept, std::vector<std::string>{"a"});
  EXPECT_EQ(c.changed, std::vector<std::string>{"b"});
  EXPECT_EQ(c.added, (std::vector<std::string>{"new", "off"}));
  EXPECT_EQ(c.removed, std::vector<std::string>{"gone"});

  // What every handler may read changed: no type is kept.
  Config shared = before;
  shared.torque_globals["queue_startable_base"] = {"is_open=no", {}};
  EXPECT_EQ(CompareTypes(before, shared).changed, (std::vector<std::string>{"a", "b", "gone"}));
  Config rt = before;
  rt.rtorrent.url = "scgi://127.0.0.1:5000";
  EXPECT_TRUE(CompareTypes(before, rt).kept.empty());
}

class JobTypesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = SqliteStore::Open(SqliteStoreOptions{dir_.File("torque.db")});
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    store_ = std::move(*opened);
    dispatcher_ = std::make_unique<Dispatcher>(*store_, clock_, DispatcherOptions{});
    intake_ = std::make_unique<Intake>(*store_, *dispatcher_, clock_, std::make_shared<Config>());
    types_ = std::make_unique<JobTypes>(*store_, *intake_, io_.get_executor());
  }

  // A plan of `config` with a LifecycleHandler per active type.
  JobTypes::Plan Plan(const Config& config) {
    JobTypes::Plan plan;
    plan.config = std::make_shared<const Config>(config);
    for (const auto& [name, t] : config.types) {
      if (!t.active) continue;
      auto h = std::make_shared<LifecycleHandler>(name + std::to_string(++built_), &log_);
      handlers_[name] = h;
      plan.handlers[name] = h;
    }
    return plan;
  }

  TempDir dir_;
  FakeClock clock_;
  std::vector<std::string> log_;  // before types_: its handlers write here until StopAll
  boost::asio::io_context io_;
  std::unique_ptr<SqliteStore> store_;
  std::unique_ptr<Dispatcher> dispatcher_;
  std::unique_ptr<Intake> intake_;
  std::unique_ptr<JobTypes> types_;
  std::map<std::string, std::shared_ptr<LifecycleHandler>> handlers_;  // the latest built
  int built_ = 0;
};

TEST_F(JobTypesTest, UnchangedHandlersKeepRunningAcrossAReload) {
  Config one;
  one.types = {{"a", Type("a")}, {"b", Type("b")}, {"c", Type("c")}};
  Dispatcher::Handlers first = types_->Apply(Plan(one));
  EXPECT_EQ(log_, (std::vector<std::string>{"start a1", "start b2", "start c3"}));

  log_.clear();
  Config two;
  two.types = {{"a", Type("a")}, {"b", Type("b", "changed")}, {"d", Type("d")}};
  TypeChanges changes;
  Dispatcher::Handlers second = types_->Apply(Plan(two), &changes);
  EXPECT_EQ(changes.kept, std::vector<std::string>{"a"});
  EXPECT_EQ(changes.changed, std::vector<std::string>{"b"});
  EXPECT_EQ(changes.added, std::vector<std::string>{"d"});
  EXPECT_EQ(changes.removed, std::vector<std::string>{"c"});
  // Old handlers stop before their successors start; "a" is not touched.
  EXPECT_EQ(log_, (std::vector<std::string>{"stop b2", "stop c3", "start b5", "start d6"}));
  EXPECT_EQ(second.at("a"), first.at("a"));  // the very same instance, state and all
  EXPECT_NE(second.at("b"), first.at("b"));
  EXPECT_EQ(second.size(), 3u);

  log_.clear();
  types_->StopAll();
  types_->StopAll();
  EXPECT_EQ(log_, (std::vector<std::string>{"stop a1", "stop b5", "stop d6"}));
}

TEST_F(JobTypesTest, AFailedStartIsLoggedAndTheTypeStays) {
  Config one;
  one.types = {{"a", Type("a")}};
  JobTypes::Plan plan = Plan(one);
  handlers_["a"]->fail_start_ = true;
  Dispatcher::Handlers h = types_->Apply(std::move(plan));
  EXPECT_EQ(h.count("a"), 1u);
  types_->StopAll();
  EXPECT_EQ(log_, (std::vector<std::string>{"start a1", "stop a1"}));
}

TEST_F(JobTypesTest, TheHostSubmitsThroughTheIntakeAndKeepsState) {
  auto config = std::make_shared<Config>();
  JobTypeConfig t = Type("t");
  t.retries = 2;
  JobTypeConfig off = Type("off");
  off.active = false;
  config->types = {{"t", t}, {"off", off}};
  config->aliases = {{"t", "t"}, {"off", "off"}};
  intake_->SetConfig(config);
  types_->Apply(Plan(*config));
  jobs::HandlerHost* host = handlers_["t"]->host_;
  ASSERT_NE(host, nullptr);

  auto submitted = host->jobs->Submit("t", "from the handler");
  ASSERT_TRUE(submitted.ok()) << submitted.status().ToString();
  Job job = *store_->Get(submitted->id);
  EXPECT_EQ(job.args, "from the handler");
  EXPECT_EQ(job.max_attempts, 3);  // the type's defaults, as from the socket
  protocol::SubmitOptions unique;
  unique.unique = "k";
  auto a = host->jobs->Submit("t", "x", unique);
  auto b = host->jobs->Submit("t", "y", unique);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->id, b->id);
  EXPECT_TRUE(b->existing);

  EXPECT_EQ(host->jobs->Submit("nope", "").status().code(), Status::Code::kNotFound);
  EXPECT_EQ(host->jobs->Submit("off", "").status().code(), Status::Code::kFailedPrecondition);
  intake_->BeginShutdown();
  auto refused = host->jobs->Submit("t", "late");
  EXPECT_EQ(refused.status().code(), Status::Code::kUnavailable);
  EXPECT_EQ(refused.status().message(), "torqued is shutting down; job not accepted");

  ASSERT_TRUE(host->state->Save({{"last_start", "42"}}).ok());
  EXPECT_EQ(store_->HandlerState("t")->at("last_start"), "42");
  EXPECT_EQ(host->state->Load()->at("last_start"), "42");

  bool ran = false;
  boost::asio::post(host->executor, [&] { ran = true; });
  io_.run();
  EXPECT_TRUE(ran);
  ASSERT_NE(host->log, nullptr);
  EXPECT_EQ(host->log->name(), "job.t");
}

TEST_F(JobTypesTest, PrepareBuildsActiveTypesAndStopsAtTheFirstBadOne) {
  auto config = std::make_shared<Config>();
  JobTypeConfig echo;
  echo.name = "echo";
  echo.settings["command"] = {"/bin/echo {args}", {"torque.ini", 3}};
  JobTypeConfig off = echo;
  off.name = "off";
  off.active = false;
  config->types = {{"echo", echo}, {"off", off}};
  jobs::HandlerEnv env;
  env.config = config;
  env.clock = &clock_;
  auto plan = JobTypes::Prepare(env);
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  EXPECT_EQ(plan->handlers.size(), 1u);
  EXPECT_EQ(plan->handlers.count("echo"), 1u);

  config->types["echo"].settings["command"] = {"/bin/echo {nope}", {"torque.ini", 3}};
  auto bad = JobTypes::Prepare(env);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message().rfind("torque.ini:3: job type 'echo': key 'command': ", 0), 0u)
      << bad.status().message();
}

}  // namespace
}  // namespace torque::server
