#include "jobs/exec_handler.h"

#include <gtest/gtest.h>
#include <spdlog/logger.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <mutex>
#include <thread>

#include "core/words.h"
#include "tests/jobs/job_type.h"
#include "tests/jobs/recording_sink.h"
#include "tests/test_env.h"

namespace torque::jobs {
namespace {

class TempDir : public torque::testing::TempDir {
 public:
  TempDir() : torque::testing::TempDir("torque-exec") {}
};

using Words = std::vector<std::string>;
using Kind = RunResult::Kind;
using testing::RecordingSink;

// Records every message (with its level) and lets a test wait for one.
JobTypeConfig Type(const std::vector<std::pair<std::string, std::string>>& settings,
                   const std::string& name = "t") {
  return torque::testing::TestType(settings, name);
}

JobContext Context(const std::string& args = "") {
  JobContext ctx;
  ctx.id = 42;
  ctx.type = "t";
  ctx.args = args;
  ctx.attempt = 2;
  return ctx;
}

std::unique_ptr<ExecHandler> Make(const JobTypeConfig& type, const ServerConfig& server = {}) {
  auto h = ExecHandler::Create(type, server);
  EXPECT_TRUE(h.ok()) << h.status().ToString();
  return h.ok() ? std::move(h).value() : nullptr;
}

Words Argv(const std::string& command, const std::string& args, bool shell = false) {
  auto h = Make(Type({{"command", command}, {"shell", shell ? "true" : "false"}}));
  if (!h) return {"<no handler>"};
  auto argv = h->BuildArgv(Context(args));
  if (!argv.ok()) return {"<error> " + argv.status().message()};
  return *argv;
}

TEST(ExecHandlerTest, TemplateExpansionGolden) {
  struct Case {
    std::string command;
    std::string args;
    Words argv;
  } cases[] = {
      {"/bin/echo {args}", "a b", {"/bin/echo", "a", "b"}},
      {"/bin/echo {args}", "", {"/bin/echo"}},
      {"/bin/echo {args} end", "  ", {"/bin/echo", "end"}},
      {"/bin/echo {args}", "'a b' \"c d\" e\\ f ''", {"/bin/echo", "a b", "c d", "e f", ""}},
      {"/bin/echo {args} {args}", "a b", {"/bin/echo", "a", "b", "a", "b"}},
      {"/bin/echo x{args}y", "a  'b", {"/bin/echo", "xa  'by"}},  // raw text inside a word
      {"/bin/echo --arg={args}", "it's", {"/bin/echo", "--arg=it's"}},
      {"/bin/echo '{args}'", "a b", {"/bin/echo", "a", "b"}},  // the word is exactly {args}
      {"/bin/echo {id} {type} {attempt}", "x", {"/bin/echo", "42", "t", "2"}},
      {"/bin/echo job-{id}-{attempt}.log", "", {"/bin/echo", "job-42-2.log"}},
      {"/bin/echo 'two words' \"{type} here\" a\\ b",
       "",
       {"/bin/echo", "two words", "t here", "a b"}},
      {"/bin/echo {{}} {{args}} {{{id}}} }}{{", "", {"/bin/echo", "{}", "{args}", "{42}", "}{"}},
      {"/bin/echo $HOME * ~ ;", "", {"/bin/echo", "$HOME", "*", "~", ";"}},
      {"{args}", "/bin/echo hi", {"/bin/echo", "hi"}},
      {"/bin/echo {args}",
       "'unterminated",
       {"<error> bad args: unterminated single quote at "
        "column 1"}},
      {"/bin/echo {args}", "trailing\\", {"<error> bad args: trailing backslash"}},
      {"/bin/echo x{args}", "'raw is fine", {"/bin/echo", "x'raw is fine"}},
      {"{args}", "", {"<error> bad args: the command has no words left"}},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(Argv(c.command, c.args), c.argv) << c.command << " / " << c.args;
  }
}

TEST(ExecHandlerTest, ShellTemplateGolden) {
  struct Case {
    std::string command;
    std::string args;
    Words argv;
  } cases[] = {
      {"echo {args}", "a b", {"/bin/sh", "-c", "echo a b"}},
      {"echo {args}", "\"a b\" ';' '$(id)'", {"/bin/sh", "-c", "echo 'a b' ';' '$(id)'"}},
      {"echo {args}", "a;b", {"/bin/sh", "-c", "echo 'a;b'"}},
      {"echo {id} {type} {attempt} | cat", "", {"/bin/sh", "-c", "echo 42 t 2 | cat"}},
      {"echo ${{HOME}}", "", {"/bin/sh", "-c", "echo ${HOME}"}},
      {"echo {args}", "'bad", {"<error> bad args: unterminated single quote at column 1"}},
      {"echo 'it''s {type}' # it's", "'bad", {"/bin/sh", "-c", "echo 'it''s t' # it's"}},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(Argv(c.command, c.args, true), c.argv) << c.command << " / " << c.args;
  }
}

TEST(ExecHandlerTest, RunsWithTheExpandedArgv) {
  auto h = Make(Type({{"command", "/bin/sh -c 'printf \"[%s]\" \"$@\"' sh {args} {id}"}}));
  JobContext ctx = Context("'a b' c\\ d \"e'f\" '*' '$HOME'");
  RunResult r = h->Run(ctx);
  EXPECT_EQ(r.kind, Kind::kSucceeded) << r.error;
  EXPECT_EQ(r.result, "[a b][c d][e'f][*][$HOME][42]");
  EXPECT_EQ(r.error, "");
}

TEST(ExecHandlerTest, ShellModeDoesNotInterpretArgs) {
  TempDir dir;
  const std::string marker = dir.path() + "/pwned";
  auto h = Make(Type({{"command", "printf '%s\\n' {args} | cat"}, {"shell", "yes"}}));
  JobContext ctx = Context("b; touch " + marker + " '$(touch " + marker + ")' \"a *\"");
  RunResult r = h->Run(ctx);
  EXPECT_EQ(r.kind, Kind::kSucceeded) << r.error;
  EXPECT_EQ(r.result, "b;\ntouch\n" + marker + "\n$(touch " + marker + ")\na *\n");
  EXPECT_NE(access(marker.c_str(), F_OK), 0) << "args were run by the shell";
}

TEST(ExecHandlerTest, JobsDirMode) {
  TempDir dir;
  const std::string script = dir.path() + "/verify_file";
  std::ofstream(script) << "#!/bin/sh\nprintf '[%s]' \"$0\" \"$@\"\n";
  ASSERT_EQ(chmod(script.c_str(), 0755), 0);
  ServerConfig server;
  server.jobs_dir = dir.path();
  auto h = Make(Type({}, "verify_file"), server);
  JobContext ctx = Context("fid:50 'two words'");
  ctx.type = "verify_file";
  RunResult r = h->Run(ctx);
  EXPECT_EQ(r.kind, Kind::kSucceeded) << r.error;
  EXPECT_EQ(r.result, "[" + script + "][fid:50][two words]");

  server.jobs_dir = dir.path() + "/";  // a trailing slash is not doubled
  h = Make(Type({}, "verify_file"), server);
  EXPECT_EQ(h->BuildArgv(ctx).value(), (Words{script, "fid:50", "two words"}));
}

TEST(ExecHandlerTest, JobSeesTorqueEnvironment) {
  auto h =
      Make(Type({{"command",
                  "/bin/sh -c 'printf \"%s|%s|%s|%s|%s\" \"$TORQUE_JOB_ID\" "
                  "\"$TORQUE_JOB_TYPE\" \"$TORQUE_JOB_ATTEMPT\" \"$TORQUE_SOCKET\" \"$EXTRA\"'"},
                 {"env.EXTRA", "x y"}}));
  JobContext ctx = Context();
  ctx.socket_path = "/run/torque/torque.sock";
  RunResult r = h->Run(ctx);
  EXPECT_EQ(r.kind, Kind::kSucceeded) << r.error;
  EXPECT_EQ(r.result, "42|t|2|/run/torque/torque.sock|x y");
}

TEST(ExecHandlerTest, JobSeesTheRtorrentUrl) {
  const JobTypeConfig type = Type({{"command", "/bin/sh -c 'printf %s \"$TORQUE_RTORRENT_URL\"'"}});
  RtorrentConfig rtorrent;
  rtorrent.url = "/run/rt/rpc.socket";
  auto h = ExecHandler::Create(type, {}, {}, rtorrent);
  ASSERT_TRUE(h.ok()) << h.status().message();
  JobContext ctx = Context();
  EXPECT_EQ((*h)->Run(ctx).result, "scgi:///run/rt/rpc.socket");
  // Found in rtorrent.rc, as torque's own rTorrent job types find it.
  TempDir dir;
  const std::string rc = dir.Write("rtorrent.rc", "network.scgi.open_port = 127.0.0.1:5000\n");
  rtorrent.url.clear();
  rtorrent.rtorrent_rc = rc;
  auto from_rc = ExecHandler::Create(type, {}, {}, rtorrent);
  ASSERT_TRUE(from_rc.ok());
  EXPECT_EQ((*from_rc)->BuildEnv(ctx).at("TORQUE_RTORRENT_URL"), "scgi://127.0.0.1:5000");
  // No rTorrent to be found, or none configured: not set.
  rtorrent.rtorrent_rc = dir.File("missing.rc");
  auto none = ExecHandler::Create(type, {}, {}, rtorrent);
  ASSERT_TRUE(none.ok());
  EXPECT_EQ((*none)->BuildEnv(ctx).count("TORQUE_RTORRENT_URL"), 0u);
  EXPECT_EQ(Make(type)->BuildEnv(ctx).count("TORQUE_RTORRENT_URL"), 0u);
}

TEST(ExecHandlerTest, WorkingDirectorySetting) {
  TempDir dir;
  char* real = realpath(dir.path().c_str(), nullptr);
  auto h = Make(Type({{"command", "/bin/pwd -P"}, {"cwd", dir.path()}}));
  JobContext ctx = Context();
  EXPECT_EQ(h->Run(ctx).result, std::string(real) + "\n");
  std::free(real);
}

TEST(ExecHandlerTest, DryRunRunsNothing) {
  TempDir dir;
  const std::string marker = dir.path() + "/ran";
  auto h = Make(Type({{"command", "/usr/bin/touch " + marker + " {args}"}}));
  JobContext ctx = Context("'a b'");
  ctx.dry_run = true;
  RunResult r = h->Run(ctx);
  EXPECT_EQ(r.kind, Kind::kSucceeded);
  EXPECT_EQ(r.result, "dry run: would run: /usr/bin/touch " + marker + " 'a b'");
  EXPECT_NE(access(marker.c_str(), F_OK), 0);
}

TEST(ExecHandlerTest, ResultMapping) {
  struct Case {
    std::vector<std::pair<std::string, std::string>> settings;
    Kind kind;
    std::string result;
    std::string error;
  } cases[] = {
      {{{"command", "/bin/echo hello"}}, Kind::kSucceeded, "hello\n", ""},
      {{{"command", "/bin/echo 0123456789"}, {"max_output", "5"}},
       Kind::kSucceeded,
       "01234\n[... 6 bytes truncated]",
       ""},
      {{{"command", "/bin/sh -c 'echo out; echo first >&2; echo second >&2; exit 3'"}},
       Kind::kFailed,
       "out\n",
       "exit status 3: first\nsecond"},
      {{{"command", "/bin/sh -c 'for i in 1 2 3 4 5; do echo l$i >&2; done; echo >&2; exit 1'"}},
       Kind::kFailed,
       "",
       "exit status 1: l3\nl4\nl5"},
      {{{"command", "/bin/false"}}, Kind::kFailed, "", "exit status 1"},
      {{{"command", "/bin/sh -c 'kill -KILL $$'"}},
       Kind::kFailed,
       "",
       "killed by signal 9 (SIGKILL)"},
      {{{"command", "/no/such/program"}},
       Kind::kFailed,
       "",
       "cannot run /no/such/program: No such file or directory"},
  };
  for (const auto& c : cases) {
    auto h = Make(Type(c.settings));
    JobContext ctx = Context();
    RunResult r = h->Run(ctx);
    EXPECT_EQ(r.kind, c.kind) << c.settings[0].second;
    EXPECT_EQ(r.result, c.result) << c.settings[0].second;
    EXPECT_EQ(r.error, c.error) << c.settings[0].second;
  }
}

TEST(ExecHandlerTest, Timeout) {
  auto h = Make(Type({{"command", "/bin/sh -c 'echo partial; exec sleep 1000'"}}));
  JobContext ctx = Context();
  ctx.timeout = 100;
  const int64_t start = MonotonicMs();
  RunResult r = h->Run(ctx);
  EXPECT_LT(MonotonicMs() - start, 10'000);
  EXPECT_EQ(r.kind, Kind::kTimedOut);
  EXPECT_EQ(r.error, "timed out after 100ms");
  EXPECT_EQ(r.result, "partial\n");
}

TEST(ExecHandlerTest, CancelAndStderrLogging) {
  auto sink = std::make_shared<RecordingSink>();
  auto h =
      Make(Type({{"command", "/bin/sh -c 'echo warming up >&2; echo ready >&2; sleep 1000'"}}));
  CancelSignal cancel;
  JobContext ctx = Context();
  ctx.log = std::make_shared<spdlog::logger>("test", sink);
  ctx.cancel = &cancel;
  std::thread canceller([&] {
    if (sink->WaitFor("info t#42: ready")) cancel.Raise();
  });
  RunResult r = h->Run(ctx);
  canceller.join();
  EXPECT_EQ(r.kind, Kind::kCancelled);
  EXPECT_EQ(r.error, "cancelled");
  EXPECT_EQ(sink->Lines(), (Words{"info t#42: warming up", "info t#42: ready"}));
}

TEST(ExecHandlerTest, StderrLoggedUpToALimitPerRunThenCounted) {
  auto sink = std::make_shared<RecordingSink>();
  auto h = Make(Type({{"command", "/bin/sh -c 'seq 1 250 >&2'"}}));
  JobContext ctx = Context();
  ctx.log = std::make_shared<spdlog::logger>("test", sink);
  EXPECT_EQ(h->Run(ctx).kind, Kind::kSucceeded);
  const Words lines = sink->Lines();
  ASSERT_EQ(lines.size(), 101u);
  EXPECT_EQ(lines.front(), "info t#42: 1");
  EXPECT_EQ(lines[99], "info t#42: 100");
  EXPECT_EQ(lines.back(), "info t#42: 150 more stderr lines not logged");
}

struct ConfigErrorCase {
  std::vector<std::pair<std::string, std::string>> settings;
  std::string message;
};

TEST(ExecHandlerTest, ConfigErrorsGolden) {
  const std::string known =
      " (known: {args} {id} {type} {attempt}; write {{ and }} for literal braces)";
  const ConfigErrorCase cases[] = {
      {{{"command", "/bin/echo 'oops"}},
       "torque.ini:2: job type 't': key 'command': unterminated single quote at column 11"},
      {{{"handler", "exec"}, {"command", "/bin/echo \\"}},
       "torque.ini:3: job type 't': key 'command': trailing backslash"},
      {{{"command", "/bin/echo {foo}"}},
       "torque.ini:2: job type 't': key 'command': unknown placeholder '{foo}'" + known},
      {{{"command", "/bin/echo {ARGS}"}},
       "torque.ini:2: job type 't': key 'command': unknown placeholder '{ARGS}'" + known},
      {{{"command", "/bin/echo {args"}},
       "torque.ini:2: job type 't': key 'command': unmatched '{'" + known},
      {{{"command", "/bin/echo }"}},
       "torque.ini:2: job type 't': key 'command': unmatched '}'" + known},
      {{{"command", "echo ${HOME}"}, {"shell", "true"}},
       "torque.ini:2: job type 't': key 'command': unknown placeholder '{HOME}'" + known},
      {{{"command", "  \n "}}, "torque.ini:2: job type 't': key 'command': empty"},
      {{{"command", ""}, {"shell", "on"}}, "torque.ini:2: job type 't': key 'command': empty"},
      {{{"command", "/bin/true"}, {"shell", "maybe"}},
       "torque.ini:3: job type 't': key 'shell': expected a boolean (true/false, yes/no, on/off, "
       "1/0), got 'maybe'"},
      {{{"command", "/bin/true"}, {"max_output", "12k"}},
       "torque.ini:3: job type 't': key 'max_output': expected a number of bytes, got '12k'"},
      {{{"command", "/bin/true"}, {"max_output", "-1"}},
       "torque.ini:3: job type 't': key 'max_output': expected a number of bytes, got '-1'"},
      {{{"command", "/bin/true"}, {"env.OK", "1"}, {"env.1X", "2"}},
       "torque.ini:4: job type 't': key 'env.1X': '1X' is not a valid environment variable name"},
      {{{"command", "/bin/true"}, {"env.", "2"}},
       "torque.ini:3: job type 't': key 'env.': '' is not a valid environment variable name"},
      {{}, "torque.ini:1: job type 't': no 'command' and no [server] jobs_dir"},
  };
  for (const auto& c : cases) {
    auto h = ExecHandler::Create(Type(c.settings), ServerConfig{});
    ASSERT_FALSE(h.ok()) << c.message;
    EXPECT_EQ(h.status().code(), Status::Code::kInvalidArgument);
    EXPECT_EQ(h.status().message(), c.message);
  }
}

TEST(ExecHandlerTest, ParallelRunsOfOneHandler) {
  auto h = Make(Type({{"command", "/bin/sh -c 'printf %s \"$1\"' sh {args}"}}));
  constexpr int kRuns = 8;
  std::vector<RunResult> results(kRuns);
  std::vector<std::thread> threads;
  for (int i = 0; i < kRuns; ++i) {
    threads.emplace_back([&, i] {
      JobContext ctx = Context("job" + std::to_string(i));
      results[i] = h->Run(ctx);
    });
  }
  for (auto& t : threads) t.join();
  for (int i = 0; i < kRuns; ++i) EXPECT_EQ(results[i].result, "job" + std::to_string(i));
}

}  // namespace
}  // namespace torque::jobs
