#include "jobs/exec_handler.h"

#include <cctype>
#include <charconv>
#include <exception>
#include <optional>
#include <utility>

#include "core/duration.h"
#include "core/words.h"

namespace torque::jobs {
namespace {

constexpr char kShell[] = "/bin/sh";
constexpr char kEnvPrefix[] = "env.";
constexpr char kKnownPlaceholders[] =
    "known: {args} {id} {type} {attempt}; write {{ and }} for literal braces";
constexpr size_t kErrorLines = 3;  // stderr lines quoted in a failure's error

// "torque.ini:12: job type 'x': " (without the location when there is none).
std::string Prefix(const SourceLocation& where, const std::string& type) {
  std::string prefix = where.file.empty() ? "" : where.ToString() + ": ";
  return prefix + "job type '" + type + "': ";
}

const Setting* FindSetting(const JobTypeConfig& type, const std::string& key) {
  auto it = type.settings.find(key);
  return it == type.settings.end() ? nullptr : &it->second;
}

std::optional<bool> ParseBool(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  // The same words the config loader takes for its own booleans.
  for (const char* word : {"true", "t", "yes", "y", "1", "+", "on"}) {
    if (text == word) return true;
  }
  for (const char* word : {"false", "f", "no", "n", "0", "-", "off"}) {
    if (text == word) return false;
  }
  return std::nullopt;
}

bool IsEnvName(std::string_view name) {
  if (name.empty() || (name[0] >= '0' && name[0] <= '9')) return false;
  for (char c : name) {
    if (!(c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))) {
      return false;
    }
  }
  return true;
}

// The last few non-empty lines of a stderr tail, joined by '\n'.
std::string LastLines(const std::string& tail) {
  std::vector<std::string_view> lines;
  size_t end = tail.size();
  while (end > 0 && lines.size() < kErrorLines) {
    size_t start = tail.rfind('\n', end - 1);
    start = start == std::string::npos ? 0 : start + 1;
    std::string_view line(tail.data() + start, end - start);
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t')) {
      line.remove_suffix(1);
    }
    if (!line.empty()) lines.push_back(line);
    end = start == 0 ? 0 : start - 1;
  }
  std::string joined;
  for (auto it = lines.rbegin(); it != lines.rend(); ++it) {
    if (!joined.empty()) joined.push_back('\n');
    joined.append(*it);
  }
  return joined;
}

}  // namespace

Result<ExecHandler::Template> ExecHandler::ParseTemplate(std::string_view text) {
  Template pieces;
  const auto add_text = [&](std::string_view s) {
    if (pieces.empty() || pieces.back().kind != Piece::Kind::kText) pieces.push_back({});
    pieces.back().text.append(s);
  };
  size_t i = 0;
  while (i < text.size()) {
    const char c = text[i];
    if (c == '{' || c == '}') {
      if (i + 1 < text.size() && text[i + 1] == c) {
        add_text(text.substr(i, 1));
        i += 2;
        continue;
      }
      const size_t close = c == '{' ? text.find('}', i + 1) : std::string_view::npos;
      if (close == std::string_view::npos) {
        return Status::InvalidArgument(std::string("unmatched '") + c + "' (" + kKnownPlaceholders +
                                       ")");
      }
      const std::string_view name = text.substr(i + 1, close - i - 1);
      Piece piece;
      if (name == "args") {
        piece.kind = Piece::Kind::kArgs;
      } else if (name == "id") {
        piece.kind = Piece::Kind::kId;
      } else if (name == "type") {
        piece.kind = Piece::Kind::kType;
      } else if (name == "attempt") {
        piece.kind = Piece::Kind::kAttempt;
      } else {
        return Status::InvalidArgument("unknown placeholder '{" + std::string(name) + "}' (" +
                                       kKnownPlaceholders + ")");
      }
      pieces.push_back(std::move(piece));
      i = close + 1;
      continue;
    }
    const size_t next = text.find_first_of("{}", i);
    const size_t end = next == std::string_view::npos ? text.size() : next;
    add_text(text.substr(i, end - i));
    i = end;
  }
  return pieces;
}

