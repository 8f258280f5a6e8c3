// SystemdNotifier against real datagram sockets, at a path and in the abstract namespace.
#include "server/systemd_notify.h"

#include <gtest/gtest.h>
#include <poll.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/local/datagram_protocol.hpp>
#include <cstdlib>
#include <string>

#include "tests/test_env.h"

namespace torque::server {
namespace {

namespace asio = boost::asio;
using Datagram = asio::local::datagram_protocol;
using torque::testing::TempDir;

// systemd's end: a bound datagram socket; Receive waits up to 10 s for one message.
class ServiceManagerEnd {
 public:
  explicit ServiceManagerEnd(const std::string& address) : socket_(io_) {
    std::string path = address;
    if (path[0] == '@') path[0] = '\0';
    socket_.open(Datagram());
    socket_.bind(Datagram::endpoint(path));
  }
  std::string Receive() {
    pollfd p{socket_.native_handle(), POLLIN, 0};
    if (poll(&p, 1, 10'000) != 1) return "<nothing received>";
    std::string buf(4096, '\0');
    buf.resize(socket_.receive(asio::buffer(buf)));
    return buf;
  }

 private:
  asio::io_context io_;
  Datagram::socket socket_;
};

TEST(SystemdNotifyTest, ReadyReloadingAndStoppingReachAPathSocket) {
  TempDir dir;
  const std::string path = dir.path() + "/notify.sock";
  ServiceManagerEnd manager(path);
  SystemdNotifier notifier(path);
  ASSERT_TRUE(notifier.active());
  ASSERT_TRUE(notifier.Ready("ready on x\nwith a second line").ok());
  EXPECT_EQ(manager.Receive(), "READY=1\nMAINPID=" + std::to_string(getpid()) +
                                   "\nSTATUS=ready on x with a second line");
  ASSERT_TRUE(notifier.Reloading().ok());
  const std::string reloading = manager.Receive();
  EXPECT_EQ(reloading.rfind("RELOADING=1\nMONOTONIC_USEC=", 0), 0u) << reloading;
  EXPECT_NE(reloading.find("\nSTATUS=reloading the configuration"), std::string::npos);
  ASSERT_TRUE(notifier.Stopping("termination requested").ok());
  EXPECT_EQ(manager.Receive(), "STOPPING=1\nSTATUS=termination requested");
  ASSERT_TRUE(notifier.Failed("cannot open database").ok());
  EXPECT_EQ(manager.Receive(), "STATUS=start-up failed: cannot open database");
}

TEST(SystemdNotifyTest, AnAbstractSocketIsNamedWithAnAt) {
  const std::string name = "@torque-notify-test-" + std::to_string(getpid());
  ServiceManagerEnd manager(name);
  ASSERT_TRUE(SystemdNotifier(name).Send("READY=1").ok());
  EXPECT_EQ(manager.Receive(), "READY=1");
}

TEST(SystemdNotifyTest, FromEnvironmentTakesTheVariableAway) {
  setenv("NOTIFY_SOCKET", "@torque-x", 1);
  EXPECT_TRUE(SystemdNotifier::FromEnvironment().active());
  EXPECT_EQ(std::getenv("NOTIFY_SOCKET"), nullptr);  // jobs do not inherit it
  EXPECT_FALSE(SystemdNotifier::FromEnvironment().active());
}

TEST(SystemdNotifyTest, InactiveSendsNothingAndBadSocketsAreErrors) {
  EXPECT_TRUE(SystemdNotifier().Ready("x").ok());
  Status relative = SystemdNotifier("relative/path").Send("READY=1");
  EXPECT_EQ(relative.code(), Status::Code::kInvalidArgument);
  TempDir dir;
  Status nobody = SystemdNotifier(dir.path() + "/nobody.sock").Send("READY=1");
  EXPECT_EQ(nobody.code(), Status::Code::kIoError);
  EXPECT_NE(nobody.message().find("cannot notify systemd on " + dir.path()), std::string::npos)
      << nobody.message();
}

}  // namespace
}  // namespace torque::server
