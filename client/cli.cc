#include "client/cli.h"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <ostream>
#include <sstream>

#include "client/cli_args.h"
#include "client/cli_render.h"
#include "client/rt_command.h"
#include "core/config.h"
#include "core/duration.h"
#include "core/protocol.h"
#include "core/words.h"
#include "torque/client.h"

namespace torque::client {
namespace {

using nlohmann::json;
using protocol::Reply;

// Reply timeout of ordinary requests.
constexpr int64_t kReplyTimeoutMs = 30'000;
// A WAIT's reply may come this much later than its own timeout.
constexpr int64_t kWaitSlackMs = 10'000;
// Longest duration the protocol accepts (3650 days, see PROTOCOL.md).
constexpr DurationMs kMaxDurationMs = 3650LL * 24 * 3600 * 1000;

constexpr const char* kCommands[] = {"submit", "status",  "wait",  "cancel", "retry",
                                     "list",   "stats",   "types", "pause",  "resume",
                                     "ping",   "version", "help"};

bool IsCommand(const std::string& word) {
  return std::find(std::begin(kCommands), std::end(kCommands), word) != std::end(kCommands);
}

// Blanks or control bytes would break a value out of its word on the wire.
bool IsOneWord(const std::string& v) {
  return std::none_of(v.begin(), v.end(),
                      [](char c) { return static_cast<unsigned char>(c) <= ' ' || c == 0x7F; });
}

std::optional<int64_t> ParseInt(const std::string& s, int64_t min, int64_t max) {
  int64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size() || v < min || v > max) {
    return std::nullopt;
  }
  return v;
}

std::string Invalid(const std::string& what, const std::string& value, const std::string& hint) {
  return what + ": invalid value '" + value + "' (expected " + hint + ")";
}

// One run of torque-cli.
class Cli {
 public:
  Cli(std::ostream& out, std::ostream& err) : out_(out), err_(err) {}
  int Run(const std::vector<std::string>& args);

 private:
  std::optional<std::string> Option(const std::vector<std::string>& args, std::size_t& i);
  int Usage(const std::string& message);
  int Dispatch();

  // Connects; prints the failure and sets `code` when there is none.
  std::optional<Client> Connect(int64_t timeout_ms, int& code);
  int TransportError(const torque::Status& s, bool waiting);
  int DaemonError(const Reply& r);
  int Unexpected(const std::string& what);
  // Sends one request per line; `show` renders each OK payload (parsed JSON).
  int Each(const std::vector<std::string>& lines, const std::function<void(const json&)>& show);
  int Submit();
  int WaitFor(Client& client, JobId id);
  int Ping();
  int Version();

  std::ostream& out_;
  std::ostream& err_;
  std::string command_;  // empty: the submit form
  std::vector<std::string> positional_;
  std::string name_;
  std::vector<std::string> job_args_;
  bool have_name_ = false;
  std::string socket_, config_;
  bool json_ = false, quiet_ = false, help_ = false, version_ = false;
  SubmitOptions submit_;
  bool wait_ = false;
  std::optional<DurationMs> timeout_;
  std::vector<std::string> filters_;  // LIST key=value
};

bool SubmitForm(const std::string& command) { return command.empty() || command == "submit"; }

int Cli::Run(const std::vector<std::string>& args) {
  if (args.empty()) {
    err_ << kUsage;
    return kExitUsage;
  }
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--") {
      auto rest = args.begin() + static_cast<std::ptrdiff_t>(i) + 1;
      if (SubmitForm(command_) && rest != args.end()) {
        name_ = *rest;
        job_args_.assign(rest + 1, args.end());
        have_name_ = true;
      } else {
        positional_.insert(positional_.end(), rest, args.end());
      }
      break;
    }
    if (a.size() > 1 && a[0] == '-') {
      if (auto error = Option(args, i)) return Usage(*error);
      if (help_) {
        out_ << kUsage;
        return kExitOk;
      }
      if (version_) {
        out_ << ClientVersion() << '\n';
        return kExitOk;
      }
    } else if (command_.empty() && a == "rt") {
      // `rt` queries rTorrent, not torqued: it parses the rest of the line itself.
      std::vector<std::string> rest(args.begin() + static_cast<std::ptrdiff_t>(i) + 1, args.end());
      return RunRt(rest, RtGlobals{config_, json_, quiet_}, out_, err_);
    } else if (command_.empty() && IsCommand(a)) {
      command_ = a;
    } else if (SubmitForm(command_)) {
      name_ = a;
      job_args_.assign(args.begin() + static_cast<std::ptrdiff_t>(i) + 1, args.end());
      have_name_ = true;
      break;
    } else {
      positional_.push_back(a);
    }
  }
  return Dispatch();
}

