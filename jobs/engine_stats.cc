#include "jobs/engine_stats.h"

#include <sys/stat.h>

#include <cctype>

#include "core/clock.h"
#include "core/duration.h"
#include "jobs/rtorrent/connector.h"
#include "jobs/rtorrent/field_format.h"
#include "jobs/rtorrent/rpc_client.h"
#include "jobs/rtorrent_job.h"
#include "jobs/settings.h"

namespace torque::jobs {
namespace {

using rtorrent::MethodCall;
using rtorrent::Value;

// The calls of a run, in this order, then one view.size per view.
const std::vector<std::string> kScalars = {"system.client_version",
                                           "system.library_version",
                                           "session.name",
                                           "session.path",
                                           "system.time",
                                           "system.startup_time",
                                           "throttle.global_up.rate",
                                           "throttle.global_up.max_rate",
                                           "throttle.global_down.rate",
                                           "throttle.global_down.max_rate"};
enum Index { kClient, kLibrary, kName, kPath, kTime, kStartup, kUp, kUpMax, kDown, kDownMax };

std::string Rate(int64_t rate, int64_t max) {
  return rtorrent::HumanSize(rate) + "/s [" +
         (max > 0 ? "max " + rtorrent::HumanSize(max) + "/s" : "no limit") + "]";
}

bool ValidViewName(const std::string& view) {
  if (view.empty()) return false;
  for (char c : view) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-' && c != '.') {
      return false;
    }
  }
  return true;
}

}  // namespace

Result<std::unique_ptr<EngineStats>> EngineStats::Create(const JobTypeConfig& type,
                                                         const HandlerEnv& env) {
  std::unique_ptr<EngineStats> s(new EngineStats());
  const SettingReader r(type);
  for (std::string& view : SplitListSetting(r.Text("views", kDefaultStatsViews))) {
    if (!ValidViewName(view)) return r.Fail("views", "'" + view + "' is not a view name");
    s->views_.push_back(std::move(view));
  }
  if (s->views_.empty()) return r.Fail("views", "no view to count");
  auto connector = TypeConnector(type, env);
  if (!connector.ok()) return connector.status();
  s->connector_ = std::move(*connector);
  return s;
}

RunResult EngineStats::Run(JobContext& ctx) {
  const RunDeadline deadline = DeadlineOf(ctx);
  auto rpc = connector_->Connect({ctx.cancel, deadline});
  if (!rpc.ok()) return RunResult::Failed("cannot reach rTorrent: " + rpc.status().message());
  std::vector<MethodCall> calls;
  for (const std::string& method : kScalars) calls.push_back({method, {Value("")}});
  for (const std::string& view : views_) calls.push_back({"view.size", {Value(""), Value(view)}});
  rtorrent::RtorrentClient client(**rpc);
  auto answers = client.SystemMultiCall(calls);
  if (!answers.ok()) {
    return CallFailure(answers.status(), "asking rTorrent for its statistics", ctx, deadline);
  }
  const auto& a = *answers;
  auto text = [&](Index i) { return a[i].ok() ? a[i]->AsString() : std::string("?"); };
  auto number = [&](Index i) { return a[i].ok() ? a[i]->AsInt() : 0; };
  if (!a[kClient].ok()) {
    return RunResult::Failed("rTorrent did not tell its version: " + a[kClient].status().message());
  }

  // Uptime: rTorrent's own start time if it keeps one, else its session lock's age.
  std::string uptime = "?";
  const int64_t now = number(kTime);
  int64_t started = a[kStartup].ok() ? a[kStartup]->AsInt() : 0;
  if (started <= 0 && a[kPath].ok() && !text(kPath).empty()) {
    struct stat st {};
    std::string lock = text(kPath);
    if (lock.back() != '/') lock += '/';
    lock += "rtorrent.lock";
    if (::stat(lock.c_str(), &st) == 0) started = st.st_mtime;
  }
  if (started > 0 && now >= started) uptime = ShortDuration((now - started) * 1000);

  std::string views;
  for (size_t i = 0; i < views_.size(); ++i) {
    const Result<Value>& size = a[kScalars.size() + i];
    views += (i ? ", " : "") + views_[i] + " " + (size.ok() ? std::to_string(size->AsInt()) : "?");
  }
  std::string line = "Stats for " + text(kName) + " - up " + uptime + ", rTorrent " +
                     text(kClient) + "/" + text(kLibrary) + ", up " +
                     Rate(number(kUp), number(kUpMax)) + ", down " +
                     Rate(number(kDown), number(kDownMax)) + ", views: " + views;
  if (ctx.log) ctx.log->info("{}", line);
  return RunResult::Succeeded(line);
}

}  // namespace torque::jobs
