// Intake: the one way in, against a real store (with injected faults) and dispatcher.
#include "server/intake.h"

#include <gtest/gtest.h>

#include <future>

#include "server/sqlite_store.h"
#include "tests/server/failing_store.h"
#include "tests/server/test_support.h"

namespace torque::server {
namespace {

using protocol::ErrorWord;
using testing::FailingStore;
using testing::FakeClock;
using testing::ScriptedHandler;
using testing::TempDir;

TEST(MakeJobTest, TypeDefaultsAndOverridesGolden) {
  JobTypeConfig t;
  t.name = "t";
  t.priority = 3;
  t.retries = 2;
  t.timeout = 5000;
  NewJob plain = MakeJob(t, "a b", {}, 1000);
  EXPECT_EQ(plain.type, "t");
  EXPECT_EQ(plain.args, "a b");
  EXPECT_EQ(plain.priority, 3);
  EXPECT_EQ(plain.max_attempts, 3);
  EXPECT_EQ(plain.timeout, 5000);
  EXPECT_EQ(plain.run_at, 1000);
  EXPECT_EQ(plain.created_at, 1000);
  EXPECT_EQ(plain.unique_key, "");

  t.coalesce = true;
  EXPECT_EQ(MakeJob(t, "a b", {}, 1000).unique_key, "a b");
  protocol::SubmitOptions o;
  o.priority = -1;
  o.retries = 0;
  o.timeout = 7;
  o.delay = 500;
  o.unique = "k";
  NewJob over = MakeJob(t, "x", o, 1000);
  EXPECT_EQ(over.priority, -1);
  EXPECT_EQ(over.max_attempts, 1);
  EXPECT_EQ(over.timeout, 7);
  EXPECT_EQ(over.run_at, 1500);
  EXPECT_EQ(over.unique_key, "k");
  o.at = 9000;
  EXPECT_EQ(MakeJob(t, "x", o, 1000).run_at, 9000);  // at wins over delay
}

class IntakeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = SqliteStore::Open(SqliteStoreOptions{dir_.File("torque.db")});
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    real_ = std::move(*opened);
    store_ = std::make_unique<FailingStore>(*real_);
    auto config = std::make_shared<Config>();
    JobTypeConfig t;
    t.name = "t";
    t.retries = 4;
    JobTypeConfig off;
    off.name = "off";
    off.active = false;
    config->types = {{"t", t}, {"off", off}};
    config->aliases = {{"t", "t"}, {"t_alias", "t"}, {"off", "off"}};
    dispatcher_ = std::make_unique<Dispatcher>(*store_, clock_, DispatcherOptions{});
    dispatcher_->Configure(*config, {{"t", handler_}}, {});
    dispatcher_->Start();
    intake_ = std::make_unique<Intake>(*store_, *dispatcher_, clock_, config);
  }
  void TearDown() override { dispatcher_->Stop(0); }

  Intake::Outcome Take(const std::string& word, const std::string& args = "") {
    std::promise<Intake::Outcome> done;
    intake_->Take(word, args, {}, "test", [&](Intake::Outcome o) { done.set_value(std::move(o)); });
    return done.get_future().get();
  }
  std::string Refusal(const Intake::Outcome& o) {
    const auto* e = std::get_if<protocol::ProtocolError>(&o);
    return e ? std::string(protocol::ErrorWordName(e->word)) + " " + e->text : "accepted";
  }

  TempDir dir_;
  FakeClock clock_;
  std::unique_ptr<SqliteStore> real_;
  std::unique_ptr<FailingStore> store_;
  std::shared_ptr<ScriptedHandler> handler_ = std::make_shared<ScriptedHandler>();
  std::unique_ptr<Dispatcher> dispatcher_;
  std::unique_ptr<Intake> intake_;
};

TEST_F(IntakeTest, AcceptsWithTheTypesDefaultsAndWakesTheDispatcher) {
  Intake::Outcome o = Take("t_alias", "x y");
  ASSERT_TRUE(std::holds_alternative<InsertResult>(o)) << Refusal(o);
  const InsertResult r = std::get<InsertResult>(o);
  EXPECT_FALSE(r.existing);
  Job job = *real_->Get(r.id);
  EXPECT_EQ(job.type, "t");
  EXPECT_EQ(job.args, "x y");
  EXPECT_EQ(job.max_attempts, 5);
  EXPECT_TRUE(handler_->WaitStarted(1));
  EXPECT_EQ(intake_->accepted(), 1);
}

TEST_F(IntakeTest, RefusalsGolden) {
  EXPECT_EQ(Refusal(Take("nope")), "unknown unknown job type 'nope'");
  EXPECT_EQ(Refusal(Take("off")), "disabled job type 'off' is not active (set active = true)");
  store_->Fail(FailingStore::Kind::kInsert, Status::IoError("database or disk is full"), 1);
  EXPECT_EQ(Refusal(Take("t")),
            "store database failure, nothing was stored: database or disk is full");
  intake_->BeginShutdown();
  EXPECT_EQ(Refusal(Take("t")), "shutdown torqued is shutting down; job not accepted");
  EXPECT_EQ(intake_->accepted(), 0);
  EXPECT_EQ(real_->Counts(0)->size(), 0u);
}

TEST_F(IntakeTest, ANewConfigurationAppliesToLaterSubmissions) {
  auto next = std::make_shared<Config>(*intake_->config());
  next->types.at("off").active = true;
  next->types.at("t").coalesce = true;
  intake_->SetConfig(next);
  EXPECT_EQ(Refusal(Take("off")), "accepted");
  dispatcher_->SetPaused("t", true);
  const InsertResult a = std::get<InsertResult>(Take("t", "same"));
  const InsertResult b = std::get<InsertResult>(Take("t", "same"));
  EXPECT_EQ(a.id, b.id);
  EXPECT_TRUE(b.existing);
}

}  // namespace
}  // namespace torque::server
