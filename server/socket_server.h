// SocketServer: the UNIX socket torqued listens on.
#pragma once

#include <list>
#include <memory>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/steady_timer.hpp>

#include "core/config.h"
#include "core/status.h"
#include "server/io_mailbox.h"
#include "server/service.h"

namespace torque::server {

class Session;

// Accepts connections and starts a Session for each. Runs on the io_context thread.
class SocketServer {
 public:
  SocketServer(boost::asio::io_context& io, Service& service, IoMailbox& mailbox);
  ~SocketServer();

  // Binds `config.socket` with `socket_mode` and `socket_group`. A stale socket
  // file is replaced; a socket another process still answers on is kAlreadyExists.
  Status Listen(const ServerConfig& config);
  // Stops accepting and removes the socket file. Open sessions keep running.
  void StopAccepting();
  // Closes every session.
  void CloseSessions();

 private:
  void Accept();

  boost::asio::io_context& io_;
  Service& service_;
  IoMailbox& mailbox_;
  boost::asio::local::stream_protocol::acceptor acceptor_;
  boost::asio::steady_timer retry_;  // after a failed accept (EMFILE, ENFILE, ...)
  std::string path_;
  std::list<std::weak_ptr<Session>> sessions_;
};

}  // namespace torque::server
