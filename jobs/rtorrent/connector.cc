#include "jobs/rtorrent/connector.h"

#include <utility>

#include "jobs/rtorrent/scgi.h"

namespace torque::rtorrent {
namespace {

ScgiOptions Options(DurationMs timeout, const CallLimits& limits) {
  ScgiOptions options;
  options.timeout = timeout;
  options.cancel = limits.cancel;
  options.deadline = limits.deadline;
  return options;
}

// Connects to a URL known up front.
class FixedConnector : public Connector {
 public:
  FixedConnector(Endpoint endpoint, DurationMs timeout)
      : endpoint_(std::move(endpoint)), timeout_(timeout) {}

  Result<std::unique_ptr<Rpc>> Connect(const CallLimits& limits) const override {
    return std::unique_ptr<Rpc>(std::make_unique<ScgiRpc>(endpoint_, Options(timeout_, limits)));
  }
  std::string Describe() const override { return endpoint_.ToString(); }

 private:
  const Endpoint endpoint_;
  const DurationMs timeout_;
};

// Connects to the listener rtorrent.rc opens, read anew for every connection.
class RtorrentRcConnector : public Connector {
 public:
  explicit RtorrentRcConnector(RtorrentConfig config) : config_(std::move(config)) {}

  Result<std::unique_ptr<Rpc>> Connect(const CallLimits& limits) const override {
    Result<Endpoint> endpoint = LocateRtorrent(config_);
    if (!endpoint.ok()) return endpoint.status();
    return std::unique_ptr<Rpc>(
        std::make_unique<ScgiRpc>(*endpoint, Options(config_.timeout, limits)));
  }
  std::string Describe() const override { return "rtorrent_rc " + config_.rtorrent_rc; }

 private:
  const RtorrentConfig config_;
};

}  // namespace

Result<Endpoint> LocateRtorrent(const RtorrentConfig& config) {
  if (!config.url.empty()) return ParseEndpoint(config.url);
  Result<std::string> found = ScgiUrlFromRtorrentRc(config.rtorrent_rc);
  if (found.status().code() == Status::Code::kNotFound) {
    return Status::NotFound("no rTorrent URL: " + found.status().message());
  }
  if (!found.ok()) return found.status();
  return ParseEndpoint(*found);
}

ScgiConnectorFactory::ScgiConnectorFactory(RtorrentConfig config) : config_(std::move(config)) {}

Result<std::shared_ptr<const Connector>> ScgiConnectorFactory::For(const std::string& url) const {
  const std::string& chosen = url.empty() ? config_.url : url;
  if (chosen.empty()) {
    return std::shared_ptr<const Connector>(std::make_shared<RtorrentRcConnector>(config_));
  }
  Result<Endpoint> endpoint = ParseEndpoint(chosen);
  if (!endpoint.ok()) return endpoint.status();
  return std::shared_ptr<const Connector>(
      std::make_shared<FixedConnector>(*endpoint, config_.timeout));
}

}  // namespace torque::rtorrent
