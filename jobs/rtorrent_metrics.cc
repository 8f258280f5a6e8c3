#include "jobs/rtorrent_metrics.h"

#include <algorithm>
#include <cctype>
#include <set>

#include "core/prometheus_text.h"
#include "jobs/rtorrent/connector.h"
#include "jobs/rtorrent/rpc_client.h"
#include "jobs/rtorrent/traits.h"
#include "jobs/rtorrent_job.h"
#include "jobs/settings.h"

namespace torque::jobs {

const std::vector<std::string> kSystemGauges = {"network.http.current_open",
                                                "network.http.max_open",
                                                "network.max_open_files",
                                                "network.max_open_sockets",
                                                "network.open_files",
                                                "network.open_sockets",
                                                "network.total_handshakes",
                                                "pieces.memory.block_count",
                                                "pieces.memory.current",
                                                "pieces.memory.max",
                                                "pieces.memory.sync_queue",
                                                "pieces.preload.min_rate",
                                                "pieces.preload.min_size",
                                                "pieces.preload.type",
                                                "pieces.stats.total_size",
                                                "pieces.stats_not_preloaded",
                                                "pieces.stats_preloaded",
                                                "pieces.sync.queue_size",
                                                "startup_time",
                                                "system.files.closed_counter",
                                                "system.files.failed_counter",
                                                "system.files.opened_counter",
                                                "throttle.global_down.max_rate",
                                                "throttle.global_down.rate",
                                                "throttle.global_down.total",
                                                "throttle.global_up.max_rate",
                                                "throttle.global_up.rate",
                                                "throttle.global_up.total",
                                                "throttle.max_downloads.global",
                                                "throttle.max_uploads.global",
                                                "throttle.unchoked_downloads",
                                                "throttle.unchoked_uploads"};

namespace {

using rtorrent::Array;
using rtorrent::MethodCall;
using rtorrent::Value;
using Clock = std::chrono::steady_clock;

// The calls every sample starts with, in this order.
const std::vector<std::string> kScalars = {
    "system.client_version",     "system.library_version",        "system.time",
    "system.startup_time",       "throttle.global_up.rate",       "throttle.global_up.max_rate",
    "throttle.global_down.rate", "throttle.global_down.max_rate", "view.list"};
enum Scalar { kClient, kLibrary, kTime, kStartup, kUp, kUpMax, kDown, kDownMax, kViewList };

// What separates the words of pyrosimple's TOML list ["a", "b"] besides blanks and commas.
constexpr std::string_view kTomlList = "[]\"'";

// The d.multicall2 columns of the tracker part.
constexpr char kMemoAlias[] = "d.custom=memo_alias";  // pyrosimple's alias cache
constexpr char kMessage[] = "d.message=";

// A d.* command name from a setting: "down.total" (pyrocore) or "d.down.total" (pyrosimple).
Result<std::string> ItemCommand(const SettingReader& r, const std::string& key,
                                const std::string& word) {
  std::string name = word.rfind("d.", 0) == 0 ? word : "d." + word;
  if (!name.empty() && name.back() == '=') name.pop_back();
  for (char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_') {
      return r.Fail(key, "'" + word + "' is not an rTorrent d.* command");
    }
  }
  return name;
}

// The item-stats / item_stats list (pyrosimple reads the hyphen, pyrocore's ini the other).
Result<std::vector<std::string>> CommandList(const SettingReader& r, const std::string& key,
                                             const std::string& fallback) {
  std::string used = key;
  std::replace(used.begin(), used.end(), '_', '-');
  if (!r.Find(used)) used = key;
  std::vector<std::string> out;
  for (const std::string& word : SplitListSetting(r.Text(used, fallback), kTomlList)) {
    auto name = ItemCommand(r, used, word);
    if (!name.ok()) return name.status();
    if (std::find(out.begin(), out.end(), *name) == out.end()) out.push_back(std::move(*name));
  }
  return out;
}

std::optional<double> Number(const Value& v) {
  if (const auto* d = std::get_if<double>(&v.v)) return *d;
  constexpr int64_t kNone = INT64_MIN;
  const int64_t i = v.AsInt(kNone);
  if (i == kNone) return std::nullopt;
  return static_cast<double>(i);
}

int64_t IntOr(const Result<Value>& r, int64_t fallback) {
  return r.ok() ? r->AsInt(fallback) : fallback;
}

// The first enabled announce URL of a t.multicall=,t.url=,t.is_enabled= column.
std::string FirstTracker(const Value& trackers) {
  for (const Value& t : trackers.AsArray()) {
    const Array& pair = t.AsArray();
    if (pair.size() >= 2 && pair[1].AsInt(0) != 0) return pair[0].AsString();
  }
  return {};
}

std::vector<MethodCall> ViewSizes(const std::vector<std::string>& views) {
  std::vector<MethodCall> calls;
  for (const std::string& view : views) calls.push_back({"view.size", {Value(""), Value(view)}});
  return calls;
}

std::vector<MethodCall> Gauges(const std::vector<std::string>& gauges) {
  std::vector<MethodCall> calls;
  for (const std::string& method : gauges) calls.push_back({method, {Value("")}});
  return calls;
}

}  // namespace

