#include "client/rt_command.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <exception>
#include <optional>
#include <ostream>
#include <utility>

#include "client/cli.h"
#include "client/cli_args.h"
#include "client/cli_render.h"
#include "core/config.h"
#include "core/utf8.h"
#include "core/words.h"
#include "jobs/rtorrent/condition.h"
#include "jobs/rtorrent/connector.h"
#include "jobs/rtorrent/endpoint.h"
#include "jobs/rtorrent/field_format.h"
#include "jobs/rtorrent/query.h"
#include "jobs/rtorrent/rpc_client.h"
#include "jobs/rtorrent/sort.h"
#include "jobs/rtorrent/tags.h"
#include "jobs/rtorrent/xmlrpc.h"

namespace torque::client {
namespace {

using rtorrent::Field;
using rtorrent::MatcherType;

// The order of the output when no --sort is given.
constexpr const char* kDefaultSort = "name";

// A failure after the command line was understood: the exit code and the message.
struct Failure {
  int code = 0;
  std::string message;
};

// "Unknown field 'x'" → "unknown field 'x'", as the condition parser writes it.
std::string LowerFirst(std::string s) {
  if (!s.empty() && s[0] >= 'A' && s[0] <= 'Z') s[0] = static_cast<char>(s[0] - 'A' + 'a');
  return s;
}

// Field names separated by commas and/or blanks.
std::vector<std::string> SplitNames(const std::string& text) {
  std::vector<std::string> names;
  std::string name;
  for (char c : text + ",") {
    if (c == ',' || c == ' ' || c == '\t') {
      if (!name.empty()) names.push_back(std::move(name));
      name.clear();
    } else {
      name.push_back(c);
    }
  }
  return names;
}

const char* MatcherName(MatcherType m) {
  switch (m) {
    case MatcherType::kPattern:
      return "text";
    case MatcherType::kFloat:
      return "number";
    case MatcherType::kByteSize:
      return "size";
    case MatcherType::kBool:
      return "bool";
    case MatcherType::kTime:
    case MatcherType::kTimeNotNull:
      return "time";
    case MatcherType::kDuration:
      return "duration";
    case MatcherType::kTagged:
      return "set";
    case MatcherType::kFiles:
      return "files";
  }
  return "?";
}

bool RightAligned(MatcherType m) {
  return m == MatcherType::kFloat || m == MatcherType::kByteSize || m == MatcherType::kDuration;
}

// One run of `torque-cli rt`.
class RtCommand {
 public:
  RtCommand(const RtGlobals& globals, std::ostream& out, std::ostream& err)
      : config_(globals.config), json_(globals.json), quiet_(globals.quiet), out_(out), err_(err) {}

  int Run(const std::vector<std::string>& args);

 private:
  // A usage error's message, or nullopt.
  std::optional<std::string> Parse(const std::vector<std::string>& args);
  std::optional<std::string> Option(const std::vector<std::string>& args, size_t& i);
  int Usage(const std::string& message);
  int Fail(const Failure& failure);
  // The fields to show; a usage error's message when one is unknown.
  std::optional<std::string> OutputFields(const rtorrent::Condition* condition,
                                          const rtorrent::SortOrder& sort);
  // Reads the config (for [rtorrent] timeout) and, unless --url gave `endpoint`, finds
  // rTorrent (rtorrent::LocateRtorrent).
  std::optional<Failure> Resolve(rtorrent::Endpoint& endpoint, rtorrent::ScgiOptions& scgi);
  Failure QueryFailure(const Status& status) const;
  void PrintTable(const std::vector<rtorrent::Item>& items) const;
  void PrintJson(const std::vector<rtorrent::Item>& items) const;
  // "N of M items matched in X ms, R round trips[, rTorrent pre-filter: EXPR]" to err_.
  void PrintStats(const rtorrent::QueryResult& result, double ms) const;
  void HelpFields() const;

  std::string config_;
  bool json_ = false, quiet_ = false;
  std::ostream& out_;
  std::ostream& err_;
  std::string url_, view_ = "main";
  std::optional<std::string> sort_, fields_;
  bool prefilter_ = true, stats_ = false, help_ = false, help_fields_ = false;
  std::vector<std::string> words_;  // the condition
  std::vector<Field> columns_;
  // Actions on the matching items, in this order per item.
  bool stop_ = false, start_ = false, erase_ = false, dry_run_ = false;
  std::optional<int> prio_;
  std::vector<std::pair<std::string, std::string>> customs_;  // --custom KEY=VALUE
  std::vector<std::string> tag_, untag_;                      // --tag, --untag words

