#include "jobs/process_runner.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <future>
#include <string>
#include <thread>
#include <vector>

namespace torque::jobs {
namespace {

constexpr DurationMs kGenerous = 10'000;  // upper bound for anything that should be quick

ProcessSpec Sh(const std::string& script) {
  ProcessSpec spec;
  spec.argv = {"/bin/sh", "-c", script};
  return spec;
}

ProcessResult MustRun(const ProcessSpec& spec, CancelSignal* cancel = nullptr) {
  PosixProcessRunner runner;
  auto result = runner.Run(spec, cancel);
  EXPECT_TRUE(result.ok()) << result.status().ToString();
  return result.ok() ? std::move(result).value() : ProcessResult{};
}

// Reaps whatever was orphaned to us (we are a subreaper, see the fixture) and
// waits until no process of group `pgid` exists. False after 10 s.
bool WaitGroupGone(pid_t pgid) {
  const int64_t until = MonotonicMs() + kGenerous;
  while (MonotonicMs() < until) {
    while (waitpid(-1, nullptr, WNOHANG) > 0) {
    }
    if (kill(-pgid, 0) != 0 && errno == ESRCH) return true;
    usleep(10'000);
  }
  return false;
}

class ProcessRunnerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // Orphaned grandchildren become our children, so WaitGroupGone can reap
    // them: otherwise, under an init that does not reap, their zombies would
    // keep the process group alive.
    ASSERT_EQ(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
  }
};

TEST_F(ProcessRunnerTest, CapturesStdoutAndExitStatus) {
  ProcessSpec spec;
  spec.argv = {"/bin/echo", "hello", "two words"};
  ProcessResult r = MustRun(spec);
  EXPECT_GT(r.pid, 0);
  EXPECT_EQ(r.stdout_text, "hello two words\n");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.signal, 0);
  EXPECT_FALSE(r.timed_out);
  EXPECT_FALSE(r.cancelled);
  EXPECT_EQ(r.truncated_bytes, 0u);
  EXPECT_TRUE(r.Succeeded());
  EXPECT_GE(r.duration, 0);
  EXPECT_LT(r.duration, kGenerous);
}

TEST_F(ProcessRunnerTest, ExitCodes) {
  for (int code : {0, 1, 3, 127, 255}) {
    ProcessResult r = MustRun(Sh("exit " + std::to_string(code)));
    EXPECT_EQ(r.exit_code, code);
    EXPECT_EQ(r.signal, 0);
    EXPECT_EQ(r.Succeeded(), code == 0);
  }
}

TEST_F(ProcessRunnerTest, LooksUpBareNamesInPath) {
  ProcessSpec spec;
  spec.argv = {"printf", "%s-%s", "a", "b"};
  EXPECT_EQ(MustRun(spec).stdout_text, "a-b");
}

TEST_F(ProcessRunnerTest, TruncatesStdoutButReadsItAll) {
  ProcessSpec spec = Sh("printf 0123456789abcdef");
  spec.max_output = 10;
  ProcessResult r = MustRun(spec);
  EXPECT_EQ(r.stdout_text, "0123456789");
  EXPECT_EQ(r.truncated_bytes, 6u);

  // Much more than a pipe holds: the writer must not block on a full pipe.
  spec = Sh("head -c 1000000 /dev/zero; echo done >&2");
  spec.max_output = 100;
  r = MustRun(spec);
  EXPECT_EQ(r.stdout_text, std::string(100, '\0'));
  EXPECT_EQ(r.truncated_bytes, 999'900u);
  EXPECT_EQ(r.stderr_tail, "done\n");
  EXPECT_EQ(r.exit_code, 0);

  spec.max_output = 0;
  r = MustRun(spec);
  EXPECT_EQ(r.stdout_text, "");
  EXPECT_EQ(r.truncated_bytes, 1'000'000u);
}

TEST_F(ProcessRunnerTest, BothPipesFullAtOnceDoNotDeadlock) {
  ProcessSpec spec = Sh("head -c 300000 /dev/zero >&2; head -c 300000 /dev/zero; echo end >&2");
  ProcessResult r = MustRun(spec);
  EXPECT_EQ(r.stdout_text.size(), 65536u);
  EXPECT_EQ(r.truncated_bytes, 300000u - 65536u);
  EXPECT_EQ(r.exit_code, 0);
}

TEST_F(ProcessRunnerTest, StderrLinesAndTail) {
  std::vector<std::string> lines;
  ProcessSpec spec = Sh("echo one >&2; echo out; printf 'two\\r\\n\\nthree' >&2; exit 2");
  spec.on_stderr_line = [&](std::string_view line) { lines.emplace_back(line); };
  ProcessResult r = MustRun(spec);
  EXPECT_EQ(lines, (std::vector<std::string>{"one", "two", "", "three"}));
  EXPECT_EQ(r.stderr_tail, "one\ntwo\r\n\nthree");
  EXPECT_EQ(r.stdout_text, "out\n");
  EXPECT_EQ(r.exit_code, 2);
}

TEST_F(ProcessRunnerTest, LongStderrLinesAreCapped) {
  std::vector<std::string> lines;
  ProcessSpec spec = Sh("head -c 10000 /dev/zero | tr '\\0' x >&2; echo >&2; echo after >&2");
  spec.on_stderr_line = [&](std::string_view line) { lines.emplace_back(line); };
  MustRun(spec);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0], std::string(ProcessRunner::kMaxStderrLine, 'x'));
  EXPECT_EQ(lines[1], "after");
}

