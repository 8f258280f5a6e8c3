#include "server/notice_text.h"

#include "core/duration.h"
#include "core/host_name.h"

namespace torque::server {
namespace {

constexpr size_t kArgsInSubject = 80;
constexpr size_t kBodyTail = 4000;
constexpr size_t kLineTail = 300;

// The first `max_bytes` of `text` at a UTF-8 boundary, "..." appended when cut.
std::string Head(const std::string& text, size_t max_bytes) {
  if (text.size() <= max_bytes) return text;
  size_t end = max_bytes;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
  return text.substr(0, end) + "...";
}

// `text` on one line: control characters (newlines included) become spaces, runs of
// spaces collapse, ends trimmed.
std::string OneLine(const std::string& text) {
  std::string out;
  for (unsigned char c : text) {
    const bool blank = c < 0x20 || c == 0x7f || c == ' ';
    if (blank) {
      if (!out.empty() && out.back() != ' ') out += ' ';
    } else {
      out += static_cast<char>(c);
    }
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

std::string Word(const Job& job) {
  if (job.state == JobState::kDone) return "SUCCESS";
  if (job.state == JobState::kQueued) return "RETRY";
  return "FAIL";
}

std::string Summary(const Job& job, TimeMs now) {
  std::string what = "job " + std::to_string(job.id) + " (" + job.type;
  if (!job.args.empty()) what += " " + Head(OneLine(job.args), kArgsInSubject);
  what += ")";
  const std::string took =
      job.started_at > 0 ? " in " + FormatDuration(std::max<TimeMs>(0, now - job.started_at)) : "";
  std::string line = Word(job) + " " + what;
  if (job.state == JobState::kDone) return line + took;
  line += " after " + std::to_string(job.attempts) + "/" + std::to_string(job.max_attempts) +
          " attempts" + took;
  if (!job.error.empty()) line += ": " + Tail(OneLine(job.error), kLineTail);
  return line;
}

std::string Body(const Job& job, TimeMs now) {
  auto time = [](TimeMs t) { return t > 0 ? FormatTimeUtc(t) : std::string("-"); };
  std::string b;
  b += "Job:       " + std::to_string(job.id) + "\n";
  b += "Type:      " + job.type + "\n";
  b += "Arguments: " + job.args + "\n";
  b += "State:     " + std::string(job.state == JobState::kQueued ? "failed, will be retried"
                                                                  : JobStateName(job.state)) +
       "\n";
  b += "Attempts:  " + std::to_string(job.attempts) + " of " + std::to_string(job.max_attempts) +
       "\n";
  b += "Created:   " + time(job.created_at) + "\n";
  b += "Started:   " + time(job.started_at) + "\n";
  b += "Finished:  " + time(now) + "\n";
  if (job.started_at > 0) {
    b += "Duration:  " + FormatDuration(std::max<TimeMs>(0, now - job.started_at)) + "\n";
  }
  b += "Host:      " + HostName() + "\n";
  if (!job.error.empty()) b += "\nError:\n" + Tail(job.error, kBodyTail) + "\n";
  if (!job.result.empty()) b += "\nResult:\n" + Tail(job.result, kBodyTail) + "\n";
  return b;
}

}  // namespace

std::string Tail(const std::string& text, size_t max_bytes) {
  if (text.size() <= max_bytes) return text;
  size_t start = text.size() - max_bytes;
  while (start < text.size() && (static_cast<unsigned char>(text[start]) & 0xC0) == 0x80) ++start;
  return "..." + text.substr(start);
}

std::vector<Notice> MakeNotices(const JobTypeConfig& type, const Job& job, TimeMs now) {
  const std::vector<NotifyTarget>* targets = nullptr;
  if (job.state == JobState::kDone) {
    targets = &type.notify_success;
  } else if (job.state == JobState::kFailed ||
             (job.state == JobState::kQueued && type.notify_every_failure)) {
    targets = &type.notify_fail;
  }
  std::vector<Notice> out;
  if (!targets) return out;
  for (const NotifyTarget& t : *targets) {
    Notice n;
    n.job_id = job.id;
    n.target = t.Key();
    n.failure = job.state != JobState::kDone;
    n.created_at = now;
    n.next_at = now;
    if (t.kind == NotifyTarget::Kind::kMail) {
      n.subject = "[torque] " + Word(job) + " job " + std::to_string(job.id) + " " + job.type;
      if (!job.args.empty()) n.subject += " " + Head(OneLine(job.args), kArgsInSubject);
      n.body = Body(job, now);
    } else {
      n.subject = Summary(job, now);
    }
    out.push_back(std::move(n));
  }
  return out;
}

}  // namespace torque::server
