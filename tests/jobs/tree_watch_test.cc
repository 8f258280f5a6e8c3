// The tree_watch handler with a fake watcher (the test calls OnReady/OnRescan), a temp
// directory and an in-memory rTorrent: loads, skips, quarantine, waits, failures, dry runs,
// after-load actions, the durable record of loaded files and the rescan.
#include "jobs/tree_watch.h"

#include <gtest/gtest.h>
#include <openssl/sha.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <utime.h>

#include <boost/asio/io_context.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "jobs/metafile.h"
#include "jobs/rtorrent/xmlrpc.h"
#include "tests/jobs/handler_fakes.h"
#include "tests/test_env.h"

namespace torque::jobs {
namespace {

namespace fs = std::filesystem;
using rtorrent::Array;
using rtorrent::Value;
using testing::FakeConnections;
using testing::FakeJobSink;
using testing::MakeTestHandler;
using testing::MemoryState;
using Kind = RunResult::Kind;

std::string Str(const std::string& s) { return std::to_string(s.size()) + ":" + s; }

// A valid single-file metafile named `name`, and its info hash.
std::pair<std::string, std::string> Torrent(const std::string& name) {
  std::string info = "d6:lengthi100e4:name" + Str(name) + "12:piece lengthi16384e6:pieces" +
                     Str(std::string(20, 'p')) + "e";
  unsigned char d[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(info.data()), info.size(), d);
  std::string hex;
  for (unsigned char c : d) {
    const char* digits = "0123456789ABCDEF";
    hex += digits[c >> 4];
    hex += digits[c & 15];
  }
  return {"d8:announce" + Str("http://t.example.org/a") + "4:info" + info + "e", hex};
}

// rTorrent in memory: d.hash answers for held items (fault -501 otherwise); load.* adds the
// item of the file (by path), the bytes (raw) or the magnet link, unless `refuse`;
// system.multicall runs its calls in order. `methods` lists every call, a multicall's one
// by one; `requests` counts requests.
class FakeRtorrent : public rtorrent::Rpc {
 public:
  Result<Value> Call(const std::string& method, const Array& params) override {
    std::lock_guard lock(mu);
    ++requests;
    if (method != "system.multicall") return One(method, params);
    Array answers;
    for (const Value& entry : params.at(0).AsArray()) {
      const rtorrent::Struct& call = std::get<rtorrent::Struct>(entry.v);
      auto one = One(call.at("methodName").AsString(), call.at("params").AsArray());
      if (one.ok()) {
        answers.emplace_back(Array{*one});
      } else {
        auto fault = rtorrent::FaultOf(one.status());
        answers.emplace_back(rtorrent::Struct{{"faultCode", Value(fault->code)},
                                              {"faultString", Value(fault->message)}});
      }
    }
    return Value(std::move(answers));
  }

  Result<Value> One(const std::string& method, const Array& params) {
    methods.push_back(method);
    if (method == "d.hash") {
      const std::string h = params.at(0).AsString();
      if (held.count(h)) return Value(h);
      return rtorrent::Fault{-501, "Could not find info-hash."}.ToStatus();
    }
    if (method.rfind("load.", 0) == 0) {
      std::vector<std::string> cmds;
      for (size_t i = 2; i < params.size(); ++i) cmds.push_back(params[i].AsString());
      commands.push_back(cmds);
      targets.push_back(method.find("raw") != std::string::npos ? "<raw>"
                                                                : params.at(1).AsString());
      if (refuse) return Value(0);
      Result<Metafile> m = Status::NotFound("");
      if (method.find("raw") != std::string::npos) {
        m = ParseMetafile(std::get<rtorrent::Binary>(params.at(1).v).bytes);
      } else if (params.at(1).AsString().rfind("magnet:", 0) == 0) {
        m = ParseMagnet(params.at(1).AsString());
      } else {
        std::ifstream in(params.at(1).AsString(), std::ios::binary);
        std::stringstream s;
        s << in.rdbuf();
        m = ParseMetafile(s.str());
      }
      if (m.ok()) held.insert(m->info_hash);
      return Value(0);
    }
    return rtorrent::Fault{-506, "no " + method}.ToStatus();
  }
  std::mutex mu;
  int requests = 0;
  std::set<std::string> held;
  bool refuse = false;
  std::vector<std::string> methods;
  std::vector<std::string> targets;
  std::vector<std::vector<std::string>> commands;
};

class TreeWatchTest : public ::testing::Test {
 protected:
  void TearDown() override {
    if (handler_) handler_->Stop();
  }

