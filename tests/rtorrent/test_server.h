// TestServer: a listening socket (unix in a temp dir, or TCP on 127.0.0.1) standing in for
// rTorrent's SCGI listener in the transport tests, and the helpers its answers use.
#pragma once

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <functional>
#include <string>
#include <string_view>
#include <thread>

#include "jobs/rtorrent/endpoint.h"
#include "tests/rtorrent/test_support.h"
#include "tests/test_env.h"

namespace torque::testing {

// Sends all of `data`; stops quietly when the client has gone.
inline void SendAll(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n <= 0) return;  // the client gave up: fine for these tests
    data.remove_prefix(static_cast<size_t>(n));
  }
}

// Reads and drops what arrives on `fd` until the client closes the connection.
inline void ReadUntilClosed(int fd) {
  char buffer[4096];
  while (read(fd, buffer, sizeof buffer) > 0) {
  }
}

// An SCGI response with status 200 and `body`.
inline std::string ScgiOk(std::string_view body) {
  return "Status: 200 OK\r\nContent-Type: text/xml\r\nContent-Length: " +
         std::to_string(body.size()) + "\r\n\r\n" + std::string(body);
}

class TestServer {
 public:
  // Listens on "<dir>/rt.sock"; `listen_too` false leaves it bound but refusing connections.
  explicit TestServer(const TempDir& dir, bool listen_too = true) {
    endpoint_.path = dir.path() + "/rt.sock";
    fd_ = socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    endpoint_.path.copy(addr.sun_path, sizeof addr.sun_path - 1);
    EXPECT_EQ(bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    if (listen_too) {
      EXPECT_EQ(listen(fd_, 8), 0);
    }
  }
  // Listens on 127.0.0.1 on a free port.
  TestServer() {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    socklen_t len = sizeof addr;
    getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    EXPECT_EQ(listen(fd_, 8), 0);
    endpoint_.host = "127.0.0.1";
    endpoint_.port = ntohs(addr.sin_port);
  }
  // A thread still waiting to accept gives up.
  ~TestServer() {
    shutdown(fd_, SHUT_RDWR);
    if (thread_.joinable()) thread_.join();
    close(fd_);
  }
  TestServer(const TestServer&) = delete;
  TestServer& operator=(const TestServer&) = delete;

  // On a thread: accepts one connection, reads the request into request(), then
  // `respond(fd)`, then closes the connection.
  void ServeOnce(std::function<void(int fd)> respond) {
    AcceptOnce([this, respond](int fd) {
      request_ = ReadScgiRequest(fd).raw;
      respond(fd);
    });
  }
  // On a thread: accepts one connection, then `then(fd)` (which reads nothing unless it
  // does), then closes the connection.
  void AcceptOnce(std::function<void(int fd)> then) {
    thread_ = std::thread([this, then] {
      int conn = accept(fd_, nullptr, nullptr);
      if (conn < 0) return;
      then(conn);
      close(conn);
    });
  }
  // The request ServeOnce read; call after the exchange returned.
  const std::string& request() {
    if (thread_.joinable()) thread_.join();
    return request_;
  }
  // Whether a connection waits to be accepted (only meaningful while nothing accepts).
  bool HasPendingConnection() const {
    pollfd p = {fd_, POLLIN, 0};
    return poll(&p, 1, 0) == 1 && (p.revents & POLLIN);
  }
  const rtorrent::Endpoint& endpoint() const { return endpoint_; }

 private:
  int fd_ = -1;
  rtorrent::Endpoint endpoint_;
  std::thread thread_;
  std::string request_;
};

}  // namespace torque::testing