  bool HasActions() const {
    return stop_ || start_ || erase_ || prio_ || !customs_.empty() || HasTags();
  }
  bool HasTags() const { return !tag_.empty() || !untag_.empty(); }
  // The calls of the actions for one item, and a word for what they do ("start, prio 3").
  std::vector<rtorrent::MethodCall> ActionCalls(const rtorrent::Item& item) const;
  std::string ActionText() const;
  // Sends every item's actions in one system.multicall (or says what it would do); the
  // exit code.
  int Act(rtorrent::RtorrentClient& client, const std::vector<rtorrent::Item>& items);
};

int RtCommand::Run(const std::vector<std::string>& args) {
  if (auto error = Parse(args)) return Usage(*error);
  if (help_) {
    out_ << kUsage;
    return kExitOk;
  }
  if (help_fields_) {
    HelpFields();
    return kExitOk;
  }
  if (HasActions() && words_.empty()) {
    return Usage("an action needs a condition (give 'name=*' to act on every item)");
  }
  if (stop_ && start_) return Usage("--start and --stop do not go together");
  if (erase_ && (start_ || stop_ || prio_ || !customs_.empty() || HasTags())) {
    return Usage("--erase goes alone");
  }
  std::optional<rtorrent::Condition> condition;
  if (!words_.empty()) {
    auto parsed = rtorrent::ParseCondition(JoinWords(words_));
    if (!parsed.ok()) return Fail({kExitUsage, parsed.status().message()});
    condition = std::move(*parsed);
  }
  auto sort = rtorrent::ParseSortFields(sort_.value_or(kDefaultSort));
  if (!sort.ok()) return Usage("--sort: " + LowerFirst(sort.status().message()));
  if (auto error = OutputFields(condition ? &*condition : nullptr, *sort)) return Usage(*error);

  rtorrent::Endpoint endpoint;
  if (!url_.empty()) {
    auto parsed = rtorrent::ParseEndpoint(url_);
    if (!parsed.ok()) return Usage("--url: " + parsed.status().message());
    endpoint = *parsed;
  }
  rtorrent::ScgiOptions scgi;
  if (auto failure = Resolve(endpoint, scgi)) return Fail(*failure);

  rtorrent::ScgiRpc rpc(endpoint, scgi);
  rtorrent::RtorrentClient client(rpc);
  rtorrent::QueryOptions options;
  options.view = view_;
  options.prefilter = prefilter_;
  for (const Field& f : columns_) options.extra_fields.push_back(f.name);
  if (HasActions()) options.extra_fields.push_back("name");  // for the action's messages
  if (HasTags()) options.extra_fields.push_back("tagged");   // the tags to edit
  const auto start = std::chrono::steady_clock::now();
  auto result = rtorrent::Query(client, condition ? &*condition : nullptr, &*sort, options);
  const double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  if (!result.ok()) return Fail(QueryFailure(result.status()));

  if (!quiet_) {
    if (json_) {
      PrintJson(result->items);
    } else if (!result->items.empty()) {
      PrintTable(result->items);
    } else {
      err_ << "no items match\n";
    }
  }
  if (stats_) PrintStats(*result, ms);
  if (result->items.empty()) return kExitNoMatch;
  return HasActions() ? Act(client, result->items) : kExitOk;
}

namespace {

// The item's name, for messages.
std::string NameOf(const rtorrent::Item& item) {
  static const rtorrent::Field name = *rtorrent::LookupField("name");
  return rtorrent::FormatFieldValue(name, item.Get(name));
}

}  // namespace

std::vector<rtorrent::MethodCall> RtCommand::ActionCalls(const rtorrent::Item& item) const {
  using rtorrent::Value;
  static const Field tagged = *rtorrent::LookupField("tagged");
  const std::string& hash = item.hash();
  std::vector<rtorrent::MethodCall> calls;
  if (erase_) return {{"d.erase", {Value(hash)}}};
  if (stop_) {
    calls.push_back({"d.stop", {Value(hash)}});
    calls.push_back({"d.close", {Value(hash)}});
  }
  if (prio_) {
    calls.push_back({"d.priority.set", {Value(hash), Value(*prio_)}});
    calls.push_back({"d.update_priorities", {Value(hash)}});
  }
  for (const auto& [key, value] : customs_) {
    const bool numbered = key.size() == 1 && key[0] >= '1' && key[0] <= '5';
    if (numbered) {
      calls.push_back({"d.custom" + key + ".set", {Value(hash), Value(value)}});
    } else {
      calls.push_back({"d.custom.set", {Value(hash), Value(key), Value(value)}});
    }
  }
  if (HasTags()) {
    const rtorrent::FieldValue current = item.Get(tagged);
    std::string text;
    if (const auto* words = std::get_if<std::vector<std::string>>(&current)) {
      for (const std::string& w : *words) text += (text.empty() ? "" : " ") + w;
    }
    // Unchanged tags are not written (as pyrosimple's tag()).
    if (auto edited = rtorrent::EditTags(text, tag_, untag_)) {
      calls.push_back({"d.custom.set", {Value(hash), Value(rtorrent::kTagsKey), Value(*edited)}});
    }
  }
  if (start_) {
    calls.push_back({"d.open", {Value(hash)}});
    calls.push_back({"d.start", {Value(hash)}});
  }
  return calls;
}

std::string RtCommand::ActionText() const {
  if (erase_) return "erase";
  std::vector<std::string> parts;
  if (stop_) parts.push_back("stop");
  if (prio_) parts.push_back("prio " + std::to_string(*prio_));
  for (const auto& [key, value] : customs_) parts.push_back("custom " + key + "=" + value);
  if (!tag_.empty()) parts.push_back("tag " + JoinWords(tag_));
  if (!untag_.empty()) parts.push_back("untag " + JoinWords(untag_));
  if (start_) parts.push_back("start");
  std::string text;
  for (const std::string& p : parts) text += (text.empty() ? "" : ", ") + p;
  return text;
}

int RtCommand::Act(rtorrent::RtorrentClient& client, const std::vector<rtorrent::Item>& items) {
  const std::string what = ActionText();
  if (dry_run_) {
    for (const rtorrent::Item& item : items) {
      err_ << "would " << what << ": '" << NameOf(item) << "' #" << item.hash() << '\n';
    }
    return kExitOk;
  }
  std::vector<rtorrent::MethodCall> calls;
  std::vector<size_t> owner;  // the item of each call
  for (size_t i = 0; i < items.size(); ++i) {
    for (rtorrent::MethodCall& c : ActionCalls(items[i])) {
      calls.push_back(std::move(c));
      owner.push_back(i);
    }
  }
  auto answers = client.SystemMultiCall(calls);
  if (!answers.ok()) return Fail(QueryFailure(answers.status()));
  std::vector<std::string> failed(items.size());
  for (size_t k = 0; k < answers->size() && k < calls.size(); ++k) {
    const auto& a = (*answers)[k];
    if (!a.ok() && failed[owner[k]].empty()) {
      failed[owner[k]] = calls[k].method + ": " + a.status().message();
    }
  }
  int refused = 0;
  for (size_t i = 0; i < items.size(); ++i) {
    if (failed[i].empty()) continue;
    ++refused;
    err_ << "torque-cli: " << what << " of '" << NameOf(items[i]) << "' #" << items[i].hash()
         << " failed: " << failed[i] << '\n';
  }
  if (!quiet_) {
    err_ << what << ": " << items.size() - static_cast<size_t>(refused) << " of " << items.size()
         << (items.size() == 1 ? " item" : " items")
         << (calls.empty() ? " (nothing to change)" : " in 1 request") << '\n';
  }
  return refused ? kExitRtorrentFault : kExitOk;
}

std::optional<std::string> RtCommand::Parse(const std::vector<std::string>& args) {
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--") {
      words_.insert(words_.end(), args.begin() + static_cast<std::ptrdiff_t>(i) + 1, args.end());
      break;
    }
    if (a.size() > 1 && a[0] == '-') {
      if (auto error = Option(args, i)) return error;
    } else {
      words_.push_back(a);
    }
  }
  return std::nullopt;
}