TEST_F(ProcessRunnerTest, StderrTailKeepsTheEndFromALineBoundary) {
  ProcessSpec spec = Sh("i=0; while [ $i -lt 1000 ]; do echo \"line $i\" >&2; i=$((i+1)); done");
  ProcessResult r = MustRun(spec);
  EXPECT_LE(r.stderr_tail.size(), ProcessRunner::kStderrTail);
  EXPECT_GT(r.stderr_tail.size(), ProcessRunner::kStderrTail / 2);
  EXPECT_EQ(r.stderr_tail.rfind("line 999\n"), r.stderr_tail.size() - 9);
  EXPECT_EQ(r.stderr_tail.rfind("line ", 0), 0u) << r.stderr_tail.substr(0, 20);
}

TEST_F(ProcessRunnerTest, KilledBySignal) {
  ProcessResult r = MustRun(Sh("echo partial; kill -KILL $$"));
  EXPECT_EQ(r.signal, SIGKILL);
  EXPECT_EQ(r.stdout_text, "partial\n");
  EXPECT_FALSE(r.timed_out);
  EXPECT_FALSE(r.Succeeded());
}

TEST_F(ProcessRunnerTest, SignalNames) {
  EXPECT_EQ(SignalName(SIGKILL), "SIGKILL");
  EXPECT_EQ(SignalName(SIGTERM), "SIGTERM");
  EXPECT_EQ(SignalName(SIGSEGV), "SIGSEGV");
  EXPECT_EQ(SignalName(999), "signal 999");
}

TEST_F(ProcessRunnerTest, ExecFailuresAreClear) {
  PosixProcessRunner runner;
  struct Case {
    std::vector<std::string> argv;
    Status::Code code;
    std::string message;
  } cases[] = {
      {{"/x/y"}, Status::Code::kNotFound, "cannot run /x/y: No such file or directory"},
      {{"/etc/passwd"}, Status::Code::kIoError, "cannot run /etc/passwd: Permission denied"},
      {{"no-such-program-for-torque"},
       Status::Code::kNotFound,
       "cannot run no-such-program-for-torque: not found in PATH"},
      {{}, Status::Code::kInvalidArgument, "empty command"},
  };
  for (const auto& c : cases) {
    ProcessSpec spec;
    spec.argv = c.argv;
    auto r = runner.Run(spec, nullptr);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), c.code);
    EXPECT_EQ(r.status().message(), c.message);
  }
}

TEST_F(ProcessRunnerTest, WorkingDirectory) {
  char tmpl[] = "/tmp/torque-runner-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  char* real = realpath(tmpl, nullptr);
  ProcessSpec spec;
  spec.argv = {"/bin/pwd", "-P"};
  spec.cwd = tmpl;
  EXPECT_EQ(MustRun(spec).stdout_text, std::string(real) + "\n");
  std::free(real);
  rmdir(tmpl);

  spec.cwd = "/nonexistent/dir";
  PosixProcessRunner runner;
  auto r = runner.Run(spec, nullptr);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kIoError);
  EXPECT_EQ(r.status().message(),
            "cannot change to directory /nonexistent/dir: No such file or directory");
}

