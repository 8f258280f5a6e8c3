#include "jobs/queue_manager.h"

#include <time.h>

#include <chrono>
#include <cstdio>

#include "jobs/queue_pass.h"
#include "jobs/rtorrent/connector.h"
#include "jobs/rtorrent/query.h"
#include "jobs/rtorrent/rpc_client.h"
#include "jobs/rtorrent_job.h"

namespace torque::jobs {
namespace {

using Steady = std::chrono::steady_clock;

// The CPU time this thread has used, in milliseconds.
double ThreadCpuMs() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}

std::string Ms(double ms) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f ms", ms);
  return buf;
}

bool IsDryRunArg(const std::string& args) {
  return args == "dry-run" || args == "dry_run" || args == "--dry-run" || args == "-n";
}

}  // namespace

Result<std::unique_ptr<QueueManager>> QueueManager::Create(const JobTypeConfig& type,
                                                           const HandlerEnv& env) {
  auto settings = ReadQueueSettings(type, *env.config);
  if (!settings.ok()) return settings.status();
  std::unique_ptr<QueueManager> q(new QueueManager(std::move(*settings)));
  q->type_name_ = type.name;
  auto connector = TypeConnector(type, env);
  if (!connector.ok()) return connector.status();
  q->connector_ = std::move(*connector);
  return q;
}

Status QueueManager::Start(HandlerHost& host) {
  host.log->info("startable matcher for '{}' is: {}", type_name_, settings_.startable.ToString());
  host.log->info("downloading matcher for '{}' is: {}", type_name_,
                 settings_.downloading.ToString());
  host.log->info("queue '{}' reads view '{}' of rTorrent at {}", type_name_, settings_.view,
                 connector_->Describe());
  return Status::Ok();
}

RunResult QueueManager::Run(JobContext& ctx) {
  const bool one_off = IsDryRunArg(ctx.args);
  if (!ctx.args.empty() && !one_off) {
    return RunResult::Failed("unknown argument '" + ctx.args +
                             "': a queue pass takes none, or 'dry-run'");
  }
  const bool dry = ctx.dry_run || one_off;
  const auto began = Steady::now();
  const double cpu_began = ThreadCpuMs();
  const RunDeadline deadline = DeadlineOf(ctx);

  TimeMs stored = 0;
  if (ctx.state) {
    auto state = ctx.state->Load();
    if (!state.ok())
      return RunResult::Failed("cannot read the last start: " + state.status().message());
    if (auto it = state->find(kLastStartKey); it != state->end()) {
      stored = std::strtoll(it->second.c_str(), nullptr, 10);
    }
  }
  TimeMs last_start = stored;
  if (ctx.dry_run) {
    std::lock_guard lock(dry_mu_);
    last_start = dry_last_start_.value_or(stored);
  }

  auto rpc = connector_->Connect({ctx.cancel, deadline});
  if (!rpc.ok()) return RunResult::Failed("cannot reach rTorrent: " + rpc.status().message());
  rtorrent::RtorrentClient client(**rpc);
  const TimeMs now = ctx.clock ? ctx.clock->Now() : 0;
  rtorrent::FetchOptions fetch;
  fetch.view = settings_.view;
  fetch.prefilter = settings_.prefilter;
  fetch.fields = settings_.fields;
  fetch.now = now / 1000;
  auto fetched = rtorrent::FetchItems(client, &settings_.fetch, fetch);
  if (!fetched.ok()) {
    return CallFailure(fetched.status(), "fetching view '" + settings_.view + "' from rTorrent",
                       ctx, deadline);
  }

  const QueuePlan plan = PlanQueuePass(settings_, fetched->items, now, last_start);
  for (const rtorrent::Item* item : plan.start) {
    if (ctx.log) {
      ctx.log->info("{} {}", dry ? "WOULD start" : "Starting", DescribeItem(settings_, *item));
    }
  }
  if (ctx.log && plan.clock_went_back) {
    ctx.log->warn("the clock went back; the intermission counts from now");
  }

  int round_trips = fetched->round_trips;
  Status sent = Status::Ok();
  std::vector<std::string> extra;  // starts rTorrent refused, then the timing
  if (!plan.start.empty() && !dry) {
    ++round_trips;
    sent = SendStarts(client, plan, ctx, extra);
  }
  const double total_ms = std::chrono::duration<double, std::milli>(Steady::now() - began).count();
  std::string timing = "took " + Ms(total_ms) + ": " + std::to_string(round_trips) +
                       (round_trips == 1 ? " request" : " requests") + " to rTorrent, " +
                       Ms(ThreadCpuMs() - cpu_began) + " CPU in torqued";
  if (!fetched->prefilter.empty()) timing += "; rTorrent pre-filter " + fetched->prefilter;

  RunResult result;
  if (!sent.ok()) {
    result = CallFailure(sent, "starting items in rTorrent", ctx, deadline);
  } else if (!extra.empty()) {
    result = RunResult::Failed(extra.front());
  }
  extra.push_back(std::move(timing));
  result.result = QueueReport(settings_, plan, dry, extra);
  if (one_off) return result;
  if (ctx.dry_run) {
    std::lock_guard lock(dry_mu_);
    dry_last_start_ = plan.last_start;
  } else if (plan.last_start != stored) {
    result.handler_state[kLastStartKey] = std::to_string(plan.last_start);
  }
  return result;
}

Status QueueManager::SendStarts(rtorrent::RtorrentClient& client, const QueuePlan& plan,
                                JobContext& ctx, std::vector<std::string>& refused) const {
  std::vector<rtorrent::MethodCall> calls;
  std::vector<size_t> first;  // index of each item's d.open in `calls`
  for (const rtorrent::Item* item : plan.start) {
    first.push_back(calls.size());
    calls.push_back({"d.open", {rtorrent::Value(item->hash())}});
    calls.push_back({"d.start", {rtorrent::Value(item->hash())}});
    for (rtorrent::MethodCall& w : item->PendingWrites()) calls.push_back(std::move(w));
    if (!settings_.quiet) {
      calls.push_back(
          {"print", {rtorrent::Value(""), rtorrent::Value(StartedLogLine(settings_, *item))}});
    }
  }
  auto answers = client.SystemMultiCall(calls);
  if (!answers.ok()) return answers.status();
  for (size_t k = 0; k < plan.start.size(); ++k) {
    for (size_t i = first[k]; i < first[k] + 2 && i < answers->size(); ++i) {
      const Result<rtorrent::Value>& a = (*answers)[i];
      if (a.ok()) continue;
      refused.push_back("starting " + DescribeItem(settings_, *plan.start[k]) +
                        " failed: " + calls[i].method + ": " + a.status().message());
      if (ctx.log) ctx.log->warn("{}", refused.back());
      break;
    }
  }
  return Status::Ok();
}

}  // namespace torque::jobs
