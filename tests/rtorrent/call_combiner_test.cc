// CallCombiner: concurrent callers share requests, each gets its own answers, a lone caller
// is sent at once, and a failure reaches the callers of its request with the right code.
#include "jobs/rtorrent/call_combiner.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "jobs/rtorrent/xmlrpc.h"

namespace torque::rtorrent {
namespace {

// Answers d.hash(X) with X after `delay_ms`, and system.multicall call by call; counts
// requests. "fault" gets a fault. `fail` fails every request.
class SlowRtorrent : public Rpc {
 public:
  Result<Value> Call(const std::string& method, const Array& params) override {
    ++requests;
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
    if (fail) return *fail;
    if (method != "system.multicall") return Answer(method, params);
    Array out;
    for (const Value& entry : params.at(0).AsArray()) {
      const Struct& call = std::get<Struct>(entry.v);
      auto one = Answer(call.at("methodName").AsString(), call.at("params").AsArray());
      if (one.ok()) {
        out.emplace_back(Array{*one});
      } else {
        out.emplace_back(Struct{{"faultCode", Value(-501)}, {"faultString", Value("no")}});
      }
    }
    ++multicalls;
    return Value(std::move(out));
  }
  Result<Value> Answer(const std::string& method, const Array& params) {
    if (params.at(0).AsString() == "fault") return Fault{-501, "no"}.ToStatus();
    return Value(method + ":" + params.at(0).AsString());
  }
  std::atomic<int> requests{0};
  std::atomic<int> multicalls{0};
  int delay_ms = 0;
  std::optional<Status> fail;
};

class Forwarding : public Rpc {
 public:
  explicit Forwarding(Rpc& to) : to_(to) {}
  Result<Value> Call(const std::string& m, const Array& p) override { return to_.Call(m, p); }

 private:
  Rpc& to_;
};

class To : public Connector {
 public:
  explicit To(Rpc& rt) : rt_(rt) {}
  Result<std::unique_ptr<Rpc>> Connect(const CallLimits&) const override {
    return std::unique_ptr<Rpc>(new Forwarding(rt_));
  }
  std::string Describe() const override { return "fake"; }

 private:
  Rpc& rt_;
};

TEST(CallCombiner, ALoneCallerIsSentAtOnceWithoutAMulticall) {
  SlowRtorrent rt;
  CallCombiner combiner(std::make_shared<To>(rt));
  auto r = combiner.Call({{"d.hash", {Value("A")}}}, {});
  ASSERT_TRUE(r.ok()) << r.status().message();
  ASSERT_EQ(r->size(), 1u);
  EXPECT_EQ((*r)[0]->AsString(), "d.hash:A");
  auto two = combiner.Call({{"d.hash", {Value("B")}}, {"d.hash", {Value("fault")}}}, {});
  ASSERT_TRUE(two.ok());
  EXPECT_EQ((*two)[0]->AsString(), "d.hash:B");
  EXPECT_TRUE(FaultOf((*two)[1].status()));
  EXPECT_EQ(rt.requests.load(), 2);
  EXPECT_EQ(rt.multicalls.load(), 1);
}

TEST(CallCombiner, ConcurrentCallersShareRequestsAndGetTheirOwnAnswers) {
  SlowRtorrent rt;
  rt.delay_ms = 20;
  CallCombiner combiner(std::make_shared<To>(rt));
  constexpr int kThreads = 8, kRounds = 10;
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kRounds; ++i) {
        const std::string a = std::to_string(t) + "/" + std::to_string(i);
        auto r = combiner.Call({{"d.hash", {Value(a)}}, {"d.name", {Value(a)}}}, {});
        if (!r.ok() || r->size() != 2 || (*r)[0]->AsString() != "d.hash:" + a ||
            (*r)[1]->AsString() != "d.name:" + a) {
          ++wrong;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(wrong.load(), 0);
  // 80 callers; while one request is in flight the others queue into the next.
  EXPECT_LT(rt.requests.load(), kThreads * kRounds / 2);
  EXPECT_EQ(combiner.requests(), rt.requests.load());
}

TEST(CallCombiner, TheSendersCancelReachesOthersAsUnavailable) {
  SlowRtorrent rt;
  rt.delay_ms = 50;
  CallCombiner combiner(std::make_shared<To>(rt));
  // Every request fails as cancelled, as if its sender's cancel were raised. While the
  // first is in flight two more callers queue; one of them sends both calls and sees the
  // cancel as its own, the other as another job's (kUnavailable: retried, not cancelled).
  rt.fail = Status::Cancelled("cancelled");
  std::thread first([&] {
    auto r = combiner.Call({{"d.hash", {Value("1")}}}, {});
    EXPECT_EQ(r.status().code(), Status::Code::kCancelled);
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(10));
  Result<std::vector<Result<Value>>> second = Status::Internal("");
  Result<std::vector<Result<Value>>> third = Status::Internal("");
  std::thread t2([&] { second = combiner.Call({{"d.hash", {Value("2")}}}, {}); });
  std::thread t3([&] { third = combiner.Call({{"d.hash", {Value("3")}}}, {}); });
  first.join();
  t2.join();
  t3.join();
  const bool two_sent = second.status().code() == Status::Code::kCancelled;
  const Result<std::vector<Result<Value>>>& other = two_sent ? third : second;
  EXPECT_EQ(other.status().code(), Status::Code::kUnavailable);
  EXPECT_NE(other.status().message().find("sent with another job's calls"), std::string::npos);
  EXPECT_EQ(rt.requests.load(), 2);
}

}  // namespace
}  // namespace torque::rtorrent
