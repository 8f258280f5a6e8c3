#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "bench/bench_util.h"
#include "bench/workloads.h"
#include "core/duration.h"
#include "torque/client.h"

extern char** environ;

namespace torque::bench {
namespace {

constexpr int kWarmup = 10;
constexpr int kStampTimeoutMs = 30'000;
constexpr double kNsPerMs = 1e6;

// The read end of the stamp FIFO: one decimal NowNs() per line.
class StampReader {
 public:
  ~StampReader() {
    if (fd_ >= 0) close(fd_);
  }

  Status Open(const std::string& path) {
    if (mkfifo(path.c_str(), 0600) != 0 && errno != EEXIST) {
      return Status::IoError("mkfifo " + path + ": " + std::strerror(errno));
    }
    // O_RDWR: opening does not wait for a writer, and a writer leaving is no EOF.
    fd_ = open(path.c_str(), O_RDWR | O_CLOEXEC);
    if (fd_ < 0) return Status::IoError("open " + path + ": " + std::strerror(errno));
    return Status::Ok();
  }

  Result<int64_t> Next() {
    for (;;) {
      const size_t lf = buf_.find('\n');
      if (lf != std::string::npos) {
        const int64_t ns = std::strtoll(buf_.c_str(), nullptr, 10);
        buf_.erase(0, lf + 1);
        return ns;
      }
      pollfd p{fd_, POLLIN, 0};
      const int r = poll(&p, 1, kStampTimeoutMs);
      if (r == 0) return Status::Timeout("no job start stamp within 30 s");
      if (r < 0 && errno == EINTR) continue;
      char chunk[256];
      const ssize_t n = read(fd_, chunk, sizeof chunk);
      if (n <= 0) return Status::IoError(std::string("read stamp: ") + std::strerror(errno));
      buf_.append(chunk, static_cast<size_t>(n));
    }
  }

