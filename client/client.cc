#include "torque/client.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>

#include <algorithm>
#include <array>
#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <system_error>

#include "core/clock.h"
#include "core/config.h"
#include "core/duration.h"
#include "core/line_reader.h"

namespace torque::client {
namespace {

using boost::asio::local::stream_protocol;
using protocol::Reply;

// Longest reply line accepted (a LIST of 10000 records with long results fits).
constexpr std::size_t kMaxReplyLine = std::size_t{1} << 30;
// Extra time a WAIT reply may take beyond the WAIT's own timeout.
constexpr int64_t kWaitSlackMs = 10'000;
// Limits above this (about 100 years) mean "no limit", so deadlines cannot overflow.
constexpr int64_t kNoLimitAboveMs = 100LL * 365 * 24 * 3600 * 1000;
// Bytes read per read call.
constexpr std::size_t kReadChunk = 64 * 1024;

std::string ErrnoText(int err) { return std::error_code(err, std::system_category()).message(); }

Result<nlohmann::json> JsonFromReply(const Reply& reply) {
  switch (reply.kind) {
    case Reply::Kind::kErr:
      return StatusFromReply(reply);
    case Reply::Kind::kAck:
      return torque::Status::Internal("unexpected reply from torqued: ACK " +
                                      std::to_string(reply.id));
    case Reply::Kind::kOk:
      break;
  }
  if (reply.payload.empty()) return nlohmann::json(nullptr);
  auto json = nlohmann::json::parse(reply.payload, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) {
    return torque::Status::Internal("torqued sent a reply that is not valid JSON");
  }
  return json;
}

}  // namespace

// The connection: an Asio socket in non-blocking mode, waited on with poll(2)
// so every exchange has a deadline.
struct Client::Impl {
  boost::asio::io_context io;
  stream_protocol::socket socket{io};
  std::string path;
  int64_t timeout_ms = 0;  // <= 0: no limit
  protocol::LineReader reader{kMaxReplyLine};

  torque::Status Broken(torque::Status status) {
    boost::system::error_code ignored;
    socket.close(ignored);
    return status;
  }

  // Writes `out`, then reads `count` reply lines into `replies`. `timeout_ms`
  // (<= 0: none) limits the time without progress. Any failure closes the connection.
  torque::Status Exchange(std::string_view out, std::size_t count, int64_t limit_ms,
                          std::vector<Reply>& replies) {
    if (!socket.is_open()) return torque::Status::Unavailable("not connected to " + path);
    const int fd = socket.native_handle();
    std::size_t written = 0;
    bool writable = true;
    if (limit_ms > kNoLimitAboveMs) limit_ms = 0;
    auto deadline = [limit_ms] { return limit_ms > 0 ? MonotonicMs() + limit_ms : 0; };
    int64_t until = deadline();
    std::array<char, kReadChunk> buf;
    for (;;) {
      while (replies.size() < count) {
        auto line = reader.Next();
        if (!line) break;
        if (line->too_long) {
          return Broken(torque::Status::Internal("reply from torqued exceeds the size limit"));
        }
        auto reply = protocol::ParseReply(line->text);
        if (!reply.ok()) {
          return Broken(
              torque::Status::Internal("bad reply from torqued: " + reply.status().message()));
        }
        replies.push_back(std::move(*reply));
      }
      if (replies.size() == count) return torque::Status::Ok();
      boost::system::error_code ec;
      if (written < out.size() && writable) {
        std::size_t n = socket.write_some(boost::asio::buffer(out.substr(written)), ec);
        if (ec == boost::asio::error::would_block) {
          writable = false;
        } else if (ec) {
          return Broken(
              torque::Status::Unavailable("connection to " + path + " lost: " + ec.message()));
        } else {
          written += n;
          until = deadline();
          continue;
        }
      }
      pollfd p{fd, static_cast<short>(POLLIN | (written < out.size() ? POLLOUT : 0)), 0};
      int wait = -1;
      if (until != 0) {
        wait = static_cast<int>(std::clamp<int64_t>(until - MonotonicMs(), 0, INT_MAX));
      }
      int rc = ::poll(&p, 1, wait);
      if (rc < 0 && errno == EINTR) continue;
      if (rc < 0) return Broken(torque::Status::IoError("poll: " + ErrnoText(errno)));
      if (rc == 0) {
        return Broken(
            torque::Status::Timeout("no reply from torqued within " + FormatDuration(limit_ms)));
      }
      if (p.revents & POLLOUT) writable = true;
      if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
        std::size_t n = socket.read_some(boost::asio::buffer(buf), ec);
        if (ec == boost::asio::error::would_block) continue;
        if (ec == boost::asio::error::eof) {
          return Broken(torque::Status::Unavailable("torqued closed the connection"));
        }
        if (ec) {
          return Broken(
              torque::Status::Unavailable("connection to " + path + " lost: " + ec.message()));
        }
        reader.Feed(std::string_view(buf.data(), n));
        until = deadline();
      }
    }
  }

  Result<Reply> CallOne(std::string_view line, int64_t limit_ms) {
    if (line.find('\n') != std::string_view::npos) {
      return torque::Status::InvalidArgument("a request cannot contain a line break");
    }
    std::string out(line);
    out += '\n';
    std::vector<Reply> replies;
    if (torque::Status s = Exchange(out, 1, limit_ms, replies); !s.ok()) return s;
    return std::move(replies.front());
  }
};

