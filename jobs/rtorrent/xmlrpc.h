// XMLRPC codec: Value ⇄ the XML of a methodCall (xmlrpc-c) and a methodResponse (expat,
// streaming: xmlrpc_decode.cc).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/status.h"
#include "jobs/rtorrent/value.h"

namespace torque::rtorrent {

// An XMLRPC fault: rTorrent refused a call (-501 unknown info-hash or bad target, -503
// wrong argument type, -506 unknown method, ...).
struct Fault {
  static constexpr int64_t kNoSuchItem = -501;

  int64_t code = 0;
  std::string message;

  // "rTorrent fault <code>: <message>"; kNotFound for kNoSuchItem, else kInvalidArgument.
  Status ToStatus() const;
  bool operator==(const Fault&) const = default;
};

// The fault a Status made by Fault::ToStatus carries; nullopt for any other Status.
std::optional<Fault> FaultOf(const Status& status);

// The largest XML document DecodeResponse parses.
inline constexpr size_t kMaxXmlResponseBytes = size_t{1} << 30;

// The methodCall XML for `method` with `params` (xmlrpc-c's i8 dialect: integers that
// fit 32 bits as <i4>, others as <i8>; Binary as <base64>; nil as <nil/>).
// kInvalidArgument when a string is not valid UTF-8 or holds a character outside the
// Basic Multilingual Plane (xmlrpc-c and rTorrent 0.9.8 refuse both; the text says why).
Result<std::string> EncodeCall(std::string_view method, const Array& params);

// The value of a methodResponse: <i4>/<int>/<i8>/<ex:i8> → int64_t, <base64> → Binary,
// <dateTime.iso8601> → xmlrpc-c's text ("20240102T030405,000000Z"), <nil/> → nil, a bare
// <value>text</value> → string. UTF-8 text stays intact; invalid bytes become U+FFFD (one
// odd name must not fail a whole d.multicall2; rTorrent 0.9.8 itself sends '?' for them).
// A fault becomes Fault::ToStatus(); XML that is not a methodResponse is kIoError
// "bad XMLRPC response: ..." saying what is wrong. Thread-safe.
Result<Value> DecodeResponse(std::string_view xml);

// A fault struct {faultCode, faultString} as system.multicall returns one per failed
// call; nullopt when `value` is not such a struct.
std::optional<Fault> FaultFromValue(const Value& value);

}  // namespace torque::rtorrent
