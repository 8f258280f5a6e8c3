// HttpListener: torqued's read-only HTTP/1.1 server (Boost.Beast) for /metrics and the
// status page. Accepting, reading and writing run on the daemon's io_context; pages are
// made on a small thread pool of the listener's own, so a slow store or a hung rTorrent
// never holds up the io thread or the dispatcher.
#pragma once

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "core/status.h"

namespace torque::server {

// What a page answers.
struct HttpResponse {
  unsigned status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
};

// Makes a page. Runs on the listener's pool (may block); must not throw.
using HttpPage = std::function<HttpResponse()>;

struct HttpListenerOptions {
  std::string host = "127.0.0.1";         // an IP literal
  int port = 0;                           // 0: any free port (see HttpListener::port)
  std::map<std::string, HttpPage> pages;  // by path ("/metrics"); GET and HEAD only
  // A request's header may not be larger (431); a request may not have a body (413).
  size_t header_limit = 8 * 1024;
  // A request must arrive whole within this long (slowloris), and an idle keep-alive
  // connection is closed after it.
  std::chrono::milliseconds read_timeout{10'000};
  // A response must be taken within this long.
  std::chrono::milliseconds write_timeout{30'000};
  // More connections at once are closed at once.
  int max_connections = 32;
  int threads = 2;  // the page pool
};

// Single use: Listen, then Stop. Methods are called on the io thread (or before it runs).
class HttpListener {
 public:
  HttpListener(boost::asio::io_context& io, HttpListenerOptions options);
  ~HttpListener();  // Stop, then waits for pages being made
  HttpListener(const HttpListener&) = delete;
  HttpListener& operator=(const HttpListener&) = delete;

  // Binds and starts accepting. kUnavailable "cannot listen on HOST:PORT for HTTP: <why>"
  // (the address in use, not local, a privileged port).
  Status Listen();
  // The bound port (after Listen; kept after Stop). Any thread.
  uint16_t port() const { return port_; }
  // Stops accepting and closes every connection; pages being made finish unanswered.
  void Stop();
  // Waits until no page is being made. Not on the io thread while it must post replies.
  void Join();

 private:
  struct Shared;
  class Session;
  static void Accept(const std::shared_ptr<Shared>& shared);

  std::shared_ptr<Shared> shared_;
  // Set by Listen, before any other thread may ask: reading the acceptor from another
  // thread would race with Stop closing it on the io thread.
  uint16_t port_ = 0;
};

}  // namespace torque::server
