#include "server/syslog_sender.h"

#include <sys/un.h>
#include <unistd.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/local/datagram_protocol.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/write.hpp>
#include <cstdio>
#include <ctime>
#include <exception>
#include <utility>

#include "core/clock.h"
#include "core/host_name.h"

namespace torque::server {
namespace {

// Longest datagram sent (RFC 3164 allows 1024; every current daemon takes 2048).
constexpr size_t kMaxDatagram = 2048;
constexpr int kMaxFacility = 23;
constexpr char kDefaultPort[] = "514";
constexpr char kDefaultSocket[] = "/dev/log";
constexpr char kMonths[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                 "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

// Where datagrams go, parsed from syslog_address.
struct Target {
  bool udp = false;
  std::string path;  // unix
  std::string host;  // udp
  std::string port;  // udp
  std::string Name() const {
    if (!udp) return "unix:" + path;
    return "udp:" + (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" + port;
  }
};

Result<Target> BadAddress(const std::string& address, const std::string& why) {
  return Status::InvalidArgument("bad syslog_address '" + address + "': " + why);
}

// "" | "unix:/path" | "/path" | ["udp:"]host[:port] | ["udp:"][v6addr][:port].
Result<Target> ParseAddress(const std::string& address) {
  Target t;
  if (address.empty()) {
    t.path = kDefaultSocket;
    return t;
  }
  if (address.starts_with("unix:") || address.starts_with("/")) {
    t.path = address.starts_with("/") ? address : address.substr(5);
    if (t.path.empty()) return BadAddress(address, "no socket path");
    if (t.path.size() >= sizeof(sockaddr_un::sun_path)) {
      return BadAddress(address, "socket path too long");
    }
    return t;
  }
  t.udp = true;
  std::string rest = address.starts_with("udp:") ? address.substr(4) : address;
  t.port = kDefaultPort;
  if (rest.starts_with("[")) {
    size_t close = rest.find(']');
    if (close == std::string::npos) return BadAddress(address, "missing ']'");
    t.host = rest.substr(1, close - 1);
    std::string tail = rest.substr(close + 1);
    if (!tail.empty()) {
      if (tail[0] != ':') return BadAddress(address, "expected ':PORT' after ']'");
      t.port = tail.substr(1);
    }
  } else if (size_t colon = rest.find(':'); colon != std::string::npos) {
    if (rest.find(':', colon + 1) != std::string::npos) {
      t.host = rest;  // a bare IPv6 address: default port
    } else {
      t.host = rest.substr(0, colon);
      t.port = rest.substr(colon + 1);
    }
  } else {
    t.host = rest;
  }
  if (t.host.empty()) return BadAddress(address, "no host");
  bool digits = !t.port.empty() && t.port.size() <= 5 &&
                t.port.find_first_not_of("0123456789") == std::string::npos;
  if (!digits || std::stoi(t.port) < 1 || std::stoi(t.port) > 65535) {
    return BadAddress(address, "bad port '" + t.port + "'");
  }
  return t;
}

// The host name without its domain (RFC 3164 4.1.2).
std::string ShortHostName() {
  const std::string host = HostName();
  return host.substr(0, host.find('.'));
}

// "Mmm dd hh:mm:ss" in local time, the day padded with a space.
std::string Timestamp(TimeMs now) {
  time_t t = static_cast<time_t>(now / 1000);
  struct tm tm {};
  localtime_r(&t, &tm);
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%s %2d %02d:%02d:%02d", kMonths[tm.tm_mon % 12], tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec);
  return buf;
}

// `s` with each CRLF, CR and LF as one space; other control characters pass (the
// daemons escape them).
std::string Flatten(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\r' && i + 1 < s.size() && s[i + 1] == '\n') ++i;
    out += (s[i] == '\r' || s[i] == '\n') ? ' ' : s[i];
  }
  return out;
}

// Cuts `s` to at most `max` bytes without splitting a UTF-8 sequence.
void TruncateUtf8(std::string& s, size_t max) {
  if (s.size() <= max) return;
  size_t cut = max;  // back over at most 3 continuation bytes (invalid UTF-8: cut anyway)
  while (cut > 0 && max - cut < 3 && (static_cast<unsigned char>(s[cut]) & 0xc0) == 0x80) --cut;
  s.resize(cut);
}

// A tag without blanks or controls, which would end it early for the daemon.
std::string CleanIdent(const std::string& ident) {
  std::string out = ident;
  for (char& c : out) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) c = '_';
  }
  return out;
}

boost::system::error_code SendUnix(const std::string& path, const std::string& datagram) {
  boost::asio::io_context io;
  boost::system::error_code ec;
  boost::asio::local::datagram_protocol::socket socket(io);
  socket.open(boost::asio::local::datagram_protocol(), ec);
  if (ec) return ec;
  socket.send_to(boost::asio::buffer(datagram),
                 boost::asio::local::datagram_protocol::endpoint(path), 0, ec);
  if (ec != boost::system::errc::wrong_protocol_type) return ec;
  // A stream socket (old syslog daemons): one NUL-terminated record, as glibc sends.
  boost::asio::local::stream_protocol::socket stream(io);
  stream.connect(boost::asio::local::stream_protocol::endpoint(path), ec);
  if (ec) return ec;
  std::string record = datagram + '\0';
  boost::asio::write(stream, boost::asio::buffer(record), ec);
  return ec;
}

boost::system::error_code SendUdp(const Target& target, const std::string& datagram) {
  using boost::asio::ip::udp;
  boost::asio::io_context io;
  boost::system::error_code ec;
  udp::resolver resolver(io);
  auto results = resolver.resolve(target.host, target.port, udp::resolver::numeric_service, ec);
  if (ec) return ec;
  for (const auto& entry : results) {
    udp::socket socket(io);
    socket.open(entry.endpoint().protocol(), ec);
    if (ec) continue;
    socket.send_to(boost::asio::buffer(datagram), entry.endpoint(), 0, ec);
    if (!ec) return ec;
  }
  return ec ? ec : boost::asio::error::host_not_found;
}

}  // namespace

SyslogSender::SyslogSender(NotifySettings settings) : settings_(std::move(settings)) {}
SyslogSender::~SyslogSender() = default;

Status SyslogSender::Send(Severity severity, const std::string& ident, const std::string& message) {
  Result<Target> target = ParseAddress(settings_.syslog_address);
  if (!target.ok()) return target.status();
  if (settings_.syslog_facility < 0 || settings_.syslog_facility > kMaxFacility) {
    return Status::InvalidArgument("bad syslog_facility " +
                                   std::to_string(settings_.syslog_facility));
  }
  int pri = settings_.syslog_facility * 8 + static_cast<int>(severity);
  std::string datagram = "<" + std::to_string(pri) + ">" + Timestamp(SystemClock().Now()) + " ";
  if (target->udp) datagram += ShortHostName() + " ";
  datagram += CleanIdent(ident.empty() ? settings_.syslog_ident : ident);
  datagram += "[" + std::to_string(getpid()) + "]: " + Flatten(message);
  TruncateUtf8(datagram, kMaxDatagram);

  boost::system::error_code ec;
  try {
    ec = target->udp ? SendUdp(*target, datagram) : SendUnix(target->path, datagram);
  } catch (const std::exception& e) {
    return Status::Unavailable("cannot send to syslog at " + target->Name() + ": " + e.what());
  }
  if (ec) {
    return Status::Unavailable("cannot send to syslog at " + target->Name() + ": " + ec.message());
  }
  return Status::Ok();
}

}  // namespace torque::server
