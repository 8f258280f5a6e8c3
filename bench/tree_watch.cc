// tree_watch: the tree-watch benchmark's measuring client (bench/tree_watch.sh drives it).
// Against one rTorrent and one torqued whose tree watch watches ROOT, it times, alternately:
//   torque   rename() of a prepared metafile into ROOT → the item present in rTorrent
//   raw      load.verbose of an equal metafile sent by this minimal client → item present
// then a burst of B files renamed into ROOT at once against the same B loads sent by this
// client in one system.multicall. "Present" is polled with d.hash (one item) or view.size
// (a burst) every 1 ms, the same way for both. Figures go to stdout as RESULT lines.
#include <openssl/sha.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "bench/bench_util.h"
#include "jobs/rtorrent/endpoint.h"
#include "jobs/rtorrent/rpc_client.h"
#include "jobs/rtorrent/xmlrpc.h"

namespace torque::bench {
namespace {

namespace fs = std::filesystem;
using namespace torque::rtorrent;

constexpr int64_t kWaitNs = int64_t{120} * 1'000'000'000;
// Between two polls of rTorrent: often enough to see an item within a millisecond of its
// arrival, seldom enough not to slow rTorrent down (a request that follows rTorrent's last
// answer at once is answered slowly: 6 ms p50 back to back, 0.3 ms with a 1 ms gap).
constexpr useconds_t kPollUs = 1000;
// Before each single load: rTorrent keeps working on an item after showing it (views, the
// session file), and the next load must not pay for that in either column.
constexpr useconds_t kGapUs = 50'000;

std::string Str(const std::string& s) { return std::to_string(s.size()) + ":" + s; }

// A single-file metafile named `name` and its upper-case info hash.
std::pair<std::string, std::string> MakeMetafile(const std::string& name) {
  std::string pieces(20, '\0');
  for (size_t i = 0; i < name.size(); ++i)
    pieces[i % 20] = static_cast<char>(pieces[i % 20] ^ name[i]);
  std::string info =
      "d6:lengthi65536e4:name" + Str(name) + "12:piece lengthi65536e6:pieces" + Str(pieces) + "e";
  unsigned char digest[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(info.data()), info.size(), digest);
  std::string hex;
  char buf[3];
  for (unsigned char c : digest) {
    std::snprintf(buf, sizeof buf, "%02X", c);
    hex += buf;
  }
  return {"d8:announce" + Str("http://127.0.0.1:1/announce") + "4:info" + info + "e", hex};
}

struct Prepared {
  std::string path;
  std::string hash;
};

// Writes `count` metafiles into `dir` named PREFIX-N.torrent.
std::vector<Prepared> Prepare(const std::string& dir, const std::string& prefix, int count) {
  fs::create_directories(dir);
  std::vector<Prepared> out;
  for (int i = 0; i < count; ++i) {
    const std::string name = prefix + "-" + std::to_string(getpid()) + "-" + std::to_string(i);
    auto [bytes, hash] = MakeMetafile(name + ".bin");
    std::string path = dir + "/" + name + ".torrent";
    std::ofstream(path, std::ios::binary) << bytes;
    out.push_back({path, hash});
  }
  return out;
}

Status WaitItem(Rpc& rpc, const std::string& hash) {
  const int64_t until = NowNs() + kWaitNs;
  while (NowNs() < until) {
    auto r = rpc.Call("d.hash", {Value(hash)});
    if (r.ok()) return Status::Ok();
    auto fault = FaultOf(r.status());
    if (!fault || fault->code != Fault::kNoSuchItem) return r.status();
    usleep(kPollUs);
  }
  return Status::Timeout("item " + hash + " never appeared");
}

Result<int64_t> ViewSize(Rpc& rpc) {
  auto r = rpc.Call("view.size", {Value(""), Value("main")});
  if (!r.ok()) return r.status();
  return r->AsInt();
}

Status WaitCount(Rpc& rpc, int64_t want) {
  const int64_t until = NowNs() + kWaitNs;
  while (NowNs() < until) {
    auto n = ViewSize(rpc);
    if (!n.ok()) return n.status();
    if (*n >= want) return Status::Ok();
    usleep(kPollUs);
  }
  return Status::Timeout("rTorrent never reached " + std::to_string(want) + " items");
}

double MsSince(int64_t start_ns) { return static_cast<double>(NowNs() - start_ns) / 1e6; }

Status Run(Rpc& rpc, const std::string& root, const std::string& stage, int files, int burst,
           int settle_ms) {
  std::cerr << "[tree_watch] preparing " << 2 * (files + burst) << " metafiles\n";
  auto watched = Prepare(stage + "/watched", "w", files);
  auto direct = Prepare(stage + "/direct", "d", files);
  auto burst_watched = Prepare(stage + "/burst-watched", "bw", burst);
  auto burst_direct = Prepare(stage + "/burst-direct", "bd", burst);
  // Older than the settle time: renamed in, they are read at once.
  usleep(static_cast<useconds_t>(settle_ms + 200) * 1000);

  std::cerr << "[tree_watch] " << files << " single loads each way, alternating\n";
  for (int i = 0; i < files; ++i) {
    const std::string target = root + "/" + fs::path(watched[i].path).filename().string();
    usleep(kGapUs);
    int64_t t0 = NowNs();
    if (::rename(watched[i].path.c_str(), target.c_str()) != 0) {
      return Status::IoError("rename into the tree failed");
    }
    if (Status s = WaitItem(rpc, watched[i].hash); !s.ok()) return s;
    Emit("single", "torque", "ms", MsSince(t0));

    usleep(kGapUs);
    t0 = NowNs();
    auto r = rpc.Call("load.verbose", {Value(""), Value(direct[i].path)});
    if (!r.ok()) return r.status();
    if (Status s = WaitItem(rpc, direct[i].hash); !s.ok()) return s;
    Emit("single", "raw", "ms", MsSince(t0));
  }

  std::cerr << "[tree_watch] burst of " << burst << ": rTorrent's own loads first\n";
  auto base = ViewSize(rpc);
  if (!base.ok()) return base.status();
  Emit("burst", "rtorrent", "items_before", static_cast<double>(*base));
  int64_t t0 = NowNs();
  Array calls;
  for (const Prepared& p : burst_direct) {
    Struct call;
    call["methodName"] = Value("load.verbose");
    call["params"] = Value(Array{Value(""), Value(p.path)});
    calls.emplace_back(std::move(call));
  }
  auto sent = rpc.Call("system.multicall", {Value(std::move(calls))});
  if (!sent.ok()) return sent.status();
  if (Status s = WaitCount(rpc, *base + burst); !s.ok()) return s;
  Emit("burst", "raw", "ms", MsSince(t0));
  usleep(kGapUs * 20);

  std::cerr << "[tree_watch] burst of " << burst << " renamed into the tree\n";
  t0 = NowNs();
  for (const Prepared& p : burst_watched) {
    const std::string target = root + "/" + fs::path(p.path).filename().string();
    if (::rename(p.path.c_str(), target.c_str()) != 0) {
      return Status::IoError("rename into the tree failed");
    }
  }
  Emit("burst", "torque", "rename_ms", MsSince(t0));
  if (Status s = WaitCount(rpc, *base + 2 * burst); !s.ok()) return s;
  Emit("burst", "torque", "ms", MsSince(t0));
  for (const Prepared& p : burst_watched) {
    if (Status s = WaitItem(rpc, p.hash); !s.ok()) return s;
  }
  Emit("burst", "torque", "missed", 0);
  return Status::Ok();
}

}  // namespace
}  // namespace torque::bench

