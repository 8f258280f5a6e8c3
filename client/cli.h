// torque-cli: the command line, the requests it sends and how it shows the replies.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace torque::client {

// Exit codes of torque-cli (sysexits.h where one fits); documented in PROTOCOL.md.
inline constexpr int kExitOk = 0;            // success; for a wait: the job is done
inline constexpr int kExitJobFailed = 1;     // the waited-for job failed or was cancelled
inline constexpr int kExitUsage = 64;        // bad command line (EX_USAGE)
inline constexpr int kExitDaemonError = 65;  // torqued answered ERR (EX_DATAERR)
inline constexpr int kExitUnavailable = 69;  // torqued cannot be reached (EX_UNAVAILABLE)
inline constexpr int kExitInternal = 70;     // unexpected reply, a bug (EX_SOFTWARE)
inline constexpr int kExitTimeout = 75;      // a wait timed out (EX_TEMPFAIL)

// Runs torque-cli with `args` (without the program name): results go to `out`,
// messages to `err`; returns the exit code. Reads $TORQUE_SOCKET, $TORQUE_JOB_ID
// and (through the config) $TORQUE_CONFIG / $TORQUE_HOME. Never throws.
int RunCli(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

// Same, from main()'s arguments (argv[0] is skipped).
int RunCli(int argc, char** argv, std::ostream& out, std::ostream& err);

}  // namespace torque::client