Result<std::shared_ptr<const RtorrentMetrics>> RtorrentMetrics::Create(const JobTypeConfig& type,
                                                                       const HandlerEnv& env) {
  std::shared_ptr<RtorrentMetrics> m(new RtorrentMetrics());
  const SettingReader r(type);
  const std::vector<std::string> jobs = SplitListSetting(r.Text("jobs", "system"), kTomlList);
  m->system_ = false;
  for (const std::string& job : jobs) {
    if (job == "system") {
      m->system_ = true;
    } else if (job == "tracker") {
      m->tracker_ = true;
    } else if (job == "item") {
      m->item_ = true;
    } else {
      return r.Fail("jobs", "'" + job + "' is not one of system, tracker, item");
    }
  }
  if (jobs.empty()) return r.Fail("jobs", "expected system, tracker and/or item");
  m->prefix_ = r.Text("prefix", "rtorrent_");
  if (!m->prefix_.empty() && SanitizeMetricName(m->prefix_) != m->prefix_) {
    return r.Fail("prefix",
                  "'" + m->prefix_ + "' is not a metric name prefix ([a-zA-Z_:][a-zA-Z0-9_:]*)");
  }
  auto stats = CommandList(r, "item_stats", "d.down.total,d.up.total");
  if (!stats.ok()) return stats.status();
  auto labels = CommandList(r, "item_labels", "d.hash,d.name");
  if (!labels.ok()) return labels.status();
  m->item_stats_ = std::move(*stats);
  m->item_labels_ = std::move(*labels);
  auto connector = TypeConnector(type, env);
  if (!connector.ok()) return connector.status();
  m->connector_ = std::move(*connector);
  return std::shared_ptr<const RtorrentMetrics>(std::move(m));
}

Result<std::shared_ptr<const RtorrentMetrics>> RtorrentMetrics::Default(const HandlerEnv& env) {
  JobTypeConfig type;
  type.name = "metrics";
  type.handler = "metrics_exporter";
  return Create(type, env);
}

std::vector<std::string> RtorrentMetrics::RowCommands() const {
  std::vector<std::string> commands;
  auto add = [&](const std::string& command) {
    if (std::find(commands.begin(), commands.end(), command) == commands.end()) {
      commands.push_back(command);
    }
  };
  if (tracker_) {
    add(kMemoAlias);
    add(std::string(rtorrent::kAliasCacheCommand));
    add(std::string(rtorrent::kTrackersCommand));
    add(kMessage);
  }
  if (item_) {
    for (const std::string& c : item_labels_) add(c + "=");
    for (const std::string& c : item_stats_) add(c + "=");
  }
  return commands;
}

