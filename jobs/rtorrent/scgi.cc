#include "jobs/rtorrent/scgi.h"

#include <algorithm>
#include <array>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <charconv>
#include <chrono>
#include <optional>

#include "core/utf8.h"

namespace torque::rtorrent {
namespace {

namespace asio = boost::asio;
using boost::system::error_code;

// rTorrent's default network.xmlrpc.size_limit; a bigger request may be dropped unanswered.
constexpr size_t kRtorrentDefaultRequestLimit = 512 * 1024;
constexpr size_t kReadChunk = 64 * 1024;

bool AllDigits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

Status Cancelled(const Endpoint& endpoint) {
  return Status::Cancelled("call to rTorrent at " + endpoint.ToString() + " cancelled");
}

// One exchange over a connected-to-be socket of `Protocol`; run on a private io_context.
template <typename Protocol>
class Exchange {
 public:
  Exchange(asio::io_context& io, const Endpoint& endpoint, const ScgiOptions& options,
           std::string request)
      : socket_(io),
        timer_(io),
        cancel_watch_(io),
        endpoint_(endpoint),
        options_(options),
        request_(std::move(request)) {}
  // The eventfd belongs to the CancelSignal: never closed here.
  ~Exchange() { ReleaseCancelWatch(); }
  Exchange(const Exchange&) = delete;
  Exchange& operator=(const Exchange&) = delete;

  // Connects to the first reachable of `targets`, writes, reads to EOF. Call io.run() after.
  template <typename Targets>
  void Start(const Targets& targets) {
    if (options_.cancel && options_.cancel->raised()) {
      cancelled_ = true;
      return;
    }
    const auto now = std::chrono::steady_clock::now();
    std::optional<std::chrono::steady_clock::time_point> end;
    if (options_.timeout > 0) {
      end = now + std::chrono::milliseconds(options_.timeout);
      allowed_ms_ = options_.timeout;
    }
    if (options_.deadline && (!end || *options_.deadline < *end)) {
      end = *options_.deadline;
      allowed_ms_ = std::max<DurationMs>(
          0, std::chrono::round<std::chrono::milliseconds>(*end - now).count());
    }
    if (end) {
      if (*end <= now) {
        timed_out_ = true;
        return;
      }
      timer_.expires_at(*end);
      timer_.async_wait([this](const error_code& ec) {
        if (ec || done_ || cancelled_) return;
        timed_out_ = true;
        error_code ignored;
        socket_.close(ignored);
      });
    }
    if (options_.cancel && options_.cancel->fd() >= 0) {  // without an eventfd: checked above
      error_code ec;
      cancel_watch_.assign(options_.cancel->fd(), ec);
      if (ec) return Finish(Status::Internal("cannot watch the cancel signal: " + ec.message()));
      cancel_watch_.async_wait(asio::posix::stream_descriptor::wait_read,
                               [this](const error_code& wec) {
                                 if (wec || done_ || timed_out_) return;
                                 cancelled_ = true;
                                 error_code ignored;
                                 socket_.close(ignored);
                               });
    }
    Connect(targets);
  }

  // The response bytes, or why there are none.
  Result<std::string> Outcome() {
    if (cancelled_) return Cancelled(endpoint_);
    if (timed_out_) {
      return Status::Timeout("rTorrent at " + endpoint_.ToString() + " did not answer within " +
                             std::to_string(allowed_ms_) + " ms");
    }
    if (failure_) return *failure_;
    return std::move(response_);
  }

 private:
  template <typename Targets>
  void Connect(const Targets& targets) {
    asio::async_connect(socket_, targets, [this](const error_code& ec, const auto&) {
      if (ec) return Finish(ConnectError(ec));
      asio::async_write(socket_, asio::buffer(request_),
                        [this](const error_code& wec, size_t) { OnWritten(wec); });
    });
  }

  Status ConnectError(const error_code& ec) {
    return Status::Unavailable("cannot connect to rTorrent at " + endpoint_.ToString() + ": " +
                               ec.message());
  }