std::optional<std::string> Cli::Option(const std::vector<std::string>& args, std::size_t& i) {
  const CliArg arg(args[i]);
  const std::string& flag = arg.name();
  auto is = [&arg](const char* a, const char* b = nullptr) { return arg.Is(a, b); };
  if (is("-h", "--help") || is("--json") || is("-q", "--quiet") || is("--version") ||
      (is("--wait") && SubmitForm(command_))) {
    if (arg.has_inline_value()) return "option " + flag + " takes no value";
    if (is("-h", "--help")) help_ = true;
    if (is("--json")) json_ = true;
    if (is("-q", "--quiet")) quiet_ = true;
    if (is("--version")) version_ = true;
    if (is("--wait")) wait_ = true;
    return std::nullopt;
  }
  const bool submit = SubmitForm(command_);
  const bool list = command_ == "list";
  if (!(is("-s", "--socket") || is("-c", "--config") ||
        (submit && (is("--priority") || is("--delay") || is("--at") || is("--unique") ||
                    is("--retries") || is("--job-timeout"))) ||
        ((submit || command_ == "wait") && is("--timeout")) ||
        (list && (is("--type") || is("--state") || is("--limit") || is("--before"))))) {
    return "unknown option '" + flag + "'" + (command_.empty() ? "" : " for " + command_);
  }
  std::string error;
  const std::optional<std::string> taken = arg.Value(args, i, error);
  if (!taken) return error;
  const std::string& value = *taken;
  if (is("-s", "--socket")) {
    socket_ = value;
  } else if (is("-c", "--config")) {
    config_ = value;
  } else if (is("--priority") || is("--retries")) {
    const bool p = is("--priority");
    auto v = ParseInt(value, p ? -1000000 : 0, p ? 1000000 : 1000);
    if (!v)
      return Invalid(flag, value,
                     p ? "an integer from -1000000 to 1000000" : "an integer from 0 to 1000");
    (p ? submit_.priority : submit_.retries) = static_cast<int>(*v);
  } else if (is("--delay") || is("--job-timeout") || is("--timeout")) {
    auto d = ParseDuration(value);
    if (!d.ok()) return flag + ": " + d.status().message();
    if (*d > kMaxDurationMs) return Invalid(flag, value, "a duration of at most 3650d");
    (is("--delay") ? submit_.delay : is("--timeout") ? timeout_ : submit_.timeout) = *d;
  } else if (is("--at")) {
    auto t = ParseTime(value);
    if (!t.ok()) return flag + ": " + t.status().message();
    submit_.at = *t;
  } else if (is("--unique")) {
    if (value.empty() || !IsOneWord(value)) return Invalid(flag, value, "one word without blanks");
    submit_.unique = value;
  } else if (is("--type")) {
    if (!protocol::IsTypeName(value))
      return Invalid(flag, value, "a job type name [a-z][a-z0-9_]*");
    filters_.push_back("type=" + value);
  } else if (is("--state")) {
    if (!ParseJobState(value))
      return Invalid(flag, value, "queued, running, done, failed or cancelled");
    filters_.push_back("state=" + value);
  } else if (is("--limit")) {
    if (!ParseInt(value, 1, 10000)) return Invalid(flag, value, "an integer from 1 to 10000");
    filters_.push_back("limit=" + value);
  } else if (is("--before")) {
    if (!ParseInt(value, 1, INT64_MAX)) return Invalid(flag, value, "a positive job id");
    filters_.push_back("before=" + value);
  }
  return std::nullopt;
}

int Cli::Usage(const std::string& message) { return PrintUsageError(err_, message); }

