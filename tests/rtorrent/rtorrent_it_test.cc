// Integration tests of the rTorrent client against a real rTorrent 0.9.8, started by the
// ctest fixture from the ../shared/rtorrent kit. TORQUE_RT_SOCKET names its socket; the
// tests skip themselves when it is unset (run outside ctest, kit absent) or when rtorrent
// is not installed. They share one rTorrent and run one at a time (RESOURCE_LOCK).
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "jobs/rtorrent/endpoint.h"
#include "jobs/rtorrent/rpc_client.h"
#include "tests/rtorrent/test_support.h"

namespace torque::rtorrent {
namespace {

namespace fs = std::filesystem;
using Code = Status::Code;

constexpr const char* kUnknownHash = "0123456789ABCDEF0123456789ABCDEF01234567";

using testing::OnPath;
using testing::ReadFile;

struct Torrent {
  std::string hash;
  std::string name;
  std::string metafile;
};

class RtorrentItTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* socket = std::getenv("TORQUE_RT_SOCKET");
    if (socket == nullptr || *socket == '\0') {
      GTEST_SKIP() << "TORQUE_RT_SOCKET is not set (run through ctest with the rTorrent kit)";
    }
    if (!OnPath("rtorrent")) GTEST_SKIP() << "rtorrent is not installed";
    socket_ = socket;
    Result<Endpoint> endpoint = ParseEndpoint(socket_);
    ASSERT_TRUE(endpoint.ok()) << endpoint.status().ToString();
    rpc_ = std::make_unique<ScgiRpc>(*endpoint);
    client_ = std::make_unique<RtorrentClient>(*rpc_);

    char tmpl[] = "/tmp/rtit-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    // A clean slate: nothing from an earlier test or run stays in the view.
    Result<std::vector<Array>> rows = client_->MultiCall2("main", {"d.hash="});
    ASSERT_TRUE(rows.ok()) << rows.status().ToString();
    for (const Array& row : *rows) ASSERT_TRUE(client_->Erase(row[0].AsString()).ok());
  }

  void TearDown() override {
    if (client_) {
      Result<std::vector<Array>> rows = client_->MultiCall2("main", {"d.hash="});
      if (rows.ok()) {
        for (const Array& row : *rows) (void)client_->Erase(row[0].AsString());
      }
    }
    if (!dir_.empty()) fs::remove_all(dir_);
  }

  // A single-file torrent of small data in the temp dir, made by the kit's torrent_tool.py.
  Torrent MakeTorrent(const std::string& name) {
    Torrent t;
    t.name = name;
    std::ofstream(dir_ / name) << "data of " << name << "\n";
    fs::path out = dir_ / (name + ".torrent");
    std::string python = access("/usr/bin/python3", X_OK) == 0 ? "/usr/bin/python3" : "python3";
    std::string command = python + " '" TORQUE_RT_KIT "/torrent_tool.py' create '" +
                          (dir_ / name).string() + "' -o '" + out.string() + "'";
    std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(command.c_str(), "r"), &pclose);
    char line[128] = {};
    if (pipe && fgets(line, sizeof line, pipe.get())) t.hash = std::string(line, 40);
    EXPECT_EQ(t.hash.size(), 40u) << command;
    t.metafile = ReadFile(out);
    return t;
  }

  // Loads `t` stopped with its data directory set, plus `commands`.
  void LoadStopped(const Torrent& t, std::vector<std::string> commands = {}) {
    commands.insert(commands.begin(), "d.directory.set=" + dir_.string());
    Status loaded = client_->LoadRaw(t.metafile, LoadMode::kNormal, true, commands);
    ASSERT_TRUE(loaded.ok()) << loaded.ToString();
    WaitLoaded(t.hash);
  }

  // rTorrent answers load.* before the item exists (its main loop adds it later): polls
  // d.hash until it does, for at most 10 s.
  void WaitLoaded(const std::string& hash) {
    for (int i = 0; i < 1000; ++i) {
      Result<Value> found = rpc_->Call("d.hash", {Value(hash)});
      if (found.ok()) return;
      ASSERT_EQ(found.status().code(), Code::kNotFound) << found.status().ToString();
      usleep(10 * 1000);
    }
    FAIL() << hash << " did not appear within 10 s";
  }

  // One field of one item, by a direct call.
  Value Field(const std::string& method, const std::string& hash) {
    Result<Value> value = rpc_->Call(method, {Value(hash)});
    EXPECT_TRUE(value.ok()) << method << ": " << value.status().ToString();
    return value.ok() ? *value : Value();
  }

  std::vector<std::string> MainHashes() {
    Result<std::vector<Array>> rows = client_->MultiCall2("main", {"d.hash="});
    EXPECT_TRUE(rows.ok()) << rows.status().ToString();
    std::vector<std::string> hashes;
    if (rows.ok()) {
      for (const Array& row : *rows) hashes.push_back(row[0].AsString());
    }
    std::sort(hashes.begin(), hashes.end());
    return hashes;
  }

  std::string socket_;
  fs::path dir_;
  std::unique_ptr<ScgiRpc> rpc_;
  std::unique_ptr<RtorrentClient> client_;
};