std::optional<std::string> RtCommand::Option(const std::vector<std::string>& args, size_t& i) {
  const CliArg arg(args[i]);
  const std::string& flag = arg.name();
  auto is = [&arg](const char* a, const char* b = nullptr) { return arg.Is(a, b); };
  if (is("--no-prefilter") || is("--stats") || is("--json") || is("-q", "--quiet") ||
      is("-h", "--help") || is("--help-fields") || is("--start") || is("--stop") || is("--erase") ||
      is("--dry-run")) {
    if (arg.has_inline_value()) return "option " + flag + " takes no value";
    if (is("--start")) start_ = true;
    if (is("--stop")) stop_ = true;
    if (is("--erase")) erase_ = true;
    if (is("--dry-run")) dry_run_ = true;
    if (is("--no-prefilter")) prefilter_ = false;
    if (is("--stats")) stats_ = true;
    if (is("--json")) json_ = true;
    if (is("-q", "--quiet")) quiet_ = true;
    if (is("-h", "--help")) help_ = true;
    if (is("--help-fields")) help_fields_ = true;
    return std::nullopt;
  }
  if (!(is("--url") || is("--view") || is("-s", "--sort") || is("-o", "--fields") ||
        is("-c", "--config") || is("--prio") || is("--custom") || is("--tag") || is("--untag"))) {
    return "unknown option '" + flag + "' for rt";
  }
  std::string error;
  const std::optional<std::string> taken = arg.Value(args, i, error);
  if (!taken) return error;
  const std::string& value = *taken;
  if (is("--url")) {
    if (value.empty()) return "option --url needs a value";
    url_ = value;
  } else if (is("--view")) {
    if (value.empty()) return "option --view needs a value";
    view_ = value;
  } else if (is("-s", "--sort")) {
    sort_ = value;
  } else if (is("-o", "--fields")) {
    fields_ = value;
  } else if (is("--prio")) {
    if (value.size() != 1 || value[0] < '0' || value[0] > '3') {
      return "--prio: expected 0 (off), 1 (low), 2 (normal) or 3 (high), got '" + value + "'";
    }
    prio_ = value[0] - '0';
  } else if (is("--tag") || is("--untag")) {
    const std::vector<std::string> words = rtorrent::SplitTags(value);
    if (words.empty()) return flag + ": expected a tag word, got '" + value + "'";
    auto& into = is("--tag") ? tag_ : untag_;
    into.insert(into.end(), words.begin(), words.end());
  } else if (is("--custom")) {
    const size_t eq = value.find('=');
    if (eq == std::string::npos || eq == 0)
      return "--custom: expected KEY=VALUE, got '" + value + "'";
    customs_.emplace_back(value.substr(0, eq), value.substr(eq + 1));
  } else {
    config_ = value;
  }
  return std::nullopt;
}

