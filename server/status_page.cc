#include "server/status_page.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <string_view>

#include "core/duration.h"
#include "core/utf8.h"

namespace torque::server {
namespace {

constexpr DurationMs kMinute = 60'000;
// Longest args shown in a table cell and longest error or report shown; the rest is cut.
constexpr size_t kMaxArgsBytes = 300;
constexpr size_t kMaxTextBytes = 4000;

// The last finished run of `type`: the newer of its last done and last failed job.
Result<std::optional<Job>> LastRun(Store& store, const std::string& type) {
  std::optional<Job> last;
  for (JobState state : {JobState::kDone, JobState::kFailed}) {
    ListFilter filter;
    filter.type = type;
    filter.state = state;
    filter.limit = 1;
    auto jobs = store.List(filter);
    if (!jobs.ok()) return jobs.status();
    if (!jobs->empty() && (!last || jobs->front().finished_at > last->finished_at)) {
      last = jobs->front();
    }
  }
  return last;
}

Result<std::vector<Job>> ListState(Store& store, JobState state, int limit) {
  ListFilter filter;
  filter.state = state;
  filter.limit = limit;
  return store.List(filter);
}

// --- HTML text ---

// `text` for HTML text or an attribute value: markup characters escaped, invalid UTF-8
// and control characters (other than tab and newline) as U+FFFD, cut after `max` bytes.
std::string Esc(std::string_view text, size_t max = std::string_view::npos) {
  std::string out;
  out.reserve(text.size() + 16);
  size_t i = 0;
  while (i < text.size()) {
    if (i >= max) {
      out += "\u2026";
      break;
    }
    const char c = text[i];
    size_t n = Utf8SequenceLength(text.substr(i));
    if (n == 0 || (n == 1 && static_cast<unsigned char>(c) < 0x20 && c != '\n' && c != '\t') ||
        c == 0x7f) {
      out += "\uFFFD";
      i += n == 0 ? 1 : n;
      continue;
    }
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out.append(text.substr(i, n));
    }
    i += n;
  }
  return out;
}

std::string Num(int64_t n) { return std::to_string(n); }

// "2026-11-23T14:05:09Z": FormatTimeUtc without the milliseconds.
std::string IsoSeconds(TimeMs t) {
  std::string s = FormatTimeUtc(t);
  if (size_t dot = s.find('.'); dot != std::string::npos) s = s.substr(0, dot) + "Z";
  return s;
}

// "in 4 min", "2 h ago", "just now".
std::string Relative(TimeMs t, TimeMs now) {
  const DurationMs d = t - now;
  const DurationMs a = d < 0 ? -d : d;
  std::string amount;
  if (a < 1000) return "just now";
  if (a < kMinute) {
    amount = Num(a / 1000) + " s";
  } else if (a < 3600'000) {
    amount = Num(a / kMinute) + " min";
  } else if (a < 48 * 3600'000LL) {
    amount = Num(a / 3600'000) + " h";
  } else {
    amount = Num(a / (24 * 3600'000LL)) + " d";
  }
  return d > 0 ? "in " + amount : amount + " ago";
}

// A time as a <time> element: UTC ISO and how far from now.
std::string When(TimeMs t, TimeMs now) {
  if (t <= 0) return "<span class=\"muted\">never</span>";
  const std::string iso = IsoSeconds(t);
  return "<time datetime=\"" + iso + "\">" + iso + "</time> <span class=\"muted\">(" +
         Relative(t, now) + ")</span>";
}

// 1536 -> "1.5 KiB".
std::string Bytes(double n) {
  static const char* const kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int unit = 0;
  while (n >= 1024 && unit < 4) {
    n /= 1024;
    ++unit;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, unit == 0 ? "%.0f %s" : "%.1f %s", n, kUnits[unit]);
  return buf;
}

// A count cell, red when it counts failures.
std::string Cell(int64_t n, bool bad = false) {
  return std::string("<td class=\"num") + (bad && n > 0 ? " bad" : "") + "\">" + Num(n) + "</td>";
}

// A section with its heading; `body` is HTML.
std::string Section(const char* id, const char* title, const std::string& body) {
  return std::string("<section id=\"") + id + "\"><h2>" + title + "</h2>\n" + body + "</section>\n";
}

// A table that scrolls sideways on a narrow screen; `head` are the column titles.
std::string Table(std::initializer_list<const char*> head, const std::string& rows) {
  std::string out = "<div class=\"scroll\"><table><thead><tr>";
  for (const char* h : head) out += std::string("<th>") + h + "</th>";
  return out + "</tr></thead><tbody>\n" + rows + "</tbody></table></div>\n";
}

std::string Empty(const char* text) { return std::string("<p class=\"muted\">") + text + "</p>\n"; }

// --- sections ---

std::string Summary(const StatusView& v) {
  auto row = [](const char* key, const std::string& value) {
    return std::string("<tr><th>") + key + "</th><td>" + value + "</td></tr>\n";
  };
  std::string rows = row("version", Esc(v.version)) + row("pid", Num(v.pid)) +
                     row("uptime", Esc(ShortDuration(v.now - v.started_at))) +
                     row("started", When(v.started_at, v.now)) +
                     row("database", Esc(v.database_path) + " <span class=\"muted\">(" +
                                         (v.database_bytes < 0 ? std::string("size unknown")
                                                               : Bytes(v.database_bytes)) +
                                         ")</span>") +
                     row("jobs accepted", Num(v.accepted) + " since start");
  if (v.notifications) {
    const Service::OutboxInfo& n = *v.notifications;
    rows += row("notifications", Num(n.pending) + " pending, " + Num(n.delivered) + " delivered, " +
                                     "<span" + (n.failed_attempts > 0 ? " class=\"bad\"" : "") +
                                     ">" + Num(n.failed_attempts) + " failed attempts</span>, " +
                                     "<span" + (n.dropped > 0 ? " class=\"bad\"" : "") + ">" +
                                     Num(n.dropped) + " dropped</span>");
  }
  return Section(
      "summary", "Summary",
      "<div class=\"scroll\"><table class=\"kv\"><tbody>\n" + rows + "</tbody></table></div>\n");
}

std::string Queues(const StatusView& v) {
  if (v.types.empty()) return Section("queues", "Queues", Empty("No job types."));
  std::string rows;
  for (const StatusView::TypeRow& t : v.types) {
    std::string state = t.handler.empty() ? "not configured" : t.active ? "active" : "inactive";
    if (t.paused) state += ", <strong>paused</strong>";
    // The counts first: on a phone they are what shows without scrolling sideways.
    rows += "<tr><td><code>" + Esc(t.name) + "</code></td>" + Cell(t.counts.queued) +
            Cell(t.counts.running) + Cell(t.counts.failed, true) + Cell(t.counts.delayed) +
            Cell(t.counts.done) + Cell(t.counts.cancelled) + "<td>" + state + "</td>" +
            Cell(t.concurrent) + "<td>" + Esc(t.handler) + "</td></tr>\n";
  }
  return Section("queues", "Queues",
                 Table({"type", "queued", "running", "failed", "delayed", "done", "cancelled",
                        "state", "concurrent", "handler"},
                       rows));
}

std::string Running(const StatusView& v) {
  if (v.running.empty()) return Section("running", "Running", Empty("No job is running."));
  std::string rows;
  for (const Job& j : v.running) {
    rows += "<tr><td class=\"num\">" + Num(j.id) + "</td><td><code>" + Esc(j.type) +
            "</code></td><td class=\"args\"><code>" + Esc(j.args, kMaxArgsBytes) +
            "</code></td><td>" + When(j.started_at, v.now) + "</td><td class=\"num\">" +
            Num(j.attempts) + " of " + Num(j.max_attempts) + "</td></tr>\n";
  }
  return Section("running", "Running", Table({"job", "type", "args", "started", "attempt"}, rows));
}

std::string Failures(const StatusView& v) {
  if (v.failures.empty()) {
    return Section("failures", "Recent failures", Empty("No failed jobs."));
  }
  std::string rows;
  for (const Job& j : v.failures) {
    // The error gets a row of its own, as wide as the table: on a phone it starts on screen.
    rows += "<tr class=\"lead\"><td class=\"num\">" + Num(j.id) + "</td><td><code>" + Esc(j.type) +
            "</code></td><td class=\"args\"><code>" + Esc(j.args, kMaxArgsBytes) +
            "</code></td><td>" + When(j.finished_at, v.now) + "<br><span class=\"muted\">attempt " +
            Num(j.attempts) + " of " + Num(j.max_attempts) + "</span></td></tr>\n" +
            "<tr><td colspan=\"4\" class=\"error\"><pre class=\"bad\">" +
            Esc(j.error.empty() ? "(no error recorded)" : j.error, kMaxTextBytes) +
            "</pre></td></tr>\n";
  }
  return Section("failures", "Recent failures", Table({"job", "type", "args", "failed"}, rows));
}

std::string Schedules(const StatusView& v) {
  std::string rows;
  for (const StatusView::TypeRow& t : v.types) {
    if (t.schedule.empty()) continue;
    std::string next = t.next_fire ? When(*t.next_fire, v.now) : "<span class=\"muted\">-</span>";
    if (!t.active) next = "<span class=\"muted\">inactive</span>";
    if (t.paused) next += " <span class=\"muted\">(paused)</span>";
    rows += "<tr><td><code>" + Esc(t.name) + "</code></td><td><code>" + Esc(t.schedule) +
            "</code></td><td>" + next + "</td></tr>\n";
  }
  if (rows.empty()) return Section("schedules", "Schedules", Empty("No scheduled job types."));
  return Section("schedules", "Schedules", Table({"type", "schedule", "next fire"}, rows));
}

std::string QueuePass(const StatusView& v) {
  if (v.queue_pass_type.empty()) {
    return Section("queue-pass", "Queue manager",
                   Empty("No queue_manager job type is configured."));
  }
  std::string body = "<p>Job type <code>" + Esc(v.queue_pass_type) + "</code>: ";
  if (!v.queue_pass) return Section("queue-pass", "Queue manager", body + "no pass yet.</p>\n");
  const Job& j = *v.queue_pass;
  const bool failed = j.state == JobState::kFailed;
  body += std::string("last pass ") + "<span" + (failed ? " class=\"bad\"" : "") + ">" +
          JobStateName(j.state) + "</span> " + When(j.finished_at, v.now) + " (job " + Num(j.id) +
          ").</p>\n";
  if (failed) body += "<pre class=\"bad\">" + Esc(j.error, kMaxTextBytes) + "</pre>\n";
  if (!j.result.empty()) body += "<pre>" + Esc(j.result, kMaxTextBytes) + "</pre>\n";
  return Section("queue-pass", "Queue manager", body);
}

std::string Rate(int64_t rate, int64_t max) {
  return Bytes(static_cast<double>(rate)) + "/s <span class=\"muted\">(" +
         (max > 0 ? "max " + Bytes(static_cast<double>(max)) + "/s" : std::string("no limit")) +
         ")</span>";
}

std::string Rtorrent(const StatusView& v) {
  if (!v.rtorrent) return Section("rtorrent", "rTorrent", Empty("Not configured."));
  const jobs::RtorrentSample& r = *v.rtorrent;
  if (!r.up) {
    return Section(
        "rtorrent", "rTorrent",
        "<p><strong class=\"bad\">down</strong>: " + Esc(r.error, kMaxTextBytes) + "</p>\n");
  }
  auto row = [](const char* key, const std::string& value) {
    return std::string("<tr><th>") + key + "</th><td>" + value + "</td></tr>\n";
  };
  std::string rows = row("state", "<strong class=\"good\">up</strong>") +
                     row("version", Esc(r.client_version) + " <span class=\"muted\">(libtorrent " +
                                        Esc(r.library_version) + ")</span>") +
                     row("upload", Rate(r.up_rate, r.up_max)) +
                     row("download", Rate(r.down_rate, r.down_max));
  if (r.uptime_s >= 0) rows += row("uptime", Esc(ShortDuration(r.uptime_s * 1000)));
  char ms[32];
  std::snprintf(ms, sizeof ms, "%.0f ms", r.scrape_ms);
  rows += row("asked in", ms);
  std::string body =
      "<div class=\"scroll\"><table class=\"kv\"><tbody>\n" + rows + "</tbody></table></div>\n";
  if (!r.views.empty()) {
    std::string views;
    for (const auto& [name, size] : r.views) {
      views += "<tr><td><code>" + Esc(name) + "</code></td>" + Cell(size) + "</tr>\n";
    }
    body += "<h3>Views</h3>\n" + Table({"view", "items"}, views);
  }
  if (!r.trackers.empty()) {
    std::string trackers;
    for (const auto& [alias, t] : r.trackers) {
      trackers +=
          "<tr><td>" + Esc(alias) + "</td>" + Cell(t.amount) + Cell(t.errors, true) + "</tr>\n";
    }
    body += "<h3>Trackers</h3>\n" + Table({"tracker", "items", "with errors"}, trackers);
  }
  return Section("rtorrent", "rTorrent", body);
}

// --- chart ---

// Jobs finished (and failed) per minute as bars, one per minute of the window; the
// viewBox scales with the page, so the numbers are in its units.
std::string Chart(const StatusView& v) {
  constexpr int kW = 480, kH = 220, kLeft = 44, kRight = 8, kTop = 28, kBottom = 36;
  constexpr int kPlotW = kW - kLeft - kRight, kPlotH = kH - kTop - kBottom;
  const size_t n = v.per_minute.size();
  int64_t max = 0, total = 0, failed = 0;
  for (const StatusView::Minute& m : v.per_minute) {
    max = std::max(max, m.finished);
    total += m.finished;
    failed += m.failed;
  }
  const int hours = static_cast<int>((n + 59) / 60);
  const std::string window = n >= 60 ? Num(hours) + " h" : Num(static_cast<int64_t>(n)) + " min";
  auto fmt = [](double x) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.2f", x);
    return std::string(buf);
  };
  std::string svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 " + Num(kW) + " " +
                    Num(kH) + "\" role=\"img\" aria-labelledby=\"chart-title\">\n<title " +
                    "id=\"chart-title\">Jobs finished per minute over the last " + window + ": " +
                    Num(total) + " finished, " + Num(failed) + " failed</title>\n";
  // Axes, the top line at the busiest minute, the legend.
  const int y0 = kTop + kPlotH;
  svg += "<line class=\"axis\" x1=\"" + Num(kLeft) + "\" y1=\"" + Num(y0) + "\" x2=\"" +
         Num(kW - kRight) + "\" y2=\"" + Num(y0) + "\"/>\n";
  svg += "<line class=\"axis\" x1=\"" + Num(kLeft) + "\" y1=\"" + Num(kTop) + "\" x2=\"" +
         Num(kLeft) + "\" y2=\"" + Num(y0) + "\"/>\n";
  svg += "<line class=\"grid\" x1=\"" + Num(kLeft) + "\" y1=\"" + Num(kTop) + "\" x2=\"" +
         Num(kW - kRight) + "\" y2=\"" + Num(kTop) + "\"/>\n";
  svg += "<text class=\"label\" x=\"" + Num(kLeft - 6) + "\" y=\"" + Num(kTop + 5) +
         "\" text-anchor=\"end\">" + Num(max) + "</text>\n";
  svg += "<text class=\"label\" x=\"" + Num(kLeft - 6) + "\" y=\"" + Num(y0 + 5) +
         "\" text-anchor=\"end\">0</text>\n";
  svg += "<rect class=\"done\" x=\"" + Num(kLeft) + "\" y=\"6\" width=\"12\" height=\"12\"/>" +
         "<text class=\"label\" x=\"" + Num(kLeft + 18) + "\" y=\"17\">finished</text>\n" +
         "<rect class=\"fail\" x=\"" + Num(kLeft + 100) + "\" y=\"6\" width=\"12\" " +
         "height=\"12\"/><text class=\"label\" x=\"" + Num(kLeft + 118) +
         "\" y=\"17\">failed</text>\n" + "<text class=\"label\" x=\"" + Num(kW - kRight) +
         "\" y=\"17\" text-anchor=\"end\">per minute, last " + window + "</text>\n";
  if (n == 0 || max == 0) {
    svg += "<text class=\"label muted\" x=\"" + Num(kLeft + kPlotW / 2) + "\" y=\"" +
           Num(kTop + kPlotH / 2) + "\" text-anchor=\"middle\">no jobs finished in the last " +
           window + "</text>\n";
  }
  const double bar = n == 0 ? 0 : static_cast<double>(kPlotW) / static_cast<double>(n);
  // Time marks: every hour back from the end of the window, and at its start.
  for (size_t back = 0; n > 0 && back <= n; back += 60) {
    const double x = kLeft + bar * static_cast<double>(n - back);
    const std::string anchor = back == 0 ? "end" : back == n ? "start" : "middle";
    svg += "<line class=\"axis\" x1=\"" + fmt(x) + "\" y1=\"" + Num(y0) + "\" x2=\"" + fmt(x) +
           "\" y2=\"" + Num(y0 + 5) + "\"/><text class=\"label\" x=\"" + fmt(x) + "\" y=\"" +
           Num(y0 + 20) + "\" text-anchor=\"" + anchor + "\">" +
           (back == 0 ? std::string("now") : Num(static_cast<int64_t>(back / 60)) + " h ago") +
           "</text>\n";
  }
  for (size_t i = 0; i < n && max > 0; ++i) {
    const StatusView::Minute& m = v.per_minute[i];
    if (m.finished == 0 && m.failed == 0) continue;
    const double x = kLeft + bar * static_cast<double>(i);
    const double h = static_cast<double>(kPlotH) * static_cast<double>(m.finished) / max;
    const double hf = static_cast<double>(kPlotH) * static_cast<double>(m.failed) / max;
    const std::string title = "<title>" + IsoSeconds(m.start) + ": " + Num(m.finished) +
                              " finished, " + Num(m.failed) + " failed</title>";
    svg += "<g><rect class=\"done\" x=\"" + fmt(x) + "\" y=\"" + fmt(y0 - h) + "\" width=\"" +
           fmt(std::max(bar - 0.5, 1.0)) + "\" height=\"" + fmt(h) + "\"/>";
    if (m.failed > 0) {
      svg += "<rect class=\"fail\" x=\"" + fmt(x) + "\" y=\"" + fmt(y0 - hf) + "\" width=\"" +
             fmt(std::max(bar - 0.5, 1.0)) + "\" height=\"" + fmt(hf) + "\"/>";
    }
    svg += title + "</g>\n";
  }
  return Section("chart", "Jobs per minute", "<div class=\"chart\">" + svg + "</svg></div>\n");
}

constexpr const char* kStyle = R"(
:root{color-scheme:light dark;--fg:#1d2430;--muted:#6b7280;--line:#d9dde3;--bg:#fff;
--head:#f3f5f8;--bad:#b42318;--good:#1a7f37;--bar:#5b7fa6}
@media (prefers-color-scheme:dark){:root{--fg:#e3e6eb;--muted:#9aa3ae;--line:#3a404a;
--bg:#16191e;--head:#20242b;--bad:#f97066;--good:#4ac26b;--bar:#7fa2c9}}
*{box-sizing:border-box}
body{margin:0;font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;
font-size:15px;line-height:1.45;color:var(--fg);background:var(--bg)}
header{padding:.8rem 1rem;border-bottom:1px solid var(--line);background:var(--head)}
header h1{margin:0;font-size:1.2rem}
main{max-width:72rem;margin:0 auto;padding:0 1rem 2rem}
h2{font-size:1.05rem;margin:1.4rem 0 .5rem}
h3{font-size:.95rem;margin:.8rem 0 .4rem}
.scroll{overflow-x:auto;-webkit-overflow-scrolling:touch}
table{border-collapse:collapse;width:100%}
th,td{padding:.3rem .6rem;border-bottom:1px solid var(--line);text-align:left;
vertical-align:top}
th,time,td.num{white-space:nowrap}
tr.lead td{border-bottom:none;padding-bottom:0}
thead th{background:var(--head);font-weight:600}
table.kv th{font-weight:600;width:1%}
table.kv td{white-space:normal;overflow-wrap:anywhere}
td.num{text-align:right;font-variant-numeric:tabular-nums}
td.args{min-width:8rem}
code,pre{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.88em}
td.args code{word-break:break-all}
pre{margin:0;white-space:pre-wrap;word-break:break-word}
section>pre{padding:.5rem;background:var(--head);border-radius:4px;margin:.4rem 0}
.muted{color:var(--muted)}
.bad{color:var(--bad)}
.good{color:var(--good)}
.chart svg{width:100%;height:auto;display:block}
.chart .axis{stroke:var(--muted);stroke-width:1}
.chart .grid{stroke:var(--line);stroke-dasharray:4 3}
.chart .label{fill:var(--muted);font-size:14px}
.chart .done{fill:var(--bar)}
.chart .fail{fill:var(--bad)}
)";

}  // namespace

Result<StatusView> GatherStatus(const StatusSources& sources,
                                std::optional<jobs::RtorrentSample> rtorrent) {
  Store& store = *sources.store;
  StatusView v;
  v.now = sources.clock->Now();
  v.version = TORQUE_VERSION;
  v.pid = static_cast<int64_t>(getpid());
  v.started_at = sources.started_at;
  v.database_path = sources.database_path;
  if (auto size = store.SizeBytes(); size.ok()) v.database_bytes = *size;
  v.accepted = sources.intake->accepted();

  auto counts = store.Counts(v.now);
  if (!counts.ok()) return counts.status();
  auto config = sources.intake->config();
  for (const auto& [name, t] : config->types) {
    StatusView::TypeRow row;
    row.name = name;
    row.handler = t.handler;
    row.active = t.active;
    row.concurrent = t.concurrent;
    row.paused = sources.dispatcher->Runtime(name).paused;
    row.schedule = t.schedule;
    if (!t.schedule.empty() && t.active && sources.next_fire)
      row.next_fire = sources.next_fire(name);
    row.counts.type = name;
    v.types.push_back(std::move(row));
  }
  for (const TypeCounts& c : *counts) {
    auto it = std::find_if(v.types.begin(), v.types.end(),
                           [&](const StatusView::TypeRow& r) { return r.name == c.type; });
    if (it == v.types.end()) {  // jobs of a type removed from the configuration
      StatusView::TypeRow row;
      row.name = c.type;
      row.active = false;
      it = v.types.insert(
          std::upper_bound(v.types.begin(), v.types.end(), row,
                           [](const auto& a, const auto& b) { return a.name < b.name; }),
          std::move(row));
    }
    it->counts = c;
  }

  auto running = ListState(store, JobState::kRunning, StatusView::kMaxRunning);
  if (!running.ok()) return running.status();
  v.running = std::move(*running);
  std::stable_sort(v.running.begin(), v.running.end(),
                   [](const Job& a, const Job& b) { return a.started_at < b.started_at; });
  auto failures = ListState(store, JobState::kFailed, StatusView::kMaxFailures);
  if (!failures.ok()) return failures.status();
  v.failures = std::move(*failures);
  std::stable_sort(v.failures.begin(), v.failures.end(),
                   [](const Job& a, const Job& b) { return a.finished_at > b.finished_at; });

  for (const auto& [name, t] : config->types) {
    if (t.handler == "queue_manager" && (v.queue_pass_type.empty() || t.active)) {
      v.queue_pass_type = name;
      if (t.active) break;  // the first active one, else the first one
    }
  }
  if (!v.queue_pass_type.empty()) {
    auto last = LastRun(store, v.queue_pass_type);
    if (!last.ok()) return last.status();
    v.queue_pass = std::move(*last);
  }
  if (sources.outbox) v.notifications = sources.outbox();

  const TimeMs first = (v.now / kMinute - (StatusView::kChartMinutes - 1)) * kMinute;
  auto minutes = store.FinishedPerMinute(first);
  if (!minutes.ok()) return minutes.status();
  v.per_minute.resize(StatusView::kChartMinutes);
  for (int i = 0; i < StatusView::kChartMinutes; ++i) v.per_minute[i].start = first + i * kMinute;
  for (const MinuteActivity& m : *minutes) {
    const TimeMs i = (m.minute - first) / kMinute;
    if (i < 0 || i >= StatusView::kChartMinutes) continue;  // finished "in the future"
    v.per_minute[i].finished = m.finished;
    v.per_minute[i].failed = m.failed;
  }
  v.rtorrent = std::move(rtorrent);
  return v;
}

std::string RenderStatusPage(const StatusView& view, int refresh_s) {
  std::string page =
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
  if (refresh_s > 0) {
    page += "<meta http-equiv=\"refresh\" content=\"" + Num(refresh_s) + "\">\n";
  }
  page += "<title>torqued status</title>\n<style>" + std::string(kStyle) + "</style>\n</head>\n" +
          "<body>\n<header><h1>torqued status</h1><div class=\"muted\">as of " +
          IsoSeconds(view.now) + "</div></header>\n<main>\n";
  page += Summary(view) + Queues(view) + Running(view) + Failures(view) + Chart(view) +
          Schedules(view) + QueuePass(view) + Rtorrent(view);
  return page + "</main>\n</body>\n</html>\n";
}

}  // namespace torque::server
