#include "jobs/rtorrent/rpc_client.h"

#include <utility>

namespace torque::rtorrent {
namespace {

// "d.custom1.set" for key "1" ... "5" with suffix ".set", else "" (use d.custom.set).
std::string NumberedCustom(const std::string& key, std::string_view suffix) {
  if (key.size() != 1 || key[0] < '1' || key[0] > '5') return "";
  return "d.custom" + key + std::string(suffix);
}

Array LoadParams(Value source, const std::vector<std::string>& commands) {
  Array params{Value(""), std::move(source)};
  for (const std::string& command : commands) params.emplace_back(command);
  return params;
}

}  // namespace

std::string QuoteCommandArg(std::string_view value) {
  std::string out = "\"";
  for (char c : value) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

ScgiRpc::ScgiRpc(Endpoint endpoint, ScgiOptions options)
    : endpoint_(std::move(endpoint)), options_(options) {}

Result<Value> ScgiRpc::Call(const std::string& method, const Array& params) {
  Result<std::string> request = EncodeCall(method, params);
  if (!request.ok()) return request.status();
  {
    std::lock_guard<std::mutex> lock(mutex_);
    ++calls_[method];
    ++round_trips_;
  }
  Result<std::string> response = ScgiExchange(endpoint_, *request, options_);
  if (!response.ok()) return response.status();
  Result<Value> value = DecodeResponse(*response);
  if (!value.ok() && !FaultOf(value.status())) {
    return Status::IoError(value.status().message() + " (from rTorrent at " + endpoint_.ToString() +
                           ", method " + method + ")");
  }
  return value;
}

int64_t ScgiRpc::CallCount(const std::string& method) const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = calls_.find(method);
  return it == calls_.end() ? 0 : it->second;
}

int64_t ScgiRpc::RoundTrips() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return round_trips_;
}

Result<std::vector<Array>> RtorrentClient::MultiCall2(const std::string& view,
                                                      const std::vector<std::string>& commands) {
  Array params{Value(""), Value(view)};
  for (const std::string& command : commands) {
    params.emplace_back(command.find('=') == std::string::npos ? command + "=" : command);
  }
  Result<Value> result = rpc_.Call("d.multicall2", params);
  if (!result.ok()) return result.status();
  Array* list = std::get_if<Array>(&result->v);
  if (!list) return Status::IoError("d.multicall2 answered a non-list");
  std::vector<Array> rows;
  rows.reserve(list->size());
  for (Value& row : *list) {  // moved: a 10 000-item answer is large
    if (!row.IsArray() || row.AsArray().size() != commands.size()) {
      return Status::IoError("d.multicall2 answered a row of " +
                             std::to_string(row.AsArray().size()) + " values for " +
                             std::to_string(commands.size()) + " commands");
    }
    rows.push_back(std::move(std::get<Array>(row.v)));
  }
  return rows;
}

Result<std::vector<Result<Value>>> RtorrentClient::SystemMultiCall(
    const std::vector<MethodCall>& calls) {
  std::vector<Result<Value>> results;
  if (calls.empty()) return results;
  Array list;
  list.reserve(calls.size());
  for (const MethodCall& call : calls) {
    list.emplace_back(Struct{{"methodName", Value(call.method)}, {"params", Value(call.params)}});
  }
  Result<Value> answer = rpc_.Call("system.multicall", Array{Value(std::move(list))});
  if (!answer.ok()) return answer.status();
  const Array& items = answer->AsArray();
  if (!answer->IsArray() || items.size() != calls.size()) {
    return Status::IoError("system.multicall answered " + std::to_string(items.size()) +
                           " results for " + std::to_string(calls.size()) + " calls");
  }
  results.reserve(items.size());
  for (size_t i = 0; i < items.size(); ++i) {
    if (std::optional<Fault> fault = FaultFromValue(items[i])) {
      results.emplace_back(fault->ToStatus());
    } else if (items[i].IsArray() && items[i].AsArray().size() == 1) {
      results.emplace_back(items[i].AsArray().front());
    } else {
      return Status::IoError("system.multicall answered a malformed result for call " +
                             std::to_string(i + 1) + " (" + calls[i].method + ")");
    }
  }
  return results;
}

Status RtorrentClient::AllOk(const std::vector<MethodCall>& calls) {
  Result<std::vector<Result<Value>>> results = SystemMultiCall(calls);
  if (!results.ok()) return results.status();
  for (const Result<Value>& result : *results) {
    if (!result.ok()) return result.status();
  }
  return Status::Ok();
}

Status RtorrentClient::Load(LoadMode mode, bool verbose, const std::string& path_or_url,
                            const std::vector<std::string>& commands) {
  const char* method = mode == LoadMode::kStart ? (verbose ? "load.start_verbose" : "load.start")
                                                : (verbose ? "load.verbose" : "load.normal");
  return rpc_.Call(method, LoadParams(Value(path_or_url), commands)).status();
}

Status RtorrentClient::LoadRaw(std::string_view metafile, LoadMode mode, bool verbose,
                               const std::vector<std::string>& commands) {
  const char* method = mode == LoadMode::kStart
                           ? (verbose ? "load.raw_start_verbose" : "load.raw_start")
                           : (verbose ? "load.raw_verbose" : "load.raw");
  return rpc_.Call(method, LoadParams(Value(Binary{std::string(metafile)}), commands)).status();
}

Status RtorrentClient::Start(const std::string& hash) {
  return AllOk({{"d.open", {Value(hash)}}, {"d.start", {Value(hash)}}});
}

Status RtorrentClient::Stop(const std::string& hash) {
  return AllOk({{"d.stop", {Value(hash)}}, {"d.close", {Value(hash)}}});
}

Status RtorrentClient::Erase(const std::string& hash) {
  return rpc_.Call("d.erase", {Value(hash)}).status();
}

Status RtorrentClient::SetPriority(const std::string& hash, int priority) {
  if (priority < kMinPriority || priority > kMaxPriority) {
    return Status::InvalidArgument("priority must be " + std::to_string(kMinPriority) + "-" +
                                   std::to_string(kMaxPriority) + ", not " +
                                   std::to_string(priority));
  }
  return AllOk(
      {{"d.priority.set", {Value(hash), Value(priority)}}, {"d.update_priorities", {Value(hash)}}});
}

Status RtorrentClient::SetCustom(const std::string& hash, const std::string& key,
                                 const std::string& value) {
  std::string numbered = NumberedCustom(key, ".set");
  if (!numbered.empty()) return rpc_.Call(numbered, {Value(hash), Value(value)}).status();
  return rpc_.Call("d.custom.set", {Value(hash), Value(key), Value(value)}).status();
}

Result<std::string> RtorrentClient::GetCustom(const std::string& hash, const std::string& key) {
  std::string numbered = NumberedCustom(key, "");
  Result<Value> result = numbered.empty() ? rpc_.Call("d.custom", {Value(hash), Value(key)})
                                          : rpc_.Call(numbered, {Value(hash)});
  if (!result.ok()) return result.status();
  return result->AsString();
}

Status RtorrentClient::Print(const std::string& message) {
  return rpc_.Call("print", {Value(""), Value(message)}).status();
}

Result<std::string> RtorrentClient::ClientVersion() {
  Result<Value> result = rpc_.Call("system.client_version", {});
  if (!result.ok()) return result.status();
  if (!result->IsString()) return Status::IoError("system.client_version answered a non-string");
  return result->AsString();
}

}  // namespace torque::rtorrent
