// Rpc (one XMLRPC call, the seam job types are tested through), its SCGI implementation,
// and RtorrentClient (rTorrent's commands as typed calls).
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "jobs/rtorrent/endpoint.h"
#include "jobs/rtorrent/scgi.h"
#include "jobs/rtorrent/value.h"
#include "jobs/rtorrent/xmlrpc.h"

namespace torque::rtorrent {

// Calls rTorrent XMLRPC methods; a test gives job types a fake instead of ScgiRpc.
class Rpc {
 public:
  virtual ~Rpc() = default;

  // The result of `method` with `params`. Failure: a fault (Fault::ToStatus; FaultOf
  // reads it back) or the transport's kUnavailable, kTimeout, kCancelled or kIoError.
  // Implementations are thread-safe.
  virtual Result<Value> Call(const std::string& method, const Array& params) = 0;
};

// The real Rpc: XMLRPC over SCGI, one connection per call, counting what it sends.
class ScgiRpc : public Rpc {
 public:
  explicit ScgiRpc(Endpoint endpoint, ScgiOptions options = {});

  Result<Value> Call(const std::string& method, const Array& params) override;

  // Requests sent for `method` (a system.multicall counts once, as "system.multicall"),
  // failed ones included. Thread-safe.
  int64_t CallCount(const std::string& method) const;
  // All requests sent (one connection each). Thread-safe.
  int64_t RoundTrips() const;

  const Endpoint& endpoint() const { return endpoint_; }

 private:
  const Endpoint endpoint_;
  const ScgiOptions options_;
  mutable std::mutex mutex_;
  std::map<std::string, int64_t> calls_;  // guarded by mutex_
  int64_t round_trips_ = 0;               // guarded by mutex_
};

// `value` as one argument of an rTorrent command string, e.g. for load.* commands:
// "d.custom1.set=" + QuoteCommandArg("tv shows"). In double quotes, with '"' and '\'
// escaped. Unquoted, a space makes rTorrent 0.9.8 silently drop that command and the
// ones after it.
std::string QuoteCommandArg(std::string_view value);

// How a loaded item starts: stopped (load.normal, load.raw) or started (load.start, ...).
enum class LoadMode { kNormal, kStart };

// rTorrent's commands as typed calls on an Rpc it does not own. Stateless: thread-safe
// when the Rpc is. Every failure is the Rpc's Status (a fault: FaultOf) unless noted.
class RtorrentClient {
 public:
  // The priorities d.priority.set takes: off, low, normal, high.
  static constexpr int kMinPriority = 0;
  static constexpr int kMaxPriority = 3;

  explicit RtorrentClient(Rpc& rpc) : rpc_(rpc) {}

  Rpc& rpc() { return rpc_; }

  // d.multicall2("", view, commands...) in one call: one row per item of `view`, one
  // value per command, in order. A command without '=' gets one ("d.hash" → "d.hash=").
  // kIoError when the answer is not a list of rows of commands.size() values.
  Result<std::vector<Array>> MultiCall2(const std::string& view,
                                        const std::vector<std::string>& commands);

  // All `calls` in one system.multicall request, in order: each gets its value or its
  // fault's Status. The outer Result fails only when the request as a whole does (or
  // the answer has the wrong shape: kIoError). No calls: no request.
  Result<std::vector<Result<Value>>> SystemMultiCall(const std::vector<MethodCall>& calls);

  // load.normal / load.verbose / load.start / load.start_verbose of a file path or URL,
  // running `commands` (e.g. "d.custom1.set=" + QuoteCommandArg(label)) on the new item.
  // rTorrent answers before it adds the item (its main loop does that a moment later),
  // and answers 0 even for a file that is not a torrent (it only logs that): poll d.hash
  // to know. Careful: d.erase of an item loaded by path deletes the tied file.
  Status Load(LoadMode mode, bool verbose, const std::string& path_or_url,
              const std::vector<std::string>& commands = {});
  // load.raw / load.raw_verbose / load.raw_start / load.raw_start_verbose of metafile
  // bytes (sent as base64), as Load otherwise.
  Status LoadRaw(std::string_view metafile, LoadMode mode, bool verbose,
                 const std::vector<std::string>& commands = {});

  // d.open and d.start in one system.multicall; the first failure, if any.
  Status Start(const std::string& hash);
  // d.stop and d.close in one system.multicall; the first failure, if any.
  Status Stop(const std::string& hash);
  // d.erase.
  Status Erase(const std::string& hash);
  // d.priority.set then d.update_priorities, in one system.multicall.
  // kInvalidArgument for a priority outside kMinPriority..kMaxPriority (nothing is sent).
  Status SetPriority(const std::string& hash, int priority);

  // d.custom.set(hash, key, value); keys "1".."5" use d.custom1.set ... d.custom5.set.
  Status SetCustom(const std::string& hash, const std::string& key, const std::string& value);
  // d.custom(hash, key) (or d.custom1 ... d.custom5); "" for a key never set.
  Result<std::string> GetCustom(const std::string& hash, const std::string& key);

  // print("", message): a line in rTorrent's message log.
  Status Print(const std::string& message);
  // system.client_version, e.g. "0.9.8".
  Result<std::string> ClientVersion();

 private:
  // Runs `calls` in one system.multicall and folds the results into the first failure.
  Status AllOk(const std::vector<MethodCall>& calls);

  Rpc& rpc_;
};

}  // namespace torque::rtorrent
