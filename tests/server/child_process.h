// Test helper: a child process (a test server such as aiosmtpd) with its output in a log
// file, killed and reaped on destruction.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>
#include <vector>

namespace torque::testing {

// Spawns argv[0] (a path, no PATH search) with stdout and stderr in `log` and, when
// `pythonpath` is not empty, PYTHONPATH set to it. Not copyable.
class ChildProcess {
 public:
  ChildProcess(const std::vector<std::string>& argv, const std::string& log,
               const std::string& pythonpath = "") {
    std::vector<std::string> env_store;
    for (char** e = environ; *e != nullptr; ++e) {
      if (!std::string(*e).starts_with("PYTHONPATH=")) env_store.push_back(*e);
    }
    if (!pythonpath.empty()) env_store.push_back("PYTHONPATH=" + pythonpath);
    std::vector<char*> envp, args;
    for (auto& s : env_store) envp.push_back(s.data());
    envp.push_back(nullptr);
    std::vector<std::string> argv_store = argv;
    for (auto& s : argv_store) args.push_back(s.data());
    args.push_back(nullptr);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    if (posix_spawn(&pid_, args[0], &fa, nullptr, args.data(), envp.data()) != 0) pid_ = -1;
    posix_spawn_file_actions_destroy(&fa);
  }
  ~ChildProcess() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  // False once it has exited (it is reaped then, so its pid is never killed later).
  bool Running() {
    if (pid_ > 0 && waitpid(pid_, nullptr, WNOHANG) != 0) pid_ = -1;
    return pid_ > 0;
  }

 private:
  pid_t pid_ = -1;
};

}  // namespace torque::testing