int RtCommand::Usage(const std::string& message) { return PrintUsageError(err_, message); }

int RtCommand::Fail(const Failure& failure) {
  err_ << "torque-cli: " << failure.message << '\n';
  return failure.code;
}

std::optional<std::string> RtCommand::OutputFields(const rtorrent::Condition* condition,
                                                   const rtorrent::SortOrder& sort) {
  std::vector<std::string> names;
  if (fields_) {
    names = SplitNames(*fields_);
    if (names.empty()) return "--fields: no field name given";
  } else {
    names.push_back("name");
    if (condition)
      names.insert(names.end(), condition->Fields().begin(), condition->Fields().end());
    for (const std::string& n : sort.Fields()) names.push_back(n);
    std::vector<std::string> unique;
    for (const std::string& n : names) {
      if (std::find(unique.begin(), unique.end(), n) == unique.end()) unique.push_back(n);
    }
    names = std::move(unique);
  }
  for (const std::string& name : names) {
    auto field = rtorrent::LookupField(name);
    if (!field.ok()) return "--fields: " + LowerFirst(field.status().message());
    columns_.push_back(std::move(*field));
  }
  return std::nullopt;
}

std::optional<Failure> RtCommand::Resolve(rtorrent::Endpoint& endpoint,
                                          rtorrent::ScgiOptions& scgi) {
  std::optional<std::string> file = config_.empty() ? DefaultConfigFile() : config_;
  ConfigOptions options;
  if (file) options.files.push_back(*file);
  auto config = LoadConfig(options);
  if (!config.ok()) {
    return Failure{kExitConfig, "cannot use config " + file.value_or("defaults") + ": " +
                                    config.status().message()};
  }
  scgi.timeout = config->rtorrent.timeout;
  if (!url_.empty()) return std::nullopt;

  const std::string in_file = file ? *file : "a config file (-c FILE)";
  auto located = rtorrent::LocateRtorrent(config->rtorrent);
  if (located.ok()) {
    endpoint = *located;
    return std::nullopt;
  }
  const Status status = located.status();
  if (status.code() == Status::Code::kNotFound) {
    return Failure{kExitConfig, status.message() +
                                    " (give --url, set url in the [rtorrent] section of " +
                                    in_file +
                                    ", or let [rtorrent] rtorrent_rc name an rtorrent.rc with "
                                    "network.scgi.open_local)"};
  }
  if (!config->rtorrent.url.empty()) {
    return Failure{kExitConfig, "[rtorrent] url in " + in_file + ": " + status.message()};
  }
  return Failure{kExitConfig, status.message()};
}