int Cli::Dispatch() {
  if (command_ == "help") {
    out_ << kUsage;
    return kExitOk;
  }
  if (SubmitForm(command_)) return Submit();
  // Every other command takes ids, one type name, or nothing.
  const bool ids =
      command_ == "status" || command_ == "cancel" || command_ == "retry" || command_ == "wait";
  const bool type = command_ == "pause" || command_ == "resume";
  if (ids) {
    if (positional_.empty()) return Usage(command_ + " needs a job id");
    if (command_ == "wait" && positional_.size() > 1) return Usage("wait takes one job id");
    for (const std::string& p : positional_) {
      if (!ParseInt(p, 1, INT64_MAX))
        return Usage("invalid job id '" + p + "' (expected a positive integer)");
    }
  } else if (type) {
    if (positional_.size() != 1) return Usage(command_ + " needs one job type name");
    if (!protocol::IsTypeName(positional_[0])) {
      return Usage("invalid job type name '" + positional_[0] + "' (expected [a-z][a-z0-9_]*)");
    }
  } else if (!positional_.empty()) {
    return Usage("unexpected argument '" + positional_[0] + "' for " + command_);
  }
  if (command_ == "wait") {
    int code = 0;
    auto limit = timeout_ ? *timeout_ + kWaitSlackMs : 0;
    auto client = Connect(limit, code);
    if (!client) return code;
    return WaitFor(*client, std::stoll(positional_[0]));
  }
  if (command_ == "ping") return Ping();
  if (command_ == "version") return Version();
  std::vector<std::string> lines;
  std::string verb = command_;
  std::transform(verb.begin(), verb.end(), verb.begin(), [](char c) { return c - 'a' + 'A'; });
  if (ids) {
    for (const std::string& id : positional_) lines.push_back(verb + " " + id);
  } else if (type) {
    lines.push_back(verb + " " + positional_[0]);
  } else {
    std::string line = verb;
    for (const std::string& f : filters_) line += " " + f;
    lines.push_back(line);
  }
  // Confirmations are left out with --quiet.
  auto confirm = [this](void (*print)(std::ostream&, const json&)) {
    return [this, print](const json& j) {
      if (!quiet_) print(out_, j);
    };
  };
  if (command_ == "status") {
    bool first = true;
    return Each(lines, [&](const json& job) {
      if (!first) out_ << '\n';
      first = false;
      PrintRecord(out_, job);
    });
  }
  if (command_ == "cancel" || command_ == "retry") return Each(lines, confirm(PrintJobState));
  if (command_ == "list") return Each(lines, [this](const json& j) { PrintJobTable(out_, j); });
  if (command_ == "stats") return Each(lines, [this](const json& j) { PrintStats(out_, j); });
  if (command_ == "types") return Each(lines, [this](const json& j) { PrintTypes(out_, j); });
  return Each(lines, confirm(PrintPauseState));
}

std::optional<Client> Cli::Connect(int64_t timeout_ms, int& code) {
  std::string path;
  if (socket_.empty() && !config_.empty() && !std::getenv("TORQUE_SOCKET")) {
    ConfigOptions options;
    options.files.push_back(config_);
    auto config = LoadConfig(options);
    if (!config.ok()) {
      code = Usage("cannot use config " + config_ + ": " + config.status().message());
      return std::nullopt;
    }
    path = config->server.socket.empty() ? DefaultSocketPath() : config->server.socket;
  } else {
    path = ResolveSocketPath(socket_, config_);
  }
  auto client = Client::Connect(path, timeout_ms);
  if (!client.ok()) {
    code = TransportError(client.status(), false);
    return std::nullopt;
  }
  return std::move(*client);
}

int Cli::TransportError(const torque::Status& s, bool waiting) {
  err_ << "torque-cli: " << s.message() << '\n';
  switch (s.code()) {
    case torque::Status::Code::kUnavailable:
      return kExitUnavailable;
    case torque::Status::Code::kTimeout:
      return waiting ? kExitTimeout : kExitUnavailable;
    case torque::Status::Code::kInvalidArgument:
      return kExitUsage;
    default:
      return kExitInternal;
  }
}

int Cli::DaemonError(const Reply& r) {
  err_ << "torque-cli: " << (r.text.empty() ? protocol::ErrorWordName(r.word) : r.text) << '\n';
  return kExitDaemonError;
}

int Cli::Unexpected(const std::string& what) {
  err_ << "torque-cli: unexpected reply from torqued: " << what << '\n';
  return kExitInternal;
}

int Cli::Each(const std::vector<std::string>& lines, const std::function<void(const json&)>& show) {
  int code = 0;
  auto client = Connect(kReplyTimeoutMs, code);
  if (!client) return code;
  auto replies = client->CallMany(lines);
  if (!replies.ok()) return TransportError(replies.status(), false);
  for (const Reply& r : *replies) {
    if (r.kind == Reply::Kind::kErr) {
      code = DaemonError(r);
      continue;
    }
    if (r.kind != Reply::Kind::kOk) return Unexpected("ACK " + std::to_string(r.id));
    if (json_) {
      out_ << r.payload << '\n';
      continue;
    }
    json payload = json::parse(r.payload, nullptr, /*allow_exceptions=*/false);
    if (payload.is_discarded()) return Unexpected("invalid JSON");
    show(payload);
  }
  return code;
}

