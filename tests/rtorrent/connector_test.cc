// LocateRtorrent (pyrocore's rule), ScgiConnectorFactory and its connectors against local
// SCGI servers, and the call limits a connection honours.
#include "jobs/rtorrent/connector.h"

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "core/cancel_signal.h"
#include "jobs/rtorrent/rpc_client.h"
#include "tests/rtorrent/test_server.h"
#include "tests/test_env.h"

namespace torque::rtorrent {
namespace {

using Code = Status::Code;
using testing::ScgiOk;
using testing::SendAll;
using testing::TestServer;

// Short, for socket paths.
class TempDir : public torque::testing::TempDir {
 public:
  TempDir() : torque::testing::TempDir("rtc") {}
};

RtorrentConfig Config(const std::string& url, const std::string& rtorrent_rc = "") {
  RtorrentConfig config;
  config.url = url;
  config.rtorrent_rc = rtorrent_rc;
  return config;
}

// ---- LocateRtorrent ----

TEST(LocateRtorrentTest, UrlWinsOverRtorrentRc) {
  TempDir dir;
  const std::string rc = dir.Write("rtorrent.rc", "network.scgi.open_local = /tmp/rc.sock\n");
  Result<Endpoint> endpoint = LocateRtorrent(Config("scgi://127.0.0.1:5000", rc));
  ASSERT_TRUE(endpoint.ok()) << endpoint.status().ToString();
  EXPECT_EQ(endpoint->ToString(), "scgi://127.0.0.1:5000");
}

TEST(LocateRtorrentTest, ElseTheListenerRtorrentRcOpens) {
  TempDir dir;
  const std::string rc = dir.Write("rtorrent.rc", "network.scgi.open_local = /tmp/rc.sock\n");
  Result<Endpoint> endpoint = LocateRtorrent(Config("", rc));
  ASSERT_TRUE(endpoint.ok()) << endpoint.status().ToString();
  EXPECT_EQ(endpoint->ToString(), "scgi:///tmp/rc.sock");
  dir.Write("rtorrent.rc", "network.scgi.open_port = :5001\n");
  endpoint = LocateRtorrent(Config("", rc));
  ASSERT_TRUE(endpoint.ok()) << endpoint.status().ToString();
  EXPECT_EQ(endpoint->ToString(), "scgi://127.0.0.1:5001");
}

TEST(LocateRtorrentTest, Errors) {
  TempDir dir;
  const std::string missing = dir.File("missing.rc");
  const std::string silent = dir.Write("silent.rc", "directory.default.set = /tmp\n");
  const std::string relative = dir.Write("relative.rc", "network.scgi.open_local = rt.sock\n");
  struct Case {
    RtorrentConfig config;
    Code code;
    std::string message;
  };
  const Case cases[] = {
      {Config("", missing), Code::kNotFound,
       "no rTorrent URL: cannot read " + missing + ": No such file or directory"},
      {Config("", silent), Code::kNotFound,
       "no rTorrent URL: " + silent +
           " opens no SCGI listener (no network.scgi.open_local or network.scgi.open_port)"},
      {Config("", relative), Code::kInvalidArgument,
       relative + ":1: network.scgi.open_local 'rt.sock' is not an absolute path"},
      {Config("ftp://x", silent), Code::kInvalidArgument,
       "unsupported rTorrent URL 'ftp://x': use scgi:///path/to/socket or scgi://host:port"},
  };
  for (const Case& c : cases) {
    Result<Endpoint> endpoint = LocateRtorrent(c.config);
    ASSERT_FALSE(endpoint.ok()) << c.message;
    EXPECT_EQ(endpoint.status().code(), c.code) << c.message;
    EXPECT_EQ(endpoint.status().message(), c.message);
  }
}

// ---- ScgiConnectorFactory ----

const char kVersionAnswer[] =
    "<?xml version=\"1.0\"?><methodResponse><params><param><value><string>0.9.8</string>"
    "</value></param></params></methodResponse>";

// Connects through `connector` and asks `server` for its version.
void ExpectReaches(const Connector& connector, TestServer& server) {
  server.ServeOnce([](int fd) { SendAll(fd, ScgiOk(kVersionAnswer)); });
  Result<std::unique_ptr<Rpc>> rpc = connector.Connect({});
  ASSERT_TRUE(rpc.ok()) << rpc.status().ToString();
  RtorrentClient client(**rpc);
  Result<std::string> version = client.ClientVersion();
  EXPECT_TRUE(version.ok()) << version.status().ToString();
  EXPECT_NE(server.request().find("system.client_version"), std::string::npos);
}

TEST(ScgiConnectorFactoryTest, BadUrlIsInvalidArgumentNamingIt) {
  ScgiConnectorFactory factory(Config("scgi://127.0.0.1:5000"));
  auto connector = factory.For("http://localhost/RPC2");
  EXPECT_EQ(connector.status().code(), Code::kInvalidArgument);
  EXPECT_EQ(connector.status().message(),
            "unsupported rTorrent URL 'http://localhost/RPC2': use scgi:///path/to/socket or "
            "scgi://host:port");
  ScgiConnectorFactory bad_section(Config("rt.sock"));
  connector = bad_section.For("");
  EXPECT_EQ(connector.status().code(), Code::kInvalidArgument);
  EXPECT_NE(connector.status().message().find("'rt.sock'"), std::string::npos);
  // A type's own good URL does not need the section's.
  EXPECT_TRUE(bad_section.For("scgi://127.0.0.1:5000").ok());
}

TEST(ScgiConnectorFactoryTest, TypeUrlOverridesTheSectionUrl) {
  TempDir dir;
  TestServer section(dir);
  TestServer own;  // TCP
  ScgiConnectorFactory factory(Config(section.endpoint().ToString()));

  auto by_section = factory.For("");
  ASSERT_TRUE(by_section.ok()) << by_section.status().ToString();
  EXPECT_EQ((*by_section)->Describe(), "scgi://" + dir.path() + "/rt.sock");
  ExpectReaches(**by_section, section);

  auto by_type = factory.For(own.endpoint().ToString());
  ASSERT_TRUE(by_type.ok()) << by_type.status().ToString();
  EXPECT_EQ((*by_type)->Describe(), own.endpoint().ToString());
  ExpectReaches(**by_type, own);
}

TEST(ScgiConnectorFactoryTest, RtorrentRcIsReadAtConnectTime) {
  TempDir dir;
  const std::string rc = dir.File("rtorrent.rc");
  ScgiConnectorFactory factory(Config("", rc));
  auto connector = factory.For("");  // no rtorrent.rc yet: no I/O here
  ASSERT_TRUE(connector.ok()) << connector.status().ToString();
  EXPECT_EQ((*connector)->Describe(), "rtorrent_rc " + rc);
  Result<std::unique_ptr<Rpc>> rpc = (*connector)->Connect({});
  EXPECT_EQ(rpc.status().code(), Code::kNotFound);
  EXPECT_EQ(rpc.status().message(),
            "no rTorrent URL: cannot read " + rc + ": No such file or directory");

  TestServer server(dir);
  dir.Write("rtorrent.rc", "network.scgi.open_local = " + server.endpoint().path + "\n");
  ExpectReaches(**connector, server);

  dir.Write("rtorrent.rc", "network.scgi.open_local = (cat,rt.sock)\n");
  EXPECT_EQ((*connector)->Connect({}).status().code(), Code::kInvalidArgument);
}

// ---- Call limits ----

TEST(ScgiConnectorFactoryTest, ConnectionsHonourTheCallLimits) {
  TempDir dir;
  TestServer server(dir);  // listens, never accepts: the request is written, no answer comes
  RtorrentConfig config = Config(server.endpoint().ToString());
  config.timeout = 30000;
  auto connector = ScgiConnectorFactory(config).For("");
  ASSERT_TRUE(connector.ok()) << connector.status().ToString();

  // Cancelled from another thread.
  CancelSignal signal;
  Result<std::unique_ptr<Rpc>> rpc = (*connector)->Connect({&signal, std::nullopt});
  ASSERT_TRUE(rpc.ok()) << rpc.status().ToString();
  std::thread raiser([&signal] {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    signal.Raise();
  });
  const auto start = std::chrono::steady_clock::now();
  Result<Value> answer = (*rpc)->Call("system.client_version", {});
  const auto took = std::chrono::steady_clock::now() - start;
  raiser.join();
  EXPECT_EQ(answer.status().code(), Code::kCancelled) << answer.status().ToString();
  EXPECT_EQ(answer.status().message(),
            "call to rTorrent at scgi://" + dir.path() + "/rt.sock cancelled");
  EXPECT_LT(took, std::chrono::seconds(10));  // not the 30 s timeout

  // A deadline.
  rpc = (*connector)
            ->Connect({nullptr, std::chrono::steady_clock::now() + std::chrono::milliseconds(100)});
  ASSERT_TRUE(rpc.ok()) << rpc.status().ToString();
  answer = (*rpc)->Call("system.client_version", {});
  EXPECT_EQ(answer.status().code(), Code::kTimeout) << answer.status().ToString();

  // No limits: [rtorrent] timeout per call.
  config.timeout = 200;
  connector = ScgiConnectorFactory(config).For("");
  ASSERT_TRUE(connector.ok()) << connector.status().ToString();
  rpc = (*connector)->Connect({});
  ASSERT_TRUE(rpc.ok()) << rpc.status().ToString();
  answer = (*rpc)->Call("system.client_version", {});
  EXPECT_EQ(answer.status().code(), Code::kTimeout);
  EXPECT_EQ(answer.status().message(),
            "rTorrent at scgi://" + dir.path() + "/rt.sock did not answer within 200 ms");
}

}  // namespace
}  // namespace torque::rtorrent