TEST_F(ProcessRunnerTest, Environment) {
  ASSERT_EQ(setenv("TORQUE_TEST_INHERITED", "inherited", 1), 0);
  ASSERT_EQ(setenv("TORQUE_TEST_OVERRIDDEN", "old", 1), 0);
  ProcessSpec spec = Sh(
      "printf '%s|%s|%s|' \"$TORQUE_TEST_INHERITED\" \"$TORQUE_TEST_OVERRIDDEN\" \"$TORQUE_NEW\";"
      "env | grep -c '^TORQUE_TEST_OVERRIDDEN='");
  spec.env = {{"TORQUE_TEST_OVERRIDDEN", "new"}, {"TORQUE_NEW", "a b'c\"d"}};
  EXPECT_EQ(MustRun(spec).stdout_text, "inherited|new|a b'c\"d|1\n");
  unsetenv("TORQUE_TEST_INHERITED");
  unsetenv("TORQUE_TEST_OVERRIDDEN");
}

TEST_F(ProcessRunnerTest, StdinIsDevNullAndOtherFdsAreClosed) {
  EXPECT_EQ(MustRun(Sh("readlink /proc/self/fd/0")).stdout_text, "/dev/null\n");
  EXPECT_EQ(MustRun(Sh("cat; echo eof")).stdout_text, "eof\n");

  const int leaked = open("/dev/null", O_RDONLY);  // deliberately without O_CLOEXEC
  ASSERT_GE(leaked, 3);
  const std::string probe = "for fd in 1 2 " + std::to_string(leaked) +
                            "; do if [ -e /proc/self/fd/$fd ]; then echo open; "
                            "else echo closed; fi; done";
  EXPECT_EQ(MustRun(Sh(probe)).stdout_text, "open\nopen\nclosed\n");
  close(leaked);
}

TEST_F(ProcessRunnerTest, ChildGetsDefaultSignalDispositions) {
  struct sigaction ignore {
  }, saved{};
  ignore.sa_handler = SIG_IGN;
  ASSERT_EQ(sigaction(SIGTERM, &ignore, &saved), 0);
  ProcessResult r = MustRun(Sh("kill -TERM $$; echo survived"));
  sigaction(SIGTERM, &saved, nullptr);
  EXPECT_EQ(r.signal, SIGTERM);
  EXPECT_EQ(r.stdout_text, "");
}

TEST_F(ProcessRunnerTest, ChildGetsAnEmptySignalMask) {
  sigset_t usr1, saved;
  sigemptyset(&usr1);
  sigaddset(&usr1, SIGUSR1);
  ASSERT_EQ(pthread_sigmask(SIG_BLOCK, &usr1, &saved), 0);
  ProcessResult r = MustRun(Sh("kill -USR1 $$; echo survived"));
  pthread_sigmask(SIG_SETMASK, &saved, nullptr);
  EXPECT_EQ(r.signal, SIGUSR1);
  EXPECT_EQ(r.stdout_text, "");
}

TEST_F(ProcessRunnerTest, TimeoutKillsTheWholeProcessGroup) {
  ProcessSpec spec = Sh("sleep 1000 & sleep 1000 & echo started; wait");
  spec.timeout = 500;
  spec.kill_grace = 60'000;  // SIGTERM to the group must be enough: no SIGKILL needed
  ProcessResult r = MustRun(spec);
  EXPECT_TRUE(r.timed_out);
  EXPECT_FALSE(r.cancelled);
  EXPECT_EQ(r.signal, SIGTERM);
  EXPECT_EQ(r.stdout_text, "started\n");  // the grandchildren did exist
  EXPECT_GE(r.duration, 500);
  EXPECT_LT(r.duration, kGenerous);
  EXPECT_TRUE(WaitGroupGone(r.pid));
}

TEST_F(ProcessRunnerTest, SigtermIgnoringGroupGetsSigkillAfterGrace) {
  CancelSignal cancel;
  ProcessSpec spec = Sh("trap '' TERM; sleep 1000 & echo ready >&2; wait");
  spec.kill_grace = 200;
  spec.on_stderr_line = [&](std::string_view line) {
    if (line == "ready") cancel.Raise();
  };
  ProcessResult r = MustRun(spec, &cancel);
  EXPECT_TRUE(r.cancelled);
  EXPECT_EQ(r.signal, SIGKILL);
  EXPECT_GE(r.duration, 200);
  EXPECT_LT(r.duration, kGenerous);
  EXPECT_TRUE(WaitGroupGone(r.pid));
}