int Cli::Submit() {
  if (!have_name_) return Usage("missing job type name");
  if (!protocol::IsTypeName(name_)) {
    return Usage("invalid job type name '" + name_ + "' (expected [a-z][a-z0-9_]*)");
  }
  if (submit_.delay && submit_.at) return Usage("--delay and --at cannot be used together");
  if (timeout_ && !wait_)
    return Usage("--timeout needs --wait (the job's own limit is --job-timeout)");
  protocol::Request request;
  request.verb = protocol::Verb::kSubmit;
  request.name = name_;
  request.args = JoinWords(job_args_);
  request.options = submit_;
  if (request.args.find('\n') != std::string::npos) {
    return Usage("job arguments cannot contain line breaks");
  }
  int code = 0;
  auto client = Connect(wait_ ? (timeout_ ? *timeout_ + kWaitSlackMs : 0) : kReplyTimeoutMs, code);
  if (!client) return code;
  auto reply = client->Call(protocol::FormatRequest(request));
  if (!reply.ok()) return TransportError(reply.status(), false);
  if (reply->kind == Reply::Kind::kErr) return DaemonError(*reply);
  if (reply->kind != Reply::Kind::kAck) return Unexpected("OK " + reply->payload);
  if (wait_) return WaitFor(*client, reply->id);
  if (json_) {
    out_ << json{{"id", reply->id}, {"existing", reply->existing}}.dump() << '\n';
  } else if (!quiet_) {
    out_ << reply->id << '\n';
  }
  return kExitOk;
}

int Cli::WaitFor(Client& client, JobId id) {
  protocol::Request request;
  request.verb = protocol::Verb::kWait;
  request.id = id;
  request.wait_timeout = timeout_;
  if (const char* from = std::getenv("TORQUE_JOB_ID")) {
    if (auto v = ParseInt(from, 1, INT64_MAX)) request.wait_from = *v;
  }
  auto reply = client.Call(protocol::FormatRequest(request));
  if (!reply.ok()) return TransportError(reply.status(), true);
  if (reply->kind == Reply::Kind::kErr) {
    int code = DaemonError(*reply);
    return reply->word == protocol::ErrorWord::kTimeout ? kExitTimeout : code;
  }
  if (reply->kind != Reply::Kind::kOk) return Unexpected("ACK " + std::to_string(reply->id));
  json job = json::parse(reply->payload, nullptr, /*allow_exceptions=*/false);
  if (!job.is_object()) return Unexpected("not a job record");
  const std::string state = Str(job, "state");
  if (json_) {
    out_ << reply->payload << '\n';
  } else if (state == "done" && !quiet_) {
    out_ << Str(job, "result");
  }
  if (state == "done") return kExitOk;
  if (state == "failed") {
    err_ << "job " << id << " failed: " << Str(job, "error") << '\n';
    return kExitJobFailed;
  }
  if (state == "cancelled") {
    err_ << "job " << id << " cancelled\n";
    return kExitJobFailed;
  }
  return Unexpected("job " + std::to_string(id) + " is " + state);
}

int Cli::Ping() {
  int code = 0;
  auto client = Connect(kReplyTimeoutMs, code);
  if (!client) return code;
  auto start = std::chrono::steady_clock::now();
  auto reply = client->Call("PING");
  double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  if (!reply.ok()) return TransportError(reply.status(), false);
  if (reply->kind == Reply::Kind::kErr) return DaemonError(*reply);
  if (reply->kind != Reply::Kind::kOk || reply->payload != "pong") return Unexpected("not pong");
  if (json_) {
    out_ << json{{"pong", true}, {"ms", ms}}.dump() << '\n';
  } else if (!quiet_) {
    std::ostringstream text;
    text.precision(3);
    text << std::fixed << ms;
    out_ << "pong " << text.str() << " ms\n";
  }
  return kExitOk;
}

int Cli::Version() {
  return Each({"VERSION"}, [this](const json& v) { PrintVersions(out_, v); });
}

}  // namespace

int RunCli(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  try {
    return Cli(out, err).Run(args);
  } catch (const std::exception& e) {
    err << "torque-cli: internal error: " << e.what() << '\n';
    return kExitInternal;
  }
}

int RunCli(int argc, char** argv, std::ostream& out, std::ostream& err) {
  std::vector<std::string> args(argv + (argc > 0 ? 1 : 0), argv + argc);
  return RunCli(args, out, err);
}

}  // namespace torque::client
