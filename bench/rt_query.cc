// rt_query: the rTorrent query benchmark's steps, one subcommand each (bench/rt_query.sh
// drives them): loading many torrents into an rTorrent, timing Query (one d.multicall2 or
// d.multicall.filtered per query), and timing the naive way from C++ (one d.multicall2 for
// the hashes, then one call per item and field). Figures go to stdout as RESULT lines,
// errors to stderr.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "bench/bench_util.h"
#include "jobs/rtorrent/condition.h"
#include "jobs/rtorrent/endpoint.h"
#include "jobs/rtorrent/query.h"
#include "jobs/rtorrent/rpc_client.h"
#include "jobs/rtorrent/sort.h"

namespace torque::bench {
namespace {

namespace fs = std::filesystem;
using namespace torque::rtorrent;

// Gives up waiting for rTorrent after this long.
constexpr int64_t kWaitNs = int64_t{300} * 1'000'000'000;

double MsSince(int64_t start_ns) { return static_cast<double>(NowNs() - start_ns) / 1e6; }

// Prints "RESULT <workload> <system> <metric> <text>" for a non-numeric figure.
void EmitText(const std::string& workload, const std::string& system, const std::string& metric,
              const std::string& text) {
  std::printf("RESULT %s %s %s %s\n", workload.c_str(), system.c_str(), metric.c_str(),
              text.c_str());
  std::fflush(stdout);
}

// FNV-1a 64 of the hashes joined by '\n', as 16 hex digits: the same order gives the same
// digest in every approach (rt_query.sh computes it in Python too).
std::string OrderDigest(const std::vector<std::string>& hashes) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (size_t i = 0; i < hashes.size(); ++i) {
    if (i) h = (h ^ '\n') * 0x100000001b3ULL;
    for (const unsigned char c : hashes[i]) h = (h ^ c) * 0x100000001b3ULL;
  }
  char out[17];
  std::snprintf(out, sizeof out, "%016llx", static_cast<unsigned long long>(h));
  return out;
}

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// Items in the view "main" (view.size: cheap to poll while rTorrent is busy adding them),
// or -1 when rTorrent does not answer.
int64_t CountItems(RtorrentClient& client) {
  Result<Value> size = client.rpc().Call("view.size", {Value(""), Value("main")});
  return size.ok() ? size->AsInt(-1) : -1;
}

// Items of "main" whose `command` is `value`, or -1 when rTorrent does not answer.
int64_t CountItems(RtorrentClient& client, const std::string& command, int64_t value) {
  Result<std::vector<Array>> rows = client.MultiCall2("main", {command});
  if (!rows.ok()) return -1;
  return std::count_if(rows->begin(), rows->end(),
                       [&](const Array& row) { return row[0].AsInt(-1) == value; });
}

// Polls `count` every 50 ms until it returns `want`; kTimeout after kWaitNs.
Status WaitFor(const std::function<int64_t()>& count, int64_t want, const std::string& what) {
  const int64_t deadline = NowNs() + kWaitNs;
  int64_t seen = count();
  while (seen != want) {
    if (NowNs() > deadline) {
      return Status::Timeout(what + ": " + std::to_string(seen) + " instead of " +
                             std::to_string(want) + " after 300 s");
    }
    struct timespec pause = {0, 50'000'000};
    nanosleep(&pause, nullptr);
    seen = count();
  }
  return Status::Ok();
}

// Loads DIR/torrents/*.torrent (torrent_tool.py many) in requests of `batch` load.raw,
// the i-th (1-based, in name order) with priority i % 4, label "label<i % 10>", tm_loaded
// i minutes ago and its data directory DIR/data; then starts every item with
// i % start_every == start_every / 2 (its data is there: it becomes complete and seeds).
Status RunSetup(RtorrentClient& client, const std::string& dir, int batch, int start_every) {
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(fs::path(dir) / "torrents")) {
    if (entry.path().extension() == ".torrent") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  if (files.empty()) return Status::InvalidArgument("no .torrent files in " + dir + "/torrents");
  const int64_t before = CountItems(client);
  if (before != 0) return Status::InvalidArgument("rTorrent is not empty");

  const std::string data = (fs::path(dir) / "data").string();
  const int64_t now = static_cast<int64_t>(std::time(nullptr));
  const int64_t load_start = NowNs();
  int requests = 0;
  std::vector<MethodCall> calls;
  for (size_t k = 0; k < files.size(); ++k) {
    const int64_t i = static_cast<int64_t>(k) + 1;
    calls.push_back(
        {"load.raw",
         {Value(""), Value(Binary{ReadFile(files[k])}), Value("d.directory.set=" + data),
          Value("d.priority.set=" + std::to_string(i % 4)),
          Value("d.custom1.set=label" + std::to_string(i % 10)),
          Value("d.custom.set=tm_loaded," + std::to_string(now - 60 * i))}});
    if (static_cast<int>(calls.size()) == batch || k + 1 == files.size()) {
      Result<std::vector<Result<Value>>> loaded = client.SystemMultiCall(calls);
      if (!loaded.ok()) return loaded.status();
      ++requests;
      calls.clear();
    }
  }
  Emit("setup", "rtorrent", "load_send_s", MsSince(load_start) / 1000);
  const int64_t want = static_cast<int64_t>(files.size());
  if (Status s = WaitFor([&] { return CountItems(client); }, want, "items loaded"); !s.ok()) {
    return s;
  }
  Emit("setup", "rtorrent", "load_s", MsSince(load_start) / 1000);
  Emit("setup", "rtorrent", "load_requests", requests);
  Emit("setup", "rtorrent", "items", static_cast<double>(want));

  const int64_t start_start = NowNs();
  // rTorrent's order is not the load order: find the items by their (unique) tm_loaded.
  Result<std::vector<Array>> loaded = client.MultiCall2("main", {"d.hash=", "d.custom=tm_loaded"});
  if (!loaded.ok()) return loaded.status();
  for (const Array& row : *loaded) {
    const int64_t i = (now - row[1].AsInt(0)) / 60;
    if (start_every > 0 && i % start_every == start_every / 2) {
      calls.push_back({"d.start", {row[0]}});
    }
  }
  const int64_t started = static_cast<int64_t>(calls.size());
  if (!calls.empty()) {
    Result<std::vector<Result<Value>>> done = client.SystemMultiCall(calls);
    if (!done.ok()) return done.status();
  }
  if (Status s =
          WaitFor([&] { return CountItems(client, "d.complete=", 1); }, started, "items complete");
      !s.ok()) {
    return s;
  }
  Emit("setup", "rtorrent", "start_s", MsSince(start_start) / 1000);
  Emit("setup", "rtorrent", "started", static_cast<double>(started));
  return Status::Ok();
}

// A parsed condition and sort order for a workload.
struct Workload {
  std::string name;
  Condition condition;
  std::optional<SortOrder> sort;
};

Result<Workload> ParseWorkload(const std::string& name, const std::string& condition,
                               const std::string& sort) {
  Result<Condition> parsed = ParseCondition(condition);
  if (!parsed.ok()) return parsed.status();
  Workload w{name, *parsed, std::nullopt};
  if (!sort.empty()) {
    Result<SortOrder> order = ParseSortFields(sort);
    if (!order.ok()) return order.status();
    w.sort = *order;
  }
  return w;
}

void EmitTimes(const std::string& workload, const std::string& system, std::vector<double> ms) {
  Emit(workload, system, "ms_median", Percentile(ms, 50));
  if (ms.size() > 1) Emit(workload, system, "ms_p90", Percentile(ms, 90));
  Emit(workload, system, "runs", static_cast<double>(ms.size()));
}

// Query `reps` times (after one warm-up run) with or without rTorrent's pre-filter.
Status RunTorque(RtorrentClient& client, ScgiRpc& rpc, const Workload& w, int reps,
                 bool prefilter) {
  const std::string system = prefilter ? "torque-Q" : "torque";
  QueryOptions options;
  options.prefilter = prefilter;
  const SortOrder* sort = w.sort ? &*w.sort : nullptr;
  Result<QueryResult> result = Query(client, &w.condition, sort, options);  // warm-up
  if (!result.ok()) return result.status();
  std::vector<double> ms;
  const int64_t round_trips = rpc.RoundTrips();
  for (int r = 0; r < reps; ++r) {
    const int64_t start = NowNs();
    result = Query(client, &w.condition, sort, options);
    ms.push_back(MsSince(start));
    if (!result.ok()) return result.status();
  }
  EmitTimes(w.name, system, ms);
  Emit(w.name, system, "round_trips",
       static_cast<double>(rpc.RoundTrips() - round_trips) / std::max(reps, 1));
  Emit(w.name, system, "fetched", static_cast<double>(result->fetched));
  Emit(w.name, system, "matches", static_cast<double>(result->items.size()));
  std::vector<std::string> hashes;
  for (const Item& item : result->items) hashes.push_back(item.hash());
  EmitText(w.name, system, "order", OrderDigest(hashes));
  if (!result->prefilter.empty()) EmitText(w.name, system, "prefilter", result->prefilter);
  return Status::Ok();
}

// "d.custom=tm_loaded" for `hash` as its own call: d.custom(hash, "tm_loaded").
MethodCall PerItemCall(const std::string& command, const std::string& hash) {
  const size_t eq = command.find('=');
  MethodCall call{command.substr(0, eq), {Value(hash)}};
  std::string args = eq == std::string::npos ? "" : command.substr(eq + 1);
  size_t start = 0;
  while (start < args.size()) {
    size_t comma = args.find(',', start);
    if (comma == std::string::npos) comma = args.size();
    if (comma > start) call.params.emplace_back(args.substr(start, comma - start));
    start = comma + 1;
  }
  return call;
}

// The naive way: the hashes in one d.multicall2, then every field the condition and the
// sort read with one call per item (as pyrocore fetches its on-demand fields), then the
// same matching and sorting as Query.
Status RunNaive(RtorrentClient& client, ScgiRpc& rpc, const Workload& w, int reps) {
  auto projection = std::make_shared<Projection>();
  std::vector<std::string> names = {"name"};
  names.insert(names.end(), w.condition.Fields().begin(), w.condition.Fields().end());
  if (w.sort) {
    for (const std::string& f : w.sort->Fields()) names.push_back(f);
  }
  for (const std::string& name : names) {
    if (Status s = projection->Add(name); !s.ok()) return s;
  }
  std::vector<double> ms;
  std::vector<Item> matches;
  int64_t fetched = 0;
  const int64_t round_trips = rpc.RoundTrips();
  for (int r = 0; r < reps; ++r) {
    const int64_t start = NowNs();
    auto context = std::make_shared<ItemContext>();
    context->now = static_cast<TimeSec>(std::time(nullptr));
    Result<std::vector<Array>> hashes = client.MultiCall2("main", {"d.hash="});
    if (!hashes.ok()) return hashes.status();
    matches.clear();
    for (const Array& hash_row : *hashes) {
      const std::string hash = hash_row[0].AsString();
      Array row;
      for (const std::string& command : projection->commands()) {
        if (command == kHashCommand) {
          row.emplace_back(hash);
          continue;
        }
        const MethodCall call = PerItemCall(command, hash);
        Result<Value> value = rpc.Call(call.method, call.params);
        if (!value.ok()) return value.status();
        row.push_back(*value);
      }
      Item item(projection, std::move(row), context);
      if (w.condition.Match(item, context->now)) matches.push_back(std::move(item));
    }
    if (w.sort) w.sort->Sort(matches);
    ms.push_back(MsSince(start));
    fetched = static_cast<int64_t>(hashes->size());
  }
  const std::string system = "naive-cpp";
  EmitTimes(w.name, system, ms);
  Emit(w.name, system, "round_trips",
       static_cast<double>(rpc.RoundTrips() - round_trips) / std::max(reps, 1));
  Emit(w.name, system, "fetched", static_cast<double>(fetched));
  Emit(w.name, system, "matches", static_cast<double>(matches.size()));
  std::vector<std::string> hashes;
  for (const Item& item : matches) hashes.push_back(item.hash());
  EmitText(w.name, system, "order", OrderDigest(hashes));
  return Status::Ok();
}

int Finish(const Status& s, const char* what) {
  if (s.ok()) return 0;
  std::cerr << "rt_query " << what << ": " << s.message() << '\n';
  return 1;
}

}  // namespace
}  // namespace torque::bench

