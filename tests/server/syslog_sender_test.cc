// SyslogSender against real UDP (IPv4, IPv6) and unix datagram / stream sockets.
#include "server/syslog_sender.h"

#include <gtest/gtest.h>
#include <poll.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/local/datagram_protocol.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/read_until.hpp>
#include <ctime>
#include <regex>
#include <chrono>
#include <set>
#include <string>

#include "core/notify_config.h"
#include "tests/server/test_support.h"

namespace torque::server {
namespace {

namespace asio = boost::asio;

std::string ShortHostName() {
  char buf[256] = {};
  gethostname(buf, sizeof(buf) - 1);
  std::string host = buf;
  return host.substr(0, host.find('.'));
}

// Waits up to 10 s for one datagram on `fd`.
template <typename Socket>
std::string ReceiveOne(Socket& socket) {
  pollfd p{socket.native_handle(), POLLIN, 0};
  if (poll(&p, 1, 10'000) != 1) return "<nothing received>";
  std::string buf(65536, '\0');
  size_t n = socket.receive(asio::buffer(buf));
  buf.resize(n);
  return buf;
}

// Every "Mmm dd hh:mm:ss" between `start` and now. Now comes from the precise clock the
// sender reads: time() may lag it by a tick, just after a second begins.
std::set<std::string> TimestampsSince(time_t start) {
  std::set<std::string> out;
  const time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  for (time_t t = start; t <= now; ++t) {
    struct tm tm {};
    localtime_r(&t, &tm);
    char buf[32];
    strftime(buf, sizeof(buf), "%b %e %H:%M:%S", &tm);
    out.insert(buf);
  }
  return out;
}

// Checks "<PRI>TIMESTAMP REST" exactly, the timestamp against the clock.
void ExpectDatagram(const std::string& got, const std::string& pri, time_t start,
                    const std::string& rest) {
  ASSERT_GE(got.size(), pri.size() + 15) << got;
  EXPECT_EQ(got.substr(0, pri.size()), pri);
  std::string stamp = got.substr(pri.size(), 15);
  EXPECT_TRUE(std::regex_match(stamp, std::regex("[A-Z][a-z]{2} [ 1-3][0-9] \\d\\d:\\d\\d:\\d\\d")))
      << stamp;
  EXPECT_EQ(TimestampsSince(start).count(stamp), 1u) << stamp;
  EXPECT_EQ(got.substr(pri.size() + 15), rest);
}

constexpr int kLocal3 = 19;

TEST(SyslogSenderTest, UdpDatagramCarriesHostName) {
  asio::io_context io;
  asio::ip::udp::socket listener(io, {asio::ip::make_address("127.0.0.1"), 0});
  for (std::string prefix : {"", "udp:"}) {
    NotifySettings s;
    s.syslog_address = prefix + "127.0.0.1:" + std::to_string(listener.local_endpoint().port());
    s.syslog_facility = kLocal3;
    time_t start = time(nullptr);
    Status st = SyslogSender(s).Send(SyslogSender::Severity::kError, "torque-mail",
                                     "job 17 failed:\nexit 3\r\ncrlf\rcr");
    ASSERT_TRUE(st.ok()) << st.ToString();
    ExpectDatagram(ReceiveOne(listener), "<155>", start,
                   " " + ShortHostName() + " torque-mail[" + std::to_string(getpid()) +
                       "]: job 17 failed: exit 3 crlf cr");
  }
}

TEST(SyslogSenderTest, UdpOverIpv6) {
  asio::io_context io;
  asio::ip::udp::socket listener(io);
  boost::system::error_code ec;
  listener.open(asio::ip::udp::v6(), ec);
  if (!ec) listener.bind({asio::ip::make_address("::1"), 0}, ec);
  if (ec) GTEST_SKIP() << "no IPv6 loopback: " << ec.message();
  NotifySettings s;
  s.syslog_address = "[::1]:" + std::to_string(listener.local_endpoint().port());
  time_t start = time(nullptr);
  ASSERT_TRUE(SyslogSender(s).Send(SyslogSender::Severity::kInfo, "", "hello").ok());
  ExpectDatagram(ReceiveOne(listener), "<14>", start,
                 " " + ShortHostName() + " torqued[" + std::to_string(getpid()) + "]: hello");
}

TEST(SyslogSenderTest, UnixDatagramHasNoHostNameAndDefaultIdent) {
  testing::TempDir dir;
  asio::io_context io;
  std::string path = dir.File("log");
  asio::local::datagram_protocol::socket listener(io,
                                                  asio::local::datagram_protocol::endpoint(path));
  for (std::string address : {"unix:" + path, path}) {
    NotifySettings s;
    s.syslog_address = address;
    s.syslog_facility = kLocal3;
    s.syslog_ident = "my ident";
    time_t start = time(nullptr);
    ASSERT_TRUE(SyslogSender(s).Send(SyslogSender::Severity::kWarning, "", "two\nlines").ok());
    ExpectDatagram(ReceiveOne(listener), "<156>", start,
                   " my_ident[" + std::to_string(getpid()) + "]: two lines");
  }
}

TEST(SyslogSenderTest, TruncatesAt2048OnACharacterBoundary) {
  testing::TempDir dir;
  asio::io_context io;
  std::string path = dir.File("log");
  asio::local::datagram_protocol::socket listener(io,
                                                  asio::local::datagram_protocol::endpoint(path));
  NotifySettings s;
  s.syslog_address = path;
  std::string euros;
  for (int i = 0; i < 1000; ++i) euros += "€";  // 3 bytes each
  // Idents of 1..3 bytes put the cut at each position within a character.
  for (std::string ident : {"a", "ab", "abc"}) {
    time_t start = time(nullptr);
    ASSERT_TRUE(SyslogSender(s).Send(SyslogSender::Severity::kError, ident, euros).ok());
    std::string got = ReceiveOne(listener);
    std::string head = " " + ident + "[" + std::to_string(getpid()) + "]: ";
    size_t header = 4 + 15 + head.size();  // "<11>" + timestamp + head
    size_t chars = (2048 - header) / 3;
    ExpectDatagram(got, "<11>", start, head + euros.substr(0, 3 * chars));
    EXPECT_LE(got.size(), 2048u);
    EXPECT_GT(got.size(), 2045u);
  }
}

TEST(SyslogSenderTest, StreamSocketGetsANulTerminatedRecord) {
  testing::TempDir dir;
  asio::io_context io;
  std::string path = dir.File("log");
  asio::local::stream_protocol::acceptor acceptor(io, asio::local::stream_protocol::endpoint(path));
  NotifySettings s;
  s.syslog_address = "unix:" + path;
  time_t start = time(nullptr);
  ASSERT_TRUE(SyslogSender(s).Send(SyslogSender::Severity::kNotice, "x", "hi").ok());
  asio::local::stream_protocol::socket conn = acceptor.accept();
  std::string got;
  size_t n = asio::read_until(conn, asio::dynamic_buffer(got), '\0');
  ASSERT_EQ(n, got.size());
  ExpectDatagram(got, "<13>", start, " x[" + std::to_string(getpid()) + "]: hi" + '\0');
}

TEST(SyslogSenderTest, NothingListeningIsUnavailable) {
  testing::TempDir dir;
  NotifySettings s;
  s.syslog_address = "unix:" + dir.File("missing");
  Status st = SyslogSender(s).Send(SyslogSender::Severity::kError, "", "m");
  EXPECT_EQ(st.code(), Status::Code::kUnavailable);
  EXPECT_EQ(st.message(),
            "cannot send to syslog at unix:" + dir.File("missing") + ": No such file or directory");

  {  // a socket file left behind by a daemon that is gone
    asio::io_context io;
    asio::local::datagram_protocol::socket gone(
        io, asio::local::datagram_protocol::endpoint(dir.File("stale")));
  }
  s.syslog_address = dir.File("stale");
  st = SyslogSender(s).Send(SyslogSender::Severity::kError, "", "m");
  EXPECT_EQ(st.code(), Status::Code::kUnavailable);
  EXPECT_EQ(st.message(),
            "cannot send to syslog at unix:" + dir.File("stale") + ": Connection refused");
}

TEST(SyslogSenderTest, BadAddressesAndFacility) {
  struct Case {
    std::string address;
    std::string error;
  } cases[] = {
      {"unix:", "bad syslog_address 'unix:': no socket path"},
      {"udp:", "bad syslog_address 'udp:': no host"},
      {":514", "bad syslog_address ':514': no host"},
      {"host:0", "bad syslog_address 'host:0': bad port '0'"},
      {"host:65536", "bad syslog_address 'host:65536': bad port '65536'"},
      {"host:x", "bad syslog_address 'host:x': bad port 'x'"},
      {"host:", "bad syslog_address 'host:': bad port ''"},
      {"[::1", "bad syslog_address '[::1': missing ']'"},
      {"[::1]514", "bad syslog_address '[::1]514': expected ':PORT' after ']'"},
      {"/" + std::string(200, 'p'),
       "bad syslog_address '/" + std::string(200, 'p') + "': socket path too long"},
  };
  for (const Case& c : cases) {
    NotifySettings s;
    s.syslog_address = c.address;
    Status st = SyslogSender(s).Send(SyslogSender::Severity::kError, "", "m");
    EXPECT_EQ(st.code(), Status::Code::kInvalidArgument) << c.address;
    EXPECT_EQ(st.message(), c.error);
  }
  NotifySettings s;
  s.syslog_facility = 24;
  EXPECT_EQ(SyslogSender(s).Send(SyslogSender::Severity::kError, "", "m").message(),
            "bad syslog_facility 24");
}

}  // namespace
}  // namespace torque::server
