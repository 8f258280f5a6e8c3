// The text of job notifications: what a mail or a syslog line says about a finished job.
#pragma once

#include <string>
#include <vector>

#include "core/config.h"
#include "core/job.h"
#include "server/store.h"

namespace torque::server {

// The notices `type` asks for about `job`, whose state is the outcome of its latest
// attempt (kDone, kFailed, kCancelled, or kQueued for a failure that is retried), one per
// target, due at `now`. None for a cancelled job, nor for a retried failure unless
// notify_every_failure is set.
//
// A mail target gets subject "[torque] FAIL job 17 verify_file fid:50" (SUCCESS / FAIL /
// RETRY) and a body listing id, type, args, state, attempts, times, duration and the
// tail of error and result. A syslog target gets the one-line summary as its subject,
// e.g. "FAIL job 17 (verify_file fid:50) after 3/3 attempts in 1.2s: disk full", and an
// empty body.
std::vector<Notice> MakeNotices(const JobTypeConfig& type, const Job& job, TimeMs now);

// The last `max_bytes` of `text` at most, cut at a UTF-8 boundary, with a leading
// "..." when something was cut.
std::string Tail(const std::string& text, size_t max_bytes);

}  // namespace torque::server
