// ProcessRunner: runs one program to completion with bounded output, a timeout and cancel.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/cancel_signal.h"
#include "core/clock.h"
#include "core/status.h"

namespace torque::jobs {

// What to run and how.
struct ProcessSpec {
  std::vector<std::string> argv;           // argv[0] without '/' is looked up in PATH
  std::map<std::string, std::string> env;  // set on top of the daemon's environment
  std::string cwd;                         // empty: inherit
  DurationMs timeout = 0;                  // 0: none
  size_t max_output = 65536;               // stdout bytes kept; the rest is read and dropped
  DurationMs kill_grace = 5000;            // SIGTERM → SIGKILL delay
  // Called on the Run thread for each stderr line (without '\n', at most
  // kMaxStderrLine bytes; the rest of a longer line is dropped). May be empty.
  std::function<void(std::string_view line)> on_stderr_line;
};

// How a run ended.
struct ProcessResult {
  pid_t pid = 0;                 // also the process group id of the run
  int exit_code = -1;            // valid when signal == 0
  int signal = 0;                // the signal that ended the process, 0 if it exited
  bool timed_out = false;        // the timeout fired and the group was killed
  bool cancelled = false;        // the CancelSignal was raised and the group was killed
  std::string stdout_text;       // at most max_output bytes
  uint64_t truncated_bytes = 0;  // stdout bytes dropped beyond max_output
  std::string stderr_tail;       // the last ~kStderrTail bytes, starting at a line boundary
  DurationMs duration = 0;

  bool Succeeded() const { return signal == 0 && exit_code == 0 && !timed_out && !cancelled; }
};

// Runs programs. Implementations are thread-safe: Run may be called from many
// threads at once.
class ProcessRunner {
 public:
  static constexpr size_t kMaxStderrLine = 4096;
  static constexpr size_t kStderrTail = 2048;

  virtual ~ProcessRunner() = default;

  // Runs spec.argv and waits for it (or kills it on timeout or when `cancel`,
  // which may be null, is raised). A run that started always gives a
  // ProcessResult, whatever its exit; a failure Status means the program never
  // ran: kNotFound "cannot run X: No such file or directory" (or "...: not
  // found in PATH"), kIoError for other exec, chdir or system call failures
  // ("cannot change to directory D: ..."), kInvalidArgument for an empty argv.
  // Already raised `cancel`: nothing is started, the result says cancelled (pid 0).
  virtual Result<ProcessResult> Run(const ProcessSpec& spec, CancelSignal* cancel) = 0;
};

// The real thing: posix_spawn with the child in its own process group, stdin
// from /dev/null, stdout and stderr to pipes, other fds closed, signals reset.
// On timeout or cancel the whole group gets SIGTERM, then SIGKILL after
// kill_grace. Once the program itself exited, the pipes are drained for at most
// kDrainAfterExit (a background grandchild cannot hang the run); such
// leftovers are not killed unless the run timed out or was cancelled.
class PosixProcessRunner : public ProcessRunner {
 public:
  static constexpr DurationMs kDrainAfterExit = 200;

  Result<ProcessResult> Run(const ProcessSpec& spec, CancelSignal* cancel) override;
};

// "SIGTERM" for 15; "signal 99" when the number has no name.
std::string SignalName(int signal);

}  // namespace torque::jobs
