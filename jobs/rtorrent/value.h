// Value: an XMLRPC value as rTorrent sends and takes it, in plain C++ types.
#pragma once

#include <cstdint>
#include <map>
#include <ostream>
#include <string>
#include <variant>
#include <vector>

namespace torque::rtorrent {

struct Value;
using Array = std::vector<Value>;
using Struct = std::map<std::string, Value>;

// Bytes sent as <base64> (a metafile for load.raw); received base64 decodes to this too.
struct Binary {
  std::string bytes;
  bool operator==(const Binary&) const = default;
};

// One XMLRPC value. rTorrent answers integers as <i8> or <i4>; both decode to int64_t.
struct Value {
  using Variant = std::variant<std::monostate, int64_t, bool, double, std::string, Binary,
                               Array, Struct>;
  Variant v;

  Value() = default;
  Value(int64_t i) : v(i) {}
  Value(int i) : v(int64_t{i}) {}
  Value(bool b) : v(b) {}
  Value(double d) : v(d) {}
  Value(std::string s) : v(std::move(s)) {}
  Value(const char* s) : v(std::string(s)) {}
  Value(Binary b) : v(std::move(b)) {}
  Value(Array a) : v(std::move(a)) {}
  Value(Struct s) : v(std::move(s)) {}

  bool IsNil() const { return std::holds_alternative<std::monostate>(v); }
  bool IsInt() const { return std::holds_alternative<int64_t>(v); }
  bool IsString() const { return std::holds_alternative<std::string>(v); }
  bool IsArray() const { return std::holds_alternative<Array>(v); }

  // Lenient readers for item fields: an int from int/bool/numeric string, else `fallback`;
  // a string from string/int; an empty array for anything that is not an array.
  int64_t AsInt(int64_t fallback = 0) const;
  std::string AsString() const;
  const Array& AsArray() const;

  bool operator==(const Value&) const = default;
};

// A compact readable form for logs and test failures: 7, true, 1.5, "text",
// base64(N bytes), nil, [a, b], {key: value, ...}.
std::ostream& operator<<(std::ostream& os, const Value& value);

// One XMLRPC call: a method and its parameters (e.g. one entry of a system.multicall).
struct MethodCall {
  std::string method;
  Array params;
  bool operator==(const MethodCall&) const = default;
};

}  // namespace torque::rtorrent