TEST_F(ProcessRunnerTest, SigtermIgnoringGrandchildIsKilledAfterTheLeaderExits) {
  // The leader dies of SIGTERM at once; its grandchild ignores it and must
  // still be SIGKILLed when the grace runs out.
  CancelSignal cancel;
  ProcessSpec spec = Sh("(trap '' TERM; echo ready >&2; exec sleep 1000) & wait");
  spec.kill_grace = 200;
  spec.on_stderr_line = [&](std::string_view line) {
    if (line == "ready") cancel.Raise();
  };
  ProcessResult r = MustRun(spec, &cancel);
  EXPECT_TRUE(r.cancelled);
  EXPECT_EQ(r.signal, SIGTERM);
  EXPECT_GE(r.duration, 200);
  EXPECT_TRUE(WaitGroupGone(r.pid));
}

TEST_F(ProcessRunnerTest, CancelFromAnotherThread) {
  CancelSignal cancel;
  std::promise<void> ready;
  ProcessSpec spec = Sh("echo ready >&2; exec sleep 1000");
  spec.on_stderr_line = [&](std::string_view line) {
    if (line == "ready") ready.set_value();
  };
  std::thread canceller([&, started = ready.get_future()]() mutable {
    started.wait();
    cancel.Raise();
  });
  ProcessResult r = MustRun(spec, &cancel);
  canceller.join();
  EXPECT_TRUE(r.cancelled);
  EXPECT_FALSE(r.timed_out);
  EXPECT_EQ(r.signal, SIGTERM);
  EXPECT_LT(r.duration, kGenerous);
  EXPECT_TRUE(WaitGroupGone(r.pid));
}

TEST_F(ProcessRunnerTest, AlreadyCancelledDoesNotStart) {
  char tmpl[] = "/tmp/torque-runner-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  const std::string marker = std::string(tmpl) + "/ran";
  CancelSignal cancel;
  cancel.Raise();
  ProcessSpec spec;
  spec.argv = {"/usr/bin/touch", marker};
  ProcessResult r = MustRun(spec, &cancel);
  EXPECT_TRUE(r.cancelled);
  EXPECT_EQ(r.pid, 0);
  EXPECT_NE(access(marker.c_str(), F_OK), 0);
  rmdir(tmpl);
}

TEST_F(ProcessRunnerTest, GrandchildHoldingStdoutDoesNotHangTheRun) {
  ProcessResult r = MustRun(Sh("sleep 1000 & echo done"));
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.stdout_text, "done\n");
  EXPECT_LT(r.duration, kGenerous);
  // Leftovers of a run that ended normally are not killed.
  EXPECT_EQ(kill(-r.pid, 0), 0);
  kill(-r.pid, SIGKILL);
  EXPECT_TRUE(WaitGroupGone(r.pid));
}

TEST_F(ProcessRunnerTest, ParallelRuns) {
  constexpr int kRuns = 16;
  PosixProcessRunner runner;
  std::vector<Result<ProcessResult>> results(kRuns, Status::Internal("not run"));
  std::vector<std::thread> threads;
  for (int i = 0; i < kRuns; ++i) {
    threads.emplace_back([&, i] {
      ProcessSpec spec;
      spec.argv = {"/bin/sh", "-c", "printf %s \"$1\"; echo \"err $1\" >&2; exit $(($1 % 7))", "sh",
                   std::to_string(i)};
      results[i] = runner.Run(spec, nullptr);
    });
  }
  for (auto& t : threads) t.join();
  for (int i = 0; i < kRuns; ++i) {
    ASSERT_TRUE(results[i].ok()) << results[i].status().ToString();
    EXPECT_EQ(results[i]->stdout_text, std::to_string(i));
    EXPECT_EQ(results[i]->stderr_tail, "err " + std::to_string(i) + "\n");
    EXPECT_EQ(results[i]->exit_code, i % 7);
  }
}

}  // namespace
}  // namespace torque::jobs