Failure RtCommand::QueryFailure(const Status& status) const {
  if (rtorrent::FaultOf(status)) {
    std::string message = status.message();
    // rTorrent's d.multicall2 says "Could not find view." without naming it.
    if (message.find("view") != std::string::npos &&
        message.find("'" + view_ + "'") == std::string::npos) {
      message += " (view '" + view_ + "')";
    }
    return {kExitRtorrentFault, message};
  }
  switch (status.code()) {
    case Status::Code::kUnavailable:
    case Status::Code::kTimeout:
    case Status::Code::kIoError:
      return {kExitUnavailable, status.message()};
    case Status::Code::kInvalidArgument:
      return {kExitUsage, status.message()};
    default:
      return {kExitInternal, "internal error: " + status.message()};
  }
}

void RtCommand::PrintTable(const std::vector<rtorrent::Item>& items) const {
  std::vector<std::string> header;
  std::vector<bool> numeric;
  for (const Field& f : columns_) {
    header.push_back(AsciiUpper(f.name));
    numeric.push_back(RightAligned(f.matcher));
  }
  Table table(std::move(header), std::move(numeric));
  for (const rtorrent::Item& item : items) {
    std::vector<std::string> row;
    for (const Field& f : columns_) row.push_back(rtorrent::FormatFieldValue(f, item.Get(f)));
    table.Add(std::move(row));
  }
  table.Print(out_);
}

void RtCommand::PrintJson(const std::vector<rtorrent::Item>& items) const {
  if (items.empty()) {
    out_ << "[]\n";
    return;
  }
  const char* separator = "[";
  for (const rtorrent::Item& item : items) {
    nlohmann::ordered_json object = nlohmann::ordered_json::object();
    for (const Field& f : columns_) object[f.name] = rtorrent::FieldValueJson(item.Get(f));
    out_ << separator << object.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    separator = ",\n";
  }
  out_ << "]\n";
}

void RtCommand::PrintStats(const rtorrent::QueryResult& result, double ms) const {
  char took[32];
  std::snprintf(took, sizeof took, "%.1f", ms);
  err_ << result.items.size() << " of " << result.fetched << " items matched in " << took << " ms, "
       << result.round_trips << " round trip" << (result.round_trips == 1 ? "" : "s");
  if (!result.prefilter.empty()) err_ << ", rTorrent pre-filter: " << result.prefilter;
  err_ << '\n';
}

void RtCommand::HelpFields() const {
  Table table({"FIELD", "TYPE", "MEANING"}, {false, false, false});
  for (const std::string& name : rtorrent::FixedFieldNames()) {
    auto f = rtorrent::LookupField(name);
    if (f.ok()) table.Add({f->name, MatcherName(f->matcher), f->help});
  }
  table.Add({"kind_N", "set", "extensions making up at least N % of the size (N: 0..100)"});
  table.Add({"custom_KEY", "text", "d.custom=KEY (custom_1..custom_5: d.custom1..d.custom5)"});
  table.Add({"d_METHOD", "text", "the value of d.METHOD, e.g. d_down.rate"});
  table.Print(out_);
}

}  // namespace

int RunRt(const std::vector<std::string>& args, const RtGlobals& globals, std::ostream& out,
          std::ostream& err) {
  try {
    return RtCommand(globals, out, err).Run(args);
  } catch (const std::exception& e) {
    err << "torque-cli: internal error: " << e.what() << '\n';
    return kExitInternal;
  }
}

}  // namespace torque::client