TEST_F(RtorrentItTest, ClientVersion) {
  Result<std::string> version = client_->ClientVersion();
  ASSERT_TRUE(version.ok()) << version.status().ToString();
  EXPECT_TRUE(std::regex_match(*version, std::regex(R"(\d+\.\d+\.\d+)"))) << *version;
}

TEST_F(RtorrentItTest, LoadRawWithCommandsThenOneMultiCall2) {
  std::vector<Torrent> torrents;
  for (int i = 1; i <= 3; ++i) {
    torrents.push_back(MakeTorrent("item " + std::to_string(i) + " \xc3\xa9.bin"));
    LoadStopped(torrents.back(),
                {"d.custom1.set=" + QuoteCommandArg("label " + std::to_string(i) + " \"q\""),
                 "d.priority.set=" + std::to_string(i),
                 "d.custom.set=tm_loaded,170000000" + std::to_string(i)});
  }
  const int64_t before = rpc_->RoundTrips();
  Result<std::vector<Array>> rows = client_->MultiCall2(
      "main", {"d.hash", "d.name=", "d.custom1=", "d.priority=", "d.custom=tm_loaded",
               "d.size_bytes=", "d.state=", "d.is_open="});
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  EXPECT_EQ(rpc_->RoundTrips(), before + 1);
  EXPECT_EQ(rpc_->CallCount("d.multicall2"), 2);  // SetUp's clean slate + this query

  std::sort(rows->begin(), rows->end(),
            [](const Array& a, const Array& b) { return a[0].AsString() < b[0].AsString(); });
  std::sort(torrents.begin(), torrents.end(),
            [](const Torrent& a, const Torrent& b) { return a.hash < b.hash; });
  ASSERT_EQ(rows->size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    const Torrent& t = torrents[i];
    const std::string n(1, t.name[5]);  // "item N ..."
    int64_t size = static_cast<int64_t>(fs::file_size(dir_ / t.name));
    EXPECT_EQ((*rows)[i], (Array{Value(t.hash), Value(t.name), Value("label " + n + " \"q\""),
                                 Value(int64_t{std::stoi(n)}), Value("170000000" + n), Value(size),
                                 Value(0), Value(0)}));
  }
}

TEST_F(RtorrentItTest, UnquotedSpaceDropsTheRestOfTheLoadCommands) {
  // Why QuoteCommandArg exists: rTorrent 0.9.8 answers 0 and silently skips the rest.
  Torrent t = MakeTorrent("unquoted.bin");
  LoadStopped(t, {"d.custom1.set=two words", "d.priority.set=3"});
  EXPECT_EQ(Field("d.custom1", t.hash), Value(""));
  EXPECT_EQ(Field("d.priority", t.hash), Value(2));  // the default, not 3
}

TEST_F(RtorrentItTest, PriorityAndCustomRoundTrip) {
  Torrent t = MakeTorrent("custom.bin");
  LoadStopped(t);
  ASSERT_TRUE(client_->SetPriority(t.hash, 3).ok());
  EXPECT_EQ(Field("d.priority", t.hash), Value(3));
  ASSERT_TRUE(client_->SetPriority(t.hash, 0).ok());
  EXPECT_EQ(Field("d.priority", t.hash), Value(0));
  EXPECT_EQ(rpc_->CallCount("system.multicall"), 2);

  ASSERT_TRUE(client_->SetCustom(t.hash, "1", "tv shows \xc3\xa9").ok());
  EXPECT_EQ(*client_->GetCustom(t.hash, "1"), "tv shows \xc3\xa9");
  EXPECT_EQ(Field("d.custom1", t.hash), Value("tv shows \xc3\xa9"));
  ASSERT_TRUE(client_->SetCustom(t.hash, "5", "five").ok());
  EXPECT_EQ(*client_->GetCustom(t.hash, "5"), "five");
  ASSERT_TRUE(client_->SetCustom(t.hash, "tm_loaded", "1700000000").ok());
  EXPECT_EQ(*client_->GetCustom(t.hash, "tm_loaded"), "1700000000");
  EXPECT_EQ(*client_->GetCustom(t.hash, "never_set"), "");
}

TEST_F(RtorrentItTest, StartAndStop) {
  Torrent t = MakeTorrent("start.bin");
  LoadStopped(t);
  EXPECT_EQ(Field("d.state", t.hash), Value(0));
  ASSERT_TRUE(client_->Start(t.hash).ok());
  EXPECT_EQ(rpc_->CallCount("system.multicall"), 1);
  EXPECT_EQ(rpc_->CallCount("d.open"), 0);  // inside the multicall, not a call of its own
  EXPECT_EQ(Field("d.state", t.hash), Value(1));
  EXPECT_EQ(Field("d.is_open", t.hash), Value(1));
  // (d.is_active follows only once rTorrent has checked the data: not asserted.)
  ASSERT_TRUE(client_->Stop(t.hash).ok());
  EXPECT_EQ(Field("d.state", t.hash), Value(0));
  EXPECT_EQ(Field("d.is_open", t.hash), Value(0));
}