Result<std::unique_ptr<ExecHandler>> ExecHandler::Create(const JobTypeConfig& type,
                                                         const ServerConfig& server,
                                                         std::shared_ptr<ProcessRunner> runner) {
  std::unique_ptr<ExecHandler> h(new ExecHandler());
  h->runner_ = runner ? std::move(runner) : std::make_shared<PosixProcessRunner>();
  const auto bad = [&](const Setting& s, const std::string& message) {
    return Status::InvalidArgument(Prefix(s.where, type.name) + message);
  };

  if (const Setting* s = FindSetting(type, "shell")) {
    auto value = ParseBool(s->value);
    if (!value) {
      return bad(*s, "key 'shell': expected a boolean (true/false, yes/no, on/off, 1/0), got '" +
                         s->value + "'");
    }
    h->shell_ = *value;
  }
  if (const Setting* s = FindSetting(type, "max_output")) {
    uint64_t value = 0;
    const char* first = s->value.data();
    const char* last = first + s->value.size();
    auto [ptr, ec] = std::from_chars(first, last, value);
    if (s->value.empty() || ec != std::errc() || ptr != last) {
      return bad(*s, "key 'max_output': expected a number of bytes, got '" + s->value + "'");
    }
    h->max_output_ = static_cast<size_t>(value);
  }
  if (const Setting* s = FindSetting(type, "cwd")) h->cwd_ = s->value;
  for (const auto& [key, setting] : type.settings) {
    if (key.rfind(kEnvPrefix, 0) != 0) continue;
    const std::string name = key.substr(sizeof kEnvPrefix - 1);
    if (!IsEnvName(name)) {
      return bad(setting,
                 "key '" + key + "': '" + name + "' is not a valid environment variable name");
    }
    h->env_[name] = setting.value;
  }

  const Setting* command = FindSetting(type, "command");
  if (command == nullptr) {
    if (server.jobs_dir.empty()) {
      return Status::InvalidArgument(Prefix(type.where, type.name) +
                                     "no 'command' and no [server] jobs_dir");
    }
    h->program_ = server.jobs_dir;
    if (h->program_.back() != '/') h->program_.push_back('/');
    h->program_ += type.name;
    return h;
  }
  if (h->shell_) {
    if (command->value.find_first_not_of(" \t\n") == std::string::npos) {
      return bad(*command, "key 'command': empty");
    }
    auto script = ParseTemplate(command->value);
    if (!script.ok()) return bad(*command, "key 'command': " + script.status().message());
    h->script_ = std::move(script).value();
    return h;
  }
  auto words = SplitWords(command->value);
  if (!words.ok()) return bad(*command, "key 'command': " + words.status().message());
  if (words->empty()) return bad(*command, "key 'command': empty");
  for (const auto& word : *words) {
    auto tmpl = ParseTemplate(word);
    if (!tmpl.ok()) return bad(*command, "key 'command': " + tmpl.status().message());
    h->words_.push_back(std::move(tmpl).value());
  }
  return h;
}

std::string ExecHandler::Expand(const Template& tmpl, const JobContext& ctx,
                                const std::string& args_text) const {
  std::string out;
  for (const auto& piece : tmpl) {
    switch (piece.kind) {
      case Piece::Kind::kText:
        out += piece.text;
        break;
      case Piece::Kind::kArgs:
        out += args_text;
        break;
      case Piece::Kind::kId:
        out += std::to_string(ctx.id);
        break;
      case Piece::Kind::kType:
        out += ctx.type;
        break;
      case Piece::Kind::kAttempt:
        out += std::to_string(ctx.attempt);
        break;
    }
  }
  return out;
}