  void OnWritten(const error_code& ec) {
    if (ec) {
      std::string hint;
      if (request_.size() > kRtorrentDefaultRequestLimit) {
        hint = " (is the " + std::to_string(request_.size()) +
               "-byte request over its network.xmlrpc.size_limit?)";
      }
      return Finish(Status::IoError(
          "rTorrent at " + endpoint_.ToString() +
          " dropped the connection while receiving the request: " + ec.message() + hint));
    }
    ReadMore();
  }

  void ReadMore() {
    socket_.async_read_some(asio::buffer(chunk_), [this](const error_code& ec, size_t n) {
      if (n > 0) {
        if (response_.size() + n > options_.max_response_bytes) {
          return Finish(Status::IoError("the response of rTorrent at " + endpoint_.ToString() +
                                        " exceeds the limit of " +
                                        std::to_string(options_.max_response_bytes) + " bytes"));
        }
        response_.append(chunk_.data(), n);
        if (!reserved_) Reserve();
      }
      if (ec == asio::error::eof) return Finish(std::nullopt);
      if (ec) {
        return Finish(Status::IoError("cannot read the answer of rTorrent at " +
                                      endpoint_.ToString() + ": " + ec.message()));
      }
      ReadMore();
    });
  }

  void Finish(std::optional<Status> failure) {
    done_ = true;
    if (!timed_out_ && !cancelled_) failure_ = std::move(failure);
    error_code ignored;
    timer_.cancel();
    socket_.close(ignored);
    ReleaseCancelWatch();
  }

  // Stops watching the eventfd (a pending wait ends with operation_aborted) without closing it.
  void ReleaseCancelWatch() {
    if (cancel_watch_.is_open()) (void)cancel_watch_.release();
  }

  typename Protocol::socket socket_;
  asio::steady_timer timer_;
  asio::posix::stream_descriptor cancel_watch_;  // options_.cancel's eventfd
  const Endpoint& endpoint_;
  const ScgiOptions& options_;
  std::string request_;
  std::array<char, kReadChunk> chunk_{};
  // Once the headers are in, makes room for the whole answer when they say how long it is
  // (a 6 MB answer would otherwise be copied about seven times while it grows).
  void Reserve() {
    const size_t end = response_.find("\r\n\r\n");
    if (end == std::string::npos) {
      reserved_ = response_.size() > 4096;  // no headers in sight: do not keep looking
      return;
    }
    reserved_ = true;
    const std::string headers = AsciiLower(std::string_view(response_.data(), end));
    const std::string_view name = "content-length:";
    const size_t at = headers.find(name);
    if (at == std::string::npos) return;
    const char* first = headers.data() + at + name.size();
    const char* last = headers.data() + headers.size();
    while (first < last && *first == ' ') ++first;
    size_t length = 0;
    std::from_chars(first, last, length);
    if (length > 0 && end + 4 + length <= options_.max_response_bytes) {
      response_.reserve(end + 4 + length);
    }
  }

