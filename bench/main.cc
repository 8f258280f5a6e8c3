// torque_bench: the benchmark workloads, one subcommand each (bench/run.sh drives them).
// Parses flags and hands over; figures go to stdout as RESULT lines, errors to stderr.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <iostream>

#include "bench/queues.h"
#include "bench/report.h"
#include "bench/workloads.h"

namespace {

using torque::Status;
using namespace torque::bench;

// A TCP port on 127.0.0.1 that was free a moment ago; 0 on failure.
int FreePort() {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return 0;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  int port = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  close(fd);
  return port;
}

int Finish(const Status& s, const char* what) {
  if (s.ok()) return 0;
  std::cerr << "torque_bench " << what << ": " << s.message() << '\n';
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"torque_bench: torque vs beanstalkd, Redis and raw SQLite (see bench/README.md)"};
  app.require_subcommand(1);
  std::string target_text, queue = "bench", workload, dir, fifo, file;
  double seconds = 3;
  int64_t count = 0;
  int conns = 1, window = 1, samples = 300, pid = 0, io_pid = 0, redis_port = 0, threads = 4;
  std::string program = "true", line;
  int64_t timeout_ms = 30'000;
  std::string cli, socket, type, stamp, redis_cli = "redis-cli";

  auto* port = app.add_subcommand("port", "Print a free TCP port on 127.0.0.1");
  auto* ready = app.add_subcommand("ready", "Wait until a system answers");
  ready->add_option("--target", target_text, "torque=SOCK, beanstalkd=PORT, redis=PORT")
      ->required();
  ready->add_option("--timeout-ms", timeout_ms, "How long to wait");

  auto* fsync = app.add_subcommand("fsync", "Measure fdatasync/s in a directory");
  fsync->add_option("--dir", dir, "Directory")->required();
  fsync->add_option("--seconds", seconds, "Duration");

  auto* submit = app.add_subcommand("submit", "Durable submissions/s");
  submit->add_option("--target", target_text, "torque=SOCK, beanstalkd=PORT, redis=PORT, sqlite=DB")
      ->required();
  submit->add_option("--workload", workload, "Name of the result row")->required();
  submit->add_option("--queue", queue, "Job type, tube, list key or type column");
  submit->add_option("--conns", conns, "Connections, one thread each");
  submit->add_option("--window", window, "Requests sent before reading replies");
  submit->add_option("--seconds", seconds, "Duration (without --count)");
  submit->add_option("--count", count, "Exactly this many jobs instead");
  submit->add_option("--pid", pid, "Report this process's peak and current RSS afterwards");
  submit->add_option("--io-pid", io_pid, "Report the bytes this process wrote to disk per job");

  auto* e2e = app.add_subcommand("e2e", "End-to-end no-op jobs/s with 4 workers");
  e2e->add_option("--target", target_text, "torque=SOCK, beanstalkd=PORT, redis=PORT")->required();
  e2e->add_option("--queue", queue, "Job type (concurrent = 4), tube or list key");
  e2e->add_option("--count", count, "Jobs")->required();
  e2e->add_option("--seconds", seconds, "Stop submitting after this long");
  e2e->add_option("--workload", workload, "Name of the result row (default e2e)");

  auto* query = app.add_subcommand("query", "Round-trip time of one request to torqued");
  query->add_option("--workload", workload, "Name of the result row")->required();
  query->add_option("--target", target_text, "torque=SOCK")->required();
  query->add_option("--line", line, "The request, e.g. STATS")->required();
  query->add_option("--count", samples, "Requests timed");

  auto* spawn = app.add_subcommand("spawn", "Processes/s: threads doing posix_spawn + waitpid");
  spawn->add_option("--workload", workload, "Name of the result row")->required();
  spawn->add_option("--program", program, "What to run (default true)");
  spawn->add_option("--threads", threads, "Threads (default 4)");
  spawn->add_option("--seconds", seconds, "Duration");

  auto* latency = app.add_subcommand("latency", "Submit->start latency");
  latency->add_option("--target", target_text, "torque=SOCK, beanstalkd=PORT, redis=PORT")
      ->required();
  latency->add_option("--queue", queue, "Job type running `STAMP FIFO`, tube or list key");
  latency->add_option("--samples", samples, "Samples");
  latency->add_option("--fifo", fifo, "The FIFO the stamp jobs write to (torque)");
  latency->add_option("--stamp", stamp, "torque_bench_stamp, for the spawn baseline (torque)");

  auto* cli_cmd = app.add_subcommand("cli", "Wall time of torque-cli (and redis-cli) runs");
  cli_cmd->add_option("--cli", cli, "torque-cli")->required();
  cli_cmd->add_option("--socket", socket, "torqued socket")->required();
  cli_cmd->add_option("--type", type, "A paused job type to submit to")->required();
  cli_cmd->add_option("--count", samples, "Runs of each command");
  cli_cmd->add_option("--redis-cli", redis_cli, "redis-cli");
  cli_cmd->add_option("--redis-port", redis_port, "Also time redis-cli against this port");

  auto* report = app.add_subcommand("report", "Print the table from RESULT lines");
  report->add_option("file", file, "File with RESULT lines")->required();

  CLI11_PARSE(app, argc, argv);

  if (*port) {
    const int p = FreePort();
    if (p == 0) return Finish(Status::Unavailable("no free port"), "port");
    std::cout << p << '\n';
    return 0;
  }
  if (*report) {
    auto results = ReadResults(file);
    if (!results.ok()) return Finish(results.status(), "report");
    PrintReport(*results, std::cout);
    return 0;
  }
  if (*fsync) return Finish(RunFsyncProbe(dir, seconds), "fsync");
  if (*spawn) return Finish(RunSpawnRate(workload, program, threads, seconds), "spawn");
  if (*cli_cmd) {
    return Finish(RunCli(cli, socket, type, samples, redis_cli, redis_port), "cli");
  }

  auto target = Target::Parse(target_text);
  if (!target.ok()) return Finish(target.status(), "--target");
  if (*ready) return Finish(WaitReady(*target, timeout_ms), "ready");
  if (*query) return Finish(RunQueryTime(workload, *target, line, samples), "query");
  if (*submit) {
    SubmitOptions o;
    o.workload = workload;
    o.queue = queue;
    o.conns = conns;
    o.window = window;
    o.seconds = seconds;
    o.count = count;
    o.pid = pid;
    o.io_pid = io_pid;
    return Finish(RunSubmit(*target, o), "submit");
  }
  if (*e2e) {
    return Finish(RunEndToEnd(workload.empty() ? "e2e" : workload, *target, queue, count, seconds),
                  "e2e");
  }
  if (*latency) {
    if (target->system == System::kTorque && (fifo.empty() || stamp.empty())) {
      return Finish(Status::InvalidArgument("--fifo and --stamp are required for torque"),
                    "latency");
    }
    return Finish(RunLatency(*target, queue, samples, fifo, stamp), "latency");
  }
  return 0;
}
