#include "server/http_listener.h"

#include <spdlog/spdlog.h>

#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <list>
#include <optional>

#include "server/http_exchange.h"
#include "server/logging.h"

namespace torque::server {

namespace beast = boost::beast;
namespace http = beast::http;
namespace asio = boost::asio;
using tcp = asio::ip::tcp;

struct HttpListener::Shared {
  Shared(asio::io_context& io, HttpListenerOptions o)
      : options(std::move(o)), acceptor(io), retry(io), pool(options.threads) {}

  const HttpListenerOptions options;
  tcp::acceptor acceptor;
  asio::steady_timer retry;
  asio::thread_pool pool;
  std::shared_ptr<spdlog::logger> log = MakeLogger("http");
  bool stopped = false;                        // io thread
  std::list<std::weak_ptr<Session>> sessions;  // io thread
  std::atomic<int> connections{0};
};

// One connection: reads requests one after the other (keep-alive), has each page made on
// the pool and writes the answer.
class HttpListener::Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, std::shared_ptr<Shared> shared)
      : stream_(std::move(socket)), shared_(std::move(shared)) {
    ++shared_->connections;
  }
  ~Session() { --shared_->connections; }

  void Read() {
    if (shared_->stopped) return;
    parser_.emplace();
    LimitRequest(*parser_, shared_->options.header_limit);
    stream_.expires_after(shared_->options.read_timeout);
    http::async_read(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, size_t) { self->OnRead(ec); });
  }

  void Close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.close();
  }

 private:
  void OnRead(beast::error_code ec) {
    if (shared_->stopped) return;
    HttpStep step = NextStep(ec, *parser_, shared_->options.pages);
    switch (step.kind) {
      case HttpStep::Kind::kClose:
        return Close();
      case HttpStep::Kind::kAnswer: {
        HttpResponse r = std::move(step.response);
        return Answer(std::move(r), step);
      }
      case HttpStep::Kind::kMakePage:
        break;
    }
    asio::post(shared_->pool, [self = shared_from_this(), step = std::move(step)]() mutable {
      HttpResponse r = MakePage(*step.page);
      Session* s = self.get();
      asio::post(s->stream_.get_executor(),
                 [self = std::move(self), r = std::move(r), step = std::move(step)]() mutable {
                   self->Answer(std::move(r), step);
                 });
    });
  }

  // Writes `r` as `step` says, then reads the next request or closes.
  void Answer(HttpResponse r, const HttpStep& step) {
    if (shared_->stopped) return;
    auto res = std::make_shared<HttpWireResponse>(WireResponse(std::move(r), step));
    const bool keep_alive = step.keep_alive;
    stream_.expires_after(shared_->options.write_timeout);
    http::async_write(stream_, *res,
                      [self = shared_from_this(), res, keep_alive](beast::error_code ec, size_t) {
                        if (ec || !keep_alive) return self->Close();
                        self->Read();
                      });
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<HttpRequestParser> parser_;
  std::shared_ptr<Shared> shared_;
};

HttpListener::HttpListener(asio::io_context& io, HttpListenerOptions options)
    : shared_(std::make_shared<Shared>(io, std::move(options))) {}

HttpListener::~HttpListener() {
  Stop();
  Join();
}

Status HttpListener::Listen() {
  const HttpListenerOptions& o = shared_->options;
  const std::string where = (o.host.find(':') != std::string::npos ? "[" + o.host + "]" : o.host) +
                            ":" + std::to_string(o.port);
  beast::error_code ec;
  const auto address = asio::ip::make_address(o.host, ec);
  if (ec) return Status::Unavailable("cannot listen on " + where + " for HTTP: " + ec.message());
  const tcp::endpoint endpoint(address, static_cast<unsigned short>(o.port));
  tcp::acceptor& a = shared_->acceptor;
  a.open(endpoint.protocol(), ec);
  if (!ec) a.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) a.bind(endpoint, ec);
  if (!ec) a.listen(asio::socket_base::max_listen_connections, ec);
  if (!ec) {
    const tcp::endpoint bound = a.local_endpoint(ec);
    port_ = ec ? 0 : bound.port();
    shared_->log->info("HTTP listening on http://{}/ (/metrics and the status page)",
                       o.port == 0 ? (o.host + ":" + std::to_string(port_)) : where);
    Accept(shared_);
    return Status::Ok();
  }
  beast::error_code ignored;
  a.close(ignored);
  return Status::Unavailable("cannot listen on " + where + " for HTTP: " + ec.message());
}

void HttpListener::Accept(const std::shared_ptr<Shared>& shared) {
  shared->acceptor.async_accept([shared](beast::error_code ec, tcp::socket socket) {
    if (shared->stopped || !shared->acceptor.is_open()) return;
    if (ec) {
      // Out of file descriptors, say: try again in a moment rather than spin.
      shared->log->warn("HTTP accept failed: {}", ec.message());
      shared->retry.expires_after(std::chrono::milliseconds(100));
      shared->retry.async_wait([shared](beast::error_code wait_ec) {
        if (!wait_ec) Accept(shared);
      });
      return;
    }
    if (shared->connections.load() >= shared->options.max_connections) {
      beast::error_code ignored;
      socket.close(ignored);
    } else {
      auto session = std::make_shared<Session>(std::move(socket), shared);
      shared->sessions.remove_if([](const std::weak_ptr<Session>& s) { return s.expired(); });
      shared->sessions.push_back(session);
      session->Read();
    }
    Accept(shared);
  });
}

void HttpListener::Stop() {
  if (shared_->stopped) return;
  shared_->stopped = true;
  beast::error_code ignored;
  shared_->acceptor.close(ignored);
  shared_->retry.cancel();
  for (auto& weak : shared_->sessions) {
    if (auto session = weak.lock()) session->Close();
  }
  shared_->sessions.clear();
}

void HttpListener::Join() { shared_->pool.join(); }

}  // namespace torque::server