  std::string response_;
  bool reserved_ = false;
  std::optional<Status> failure_;
  DurationMs allowed_ms_ = 0;  // the time the exchange had, for the timeout message
  bool timed_out_ = false;
  bool cancelled_ = false;
  bool done_ = false;
};

Result<std::string> RawExchange(const Endpoint& endpoint, std::string request,
                                const ScgiOptions& options) {
  if (options.cancel && options.cancel->raised()) return Cancelled(endpoint);
  asio::io_context io;
  if (endpoint.IsUnix()) {
    Exchange<asio::local::stream_protocol> exchange(io, endpoint, options, std::move(request));
    std::array<asio::local::stream_protocol::endpoint, 1> targets{
        asio::local::stream_protocol::endpoint(endpoint.path)};
    exchange.Start(targets);
    io.run();
    return exchange.Outcome();
  }
  Exchange<asio::ip::tcp> exchange(io, endpoint, options, std::move(request));
  error_code ec;
  asio::ip::address address = asio::ip::make_address(endpoint.host, ec);
  if (!ec) {
    std::array<asio::ip::tcp::endpoint, 1> targets{asio::ip::tcp::endpoint(address, endpoint.port)};
    exchange.Start(targets);
  } else {
    // A host name: getaddrinfo cannot be interrupted, so the timeout starts after it.
    asio::ip::tcp::resolver resolver(io);
    auto targets = resolver.resolve(endpoint.host, std::to_string(endpoint.port), ec);
    if (ec) {
      return Status::Unavailable("cannot connect to rTorrent at " + endpoint.ToString() +
                                 ": cannot resolve " + endpoint.host + ": " + ec.message());
    }
    exchange.Start(targets);
  }
  io.run();
  return exchange.Outcome();
}

}  // namespace

std::string ScgiFrame(std::string_view body) {
  std::string headers = "CONTENT_LENGTH";
  headers.push_back('\0');
  headers += std::to_string(body.size());
  headers.push_back('\0');
  headers += "SCGI";
  headers.push_back('\0');
  headers += "1";
  headers.push_back('\0');
  std::string out = std::to_string(headers.size()) + ":" + headers + ",";
  out.append(body);
  return out;
}

namespace {

// Where the body of an SCGI response starts, after checking its headers (see ScgiUnframe).
Result<size_t> BodyOffset(std::string_view response) {
  if (response.empty()) return Status::IoError("empty SCGI response");
  size_t end = response.find("\r\n\r\n");
  if (end == std::string_view::npos) {
    return Status::IoError("no header delimiter in SCGI response");
  }
  std::string_view headers = response.substr(0, end);
  std::string_view body = response.substr(end + 4);
  while (!headers.empty()) {
    size_t eol = headers.find("\r\n");
    std::string_view line = headers.substr(0, eol);
    headers = eol == std::string_view::npos ? std::string_view() : headers.substr(eol + 2);
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) {
      return Status::IoError("bad SCGI response header '" + std::string(line) + "'");
    }
    std::string name = AsciiLower(line.substr(0, colon));
    std::string_view value = line.substr(colon + 1);
    while (value.starts_with(' ') || value.starts_with('\t')) value.remove_prefix(1);
    while (value.ends_with(' ') || value.ends_with('\t')) value.remove_suffix(1);
    if (name == "status") {
      if (value.size() < 3 || !AllDigits(value.substr(0, 3))) {
        return Status::IoError("bad SCGI status '" + std::string(value) + "'");
      }
      if (value[0] != '2') return Status::IoError("SCGI status " + std::string(value));
    } else if (name == "content-length") {
      if (!AllDigits(value) || value.size() > 18) {
        return Status::IoError("bad Content-Length '" + std::string(value) + "' in SCGI response");
      }
      if (std::stoull(std::string(value)) != body.size()) {
        return Status::IoError("SCGI response body has " + std::to_string(body.size()) +
                               " bytes, Content-Length says " + std::string(value));
      }
    }
  }
  return end + 4;
}

}  // namespace

Result<std::string> ScgiUnframe(std::string_view response) {
  Result<size_t> offset = BodyOffset(response);
  if (!offset.ok()) return offset.status();
  return std::string(response.substr(*offset));
}

Result<std::string> ScgiExchange(const Endpoint& endpoint, std::string_view body,
                                 const ScgiOptions& options) {
  Result<std::string> raw = RawExchange(endpoint, ScgiFrame(body), options);
  if (!raw.ok()) return raw.status();
  if (raw->empty()) {
    return Status::IoError("rTorrent at " + endpoint.ToString() +
                           " closed the connection without an answer");
  }
  Result<size_t> offset = BodyOffset(*raw);
  if (!offset.ok()) {
    return Status::IoError("bad answer from rTorrent at " + endpoint.ToString() + ": " +
                           offset.status().message());
  }
  raw->erase(0, *offset);  // in place: a d.multicall2 answer can be megabytes
  return raw;
}

}  // namespace torque::rtorrent