int main(int argc, char** argv) {
  using namespace torque::bench;
  CLI::App app{"tree_watch: the tree-watch benchmark's client (see bench/tree_watch.sh)"};
  std::string socket, root, stage;
  int files = 500, burst = 1000, settle_ms = 250;
  app.add_option("--socket", socket, "rTorrent's SCGI socket")->required();
  app.add_option("--root", root, "The folder torqued's tree watch watches")->required();
  app.add_option("--stage", stage, "A folder on the same file system, outside the tree")
      ->required();
  app.add_option("--files", files, "Single loads each way");
  app.add_option("--burst", burst, "Files in the burst");
  app.add_option("--settle-ms", settle_ms, "The tree watch's settle time");
  CLI11_PARSE(app, argc, argv);
  auto endpoint = torque::rtorrent::ParseEndpoint(socket);
  if (!endpoint.ok()) {
    std::cerr << "tree_watch: " << endpoint.status().message() << '\n';
    return 1;
  }
  torque::rtorrent::ScgiOptions scgi;
  scgi.timeout = 600'000;
  torque::rtorrent::ScgiRpc rpc(*endpoint, scgi);
  torque::Status s = Run(rpc, root, stage, files, burst, settle_ms);
  if (!s.ok()) {
    std::cerr << "tree_watch: " << s.message() << '\n';
    return 1;
  }
  return 0;
}
