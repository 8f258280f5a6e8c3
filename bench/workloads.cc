#include "bench/workloads.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <latch>
#include <mutex>
#include <thread>
#include <vector>

#include "bench/bench_util.h"
#include "torque/client.h"

namespace torque::bench {
namespace {

constexpr int kE2eWorkers = 4;
constexpr int64_t kIdleTimeoutNs = 300'000'000'000;  // jobs still running after this: fail
constexpr int kE2eWindow = 100;
constexpr double kNsPerMs = 1e6;

// The first error any thread saw; later ones are dropped.
class FirstError {
 public:
  void Set(const Status& s) {
    std::lock_guard lock(mu_);
    if (status_.ok()) status_ = s;
    failed_ = true;
  }
  bool failed() const { return failed_; }
  Status Get() {
    std::lock_guard lock(mu_);
    return status_;
  }

 private:
  std::mutex mu_;
  Status status_;
  std::atomic<bool> failed_{false};
};

std::vector<std::string> Payloads(const std::string& prefix, int64_t first, int64_t n) {
  std::vector<std::string> out;
  out.reserve(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) out.push_back(prefix + std::to_string(first + i));
  return out;
}

// Polls until no job of `type` is queued or running. LIST with limit=1 reads one index
// entry, unlike STATS, which counts every row.
Status WaitTypeIdle(client::Client& c, const std::string& type) {
  const int64_t deadline = NowNs() + kIdleTimeoutNs;
  for (;;) {
    bool busy = false;
    for (const char* state : {"running", "queued"}) {
      auto list = c.Query("LIST type=" + type + " state=" + state + " limit=1");
      if (!list.ok()) return list.status();
      busy = busy || !list->empty();
    }
    if (!busy) return Status::Ok();
    if (NowNs() > deadline) return Status::Timeout(type + " jobs still not done after 300 s");
    std::this_thread::sleep_for(std::chrono::microseconds(500));
  }
}

Status EndToEndTorque(const std::string& workload, const Target& target, const std::string& queue,
                      int64_t count, double seconds) {
  auto producer = ConnectProducer(target, queue);
  if (!producer.ok()) return producer.status();
  auto watcher = client::Client::Connect(target.path);
  if (!watcher.ok()) return watcher.status();
  const int64_t start = NowNs();
  const int64_t deadline = start + static_cast<int64_t>(seconds * 1e9);
  int64_t submitted = 0;
  int64_t last_id = 0;
  while (submitted < count && NowNs() < deadline) {
    const int64_t n = std::min<int64_t>(kE2eWindow, count - submitted);
    auto id = (*producer)->Put(Payloads("e", submitted, n));
    if (!id.ok()) return id.status();
    last_id = *id;
    submitted += n;
  }
  auto last = watcher->Wait(last_id, 600'000);
  if (!last.ok()) return last.status();
  if (Status s = WaitTypeIdle(*watcher, queue); !s.ok()) return s;
  const int64_t end = NowNs();
  auto failed = watcher->Query("LIST type=" + queue + " state=failed limit=1");
  if (!failed.ok()) return failed.status();
  if (!failed->empty()) {
    return Status::Internal("a " + queue + " job failed: " +
                            failed->dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  }
  Emit(workload, target.name, "rate", static_cast<double>(submitted) * 1e9 / (end - start));
  Emit(workload, target.name, "jobs", static_cast<double>(submitted));
  return Status::Ok();
}

Status EndToEndQueue(const std::string& workload, const Target& target, const std::string& queue,
                     int64_t count, double seconds) {
  auto producer = ConnectProducer(target, queue);
  if (!producer.ok()) return producer.status();
  std::vector<std::unique_ptr<Consumer>> consumers;
  for (int i = 0; i < kE2eWorkers; ++i) {
    auto c = ConnectConsumer(target, queue);
    if (!c.ok()) return c.status();
    consumers.push_back(std::move(*c));
  }
  FirstError error;
  std::atomic<int64_t> done{0};
  std::vector<std::thread> workers;
  for (auto& consumer : consumers) {
    workers.emplace_back([&, c = consumer.get()] {
      for (;;) {
        auto job = c->Take();
        if (!job.ok()) return error.Set(job.status());
        if (job->payload == "stop") return;
        done.fetch_add(1, std::memory_order_relaxed);
      }
    });
  }
  const int64_t start = NowNs();
  const int64_t deadline = start + static_cast<int64_t>(seconds * 1e9);
  int64_t submitted = 0;
  while (submitted < count && NowNs() < deadline && !error.failed()) {
    const int64_t n = std::min<int64_t>(kE2eWindow, count - submitted);
    auto id = (*producer)->Put(Payloads("e", submitted, n));
    if (!id.ok()) {
      error.Set(id.status());
      break;
    }
    submitted += n;
  }
  while (!error.failed() && done.load() < submitted) {
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  const int64_t end = NowNs();
  // One stop job per worker (FIFO, so after every real job). On failure the consumers may
  // be stuck; their sockets close when this process exits.
  if (!error.failed()) {
    if (auto s = (*producer)->Put(std::vector<std::string>(kE2eWorkers, "stop")); !s.ok()) {
      error.Set(s.status());
    }
  }
  for (auto& w : workers) {
    if (error.failed()) {
      w.detach();
    } else {
      w.join();
    }
  }
  if (error.failed()) return error.Get();
  Emit(workload, target.name, "rate", static_cast<double>(submitted) * 1e9 / (end - start));
  Emit(workload, target.name, "jobs", static_cast<double>(submitted));
  return Status::Ok();
}

}  // namespace

Status RunSubmit(const Target& target, const SubmitOptions& options) {
  if (options.conns < 1 || options.window < 1) {
    return Status::InvalidArgument("conns and window must be at least 1");
  }
  std::vector<std::unique_ptr<Producer>> producers;
  for (int i = 0; i < options.conns; ++i) {
    auto p = ConnectProducer(target, options.queue);
    if (!p.ok()) return p.status();
    producers.push_back(std::move(*p));
  }
  FirstError error;
  std::atomic<int64_t> total{0};
  const int64_t written_before =
      options.io_pid > 0 ? ProcField(options.io_pid, "io", "write_bytes") : -1;
  std::latch ready(options.conns + 1);
  std::atomic<int64_t> deadline{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < options.conns; ++t) {
    threads.emplace_back([&, t] {
      Producer& p = *producers[static_cast<size_t>(t)];
      // With a count: this thread's share; without: until the deadline.
      int64_t quota = options.count > 0 ? options.count / options.conns : INT64_MAX;
      if (options.count > 0 && t < options.count % options.conns) ++quota;
      std::string prefix = "c";
      prefix += std::to_string(t);
      prefix += '-';
      ready.arrive_and_wait();
      int64_t sent = 0;
      while (sent < quota && !error.failed()) {
        if (options.count == 0 && NowNs() >= deadline.load()) break;
        const int64_t n = std::min<int64_t>(options.window, quota - sent);
        auto id = p.Put(Payloads(prefix, sent, n));
        if (!id.ok()) return error.Set(id.status());
        sent += n;
      }
      total.fetch_add(sent);
    });
  }
  const int64_t start = NowNs();
  deadline = start + static_cast<int64_t>(options.seconds * 1e9);
  ready.arrive_and_wait();
  for (auto& t : threads) t.join();
  const int64_t end = NowNs();
  if (error.failed()) return error.Get();
  Emit(options.workload, target.name, "rate", static_cast<double>(total) * 1e9 / (end - start));
  Emit(options.workload, target.name, "jobs", static_cast<double>(total));
  if (options.pid > 0) {
    Emit(options.workload, target.name, "hwm_mb",
         static_cast<double>(ProcStatusKb(options.pid, "VmHWM")) / 1024);
    Emit(options.workload, target.name, "rss_mb",
         static_cast<double>(ProcStatusKb(options.pid, "VmRSS")) / 1024);
  }
  if (written_before >= 0 && total > 0) {
    const int64_t written = ProcField(options.io_pid, "io", "write_bytes") - written_before;
    Emit(options.workload, target.name, "bytes_per_job",
         static_cast<double>(written) / static_cast<double>(total.load()));
  }
  return Status::Ok();
}

Status RunQueryTime(const std::string& workload, const Target& target, const std::string& line,
                    int count) {
  if (target.system != System::kTorque) return Status::InvalidArgument("query needs torque=SOCK");
  auto c = client::Client::Connect(target.path);
  if (!c.ok()) return c.status();
  constexpr int kWarmup = 3;
  std::vector<double> ms;
  for (int i = 0; i < kWarmup + count; ++i) {
    const int64_t t0 = NowNs();
    auto reply = c->Query(line);
    if (!reply.ok()) return reply.status();
    if (i >= kWarmup) ms.push_back(static_cast<double>(NowNs() - t0) / 1e6);
  }
  if (ms.empty()) return Status::InvalidArgument("count must be at least 1");
  std::sort(ms.begin(), ms.end());
  Emit(workload, target.name, "p50_ms", ms[ms.size() / 2]);
  Emit(workload, target.name, "max_ms", ms.back());
  return Status::Ok();
}

Status RunSpawnRate(const std::string& workload, const std::string& program, int threads,
                    double seconds) {
  FirstError error;
  std::atomic<int64_t> total{0};
  std::latch ready(threads + 1);
  std::atomic<int64_t> deadline{0};
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&] {
      ready.arrive_and_wait();
      int64_t runs = 0;
      while (!error.failed() && NowNs() < deadline.load()) {
        auto exit_code = RunQuiet({program});
        if (!exit_code.ok()) return error.Set(exit_code.status());
        if (*exit_code != 0) return error.Set(Status::Internal(program + " failed"));
        ++runs;
      }
      total.fetch_add(runs);
    });
  }
  const int64_t start = NowNs();
  deadline = start + static_cast<int64_t>(seconds * 1e9);
  ready.arrive_and_wait();
  for (auto& t : pool) t.join();
  const int64_t end = NowNs();
  if (error.failed()) return error.Get();
  Emit(workload, "spawn", "rate", static_cast<double>(total) * 1e9 / (end - start));
  return Status::Ok();
}

Status RunEndToEnd(const std::string& workload, const Target& target, const std::string& queue,
                   int64_t count, double seconds) {
  if (target.system == System::kTorque) {
    return EndToEndTorque(workload, target, queue, count, seconds);
  }
  return EndToEndQueue(workload, target, queue, count, seconds);
}

Status RunCli(const std::string& cli, const std::string& socket, const std::string& type, int count,
              const std::string& redis_cli, int redis_port) {
  struct Case {
    std::string workload, system;
    std::vector<std::string> argv;
  };
  std::vector<Case> cases = {{"cli_ping", "torque", {cli, "-s", socket, "ping"}},
                             {"cli_submit", "torque", {cli, "-s", socket, type, "x"}},
                             // The floor: starting any process at all.
                             {"cli_true", "torque", {"true"}}};
  if (redis_port > 0) {
    cases.push_back({"cli_ping",
                     "redis",
                     {redis_cli, "-h", "127.0.0.1", "-p", std::to_string(redis_port), "ping"}});
    cases.push_back(
        {"cli_submit",
         "redis",
         {redis_cli, "-h", "127.0.0.1", "-p", std::to_string(redis_port), "lpush", "cli", "x"}});
  }
  for (const auto& c : cases) {
    std::vector<double> ms;
    for (int i = 0; i < count; ++i) {
      const int64_t t0 = NowNs();
      auto rc = RunQuiet(c.argv);
      const int64_t t1 = NowNs();
      if (!rc.ok()) return rc.status();
      if (*rc != 0) {
        return Status::Internal(c.argv[0] + " " + c.argv.back() + " exited with " +
                                std::to_string(*rc));
      }
      ms.push_back(static_cast<double>(t1 - t0) / kNsPerMs);
    }
    Emit(c.workload, c.system, "p50_ms", Percentile(ms, 50));
    Emit(c.workload, c.system, "p99_ms", Percentile(ms, 99));
  }
  return Status::Ok();
}

Status RunFsyncProbe(const std::string& dir, double seconds) {
  // Like a reused WAL or binlog file: allocated once, then overwritten in place.
  constexpr off_t kFileSize = 1 << 20;
  constexpr size_t kBlock = 64;
  const std::string path = dir + "/fsync-probe";
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return Status::IoError("cannot create " + path + ": " + std::strerror(errno));
  Status st;
  const std::vector<char> zeros(static_cast<size_t>(kFileSize), '\0');
  if (write(fd, zeros.data(), zeros.size()) != kFileSize || fsync(fd) != 0) {
    st = Status::IoError("cannot fill " + path + ": " + std::strerror(errno));
  }
  const char block[kBlock] = {1};
  const int64_t start = NowNs();
  const int64_t deadline = start + static_cast<int64_t>(seconds * 1e9);
  int64_t n = 0;
  while (st.ok() && NowNs() < deadline) {
    const off_t at = static_cast<off_t>((n * kBlock) % kFileSize);
    if (pwrite(fd, block, kBlock, at) != static_cast<ssize_t>(kBlock) || fdatasync(fd) != 0) {
      st = Status::IoError(std::string("pwrite/fdatasync: ") + std::strerror(errno));
    }
    ++n;
  }
  const int64_t end = NowNs();
  close(fd);
  unlink(path.c_str());
  if (!st.ok()) return st;
  Emit("env", "disk", "fsync_per_s", static_cast<double>(n) * 1e9 / (end - start));
  return Status::Ok();
}

}  // namespace torque::bench