  TreeWatch& Make(std::vector<std::pair<std::string, std::string>> keys = {}) {
    keys.insert(keys.begin(), {"path", root_});
    auto h = MakeTestHandler("tree_watch", "treewatch", keys, &clock_, connections_);
    EXPECT_TRUE(h.ok()) << h.status().message();
    handler_ = std::move(*h);
    return static_cast<TreeWatch&>(*handler_);
  }

  RunResult Run(const std::string& args, bool dry_run = false) {
    JobContext ctx;
    ctx.id = 1;
    ctx.type = "treewatch";
    ctx.args = args;
    ctx.dry_run = dry_run;
    ctx.clock = &clock_;
    ctx.state = &state_;
    ctx.cancel = &cancel_;
    RunResult r = handler_->Run(ctx);
    if (!r.handler_state.empty()) {
      EXPECT_TRUE(state_.Save(r.handler_state).ok());
    }
    return r;
  }

  std::string Write(const std::string& rel, const std::string& bytes) {
    const std::string path = root_ + "/" + rel;
    fs::create_directories(fs::path(path).parent_path());
    std::ofstream(path, std::ios::binary) << bytes;
    return path;
  }

  void Age(const std::string& path, int seconds) {
    struct stat st {};
    ASSERT_EQ(::stat(path.c_str(), &st), 0);
    utimbuf times{st.st_atime - seconds, st.st_mtime - seconds};
    ASSERT_EQ(::utime(path.c_str(), &times), 0);
  }

