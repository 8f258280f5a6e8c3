// queue_pass: the reference of the queue-pass benchmark (bench/queue_pass.sh) — the very
// request a queue pass of job type TYPE fetches its items with, sent by a minimal client
// that only writes the bytes to rTorrent's socket and reads the answer to EOF (no XML
// parsing, no items). Prints "RESULT raw ms <wall ms>" per run and the request's shape.
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <string>

#include "bench/bench_util.h"
#include "core/cancel_signal.h"
#include "jobs/handler_table.h"
#include "jobs/queue_settings.h"
#include "jobs/rtorrent/connector.h"
#include "jobs/rtorrent/query.h"
#include "jobs/rtorrent/rpc_client.h"
#include "jobs/rtorrent/scgi.h"
#include "jobs/rtorrent/xmlrpc.h"

namespace torque::bench {
namespace {

using rtorrent::Array;
using rtorrent::Value;

// Records the first call and answers nothing: how FetchItems' request is captured.
class CapturingRpc : public rtorrent::Rpc {
 public:
  Result<Value> Call(const std::string& method, const Array& params) override {
    if (method_.empty()) {
      method_ = method;
      params_ = params;
    }
    return Status::Cancelled("captured");
  }
  std::string method_;
  Array params_;
};

// One exchange over a plain blocking socket: connect, write everything, read to EOF.
// The bytes read, or -1.
int64_t RawExchange(const std::string& path, const std::string& request) {
  const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
  int64_t total = -1;
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
    size_t sent = 0;
    while (sent < request.size()) {
      const ssize_t n = write(fd, request.data() + sent, request.size() - sent);
      if (n <= 0) break;
      sent += static_cast<size_t>(n);
    }
    if (sent == request.size()) {
      static char buf[1 << 16];
      total = 0;
      for (ssize_t n; (n = read(fd, buf, sizeof buf)) > 0;) total += n;
    }
  }
  close(fd);
  return total;
}

// Runs `passes` dry-run passes of the handler in this process (for profilers); prints the
// first report's head and "RESULT inproc ..." figures.
int RunInProcess(const Config& config, const JobTypeConfig& type, int passes) {
  SystemClock clock;
  jobs::HandlerEnv env;
  env.config = std::make_shared<const Config>(config);
  env.clock = &clock;
  env.rtorrent = std::make_shared<rtorrent::ScgiConnectorFactory>(config.rtorrent);
  auto handler = jobs::MakeHandler(type, env);
  if (!handler.ok()) {
    std::cerr << "queue_pass: " << handler.status().message() << "\n";
    return 78;
  }
  CancelSignal cancel;
  for (int i = 0; i < passes; ++i) {
    jobs::JobContext ctx;
    ctx.type = type.name;
    ctx.args = "dry-run";
    ctx.clock = &clock;
    ctx.cancel = &cancel;
    jobs::RunResult r = (*handler)->Run(ctx);
    if (r.kind != jobs::RunResult::Kind::kSucceeded) {
      std::cerr << "queue_pass: " << r.error << "\n";
      return 69;
    }
    const size_t took = r.result.find("\ntook ");
    std::printf("RESULT inproc %s\n",
                r.result.substr(took + 1, r.result.find('\n', took + 1) - took - 1).c_str());
  }
  return 0;
}

int Run(const std::string& config_file, const std::string& type_name, const std::string& socket,
        int reps, int passes) {
  ConfigOptions options;
  options.files = {config_file};
  options.handlers = &jobs::HandlerSpecs();
  auto config = LoadConfig(options);
  if (!config.ok()) {
    std::cerr << "queue_pass: " << config.status().message() << "\n";
    return 78;
  }
  const JobTypeConfig* type = config->FindType(type_name);
  if (!type) {
    std::cerr << "queue_pass: no job type " << type_name << "\n";
    return 78;
  }
  if (passes > 0) return RunInProcess(*config, *type, passes);
  auto settings = jobs::ReadQueueSettings(*type, *config);
  if (!settings.ok()) {
    std::cerr << "queue_pass: " << settings.status().message() << "\n";
    return 78;
  }
  CapturingRpc capture;
  rtorrent::RtorrentClient client(capture);
  rtorrent::FetchOptions fetch;
  fetch.view = settings->view;
  fetch.prefilter = settings->prefilter;
  fetch.fields = settings->fields;
  (void)rtorrent::FetchItems(client, &settings->fetch, fetch);
  auto body = rtorrent::EncodeCall(capture.method_, capture.params_);
  if (!body.ok()) {
    std::cerr << "queue_pass: " << body.status().message() << "\n";
    return 70;
  }
  const std::string request = rtorrent::ScgiFrame(*body);
  std::printf("RESULT raw method %s\n", capture.method_.c_str());
  std::printf("RESULT raw columns %zu\n",
              capture.params_.size() - (capture.method_ == "d.multicall2" ? 2 : 3));
  std::printf("RESULT raw request_bytes %zu\n", request.size());
  for (int i = 0; i < reps; ++i) {
    const int64_t start = NowNs();
    const int64_t bytes = RawExchange(socket, request);
    const double ms = static_cast<double>(NowNs() - start) / 1e6;
    if (bytes < 0) {
      std::cerr << "queue_pass: no answer from " << socket << ": " << std::strerror(errno) << "\n";
      return 69;
    }
    std::printf("RESULT raw response_bytes %lld\nRESULT raw ms %.3f\n",
                static_cast<long long>(bytes), ms);
  }
  std::fflush(stdout);
  return 0;
}

}  // namespace
}  // namespace torque::bench

int main(int argc, char** argv) {
  CLI::App app{"The raw d.multicall2 of a queue pass, timed (bench/queue_pass.sh)"};
  std::string config, type = "queue", socket;
  int reps = 1;
  int passes = 0;
  app.add_option("--config", config, "torqued's config file")->required();
  app.add_option("--type", type, "the queue_manager job type");
  app.add_option("--socket", socket, "rTorrent's SCGI unix socket")->required();
  app.add_option("--reps", reps, "timed exchanges");
  app.add_option("--passes", passes, "instead: this many dry-run passes in this process");
  CLI11_PARSE(app, argc, argv);
  return torque::bench::Run(config, type, socket, reps, passes);
}