Result<Client> Client::Connect(const std::string& path, int64_t timeout_ms) {
  auto fail = [&path](const std::string& reason) {
    return torque::Status::Unavailable("cannot connect to " + path + ": " + reason);
  };
  if (path.empty()) return fail("empty socket path");
  if (path.size() >= sizeof(sockaddr_un::sun_path)) return fail("socket path too long");
  auto impl = std::make_unique<Impl>();
  impl->path = path;
  impl->timeout_ms = timeout_ms;
  stream_protocol::endpoint endpoint(path);
  boost::system::error_code ec;
  impl->socket.open(stream_protocol(), ec);
  if (ec) return fail(ec.message());
  const int fd = impl->socket.native_handle();
  if (timeout_ms > 0) {
    // A blocking connect to a UNIX socket waits only while the listen backlog is
    // full; SO_SNDTIMEO bounds that wait.
    timeval tv{static_cast<time_t>(timeout_ms / 1000),
               static_cast<suseconds_t>(timeout_ms % 1000 * 1000)};
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  }
  int rc;
  do {
    rc = ::connect(fd, endpoint.data(), endpoint.size());
  } while (rc != 0 && errno == EINTR);
  if (rc != 0 && errno != EISCONN) {
    if (errno == EAGAIN || errno == EWOULDBLOCK) return fail("timed out (daemon busy)");
    return fail(ErrnoText(errno));
  }
  impl->socket.non_blocking(true, ec);
  if (ec) return fail(ec.message());
  return Client(std::move(impl));
}

Client::Client(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Client::Client(Client&&) noexcept = default;
Client& Client::operator=(Client&&) noexcept = default;
Client::~Client() = default;

Result<protocol::Reply> Client::Call(std::string_view line) {
  return impl_->CallOne(line, impl_->timeout_ms);
}

Result<std::vector<protocol::Reply>> Client::CallMany(const std::vector<std::string>& lines) {
  std::string out;
  for (const std::string& line : lines) {
    if (line.find('\n') != std::string::npos) {
      return torque::Status::InvalidArgument("a request cannot contain a line break");
    }
    out += line;
    out += '\n';
  }
  std::vector<Reply> replies;
  replies.reserve(lines.size());
  torque::Status s = impl_->Exchange(out, lines.size(), impl_->timeout_ms, replies);
  if (!s.ok()) return s;
  return replies;
}

Result<JobId> Client::Submit(std::string_view name, std::string_view args,
                             const SubmitOptions& options) {
  if (!protocol::IsTypeName(name)) {
    return torque::Status::InvalidArgument("invalid job type name '" + std::string(name) +
                                           "' (expected [a-z][a-z0-9_]*)");
  }
  if (options.unique &&
      (options.unique->empty() || options.unique->find_first_of(" \t") != std::string::npos)) {
    return torque::Status::InvalidArgument("a unique key must be one non-empty word");
  }
  protocol::Request request;
  request.verb = protocol::Verb::kSubmit;
  request.name = std::string(name);
  request.args = std::string(args);
  request.options = options;
  auto reply = Call(protocol::FormatRequest(request));
  if (!reply.ok()) return reply.status();
  switch (reply->kind) {
    case Reply::Kind::kAck:
      return reply->id;
    case Reply::Kind::kErr:
      return StatusFromReply(*reply);
    case Reply::Kind::kOk:
      break;
  }
  return torque::Status::Internal("unexpected reply from torqued to a submission: OK");
}

Result<nlohmann::json> Client::Status(JobId id) { return Query("STATUS " + std::to_string(id)); }

Result<nlohmann::json> Client::Wait(JobId id, std::optional<int64_t> timeout_ms, JobId from) {
  protocol::Request request;
  request.verb = protocol::Verb::kWait;
  request.id = id;
  if (timeout_ms) request.wait_timeout = std::max<int64_t>(0, *timeout_ms);
  request.wait_from = from;
  int64_t limit = timeout_ms ? std::min(*request.wait_timeout, kNoLimitAboveMs) + kWaitSlackMs : 0;
  auto reply = impl_->CallOne(protocol::FormatRequest(request), limit);
  if (!reply.ok()) return reply.status();
  return JsonFromReply(*reply);
}

Result<nlohmann::json> Client::Cancel(JobId id) { return Query("CANCEL " + std::to_string(id)); }

Result<nlohmann::json> Client::Retry(JobId id) { return Query("RETRY " + std::to_string(id)); }

Result<nlohmann::json> Client::Query(std::string_view line) {
  auto reply = Call(line);
  if (!reply.ok()) return reply.status();
  return JsonFromReply(*reply);
}

std::string ResolveSocketPath(const std::string& flag, const std::string& config_file) {
  if (!flag.empty()) return flag;
  if (const char* env = std::getenv("TORQUE_SOCKET"); env && *env) return env;
  std::optional<std::string> file = config_file;
  if (config_file.empty()) file = DefaultConfigFile();
  if (file) {
    ConfigOptions options;
    options.files.push_back(*file);
    auto config = LoadConfig(options);
    if (config.ok() && !config->server.socket.empty()) return config->server.socket;
  }
  return DefaultSocketPath();
}

std::string DefaultSocketPath() { return DefaultStateDir() + "/torqued.sock"; }

torque::Status StatusFromReply(const protocol::Reply& reply) {
  using protocol::ErrorWord;
  if (reply.kind != Reply::Kind::kErr) return torque::Status::Ok();
  std::string message = protocol::ErrorWordName(reply.word);
  if (!reply.text.empty()) message += " " + reply.text;
  switch (reply.word) {
    case ErrorWord::kNotFound:
      return torque::Status::NotFound(std::move(message));
    case ErrorWord::kTimeout:
      return torque::Status::Timeout(std::move(message));
    case ErrorWord::kState:
      return torque::Status::FailedPrecondition(std::move(message));
    case ErrorWord::kStore:
      return torque::Status::IoError(std::move(message));
    case ErrorWord::kShutdown:
      return torque::Status::Unavailable(std::move(message));
    default:
      return torque::Status::InvalidArgument(std::move(message));
  }
}

}  // namespace torque::client