Result<std::vector<std::string>> ExecHandler::BuildArgv(const JobContext& ctx) const {
  std::optional<std::vector<std::string>> split_args;
  const auto args_words = [&]() -> Status {
    if (split_args) return Status::Ok();
    auto split = SplitWords(ctx.args);
    if (!split.ok()) return Status::InvalidArgument("bad args: " + split.status().message());
    split_args = std::move(split).value();
    return Status::Ok();
  };

  std::vector<std::string> argv;
  if (!program_.empty()) {
    if (Status s = args_words(); !s.ok()) return s;
    argv.push_back(program_);
    argv.insert(argv.end(), split_args->begin(), split_args->end());
    return argv;
  }
  if (shell_) {
    std::string quoted_args;
    for (const auto& piece : script_) {
      if (piece.kind != Piece::Kind::kArgs) continue;
      if (Status s = args_words(); !s.ok()) return s;
      quoted_args = JoinWords(*split_args);
      break;
    }
    return std::vector<std::string>{kShell, "-c", Expand(script_, ctx, quoted_args)};
  }
  for (const auto& word : words_) {
    if (word.size() == 1 && word[0].kind == Piece::Kind::kArgs) {
      if (Status s = args_words(); !s.ok()) return s;
      argv.insert(argv.end(), split_args->begin(), split_args->end());
    } else {
      argv.push_back(Expand(word, ctx, ctx.args));
    }
  }
  if (argv.empty()) return Status::InvalidArgument("bad args: the command has no words left");
  return argv;
}

std::map<std::string, std::string> ExecHandler::BuildEnv(const JobContext& ctx) const {
  std::map<std::string, std::string> env = env_;
  env["TORQUE_JOB_ID"] = std::to_string(ctx.id);
  env["TORQUE_JOB_TYPE"] = ctx.type;
  env["TORQUE_JOB_ATTEMPT"] = std::to_string(ctx.attempt);
  if (!ctx.socket_path.empty()) env["TORQUE_SOCKET"] = ctx.socket_path;
  return env;
}

RunResult ExecHandler::Run(JobContext& ctx) {
  try {
    auto argv = BuildArgv(ctx);
    if (!argv.ok()) return RunResult::Failed(argv.status().message());
    if (ctx.dry_run) return RunResult::Succeeded("dry run: would run: " + JoinWords(*argv));

    ProcessSpec spec;
    spec.argv = std::move(argv).value();
    spec.env = BuildEnv(ctx);
    spec.cwd = cwd_;
    spec.timeout = ctx.timeout;
    spec.max_output = max_output_;
    if (ctx.log) {
      const std::string prefix = ctx.type + "#" + std::to_string(ctx.id) + ": ";
      spec.on_stderr_line = [&ctx, &prefix](std::string_view line) {
        ctx.log->info("{}{}", prefix, line);
      };
    }
    auto ran = runner_->Run(spec, ctx.cancel);
    if (!ran.ok()) return RunResult::Failed(ran.status().message());
    ProcessResult& p = *ran;

    std::string output = std::move(p.stdout_text);
    if (p.truncated_bytes > 0) {
      output += "\n[... " + std::to_string(p.truncated_bytes) + " bytes truncated]";
    }
    if (p.cancelled) return {RunResult::Kind::kCancelled, std::move(output), "cancelled"};
    if (p.timed_out) {
      return {RunResult::Kind::kTimedOut, std::move(output),
              "timed out after " + FormatDuration(ctx.timeout)};
    }
    if (p.signal != 0) {
      return RunResult::Failed(
          "killed by signal " + std::to_string(p.signal) + " (" + SignalName(p.signal) + ")",
          std::move(output));
    }
    if (p.exit_code != 0) {
      std::string error = "exit status " + std::to_string(p.exit_code);
      const std::string lines = LastLines(p.stderr_tail);
      if (!lines.empty()) error += ": " + lines;
      return RunResult::Failed(std::move(error), std::move(output));
    }
    return RunResult::Succeeded(std::move(output));
  } catch (const std::exception& e) {
    return RunResult::Failed(std::string("internal error: ") + e.what());
  }
}

}  // namespace torque::jobs
