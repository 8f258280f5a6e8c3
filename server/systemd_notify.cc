#include "server/systemd_notify.h"

#include <unistd.h>

#include <chrono>
#include <cstdlib>

#include <boost/asio/io_context.hpp>
#include <boost/asio/local/datagram_protocol.hpp>

#include "core/protocol.h"

namespace torque::server {

SystemdNotifier SystemdNotifier::FromEnvironment() {
  const char* value = std::getenv("NOTIFY_SOCKET");
  std::string socket = value ? value : "";
  unsetenv("NOTIFY_SOCKET");
  return SystemdNotifier(std::move(socket));
}

Status SystemdNotifier::Ready(std::string_view status) const {
  return Send("READY=1\nMAINPID=" + std::to_string(getpid()) +
              "\nSTATUS=" + protocol::SingleLine(status));
}

Status SystemdNotifier::Reloading() const {
  // MONOTONIC_USEC (CLOCK_MONOTONIC, steady_clock's) lets systemd 253+ tell this reload
  // from an earlier one.
  const auto usec = std::chrono::duration_cast<std::chrono::microseconds>(
                        std::chrono::steady_clock::now().time_since_epoch())
                        .count();
  return Send("RELOADING=1\nMONOTONIC_USEC=" + std::to_string(usec) +
              "\nSTATUS=reloading the configuration");
}

Status SystemdNotifier::Stopping(std::string_view status) const {
  return Send("STOPPING=1\nSTATUS=" + protocol::SingleLine(status));
}

Status SystemdNotifier::Failed(std::string_view why) const {
  return Send("STATUS=start-up failed: " + protocol::SingleLine(why));
}

Status SystemdNotifier::Send(std::string_view message) const {
  if (!active()) return Status::Ok();
  if (socket_[0] != '/' && socket_[0] != '@') {
    return Status::InvalidArgument("NOTIFY_SOCKET " + socket_ +
                                   " is neither a path nor an abstract socket name");
  }
  std::string path = socket_;
  if (path[0] == '@') path[0] = '\0';  // the abstract namespace
  namespace local = boost::asio::local;
  boost::asio::io_context io;
  local::datagram_protocol::socket socket(io);
  boost::system::error_code ec;
  socket.open(local::datagram_protocol(), ec);
  if (!ec) {
    socket.send_to(boost::asio::buffer(message.data(), message.size()),
                   local::datagram_protocol::endpoint(path), 0, ec);
  }
  if (ec) return Status::IoError("cannot notify systemd on " + socket_ + ": " + ec.message());
  return Status::Ok();
}

}  // namespace torque::server