int main(int argc, char** argv) {
  using namespace torque::bench;
  using namespace torque::rtorrent;
  using torque::Result;
  CLI::App app{"rt_query: rTorrent query benchmark steps (see bench/README.md, rt_query.sh)"};
  app.require_subcommand(1);
  std::string socket, dir, workload = "query", condition, sort, prefilter = "off";
  int batch = 500, start_every = 100, reps = 20;

  auto* setup = app.add_subcommand("setup", "Load DIR/torrents/*.torrent into an empty rTorrent");
  setup->add_option("--socket", socket, "rTorrent's SCGI socket or URL")->required();
  setup->add_option("--dir", dir, "torrent_tool.py many's directory")->required();
  setup->add_option("--batch", batch, "load.raw calls per system.multicall");
  setup->add_option("--start-every", start_every, "Start every Nth item (0: none)");

  auto* torque = app.add_subcommand("torque", "Time Query");
  auto* naive = app.add_subcommand("naive", "Time one call per item and field, in C++");
  for (CLI::App* cmd : {torque, naive}) {
    cmd->add_option("--socket", socket, "rTorrent's SCGI socket or URL")->required();
    cmd->add_option("--workload", workload, "Name of the result rows");
    cmd->add_option("--condition", condition, "Condition")->required();
    cmd->add_option("--sort", sort, "Sort fields, e.g. -prio,loaded,name");
    cmd->add_option("--reps", reps, "Timed runs");
  }
  torque->add_option("--prefilter", prefilter, "on: d.multicall.filtered")
      ->check(CLI::IsMember({"on", "off"}));

  CLI11_PARSE(app, argc, argv);

  Result<Endpoint> endpoint = ParseEndpoint(socket);
  if (!endpoint.ok()) return Finish(endpoint.status(), "--socket");
  ScgiOptions scgi;
  scgi.timeout = 600'000;  // a d.multicall2 over many items can take long on a busy machine
  ScgiRpc rpc(*endpoint, scgi);
  RtorrentClient client(rpc);
  if (*setup) return Finish(RunSetup(client, dir, batch, start_every), "setup");

  Result<Workload> w = ParseWorkload(workload, condition, sort);
  if (!w.ok()) return Finish(w.status(), "--condition/--sort");
  if (*torque) return Finish(RunTorque(client, rpc, *w, reps, prefilter == "on"), "torque");
  return Finish(RunNaive(client, rpc, *w, reps), "naive");
}
