#include "jobs/rtorrent/xmlrpc.h"

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
