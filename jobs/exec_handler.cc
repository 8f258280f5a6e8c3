#include "jobs/exec_handler.h"

#include <cctype>
#include <charconv>
#include <exception>
#include <optional>
#include <utility>

#include "core/duration.h"
#include "core/words.h"
#include "jobs/rtorrent/connector.h"
#include "jobs/settings.h"

namespace torque::jobs {
namespace {

constexpr char kShell[] = "/bin/sh";
constexpr char kEnvPrefix[] = "env.";
// The placeholders of `command`.
const std::vector<std::string> kPlaceholders = {"args", "id", "type", "attempt"};
constexpr size_t kErrorLines = 3;  // stderr lines quoted in a failure's error
constexpr int64_t kLoggedStderrLines = 100;  // per run; the rest is counted

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

Result<std::unique_ptr<ExecHandler>> ExecHandler::Create(const JobTypeConfig& type,
                                                         const ServerConfig& server,
                                                         std::shared_ptr<ProcessRunner> runner,
                                                         std::optional<RtorrentConfig> rtorrent) {
  std::unique_ptr<ExecHandler> h(new ExecHandler());
  h->rtorrent_ = std::move(rtorrent);
  h->runner_ = runner ? std::move(runner) : std::make_shared<PosixProcessRunner>();
  const SettingReader settings(type);

  auto shell = settings.Bool("shell", false);
  if (!shell.ok()) return shell.status();
  h->shell_ = *shell;
  if (const Setting* s = settings.Find("max_output")) {
    uint64_t value = 0;
    const char* first = s->value.data();
    const char* last = first + s->value.size();
    auto [ptr, ec] = std::from_chars(first, last, value);
    if (s->value.empty() || ec != std::errc() || ptr != last) {
      return settings.Fail("max_output", "expected a number of bytes, got '" + s->value + "'");
    }
    h->max_output_ = static_cast<size_t>(value);
  }
  h->cwd_ = settings.Text("cwd");
  for (const auto& [key, setting] : type.settings) {
    if (key.rfind(kEnvPrefix, 0) != 0) continue;
    const std::string name = key.substr(sizeof kEnvPrefix - 1);
    if (!IsEnvName(name)) {
      return settings.Fail(key, "'" + name + "' is not a valid environment variable name");
    }
    h->env_[name] = setting.value;
  }

  const Setting* command = settings.Find("command");
  if (command == nullptr) {
    if (server.jobs_dir.empty()) {
      std::string at = type.where.file.empty() ? "" : type.where.ToString() + ": ";
      return Status::InvalidArgument(at + "job type '" + type.name +
                                     "': no 'command' and no [server] jobs_dir");
    }
    h->program_ = server.jobs_dir;
    if (h->program_.back() != '/') h->program_.push_back('/');
    h->program_ += type.name;
    return h;
  }
  const auto parse = [&](std::string_view text) -> Result<Template> {
    auto tmpl = Template::Parse(text, kPlaceholders);
    if (!tmpl.ok()) return settings.Fail("command", tmpl.status().message());
    return tmpl;
  };
  if (h->shell_) {
    if (command->value.find_first_not_of(" \t\n") == std::string::npos) {
      return settings.Fail("command", "empty");
    }
    auto script = parse(command->value);
    if (!script.ok()) return script.status();
    h->script_ = std::move(script).value();
    return h;
  }
  auto words = SplitWords(command->value);
  if (!words.ok()) return settings.Fail("command", words.status().message());
  if (words->empty()) return settings.Fail("command", "empty");
  for (const auto& word : *words) {
    auto tmpl = parse(word);
    if (!tmpl.ok()) return tmpl.status();
    h->words_.push_back(std::move(tmpl).value());
  }
  return h;
}

std::string ExecHandler::Expand(const Template& tmpl, const JobContext& ctx,
                                const std::string& args_text) const {
  return tmpl.Expand([&](std::string_view name) -> std::string {
    if (name == "args") return args_text;
    if (name == "id") return std::to_string(ctx.id);
    if (name == "type") return ctx.type;
    return std::to_string(ctx.attempt);  // "attempt"
  });
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
    if (script_.Uses("args")) {
      if (Status s = args_words(); !s.ok()) return s;
      quoted_args = JoinWords(*split_args);
    }
    return std::vector<std::string>{kShell, "-c", Expand(script_, ctx, quoted_args)};
  }
  for (const auto& word : words_) {
    if (word.IsOnly("args")) {
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
  if (rtorrent_) {
    // Custom jobs in any language reach the same rTorrent as torque's own job types.
    if (auto endpoint = rtorrent::LocateRtorrent(*rtorrent_); endpoint.ok()) {
      env["TORQUE_RTORRENT_URL"] = endpoint->ToString();
    }
  }
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
    // A job's stderr goes to the log line by line, up to kLoggedStderrLines per run: a job
    // printing millions of lines must not flood the log (its tail is in the job's error).
    const std::string prefix = ctx.type + "#" + std::to_string(ctx.id) + ": ";
    int64_t stderr_lines = 0;
    if (ctx.log) {
      spec.on_stderr_line = [&ctx, &prefix, &stderr_lines](std::string_view line) {
        if (++stderr_lines <= kLoggedStderrLines) ctx.log->info("{}{}", prefix, line);
      };
    }
    auto ran = runner_->Run(spec, ctx.cancel);
    if (stderr_lines > kLoggedStderrLines) {
      ctx.log->info("{}{} more stderr lines not logged", prefix,
                    stderr_lines - kLoggedStderrLines);
    }
    if (!ran.ok()) return RunResult::Failed(ran.status().message());
    ProcessResult& p = *ran;

    std::string output = std::move(p.stdout_text);
    if (p.truncated_bytes > 0) {
      output += "\n[... " + std::to_string(p.truncated_bytes) + " bytes truncated]";
    }
    if (p.cancelled) return RunResult::Cancelled("cancelled", std::move(output));
    if (p.timed_out) {
      return RunResult::TimedOut("timed out after " + FormatDuration(ctx.timeout),
                                 std::move(output));
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
