#include "server/socket_server.h"

#include <grp.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include <spdlog/spdlog.h>

#include "server/session.h"

namespace torque::server {

using boost::asio::local::stream_protocol;

SocketServer::SocketServer(boost::asio::io_context& io, Service& service, IoMailbox& mailbox)
    : io_(io), service_(service), mailbox_(mailbox), acceptor_(io), retry_(io) {}

SocketServer::~SocketServer() { StopAccepting(); }

Status SocketServer::Listen(const ServerConfig& config) {
  const std::string& path = config.socket;
  if (path.size() >= sizeof(sockaddr_un{}.sun_path)) {
    return Status::InvalidArgument("socket path too long (max " +
                                   std::to_string(sizeof(sockaddr_un{}.sun_path) - 1) +
                                   " bytes): " + path);
  }
  std::error_code fs_ec;
  std::filesystem::create_directories(std::filesystem::path(path).parent_path(), fs_ec);
  struct stat st{};
  if (lstat(path.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) {
      return Status::AlreadyExists(path + " exists and is not a socket; not replacing it");
    }
    stream_protocol::socket probe(io_);
    boost::system::error_code ec;
    probe.connect(stream_protocol::endpoint(path), ec);
    if (!ec) return Status::AlreadyExists("another process is listening on " + path);
    unlink(path.c_str());  // stale: nobody answers
  }
  boost::system::error_code ec;
  // Created with the final mode: no window in which others could connect.
  mode_t old_umask = umask(~config.socket_mode & 0777);
  acceptor_.open(stream_protocol(), ec);
  if (!ec) acceptor_.bind(stream_protocol::endpoint(path), ec);
  umask(old_umask);
  if (!ec) acceptor_.listen(boost::asio::socket_base::max_listen_connections, ec);
  if (ec) return Status::IoError("cannot listen on " + path + ": " + ec.message());
  path_ = path;
  if (chmod(path.c_str(), config.socket_mode) != 0) {
    return Status::IoError("cannot chmod " + path + ": " + std::strerror(errno));
  }
  if (!config.socket_group.empty()) {
    group* g = getgrnam(config.socket_group.c_str());
    if (!g) return Status::InvalidArgument("unknown socket_group '" + config.socket_group + "'");
    if (chown(path.c_str(), static_cast<uid_t>(-1), g->gr_gid) != 0) {
      return Status::IoError("cannot chown " + path + " to group " + config.socket_group + ": " +
                             std::strerror(errno));
    }
  }
  Accept();
  return Status::Ok();
}

void SocketServer::Accept() {
  acceptor_.async_accept([this](boost::system::error_code ec, stream_protocol::socket socket) {
    if (ec == boost::asio::error::operation_aborted || !acceptor_.is_open()) return;
    if (ec) {
      // EMFILE and friends: keep serving the connections we have, try again shortly.
      spdlog::warn("accept on {} failed: {}; retrying in 100ms", path_, ec.message());
      retry_.expires_after(std::chrono::milliseconds(100));
      retry_.async_wait([this](boost::system::error_code wait_ec) {
        if (!wait_ec && acceptor_.is_open()) Accept();
      });
      return;
    } else {
      auto session = std::make_shared<Session>(std::move(socket), service_, mailbox_);
      sessions_.remove_if([](const std::weak_ptr<Session>& w) { return w.expired(); });
      sessions_.push_back(session);
      session->Start();
    }
    Accept();
  });
}

void SocketServer::StopAccepting() {
  if (!acceptor_.is_open()) return;
  boost::system::error_code ec;
  acceptor_.close(ec);
  retry_.cancel();
  if (!path_.empty()) unlink(path_.c_str());
}

void SocketServer::CloseSessions() {
  for (auto& w : sessions_) {
    if (auto s = w.lock()) s->Close();
  }
  sessions_.clear();
}

}  // namespace torque::server
