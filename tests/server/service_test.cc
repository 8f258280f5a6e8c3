// Service: requests against a real store (with injected faults) and dispatcher.
#include "server/service.h"

#include <gtest/gtest.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <future>
#include <thread>

#include "server/sqlite_store.h"
#include "tests/server/failing_store.h"
#include "tests/server/test_support.h"

namespace torque::server {
namespace {

using protocol::ParseRequest;
using testing::FailingStore;
using testing::ScriptedHandler;
using testing::TempDir;

class ServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = SqliteStore::Open(SqliteStoreOptions{dir_.File("torque.db")});
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    real_ = std::move(*opened);
    store_ = std::make_unique<FailingStore>(*real_);
    JobTypeConfig t;
    t.name = "t";
    JobTypeConfig off;
    off.name = "off";
    off.active = false;
    JobTypeConfig co;
    co.name = "co";
    co.coalesce = true;
    config_.types = {{"t", t}, {"off", off}, {"co", co}};
    config_.aliases = {{"t", "t"}, {"t_alias", "t"}, {"off", "off"}, {"co", "co"}};
    DispatcherOptions options;
    options.on_final = [this](const Job& job) { service_->OnFinal(job); };
    dispatcher_ = std::make_unique<Dispatcher>(*store_, clock_, options);
    handler_ = std::make_shared<ScriptedHandler>([this](jobs::JobContext& ctx) {
      if (ctx.args == "block") return testing::BlockUntilCancelled(ctx, gate_);
      return jobs::RunResult::Succeeded("ran " + ctx.args);
    });
    dispatcher_->Configure(config_, {{"t", handler_}, {"co", handler_}}, {});
    intake_ = std::make_unique<Intake>(*store_, *dispatcher_, clock_,
                                       std::make_shared<const Config>(config_));
    service_ = std::make_unique<Service>(*store_, *dispatcher_, *intake_, clock_,
                                         io_.get_executor(), ServiceInfo{"db", clock_.Now(), "test:1"});
    dispatcher_->Start();
    io_thread_ = std::thread([this] { io_.run(); });
  }
  void TearDown() override {
    gate_ = true;
    dispatcher_->Stop(10'000);
    work_.reset();
    io_thread_.join();
    service_.reset();
  }

  // Sends one request line and returns the reply (fails the test after 10 s).
  std::string Call(const std::string& line) {
    auto parsed = ParseRequest(line);
    if (auto* err = std::get_if<protocol::ProtocolError>(&parsed)) {
      return protocol::FormatError(err->word, err->text);
    }
    auto promise = std::make_shared<std::promise<std::string>>();
    auto future = promise->get_future();
    service_->Handle(std::get<protocol::Request>(parsed), PeerInfo{0, 1},
                     [promise](std::string reply) { promise->set_value(std::move(reply)); });
    if (future.wait_for(std::chrono::seconds(10)) != std::future_status::ready) {
      ADD_FAILURE() << "no reply to " << line;
      return "";
    }
    return future.get();
  }

  JobId Ack(const std::string& line) {
    std::string reply = Call(line);
    EXPECT_EQ(reply.rfind("ACK ", 0), 0u) << reply;
    return reply.size() > 4 ? std::stoll(reply.substr(4)) : 0;
  }

  TempDir dir_;
  SystemClock clock_;
  std::unique_ptr<SqliteStore> real_;
  std::unique_ptr<FailingStore> store_;
  Config config_;
  std::shared_ptr<ScriptedHandler> handler_;
  std::atomic<bool> gate_{false};
  std::unique_ptr<Dispatcher> dispatcher_;
  std::unique_ptr<Intake> intake_;
  std::unique_ptr<Service> service_;
  boost::asio::io_context io_;
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work_{
      io_.get_executor()};
  std::thread io_thread_;
};

TEST_F(ServiceTest, SubmitAcksAndWaitReturnsTheRecord) {
  JobId id = Ack("t hello");
  std::string reply = Call("WAIT " + std::to_string(id) + " 10s");
  EXPECT_NE(reply.find("\"state\":\"done\""), std::string::npos) << reply;
  EXPECT_NE(reply.find("\"result\":\"ran hello\""), std::string::npos) << reply;
  EXPECT_EQ(intake_->accepted(), 1);
}

TEST_F(ServiceTest, AliasesResolveToTheirType) {
  JobId id = Ack("t_alias x");
  std::string reply = Call("WAIT " + std::to_string(id) + " 10s");
  EXPECT_NE(reply.find("\"type\":\"t\""), std::string::npos) << reply;
}

TEST_F(ServiceTest, UnknownAndDisabledTypes) {
  EXPECT_EQ(Call("nope 1"), "ERR unknown unknown job type 'nope'");
  EXPECT_EQ(Call("off 1"), "ERR disabled job type 'off' is not active (set active = true)");
}

TEST_F(ServiceTest, StoreFailureIsAnErrNeverAnAck) {
  store_->Fail(FailingStore::Kind::kInsert, Status::IoError("database or disk is full"));
  EXPECT_EQ(Call("t a"),
            "ERR store database failure, nothing was stored: database or disk is full");
  store_->Fail(FailingStore::Kind::kInsert,
               Status::IoError("attempt to write a readonly database"));
  EXPECT_EQ(Call("t b"),
            "ERR store database failure, nothing was stored: attempt to write a readonly database");
  EXPECT_EQ(Call("PING"), "OK pong");
  EXPECT_EQ(Call("LIST"), "OK []");
  EXPECT_EQ(intake_->accepted(), 0);
  store_->Heal();
  Ack("t c");
}

TEST_F(ServiceTest, ClaimFailureKeepsTheJobQueuedUntilTheStoreHeals) {
  store_->Fail(FailingStore::Kind::kClaim, Status::IoError("disk I/O error"));
  // Once a claim of each type failed, the store may hold ready jobs the dispatcher could
  // not see: a submission must queue behind them, not start at once on a free worker.
  for (int i = 0; i < 1000 && store_->failures() < 2; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ASSERT_GE(store_->failures(), 2);
  JobId id = Ack("t later");
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_NE(Call("STATUS " + std::to_string(id)).find("\"state\":\"queued\""), std::string::npos);
  store_->Heal();
  // The dispatcher retries claiming on its own after a short pause.
  std::string reply = Call("WAIT " + std::to_string(id) + " 10s");
  EXPECT_NE(reply.find("\"state\":\"done\""), std::string::npos) << reply;
}

TEST_F(ServiceTest, AClaimedJobRunsWhenTheReadAfterTheClaimFails) {
  // Two workers and one ready job: the claim takes fewer than it asked for, so the dispatcher
  // reads the type's next run time after it. That read failing must not strand the job
  // claimed (stored 'running' on this node, run by no one).
  config_.types["t"].concurrent = 2;
  dispatcher_->Configure(config_, {{"t", handler_}, {"co", handler_}}, {});
  store_->Fail(FailingStore::Kind::kClaim, Status::IoError("disk I/O error"));
  for (int i = 0; i < 1000 && store_->failures() < 2; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ASSERT_GE(store_->failures(), 2);
  const JobId id = Ack("t later");  // queued behind the failed claims
  store_->Fail(FailingStore::Kind::kClaim, Status::Ok(), 0);
  store_->Fail(FailingStore::Kind::kRead, Status::Unavailable("database connection lost"));
  bool claimed = false;
  for (int i = 0; i < 1000 && !claimed; ++i) {
    auto job = real_->Get(id);
    claimed = job.ok() && job->state != JobState::kQueued;
    if (!claimed) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ASSERT_TRUE(claimed);
  store_->Heal();
  std::string reply = Call("WAIT " + std::to_string(id) + " 10s");
  EXPECT_NE(reply.find("\"state\":\"done\""), std::string::npos) << reply;
}

TEST_F(ServiceTest, CancelQueuedAnswersWaiters) {
  JobId blocker = Ack("t block");
  ASSERT_TRUE(handler_->WaitStarted(1));
  JobId id = Ack("t queued");
  auto waiter = std::async(std::launch::async,
                           [&] { return Call("WAIT " + std::to_string(id) + " 10s"); });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  std::string cancelled = Call("CANCEL " + std::to_string(id));
  EXPECT_NE(cancelled.find("\"state\":\"cancelled\""), std::string::npos) << cancelled;
  EXPECT_NE(waiter.get().find("\"state\":\"cancelled\""), std::string::npos);
  EXPECT_EQ(Call("CANCEL " + std::to_string(id)).rfind("ERR state ", 0), 0u);
  EXPECT_EQ(Call("CANCEL 999999"), "ERR notfound no job 999999");
  std::string running = Call("CANCEL " + std::to_string(blocker));
  EXPECT_NE(running.find("\"cancel_requested\":true"), std::string::npos) << running;
  std::string final_blocker = Call("WAIT " + std::to_string(blocker) + " 10s");
  EXPECT_NE(final_blocker.find("\"state\":\"cancelled\""), std::string::npos) << final_blocker;
}

TEST_F(ServiceTest, CoalescingTypeReturnsTheQueuedOrRunningJob) {
  JobId running = Ack("co block");
  ASSERT_TRUE(handler_->WaitStarted(1));
  EXPECT_EQ(Call("co block"), "ACK " + std::to_string(running) + " existing");
  JobId other = Ack("co other");
  EXPECT_NE(other, running);
  EXPECT_EQ(intake_->accepted(), 2);
  gate_ = true;
  Call("WAIT " + std::to_string(running) + " 10s");
  // Once the first is final, the same args make a new job.
  EXPECT_NE(Ack("co block"), running);
}

TEST_F(ServiceTest, WaitTimesOut) {
  JobId id = Ack("t block");
  EXPECT_EQ(Call("WAIT " + std::to_string(id) + " 50ms"),
            "ERR timeout job " + std::to_string(id) + " not finished after 50ms");
}

TEST_F(ServiceTest, ShutdownRefusesSubmissionsAndAnswersWaiters) {
  JobId id = Ack("t block");
  auto waiter = std::async(std::launch::async,
                           [&] { return Call("WAIT " + std::to_string(id)); });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  service_->BeginShutdown();
  EXPECT_EQ(waiter.get(), "ERR shutdown torqued is shutting down; job " + std::to_string(id) +
                              " keeps its place in the queue");
  EXPECT_EQ(Call("t more"), "ERR shutdown torqued is shutting down; job not accepted");
  EXPECT_EQ(Call("PING"), "OK pong");
}

TEST_F(ServiceTest, PauseAndResumeArePersisted) {
  EXPECT_EQ(Call("PAUSE t_alias"), R"(OK {"paused":true,"type":"t"})");
  EXPECT_EQ(real_->PausedTypes()->count("t"), 1u);
  EXPECT_EQ(Call("PAUSE nope"), "ERR unknown unknown job type 'nope'");
  store_->Fail(FailingStore::Kind::kSetPaused, Status::IoError("disk I/O error"));
  EXPECT_EQ(Call("RESUME t"), "ERR store database failure, nothing was stored: disk I/O error");
  store_->Heal();
  EXPECT_EQ(Call("RESUME t"), R"(OK {"paused":false,"type":"t"})");
}

}  // namespace
}  // namespace torque::server