RtorrentSample RtorrentMetrics::Sample(Clock::time_point deadline) const {
  const Clock::time_point start = Clock::now();
  RtorrentSample s;
  auto finish = [&](std::string error) {
    s.scrape_ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
    if (!error.empty()) {
      std::lock_guard lock(mu_);
      learned_ = Learned();
      RtorrentSample failed;
      failed.error = std::move(error);
      failed.scrape_ms = s.scrape_ms;
      return failed;
    }
    s.up = true;
    return s;
  };
  auto rpc = connector_->Connect({nullptr, deadline});
  if (!rpc.ok()) return finish("cannot reach rTorrent: " + rpc.status().message());

  Learned known;
  {
    std::lock_guard lock(mu_);
    if (learned_.target != connector_->Describe()) {
      learned_ = Learned();
      learned_.target = connector_->Describe();
    }
    known = learned_;
  }
  const bool ask_methods =
      system_ && (!known.methods_at || start - *known.methods_at >= kMethodsTtl);
  if (ask_methods) known.gauges.clear();

  // One system.multicall: the scalars, listMethods when not known, view.size of the views
  // known, the gauges known, and the d.multicall2 rows of the tracker and item parts.
  std::vector<MethodCall> calls;
  for (const std::string& method : kScalars) {
    calls.push_back({method, method == "view.list" ? Array{} : Array{Value("")}});
  }
  const size_t methods_at = calls.size();
  if (ask_methods) calls.push_back({"system.listMethods", {}});
  const size_t views_at = calls.size();
  for (MethodCall& c : ViewSizes(known.views)) calls.push_back(std::move(c));
  const size_t gauges_at = calls.size();
  if (system_) {
    for (MethodCall& c : Gauges(known.gauges)) calls.push_back(std::move(c));
  }
  const std::vector<std::string> row_commands = RowCommands();
  const size_t rows_at = calls.size();
  if (!row_commands.empty()) {
    Array params = {Value(""), Value("main")};
    for (const std::string& c : row_commands) params.emplace_back(c);
    calls.push_back({"d.multicall2", std::move(params)});
  }
  rtorrent::RtorrentClient client(**rpc);
  auto answers = client.SystemMultiCall(calls);
  if (!answers.ok()) return finish(answers.status().message());
  const std::vector<Result<Value>>& a = *answers;
  if (!a[kClient].ok())
    return finish("rTorrent did not tell its version: " + a[kClient].status().message());

  s.client_version = a[kClient]->AsString();
  s.library_version = a[kLibrary].ok() ? a[kLibrary]->AsString() : "";
  s.up_rate = IntOr(a[kUp], 0);
  s.up_max = IntOr(a[kUpMax], 0);
  s.down_rate = IntOr(a[kDown], 0);
  s.down_max = IntOr(a[kDownMax], 0);
  const int64_t now = IntOr(a[kTime], 0);
  const int64_t started = IntOr(a[kStartup], 0);
  if (started > 0 && now >= started) s.uptime_s = now - started;
  for (size_t i = 0; i < known.views.size(); ++i) {
    if (a[views_at + i].ok()) s.views[known.views[i]] = a[views_at + i]->AsInt(0);
  }
  for (size_t i = gauges_at; i < rows_at; ++i) {
    if (!a[i].ok()) continue;
    if (auto n = Number(*a[i])) s.system[known.gauges[i - gauges_at]] = *n;
  }

  // What this sample learned: the current views, the gauges rTorrent has.
  std::vector<std::string> views;
  if (a[kViewList].ok()) {
    for (const Value& v : a[kViewList]->AsArray()) views.push_back(v.AsString());
  }
  std::vector<std::string> new_views;
  for (const std::string& v : views) {
    if (!s.views.count(v)) new_views.push_back(v);
  }
  std::vector<std::string> new_gauges;
  if (ask_methods && a[methods_at].ok()) {
    std::set<std::string> methods;
    for (const Value& m : a[methods_at]->AsArray()) methods.insert(m.AsString());
    for (const std::string& g : kSystemGauges) {
      if (methods.count(g)) new_gauges.push_back(g);
    }
  }
  // A second request only for what the first could not know to ask (the first sample, a
  // new view, the listMethods refresh).
  if (!new_views.empty() || !new_gauges.empty()) {
    std::vector<MethodCall> more = ViewSizes(new_views);
    for (MethodCall& c : Gauges(new_gauges)) more.push_back(std::move(c));
    auto more_answers = client.SystemMultiCall(more);
    if (!more_answers.ok()) return finish(more_answers.status().message());
    for (size_t i = 0; i < more.size(); ++i) {
      const Result<Value>& r = (*more_answers)[i];
      if (!r.ok()) continue;
      if (i < new_views.size()) {
        s.views[new_views[i]] = r->AsInt(0);
      } else if (auto n = Number(*r)) {
        s.system[new_gauges[i - new_views.size()]] = *n;
      }
    }
  }
  for (auto it = s.views.begin(); it != s.views.end();) {
    it = std::find(views.begin(), views.end(), it->first) == views.end() ? s.views.erase(it)
                                                                         : std::next(it);
  }

  if (!row_commands.empty()) {
    if (!a[rows_at].ok()) return finish("d.multicall2 failed: " + a[rows_at].status().message());
    auto column = [&](const std::string& command) {
      return std::find(row_commands.begin(), row_commands.end(), command) - row_commands.begin();
    };
    const rtorrent::AliasConfig aliases;
    for (const Value& row_value : a[rows_at]->AsArray()) {
      const Array& row = row_value.AsArray();
      if (row.size() != row_commands.size()) return finish("d.multicall2 answered a short row");
      if (tracker_) {
        std::string alias = row[column(kMemoAlias)].AsString();
        if (alias.empty()) {
          std::string url = row[column(std::string(rtorrent::kAliasCacheCommand))].AsString();
          if (url.empty()) url = FirstTracker(row[column(std::string(rtorrent::kTrackersCommand))]);
          alias = rtorrent::MapAnnounceToAlias(url, aliases);
        }
        RtorrentSample::Tracker& t = s.trackers[alias];
        ++t.amount;
        if (!row[column(kMessage)].AsString().empty()) ++t.errors;
      }
      if (item_) {
        RtorrentSample::Item item;
        for (const std::string& c : item_labels_) {
          item.labels[SanitizeLabelName(c)] = row[column(c + "=")].AsString();
        }
        for (const std::string& c : item_stats_) {
          if (auto n = Number(row[column(c + "=")])) item.stats[SanitizeMetricName(c)] = *n;
        }
        s.items.push_back(std::move(item));
      }
    }
  }
  {
    std::lock_guard lock(mu_);
    if (learned_.target == known.target) {
      learned_.views = views;
      if (ask_methods) {
        learned_.methods_at = start;
        learned_.gauges = new_gauges;
      }
    }
  }
  if (!system_) s.system.clear();
  return finish("");
}

