// SCGI: the framing rTorrent's XMLRPC listener speaks, and one request/response exchange.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "core/cancel_signal.h"
#include "core/clock.h"
#include "core/status.h"
#include "jobs/rtorrent/endpoint.h"

namespace torque::rtorrent {

// Limits of one SCGI exchange.
struct ScgiOptions {
  DurationMs timeout = 30000;                    // connect + write + read; 0: none
  size_t max_response_bytes = 64 * 1024 * 1024;  // headers and body
  // Raised (by another thread): the exchange ends at once. Not owned; outlives the call.
  const CancelSignal* cancel = nullptr;
  // The exchange ends at this time if `timeout` does not end it earlier.
  std::optional<std::chrono::steady_clock::time_point> deadline;
};

// A request with `body` (an XMLRPC methodCall): the netstring
// "<len>:CONTENT_LENGTH\0<body size>\0SCGI\01\0," followed by the body. rTorrent needs
// CONTENT_LENGTH first.
std::string ScgiFrame(std::string_view body);

// The body of an SCGI response: everything after the first "\r\n\r\n". Header lines are
// "Key: value" (names case-insensitive); a "Status:" other than 2xx and a
// "Content-Length:" that is not a number or differs from the body size are errors.
// kIoError with the reason, e.g. "no header delimiter in SCGI response".
Result<std::string> ScgiUnframe(std::string_view response);

// Sends one framed request to `endpoint` on a new connection, reads the response to EOF
// and unframes it. Failure: kUnavailable "cannot connect to rTorrent at <url>: <reason>";
// kTimeout "rTorrent at <url> did not answer within <N> ms" at options.timeout or
// options.deadline, whichever comes first (N: the time that allowed); kCancelled "call to
// rTorrent at <url> cancelled" within milliseconds of options.cancel being raised, at once
// (without connecting) when it already is; kIoError when the connection breaks, the
// response exceeds options.max_response_bytes or is not SCGI. A host name's lookup cannot
// be interrupted: the timeout starts after it, a cancel is seen after it. Thread-safe
// (each call has its own connection and event loop).
Result<std::string> ScgiExchange(const Endpoint& endpoint, std::string_view body,
                                 const ScgiOptions& options);

}  // namespace torque::rtorrent