 private:
  int fd_ = -1;
  std::string buf_;
};

void EmitMs(const std::string& system, const std::string& metric, const std::vector<double>& ms) {
  Emit("latency", system, metric + "_p50_ms", Percentile(ms, 50));
  Emit("latency", system, metric + "_p99_ms", Percentile(ms, 99));
}

Status LatencyTorque(const Target& target, const std::string& queue, int samples,
                     const std::string& fifo, const std::string& stamp) {
  StampReader stamps;
  if (Status s = stamps.Open(fifo); !s.ok()) return s;
  auto c = client::Client::Connect(target.path);
  if (!c.ok()) return c.status();
  std::vector<double> total, ack, ack_to_start, spawn;
  double claim_sum_ms = 0;  // daemon side: started_at - created_at (ms resolution)
  for (int i = 0; i < kWarmup + samples; ++i) {
    const int64_t t0 = NowNs();
    auto reply = c->Call(queue + " l" + std::to_string(i));
    const int64_t t_ack = NowNs();
    if (!reply.ok()) return reply.status();
    if (reply->kind != protocol::Reply::Kind::kAck) {
      return Status::Internal("torqued did not ACK: " + client::StatusFromReply(*reply).message());
    }
    auto started = stamps.Next();
    if (!started.ok()) return started.status();
    // The next job must not wait for this one's slot (concurrent = 1).
    auto record = c->Wait(reply->id, 60'000);
    if (!record.ok()) return record.status();
    if (record->value("state", "") != "done") {
      return Status::Internal("stamp job " + std::to_string(reply->id) + " did not succeed: " +
                              record->value("error", ""));
    }
    if (i < kWarmup) continue;
    auto created = ParseTime(record->value("created_at", ""));
    auto claimed = ParseTime(record->value("started_at", ""));
    if (!created.ok() || !claimed.ok()) return Status::Internal("record without created/started");
    claim_sum_ms += static_cast<double>(*claimed - *created);
    total.push_back(static_cast<double>(*started - t0) / kNsPerMs);
    ack.push_back(static_cast<double>(t_ack - t0) / kNsPerMs);
    ack_to_start.push_back(static_cast<double>(*started - t_ack) / kNsPerMs);
  }
  // Baseline: the same command started by this process, without torqued.
  std::vector<std::string> argv = {stamp, fifo};
  std::vector<char*> args;
  for (auto& a : argv) args.push_back(a.data());
  args.push_back(nullptr);
  for (int i = 0; i < kWarmup + samples; ++i) {
    const int64_t t0 = NowNs();
    pid_t pid = 0;
    if (int err = posix_spawn(&pid, stamp.c_str(), nullptr, nullptr, args.data(), environ)) {
      return Status::Internal("cannot run " + stamp + ": " + std::strerror(err));
    }
    auto started = stamps.Next();
    int status = 0;
    waitpid(pid, &status, 0);
    if (!started.ok()) return started.status();
    if (i >= kWarmup) spawn.push_back(static_cast<double>(*started - t0) / kNsPerMs);
  }
  EmitMs(target.name, "total", total);
  EmitMs(target.name, "ack", ack);
  EmitMs(target.name, "ack_to_start", ack_to_start);
  EmitMs(target.name, "spawn", spawn);
  // Millisecond timestamps, but their mean difference over many samples is unbiased.
  Emit("latency", target.name, "claim_mean_ms", claim_sum_ms / samples);
  return Status::Ok();
}

// Hands received times from the consumer thread to the producer, one per job.
class Mailbox {
 public:
  void Put(int64_t v) {
    {
      std::lock_guard lock(mu_);
      items_.push_back(v);
    }
    cv_.notify_one();
  }
  std::optional<int64_t> Get() {
    std::unique_lock lock(mu_);
    if (!cv_.wait_for(lock, std::chrono::milliseconds(kStampTimeoutMs),
                      [&] { return !items_.empty(); })) {
      return std::nullopt;
    }
    const int64_t v = items_.front();
    items_.pop_front();
    return v;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<int64_t> items_;
};

Status LatencyQueue(const Target& target, const std::string& queue, int samples) {
  auto producer = ConnectProducer(target, queue);
  if (!producer.ok()) return producer.status();
  auto consumer = ConnectConsumer(target, queue);
  if (!consumer.ok()) return consumer.status();
  Mailbox mailbox;
  Status consumer_error;
  std::thread worker([&] {
    for (;;) {
      auto job = (*consumer)->Take();
      if (!job.ok()) {
        consumer_error = job.status();
        return mailbox.Put(-1);
      }
      if (job->payload == "stop") return;
      mailbox.Put(job->received_ns);  // after the job was acknowledged (deleted)
    }
  });
  std::vector<double> total, ack;
  Status st;
  for (int i = 0; i < kWarmup + samples && st.ok(); ++i) {
    const int64_t t0 = NowNs();
    std::string payload = "l";
    payload += std::to_string(i);
    auto put = (*producer)->Put({payload});
    const int64_t t_ack = NowNs();
    if (!put.ok()) {
      st = put.status();
      break;
    }
    auto received = mailbox.Get();
    if (!received || *received < 0) {
      st = received ? consumer_error : Status::Timeout("consumer got no job within 30 s");
      break;
    }
    if (i < kWarmup) continue;
    total.push_back(static_cast<double>(*received - t0) / kNsPerMs);
    ack.push_back(static_cast<double>(t_ack - t0) / kNsPerMs);
  }
  if (st.ok()) {
    auto put = (*producer)->Put({"stop"});
    if (!put.ok()) st = put.status();
  }
  if (st.ok()) {
    worker.join();
  } else {
    worker.detach();  // blocked in Take(); its socket closes when this process exits
    return st;
  }
  EmitMs(target.name, "total", total);
  EmitMs(target.name, "ack", ack);
  return Status::Ok();
}

}  // namespace

Status RunLatency(const Target& target, const std::string& queue, int samples,
                  const std::string& fifo, const std::string& stamp) {
  if (samples < 1) return Status::InvalidArgument("--samples must be at least 1");
  if (target.system == System::kTorque) {
    return LatencyTorque(target, queue, samples, fifo, stamp);
  }
  return LatencyQueue(target, queue, samples);
}

}  // namespace torque::bench