TEST_F(RtorrentItTest, LoadRawStartStartsTheItem) {
  Torrent t = MakeTorrent("raw_start.bin");
  ASSERT_TRUE(
      client_->LoadRaw(t.metafile, LoadMode::kStart, false, {"d.directory.set=" + dir_.string()})
          .ok());
  WaitLoaded(t.hash);
  EXPECT_EQ(Field("d.state", t.hash), Value(1));
}

TEST_F(RtorrentItTest, LoadByPathAndErase) {
  Torrent t = MakeTorrent("by_path.bin");
  const fs::path file = dir_ / "by_path.bin.torrent";
  ASSERT_TRUE(client_
                  ->Load(LoadMode::kNormal, true, file.string(),
                         {"d.directory.set=" + dir_.string(), "d.custom1.set=path"})
                  .ok());
  WaitLoaded(t.hash);
  EXPECT_EQ(MainHashes(), std::vector<std::string>{t.hash});
  EXPECT_EQ(*client_->GetCustom(t.hash, "1"), "path");
  EXPECT_EQ(Field("d.tied_to_file", t.hash), Value(file.string()));

  ASSERT_TRUE(client_->Erase(t.hash).ok());
  EXPECT_TRUE(MainHashes().empty());
  // rTorrent's default erase handler deletes the tied metafile (see RtorrentClient::Load).
  EXPECT_FALSE(fs::exists(file));
  Result<std::string> gone = client_->GetCustom(t.hash, "1");
  EXPECT_EQ(gone.status().code(), Code::kNotFound);
}

TEST_F(RtorrentItTest, UnknownHashIsNotFound) {
  for (const Status& status :
       {client_->Start(kUnknownHash), client_->Stop(kUnknownHash), client_->Erase(kUnknownHash),
        client_->SetPriority(kUnknownHash, 1), client_->SetCustom(kUnknownHash, "1", "x"),
        client_->GetCustom(kUnknownHash, "k").status()}) {
    EXPECT_EQ(status.code(), Code::kNotFound) << status.ToString();
    EXPECT_EQ(status.message(), "rTorrent fault -501: Could not find info-hash.");
    ASSERT_TRUE(FaultOf(status).has_value());
    EXPECT_EQ(FaultOf(status)->code, -501);
  }
}

TEST_F(RtorrentItTest, SystemMultiCallMixesValuesAndFaults) {
  Torrent t = MakeTorrent("multi.bin");
  LoadStopped(t);
  Result<std::vector<Result<Value>>> results =
      client_->SystemMultiCall({{"d.name", {t.hash}},
                                {"d.name", {kUnknownHash}},
                                {"d.custom.set", {t.hash, "k", 1}},
                                {"no.such.method", {}},
                                {"d.size_bytes", {t.hash}}});
  ASSERT_TRUE(results.ok()) << results.status().ToString();
  ASSERT_EQ(results->size(), 5u);
  EXPECT_EQ((*results)[0].value(), Value(t.name));
  EXPECT_EQ((*results)[1].status().message(), "rTorrent fault -501: Could not find info-hash.");
  EXPECT_EQ((*results)[2].status().message(), "rTorrent fault -503: Wrong object type.");
  EXPECT_EQ((*results)[3].status().code(), Code::kInvalidArgument);
  EXPECT_EQ(FaultOf((*results)[3].status())->code, -506);
  EXPECT_EQ((*results)[4].value(), Value(int64_t(fs::file_size(dir_ / t.name))));
  EXPECT_EQ(rpc_->CallCount("system.multicall"), 1);
}

TEST_F(RtorrentItTest, PrintIsAccepted) {
  // rTorrent keeps printed lines in its message buffer (the UI's log), not in any file.
  EXPECT_TRUE(client_->Print("torque integration test: hello").ok());
  EXPECT_EQ(rpc_->CallCount("print"), 1);
}

TEST_F(RtorrentItTest, CorruptTorrentIsOnlyLogged) {
  const fs::path log = fs::path(socket_).parent_path() / "rtorrent.log";
  const std::string message = "Could not create download, the input is not a valid torrent.";
  auto count = [&] {
    std::string text = ReadFile(log);
    size_t n = 0;
    for (size_t pos = text.find(message); pos != std::string::npos;
         pos = text.find(message, pos + 1)) {
      ++n;
    }
    return n;
  };
  const size_t logged_before = count();
  // rTorrent answers 0 for garbage: the client cannot tell, the item just never appears.
  EXPECT_TRUE(client_->LoadRaw("this is not a torrent", LoadMode::kNormal, true).ok());
  // rTorrent's main loop tries the load after answering; wait (10 s at most) for its log line.
  for (int i = 0; i < 1000 && count() == logged_before; ++i) usleep(10 * 1000);
  EXPECT_EQ(count(), logged_before + 1) << log;
  EXPECT_TRUE(MainHashes().empty());
}

}  // namespace
}  // namespace torque::rtorrent
