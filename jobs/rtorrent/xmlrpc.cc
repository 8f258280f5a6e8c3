#include "jobs/rtorrent/xmlrpc.h"

#include <xmlrpc-c/base.h>

#include <charconv>
#include <exception>
#include <limits>
#include <map>
#include <vector>
#include <xmlrpc-c/base.hpp>
#include <xmlrpc-c/girerr.hpp>
#include <xmlrpc-c/xml.hpp>

namespace torque::rtorrent {
namespace {

constexpr std::string_view kFaultPrefix = "rTorrent fault ";

xmlrpc_c::value ToXmlrpc(const Value& value);

struct ToXmlrpcVisitor {
  xmlrpc_c::value operator()(std::monostate) const { return xmlrpc_c::value_nil(); }
  xmlrpc_c::value operator()(int64_t i) const {
    if (i >= std::numeric_limits<int32_t>::min() && i <= std::numeric_limits<int32_t>::max()) {
      return xmlrpc_c::value_int(static_cast<int>(i));
    }
    return xmlrpc_c::value_i8(i);
  }
  xmlrpc_c::value operator()(bool b) const { return xmlrpc_c::value_boolean(b); }
  xmlrpc_c::value operator()(double d) const { return xmlrpc_c::value_double(d); }
  xmlrpc_c::value operator()(const std::string& s) const { return xmlrpc_c::value_string(s); }
  xmlrpc_c::value operator()(const Binary& b) const {
    return xmlrpc_c::value_bytestring(xmlrpc_c::cbytestring(b.bytes.begin(), b.bytes.end()));
  }
  xmlrpc_c::value operator()(const Array& a) const {
    std::vector<xmlrpc_c::value> items;
    items.reserve(a.size());
    for (const Value& item : a) items.push_back(ToXmlrpc(item));
    return xmlrpc_c::value_array(items);
  }
  xmlrpc_c::value operator()(const Struct& s) const {
    std::map<std::string, xmlrpc_c::value> members;
    for (const auto& [name, member] : s) members.emplace(name, ToXmlrpc(member));
    return xmlrpc_c::value_struct(members);
  }
};

xmlrpc_c::value ToXmlrpc(const Value& value) { return std::visit(ToXmlrpcVisitor{}, value.v); }

// Throws girerr::error for types the XML parser never produces (C pointers).
Value FromXmlrpc(const xmlrpc_c::value& value) {
  switch (value.type()) {
    case xmlrpc_c::value::TYPE_INT:
      return Value(int64_t{xmlrpc_c::value_int(value).cvalue()});
    case xmlrpc_c::value::TYPE_I8:
      return Value(int64_t{xmlrpc_c::value_i8(value).cvalue()});
    case xmlrpc_c::value::TYPE_BOOLEAN:
      return Value(xmlrpc_c::value_boolean(value).cvalue());
    case xmlrpc_c::value::TYPE_DOUBLE:
      return Value(xmlrpc_c::value_double(value).cvalue());
    case xmlrpc_c::value::TYPE_DATETIME:
      return Value(xmlrpc_c::value_datetime(value).iso8601Value());
    case xmlrpc_c::value::TYPE_STRING:
      return Value(xmlrpc_c::value_string(value).cvalue());
    case xmlrpc_c::value::TYPE_BYTESTRING: {
      xmlrpc_c::cbytestring bytes = xmlrpc_c::value_bytestring(value).vectorUcharValue();
      return Value(Binary{std::string(bytes.begin(), bytes.end())});
    }
    case xmlrpc_c::value::TYPE_ARRAY: {
      Array out;
      for (const xmlrpc_c::value& item : xmlrpc_c::value_array(value).vectorValueValue()) {
        out.push_back(FromXmlrpc(item));
      }
      return Value(std::move(out));
    }
    case xmlrpc_c::value::TYPE_STRUCT: {
      Struct out;
      for (const auto& [name, member] : xmlrpc_c::value_struct(value).cvalue()) {
        out.emplace(name, FromXmlrpc(member));
      }
      return Value(std::move(out));
    }
    case xmlrpc_c::value::TYPE_NIL:
      return Value();
    default:
      throw girerr::error("unexpected XMLRPC value type " + std::to_string(value.type()));
  }
}

// The length of the valid UTF-8 sequence at the start of `s` (1-4), or 0.
size_t Utf8SequenceLength(std::string_view s) {
  auto byte = [&](size_t i) { return i < s.size() ? static_cast<unsigned char>(s[i]) : 0; };
  auto cont = [&](size_t i) { return (byte(i) & 0xC0) == 0x80; };
  unsigned char b = byte(0);
  if (b < 0x80) return 1;
  if (b >= 0xC2 && b <= 0xDF) return cont(1) ? 2 : 0;
  if (b >= 0xE0 && b <= 0xEF) {
    unsigned char lo = b == 0xE0 ? 0xA0 : 0x80;
    unsigned char hi = b == 0xED ? 0x9F : 0xBF;  // no UTF-16 surrogates
    return byte(1) >= lo && byte(1) <= hi && cont(2) ? 3 : 0;
  }
  if (b >= 0xF0 && b <= 0xF4) {
    unsigned char lo = b == 0xF0 ? 0x90 : 0x80;
    unsigned char hi = b == 0xF4 ? 0x8F : 0xBF;
    return byte(1) >= lo && byte(1) <= hi && cont(2) && cont(3) ? 4 : 0;
  }
  return 0;
}

// xmlrpc-c 1.33 refuses a whole response over one invalid UTF-8 byte or one character
// outside the Basic Multilingual Plane (an emoji in a torrent name); each becomes U+FFFD,
// so one odd name cannot fail a d.multicall2. nullopt when nothing needs replacing.
std::optional<std::string> ReplaceUnparsableUtf8(std::string_view xml) {
  constexpr std::string_view kReplacement = "\xEF\xBF\xBD";
  std::optional<std::string> out;
  size_t copied = 0;
  for (size_t i = 0; i < xml.size();) {
    size_t len = Utf8SequenceLength(xml.substr(i));
    if (len >= 1 && len <= 3) {
      i += len;
      continue;
    }
    if (!out) out.emplace();
    out->append(xml.substr(copied, i - copied));
    out->append(kReplacement);
    i += len == 4 ? 4 : 1;
    copied = i;
  }
  if (out) out->append(xml.substr(copied));
  return out;
}

// xmlrpc-c refuses documents over 512 KiB unless told otherwise (a process-wide limit).
void RaiseXmlSizeLimit() {
  static const bool kRaised = [] {
    xmlrpc_limit_set(XMLRPC_XML_SIZE_LIMIT_ID, kMaxXmlResponseBytes);
    return true;
  }();
  (void)kRaised;
}

}  // namespace

Status Fault::ToStatus() const {
  std::string text = std::string(kFaultPrefix) + std::to_string(code) + ": " + message;
  if (code == kNoSuchItem) return Status::NotFound(std::move(text));
  return Status::InvalidArgument(std::move(text));
}

std::optional<Fault> FaultOf(const Status& status) {
  if (status.code() != Status::Code::kNotFound && status.code() != Status::Code::kInvalidArgument) {
    return std::nullopt;
  }
  std::string_view text = status.message();
  if (!text.starts_with(kFaultPrefix)) return std::nullopt;
  text.remove_prefix(kFaultPrefix.size());
  Fault fault;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), fault.code);
  std::string_view rest(end, static_cast<size_t>(text.data() + text.size() - end));
  if (ec != std::errc() || !rest.starts_with(": ")) return std::nullopt;
  fault.message = std::string(rest.substr(2));
  return fault;
}

