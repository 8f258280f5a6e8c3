// Test helpers for handlers: what the runtime and rTorrent give a handler, in memory —
// connections to an Rpc of the test's, durable state, a fixed clock, a job sink.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "jobs/handler_host.h"
#include "jobs/handler_table.h"
#include "jobs/rtorrent/connector.h"
#include "jobs/rtorrent/rpc_client.h"
#include "tests/jobs/job_type.h"

namespace torque::testing {

// An Rpc that forwards to a shared one (Connect hands out a new one per run).
class Forward : public rtorrent::Rpc {
 public:
  explicit Forward(rtorrent::Rpc& to) : to_(to) {}
  Result<rtorrent::Value> Call(const std::string& m, const rtorrent::Array& p) override {
    return to_.Call(m, p);
  }

 private:
  rtorrent::Rpc& to_;
};

// Connections to the test's Rpc: every URL but "bad" reaches it; connect_error fails them.
class FakeConnections : public rtorrent::ConnectorFactory, public rtorrent::Connector {
 public:
  explicit FakeConnections(rtorrent::Rpc& rt) : rt_(rt) {}
  Result<std::shared_ptr<const rtorrent::Connector>> For(const std::string& url) const override {
    if (url == "bad") return Status::InvalidArgument("bad URL 'bad'");
    return std::shared_ptr<const rtorrent::Connector>(keep_alive_, this);
  }
  Result<std::unique_ptr<rtorrent::Rpc>> Connect(const rtorrent::CallLimits&) const override {
    if (connect_error) return *connect_error;
    return std::unique_ptr<rtorrent::Rpc>(new Forward(rt_));
  }
  std::string Describe() const override { return "fake"; }

  std::optional<Status> connect_error;

 private:
  std::shared_ptr<void> keep_alive_ = std::make_shared<int>(0);
  rtorrent::Rpc& rt_;
};

// A type's durable state in memory.
class MemoryState : public jobs::StateStore {
 public:
  Result<std::map<std::string, std::string>> Load() override {
    std::lock_guard lock(mu);
    return values;
  }
  Status Save(const std::map<std::string, std::string>& v) override {
    std::lock_guard lock(mu);
    for (const auto& [k, x] : v) {
      if (x.empty()) {
        values.erase(k);
      } else {
        values[k] = x;
      }
    }
    return Status::Ok();
  }
  std::mutex mu;
  std::map<std::string, std::string> values;
};

class FixedClock : public Clock {
 public:
  explicit FixedClock(TimeMs at) : now(at) {}
  TimeMs Now() const override { return now; }
  TimeMs now;
};

// Records submissions and accepts them at once (or fails them with `error`).
class FakeJobSink : public jobs::JobSink {
 public:
  struct Submission {
    std::string word;
    std::string args;
    protocol::SubmitOptions options;
  };
  using jobs::JobSink::Submit;
  void Submit(const std::string& word, std::string args, const protocol::SubmitOptions& options,
              Done done) override {
    {
      std::lock_guard lock(mu);
      submitted.push_back({word, args, options});
    }
    if (error) {
      done(*error);
    } else {
      done(Submitted{static_cast<JobId>(submitted.size()), false});
    }
  }
  std::vector<std::string> Args() {
    std::lock_guard lock(mu);
    std::vector<std::string> out;
    for (const Submission& s : submitted) out.push_back(s.args);
    return out;
  }
  std::mutex mu;
  std::vector<Submission> submitted;
  std::optional<Status> error;
};

// Makes the `handler` of type `name` with `settings` (at TestType's locations), as the
// runtime does, with `clock` and connections to the test's rTorrent.
inline Result<std::unique_ptr<jobs::Handler>> MakeTestHandler(
    const std::string& handler, const std::string& name,
    const std::vector<std::pair<std::string, std::string>>& settings, const Clock* clock,
    std::shared_ptr<const rtorrent::ConnectorFactory> rtorrent) {
  jobs::HandlerEnv env;
  env.config = std::make_shared<const Config>();
  env.clock = clock;
  env.rtorrent = std::move(rtorrent);
  JobTypeConfig type = TestType(settings, name);
  type.handler = handler;
  return jobs::MakeHandler(type, env);
}

}  // namespace torque::testing