std::string RtorrentMetrics::Exposition(const RtorrentSample& sample) const {
  PrometheusText t;
  const std::string& p = prefix_;
  t.Family(p + "up", "gauge", "Whether rTorrent answered the last scrape (1) or not (0).");
  t.Sample(p + "up", sample.up ? 1 : 0);
  t.Family(p + "scrape_duration_seconds", "gauge", "How long asking rTorrent took.");
  t.Sample(p + "scrape_duration_seconds", sample.scrape_ms / 1000.0);
  if (!sample.up) {
    std::string why = sample.error;
    std::replace(why.begin(), why.end(), '\n', ' ');
    return t.Take() + "# " + p + "up 0: " + why + "\n";
  }
  t.Family(p + "info", "gauge", "rTorrent's versions.");
  t.Sample(p + "info",
           {{"system_client_version", sample.client_version},
            {"system_library_version", sample.library_version}},
           1);
  if (system_) {
    t.Family(p + "view_size", "gauge", "Items in each rTorrent view.");
    for (const auto& [view, size] : sample.views) {
      t.Sample(p + "view_size", {{"view", view}}, static_cast<double>(size));
    }
    for (const auto& [method, value] : sample.system) {
      const std::string name = p + SanitizeMetricName(method);
      t.Family(name, "gauge", "rTorrent's " + method + ".");
      t.Sample(name, value);
    }
  }
  if (tracker_) {
    t.Family(p + "tracker_amount", "gauge", "Items per tracker alias (or domain).");
    for (const auto& [alias, tracker] : sample.trackers) {
      t.Sample(p + "tracker_amount", {{"alias", alias}}, static_cast<double>(tracker.amount));
    }
    t.Family(p + "tracker_errors", "gauge",
             "Items per tracker alias (or domain) with a tracker message.");
    for (const auto& [alias, tracker] : sample.trackers) {
      t.Sample(p + "tracker_errors", {{"alias", alias}}, static_cast<double>(tracker.errors));
    }
  }
  if (item_) {
    for (const std::string& stat : item_stats_) {
      const std::string key = SanitizeMetricName(stat);
      const std::string name = p + key;
      t.Family(name, "gauge", "rTorrent's " + stat + " per item.");
      for (const RtorrentSample::Item& item : sample.items) {
        auto value = item.stats.find(key);
        if (value == item.stats.end()) continue;
        MetricLabels labels(item.labels.begin(), item.labels.end());
        t.Sample(name, labels, value->second);
      }
    }
  }
  return t.Take();
}

}  // namespace torque::jobs
