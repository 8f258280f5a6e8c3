// ExecHandler: the `exec` job type, which runs a program per job.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/config.h"
#include "core/status.h"
#include "jobs/handler.h"
#include "jobs/process_runner.h"
#include "jobs/template.h"

namespace torque::jobs {

// Runs `command` (a template split shell-like into argv, or given to /bin/sh
// with `shell = true`) or, without one, `<jobs_dir>/<type name> <args>`.
// Stdout (bounded by `max_output`) is the result; the exit status decides
// success. Immutable after Create, so Run may be called from many threads.
class ExecHandler : public Handler {
 public:
  // Builds the handler of `type`. kInvalidArgument "file:line: job type 'x': ..."
  // for a bad `command`, `shell`, `max_output` or `env.*` setting, or when there
  // is neither `command` nor [server] jobs_dir. `runner` null: a PosixProcessRunner.
  // `rtorrent`: where rTorrent is, for TORQUE_RTORRENT_URL (none: not set).
  static Result<std::unique_ptr<ExecHandler>> Create(const JobTypeConfig& type,
                                                     const ServerConfig& server,
                                                     std::shared_ptr<ProcessRunner> runner = {},
                                                     std::optional<RtorrentConfig> rtorrent = {});

  // Runs the job; see the class comment. Never throws.
  RunResult Run(JobContext& ctx) override;

  // The argv a run of `ctx` executes; kInvalidArgument "bad args: ..." when the
  // args do not split.
  Result<std::vector<std::string>> BuildArgv(const JobContext& ctx) const;

  // The environment added to the daemon's for a run of `ctx`: env.* settings, TORQUE_JOB_ID,
  // TORQUE_JOB_TYPE, TORQUE_JOB_ATTEMPT, TORQUE_SOCKET, and TORQUE_RTORRENT_URL (the
  // [rtorrent] url, or the one in rtorrent.rc, read now) when rTorrent can be found.
  std::map<std::string, std::string> BuildEnv(const JobContext& ctx) const;

 private:
  ExecHandler() = default;

  std::string Expand(const Template& tmpl, const JobContext& ctx,
                     const std::string& args_text) const;

  bool shell_ = false;
  std::string program_;          // upq style (no command): jobs_dir/NAME
  std::vector<Template> words_;  // command split into words (shell = false)
  Template script_;              // whole command (shell = true)
  std::string cwd_;
  size_t max_output_ = 65536;
  std::map<std::string, std::string> env_;  // env.* settings
  std::shared_ptr<ProcessRunner> runner_;
  std::optional<RtorrentConfig> rtorrent_;
};

}  // namespace torque::jobs