Result<std::string> EncodeCall(std::string_view method, const Array& params) {
  try {
    xmlrpc_c::paramList list;
    for (const Value& param : params) list.add(ToXmlrpc(param));
    std::string xml;
    xmlrpc_c::xml::generateCall(std::string(method), list, &xml);
    return xml;
  } catch (const std::exception& e) {  // girerr::error and std::bad_alloc
    return Status::InvalidArgument("cannot encode XMLRPC call " + std::string(method) + ": " +
                                   e.what());
  }
}

Result<Value> DecodeResponse(std::string_view xml) {
  RaiseXmlSizeLimit();
  try {
    xmlrpc_c::rpcOutcome outcome;  // never reused: a second parse into one throws
    std::optional<std::string> replaced = ReplaceUnparsableUtf8(xml);
    xmlrpc_c::xml::parseResponse(replaced ? *replaced : std::string(xml), &outcome);
    if (!outcome.succeeded()) {
      xmlrpc_c::fault fault = outcome.getFault();
      return Fault{fault.getCode(), fault.getDescription()}.ToStatus();
    }
    return FromXmlrpc(outcome.getResult());
  } catch (const std::exception& e) {
    return Status::IoError("bad XMLRPC response: " + std::string(e.what()));
  }
}

std::optional<Fault> FaultFromValue(const Value& value) {
  const auto* members = std::get_if<Struct>(&value.v);
  if (members == nullptr || members->size() != 2) return std::nullopt;
  auto code = members->find("faultCode");
  auto text = members->find("faultString");
  if (code == members->end() || text == members->end() || !code->second.IsInt() ||
      !text->second.IsString()) {
    return std::nullopt;
  }
  return Fault{std::get<int64_t>(code->second.v), std::get<std::string>(text->second.v)};
}

}  // namespace torque::rtorrent
