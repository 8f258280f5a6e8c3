// torque client library: hand work to torqued over its UNIX socket.
//
//   auto c = torque::client::Client::Connect(torque::client::DefaultSocketPath());
//   if (!c.ok()) ...;
//   auto id = c->Submit("verify_file", "fid:50");       // ACK only after commit
//   auto job = c->Wait(*id, 60'000);                      // JSON record when final
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/protocol.h"
#include "core/status.h"

namespace torque::client {

using protocol::SubmitOptions;

// One connection to torqued. Not thread-safe; use one per thread.
// Errors: kUnavailable when the daemon cannot be reached or the connection
// breaks; an ERR reply becomes a Status whose message is "<word> <text>"
// with code kNotFound (notfound), kTimeout (timeout), kFailedPrecondition
// (state), kIoError (store), kUnavailable (shutdown) or kInvalidArgument (others).
class Client {
 public:
  // Connects to the socket at `path`; `timeout_ms` bounds connect and each reply.
  static Result<Client> Connect(const std::string& path, int64_t timeout_ms = 30'000);

  Client(Client&&) noexcept;
  Client& operator=(Client&&) noexcept;
  ~Client();

  // Sends one raw request line and returns its parsed reply (ERR is a reply, not a failure).
  Result<protocol::Reply> Call(std::string_view line);
  // Sends all lines at once, then reads one reply each, in order (pipelining).
  Result<std::vector<protocol::Reply>> CallMany(const std::vector<std::string>& lines);

  // Enqueues NAME with ARGS; returns the job id (an existing one if coalesced).
  Result<JobId> Submit(std::string_view name, std::string_view args,
                       const SubmitOptions& options = {});
  // The job's record.
  Result<nlohmann::json> Status(JobId id);
  // Blocks until the job is final (or timeout_ms passes: kTimeout); returns its record.
  // `from` is the id of a running job that waits (lends its worker slot), 0 for none.
  Result<nlohmann::json> Wait(JobId id, std::optional<int64_t> timeout_ms = std::nullopt,
                              JobId from = 0);
  Result<nlohmann::json> Cancel(JobId id);
  Result<nlohmann::json> Retry(JobId id);
  // Any verb that answers "OK <json>": "STATS", "TYPES", "LIST state=failed", ...
  Result<nlohmann::json> Query(std::string_view line);

 private:
  struct Impl;
  explicit Client(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// The socket to use: `flag` if non-empty, else $TORQUE_SOCKET, else the
// [server] socket of `config_file` (or of the default config file), else the default.
std::string ResolveSocketPath(const std::string& flag = {}, const std::string& config_file = {});

// The default socket path (DefaultStateDir()/torqued.sock).
std::string DefaultSocketPath();

// Turns an ERR reply into the Status described above.
torque::Status StatusFromReply(const protocol::Reply& reply);

}  // namespace torque::client
