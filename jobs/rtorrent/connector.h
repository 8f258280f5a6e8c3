// Connector: where rTorrent is and how a job run's calls to it are bounded, shared by the
// daemon's job types and torque-cli (LocateRtorrent is pyrocore's rule for finding it).
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "core/cancel_signal.h"
#include "core/config.h"
#include "core/status.h"
#include "jobs/rtorrent/endpoint.h"
#include "jobs/rtorrent/rpc_client.h"

namespace torque::rtorrent {

// How one job run bounds its rTorrent calls.
struct CallLimits {
  const CancelSignal* cancel = nullptr;  // not owned; outlives the Rpc made with it
  std::optional<std::chrono::steady_clock::time_point> deadline;
};

// Opens rTorrent connections for job runs (a test gives handlers a fake).
class Connector {
 public:
  virtual ~Connector() = default;

  // An Rpc whose calls honour `limits` (kCancelled / kTimeout). Failure: kNotFound when no
  // rTorrent URL is configured or found, kInvalidArgument for an unusable URL or
  // rtorrent.rc value. Thread-safe.
  virtual Result<std::unique_ptr<Rpc>> Connect(const CallLimits& limits) const = 0;

  // Where it connects, for messages ("scgi:///path" or "rtorrent_rc ~/.rtorrent.rc").
  virtual std::string Describe() const = 0;
};

// Makes the Connector for a job type: `url` (a type's own scgi_url) or, when empty, the
// [rtorrent] section's.
class ConnectorFactory {
 public:
  virtual ~ConnectorFactory() = default;

  // kInvalidArgument when `url` (or [rtorrent] url) does not parse; no I/O here
  // (rtorrent.rc is read at Connect time, so a changed rtorrent.rc is picked up).
  // Thread-safe.
  virtual Result<std::shared_ptr<const Connector>> For(const std::string& url) const = 0;
};

// The real factory: XMLRPC over SCGI (ScgiRpc) with [rtorrent] timeout per call.
class ScgiConnectorFactory : public ConnectorFactory {
 public:
  explicit ScgiConnectorFactory(RtorrentConfig config);

  Result<std::shared_ptr<const Connector>> For(const std::string& url) const override;

 private:
  const RtorrentConfig config_;
};

// pyrocore's rule: `config.url` when set, else the listener `config.rtorrent_rc` opens
// (ScgiUrlFromRtorrentRc, read now). kNotFound "no rTorrent URL: <why>" (e.g. "no rTorrent
// URL: cannot read /home/u/.rtorrent.rc: No such file or directory"); kInvalidArgument for
// a bad URL (ParseEndpoint's message) or rtorrent.rc value ("<file>:<line>: ...").
Result<Endpoint> LocateRtorrent(const RtorrentConfig& config);

}  // namespace torque::rtorrent