  testing::TempDir dir_{"torque-treewatch"};
  const std::string root_ = dir_.path();
  FakeRtorrent rt_;
  std::shared_ptr<FakeConnections> connections_ = std::make_shared<FakeConnections>(rt_);
  MemoryState state_;
  SystemClock clock_;
  CancelSignal cancel_;
  std::unique_ptr<Handler> handler_;
};

TEST_F(TreeWatchTest, LoadsAFileAndRemembersIt) {
  Make({{"label_from_path", "true"}});
  auto [bytes, hash] = Torrent("a.bin");
  const std::string path = Write("tv/a.torrent", bytes);
  RunResult r = Run(path);
  EXPECT_EQ(r.kind, Kind::kSucceeded) << r.error;
  EXPECT_TRUE(rt_.held.count(hash));
  EXPECT_EQ(rt_.methods, (std::vector<std::string>{"d.hash", "load.verbose", "d.hash"}));
  EXPECT_EQ(rt_.requests, 2);  // check and load in one, then the item is there
  EXPECT_EQ(rt_.targets, std::vector<std::string>{path});
  EXPECT_EQ(
      rt_.commands.at(0),
      (std::vector<std::string>{"d.custom1.set=\"tv\"", "print=\"TreeWatch: Loaded 'a.bin' from '" +
                                                            root_ + "/tv/' [normal]\""}));
  EXPECT_EQ(r.result.substr(0, r.result.find(" with ")),
            "loaded #" + hash + " 'a.bin' from '" + path + "'");
  const std::string record = state_.values.at(std::string(TreeWatch::kLoadedPrefix) + path);
  EXPECT_EQ(record.substr(0, 41), hash + " ");
  EXPECT_TRUE(fs::exists(path));
}

TEST_F(TreeWatchTest, AnItemRTorrentHoldsIsSkippedAndOptionallyRemoved) {
  Make({{"remove_already_added", "true"}});
  auto [bytes, hash] = Torrent("dup.bin");
  rt_.held.insert(hash);
  const std::string path = Write("dup.torrent", bytes);
  RunResult r = Run(path);
  EXPECT_EQ(r.kind, Kind::kSucceeded) << r.error;
  EXPECT_EQ(r.result,
            "rTorrent already holds #" + hash + " 'dup.bin' of '" + path + "'; removed the file");
  // The check went with the load in one request; rTorrent refuses a duplicate load.
  EXPECT_EQ(rt_.methods, (std::vector<std::string>{"d.hash", "load.verbose"}));
  EXPECT_EQ(rt_.requests, 1);
  EXPECT_FALSE(fs::exists(path));
}

TEST_F(TreeWatchTest, AnInvalidFileIsQuarantinedAndNotRetried) {
  Make();
  const std::string path = Write("tv/bad.torrent", "d4:infod6:lengthi5eee");
  Age(path, 120);
  RunResult r = Run(path);
  EXPECT_EQ(r.kind, Kind::kFailed);
  EXPECT_TRUE(r.final);
  const std::string moved = root_ + "/.invalid/bad.torrent";
  EXPECT_EQ(r.error.substr(0, r.error.find(": ")), "invalid metafile '" + path + "'");
  EXPECT_NE(r.error.find("; moved to '" + moved + "'"), std::string::npos) << r.error;
  EXPECT_FALSE(fs::exists(path));
  EXPECT_TRUE(fs::exists(moved));
  EXPECT_TRUE(rt_.methods.empty());
  // A second invalid file of the same name does not overwrite the first.
  const std::string again = Write("bad.torrent", "garbage");
  Age(again, 120);
  RunResult r2 = Run(again);
  EXPECT_NE(r2.error.find("moved to '" + moved + ".1'"), std::string::npos) << r2.error;
}

TEST_F(TreeWatchTest, ATruncatedFileStillBeingWrittenWaits) {
  Make();
  auto [bytes, hash] = Torrent("slow.bin");
  const std::string path = Write("slow.torrent", bytes.substr(0, bytes.size() / 2));
  RunResult r = Run(path);
  EXPECT_EQ(r.kind, Kind::kSucceeded) << r.error;
  EXPECT_NE(r.result.find("is incomplete"), std::string::npos) << r.result;
  EXPECT_TRUE(fs::exists(path));
  // Left truncated for long, it is invalid.
  Age(path, 600);
  EXPECT_TRUE(Run(path).final);
  EXPECT_FALSE(fs::exists(path));
}

TEST_F(TreeWatchTest, EmptyAndVanishedFilesAreNotErrors) {
  Make();
  const std::string empty = Write("empty.torrent", "");
  RunResult r = Run(empty);
  EXPECT_EQ(r.kind, Kind::kSucceeded);
  EXPECT_NE(r.result.find("is empty (0 bytes)"), std::string::npos);
  RunResult gone = Run(root_ + "/gone.torrent");
  EXPECT_EQ(gone.kind, Kind::kSucceeded);
  EXPECT_NE(gone.result.find("is gone"), std::string::npos);
  EXPECT_TRUE(Run("relative.torrent").final);
}

TEST_F(TreeWatchTest, ADeadRTorrentFailsTheRunForARetry) {
  Make();
  auto [bytes, hash] = Torrent("later.bin");
  const std::string path = Write("later.torrent", bytes);
  connections_->connect_error = Status::Unavailable("cannot connect to rTorrent at fake");
  RunResult r = Run(path);
  EXPECT_EQ(r.kind, Kind::kFailed);
  EXPECT_FALSE(r.final);
  EXPECT_EQ(r.error,
            "loading #" + hash + " 'later.bin' into rTorrent: cannot connect to rTorrent at fake");
  EXPECT_TRUE(r.handler_state.empty());
  connections_->connect_error.reset();
  EXPECT_EQ(Run(path).kind, Kind::kSucceeded);
}

TEST_F(TreeWatchTest, AnItemRTorrentNeverShowsFailsWithAHint) {
  Make();
  rt_.refuse = true;
  auto [bytes, hash] = Torrent("refused.bin");
  const std::string path = Write("refused.torrent", bytes);
  RunResult r = Run(path);
  EXPECT_EQ(r.kind, Kind::kFailed);
  EXPECT_TRUE(r.final);
  EXPECT_NE(r.error.find("rTorrent did not add #" + hash), std::string::npos) << r.error;
  EXPECT_NE(r.error.find("set load_raw = true"), std::string::npos) << r.error;
}

TEST_F(TreeWatchTest, DryRunLoadsNothingAndMovesNothing) {
  Make();
  auto [bytes, hash] = Torrent("dry.bin");
  const std::string path = Write("start/dry.torrent", bytes);
  RunResult r = Run(path, /*dry_run=*/true);
  EXPECT_EQ(r.kind, Kind::kSucceeded) << r.error;
  EXPECT_EQ(r.result.substr(0, r.result.find(", commands")),
            "would load #" + hash + " 'dry.bin' from '" + path + "' with load.start_verbose");
  EXPECT_TRUE(rt_.held.empty());
  EXPECT_TRUE(r.handler_state.empty());
  const std::string bad = Write("bad.torrent", "xyz");
  Age(bad, 120);
  RunResult q = Run(bad, true);
  EXPECT_TRUE(q.final);
  EXPECT_NE(q.error.find("(dry run: left in place)"), std::string::npos);
  EXPECT_TRUE(fs::exists(bad));
}

TEST_F(TreeWatchTest, AfterLoadDeleteOrRename) {
  Make({{"after_load", "rename"}, {"load_raw", "true"}});
  auto [bytes, hash] = Torrent("r.bin");
  const std::string path = Write("r.torrent", bytes);
  RunResult r = Run(path);
  EXPECT_EQ(r.kind, Kind::kSucceeded) << r.error;
  EXPECT_EQ(rt_.methods.at(1), "load.raw_verbose");
  EXPECT_TRUE(fs::exists(path + ".loaded"));
  EXPECT_FALSE(fs::exists(path));
  EXPECT_TRUE(state_.values.empty());

  handler_->Stop();
  Make({{"after_load", "delete"}});
  auto [bytes2, hash2] = Torrent("d.bin");
  const std::string path2 = Write("d.torrent", bytes2);
  EXPECT_EQ(Run(path2).kind, Kind::kSucceeded);
  EXPECT_FALSE(fs::exists(path2));
  EXPECT_TRUE(rt_.held.count(hash2));
}

TEST_F(TreeWatchTest, AMagnetFileLoadsItsLink) {
  Make({{"load_mode", "start"}});
  const std::string link = "magnet:?xt=urn:btih:" + std::string(40, 'c') + "&dn=m";
  const std::string path = Write("m.magnet", link + "\n");
  RunResult r = Run(path);
  EXPECT_EQ(r.kind, Kind::kSucceeded) << r.error;
  EXPECT_EQ(rt_.targets, std::vector<std::string>{link});
  EXPECT_TRUE(rt_.held.count(std::string(40, 'C')));
}

TEST_F(TreeWatchTest, TheWatcherReportsBecomeJobsAndARescanFindsWhatWasMissed) {
  TreeWatch& w = Make();
  boost::asio::io_context io;
  FakeJobSink sink;
  HandlerHost host{&sink, &state_, io.get_executor(), spdlog::default_logger()};
  w.OnReady(root_ + "/early.torrent");  // not started: nothing
  EXPECT_TRUE(sink.submitted.empty());
  ASSERT_TRUE(w.Start(host).ok());
  EXPECT_EQ(sink.Args(), std::vector<std::string>{""});  // the start-up rescan
  EXPECT_EQ(sink.submitted[0].options.unique, std::string(TreeWatch::kRescanKey));
  w.OnReady(root_ + "/x.torrent");
  ASSERT_EQ(sink.submitted.size(), 2u);
  EXPECT_EQ(sink.submitted[1].word, "treewatch");
  EXPECT_EQ(sink.submitted[1].args, root_ + "/x.torrent");
  EXPECT_EQ(sink.submitted[1].options.unique, root_ + "/x.torrent");

  // Loaded before and unchanged: skipped; changed, new or never loaded: submitted.
  auto [a, ha] = Torrent("a.bin");
  const std::string known = Write("known.torrent", a);
  ASSERT_EQ(Run(known).kind, Kind::kSucceeded);
  auto [b, hb] = Torrent("b.bin");
  const std::string changed = Write("sub/changed.torrent", b);
  ASSERT_EQ(Run(changed).kind, Kind::kSucceeded);
  Write("sub/changed.torrent", b + " ");  // rewritten since
  const std::string fresh = Write("deep/er/new.torrent", Torrent("c.bin").first);
  Write("empty.torrent", "");
  Write("notes.txt", "not a metafile");
  Write(".invalid/old.torrent", "quarantined");
  state_.values[std::string(TreeWatch::kLoadedPrefix) + root_ + "/deleted.torrent"] = "X 1 1";
  sink.submitted.clear();
  RunResult r = Run("");
  EXPECT_EQ(r.kind, Kind::kSucceeded) << r.error;
  auto args = sink.Args();
  std::sort(args.begin(), args.end());
  EXPECT_EQ(args, (std::vector<std::string>{fresh, changed}));
  EXPECT_EQ(r.result,
            "rescanned 1 tree: 4 metafiles, 1 loaded before, 1 empty, 2 submitted; forgot 1 "
            "removed files");
  EXPECT_FALSE(
      state_.values.count(std::string(TreeWatch::kLoadedPrefix) + root_ + "/deleted.torrent"));

  // Submissions the database refuses fail the rescan; after Stop nothing is submitted.
  sink.error = Status::IoError("disk full");
  RunResult failed = Run("");
  EXPECT_EQ(failed.kind, Kind::kFailed);
  EXPECT_EQ(failed.error, "2 submissions failed: disk full");
  w.Stop();
  sink.submitted.clear();
  w.OnReady(root_ + "/late.torrent");
  EXPECT_TRUE(sink.submitted.empty());
}

}  // namespace
}  // namespace torque::jobs
