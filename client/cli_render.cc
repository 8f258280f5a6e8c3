#include "client/cli_render.h"

#include <algorithm>
#include <cstdio>
#include <cstddef>
#include <ctime>
#include <ostream>
#include <utility>

#include "core/duration.h"
#include "core/protocol.h"

namespace torque::client {

using nlohmann::json;

namespace {

// Widest ARGS column in `list`.
constexpr std::size_t kMaxArgsColumn = 50;

// A record time (FormatTimeUtc string) in local time.
std::string LocalTime(const json& v) {
  if (!v.is_string()) return Text(v);
  auto t = ParseTime(v.get<std::string>());
  if (!t.ok()) return v.get<std::string>();
  std::time_t secs = static_cast<std::time_t>(*t / 1000);
  std::tm tm{};
  localtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S", &tm);
  return buf;
}

// Seconds (a JSON number) as a short duration.
std::string Seconds(const json& v) {
  if (!v.is_number()) return Text(v);
  return ShortDuration(static_cast<int64_t>(v.get<double>() * 1000 + 0.5));
}

// A millisecond count as a short duration ("1.2s", "340ms"); "-" for null.
std::string Millis(const json& v) {
  if (!v.is_number()) return Text(v);
  return ShortDuration(static_cast<int64_t>(v.get<double>() + 0.5));
}

// A number with `decimals` digits after the point; "-" for null.
std::string Number(const json& v, int decimals) {
  if (!v.is_number()) return Text(v);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v.get<double>());
  return buf;
}

std::size_t DisplayWidth(const std::string& s) {
  return std::count_if(s.begin(), s.end(), [](char c) { return (c & 0xC0) != 0x80; });
}

std::string Truncate(const std::string& s, std::size_t max) {
  if (DisplayWidth(s) <= max) return s;
  std::size_t n = 0, chars = 0;
  while (n < s.size() && chars < max - 3) {
    ++n;
    while (n < s.size() && (s[n] & 0xC0) == 0x80) ++n;
    ++chars;
  }
  return s.substr(0, n) + "...";
}

}  // namespace

const char kUsage[] = R"(Usage: torque-cli [OPTIONS] [SUBMIT-OPTIONS] NAME [ARGS...]
       torque-cli [OPTIONS] COMMAND [ARGS...]

Submits a job of type NAME; everything after NAME is passed on as the job's
arguments (quoted so that word boundaries survive), and its id is printed.

Submit options (also after the word 'submit'):
  --priority N       -1000000..1000000, higher runs first
  --delay D          start no sooner than D from now (90, 30s, 5m, 1h30m)
  --at TIME          start no sooner than TIME (2030-01-31T12:00:00Z,
                     '2030-01-31 12:00' in local time, or epoch seconds)
  --unique KEY       no second queued or running job with this key
  --retries N        extra attempts after a failure (0..1000)
  --job-timeout D    stop the job after it ran for D
  --wait             wait until the job is finished and print its result
  --timeout D        with --wait: give up after D

Commands:
  status ID...                 show jobs
  wait ID [--timeout D]        wait until a job is finished, print its result
  cancel ID...                 cancel jobs (a running job is stopped)
  retry ID...                  queue failed or cancelled jobs again
  list [--type T] [--state S] [--limit N] [--before ID]
                               list jobs, newest first (S: queued, running,
                               done, failed, cancelled; N: 1..10000)
  stats                        daemon and queue statistics
  types                        configured job types
  pause TYPE, resume TYPE      stop or restart starting jobs of TYPE
  ping                         check that torqued answers
  version                      client and daemon versions
  help                         this text
  rt [RT-OPTIONS] CONDITION... list rTorrent's items that match an rtcontrol
                               condition (none: all), e.g. rt prio=3,
                               rt is_complete=no 'name=*foo bar*' 'size>1g'

rt options (torque-cli asks rTorrent itself; torqued need not run; options and
condition words may be mixed, '--' ends the options; after rt, -s is --sort):
      --url URL      rTorrent's SCGI URL (scgi:///path/to/socket,
                     scgi://host:port); default: [rtorrent] url of the config
                     file, else the socket [rtorrent] rtorrent_rc opens
                     (network.scgi.open_local; default ~/.rtorrent.rc)
      --view VIEW    the rTorrent view to search (default: main)
  -s, --sort FIELDS  order, e.g. -prio,name ('-': descending; default: name)
  -o, --fields FIELDS
                     columns, e.g. name,size,prio (default: name and the
                     fields the condition and --sort use)
      --json         a JSON array of objects with the raw values instead
      --stats        print matches, time and round trips to stderr
      --no-prefilter let rTorrent return every item (no d.multicall.filtered)
      --help-fields  list the field names
  actions on every matching item, in one request (they need a condition):
      --start, --stop  open and start / stop and close
      --prio N       priority 0 (off), 1 (low), 2 (normal), 3 (high)
      --custom KEY=VALUE
                     set d.custom KEY (1-5: custom1-custom5); repeatable
      --tag WORD, --untag WORD
                     add / remove tags (the `tagged` field, d.custom=tags;
                     blanks or commas separate several); repeatable
      --erase        remove the items from rTorrent (alone; data stays)
      --dry-run      print what the actions would do; change nothing
  rt exits 0 when an item matched, 1 when none did (like grep), 64 for a bad
  option, field or condition, 65 when rTorrent refuses the query (e.g. an
  unknown view), 69 when rTorrent cannot be reached, 78 when no rTorrent URL
  is configured or the config file cannot be used.

Options:
  -s, --socket PATH  torqued's socket (default: $TORQUE_SOCKET, else the
                     config file's [server] socket)
  -c, --config FILE  the config file to read the socket path (rt: the
                     [rtorrent] section) from
      --json         print records as JSON
  -q, --quiet        print no ids, results, confirmations or rt items
  -h, --help         this text
      --version      print torque-cli's version

Exit status: 0 ok (wait: the job is done), 1 the job failed or was cancelled,
64 usage error, 65 torqued answered ERR, 69 torqued unreachable,
70 internal error, 75 the wait timed out.
)";

std::string Text(const json& v) {
  if (v.is_null()) return "-";
  if (v.is_string()) return v.get<std::string>();
  if (v.is_boolean()) return v.get<bool>() ? "yes" : "no";
  return v.dump(-1, ' ', false, json::error_handler_t::replace);
}

const json& Field(const json& j, const char* key) {
  static const json kNull;
  if (!j.is_object()) return kNull;
  auto it = j.find(key);
  return it == j.end() ? kNull : *it;
}

std::string Str(const json& j, const char* key) {
  const json& v = Field(j, key);
  return v.is_string() ? v.get<std::string>() : std::string();
}

bool Flag(const json& j, const char* key, bool fallback) {
  const json& v = Field(j, key);
  return v.is_boolean() ? v.get<bool>() : fallback;
}

Table::Table(std::vector<std::string> header, std::vector<bool> numeric)
    : numeric_(std::move(numeric)) {
  rows_.push_back(std::move(header));
}

void Table::Add(std::vector<std::string> row) { rows_.push_back(std::move(row)); }

void Table::Print(std::ostream& out) const {
  std::vector<std::size_t> width(rows_[0].size(), 0);
  for (const auto& row : rows_) {
    for (std::size_t c = 0; c < row.size(); ++c)
      width[c] = std::max(width[c], DisplayWidth(row[c]));
  }
  for (const auto& row : rows_) {
    std::string line;
    for (std::size_t c = 0; c < row.size(); ++c) {
      std::string pad(width[c] - DisplayWidth(row[c]), ' ');
      if (c > 0) line += "  ";
      line += numeric_[c] ? pad + row[c] : (c + 1 < row.size() ? row[c] + pad : row[c]);
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out << line << '\n';
  }
}

void PrintRecord(std::ostream& out, const json& job) {
  std::vector<std::pair<std::string, std::string>> lines;
  auto add = [&](const std::string& key, std::string value) { lines.emplace_back(key, value); };
  for (const char* key : {"id", "type", "args", "state", "priority"})
    add(key, Text(Field(job, key)));
  add("attempts", Text(Field(job, "attempts")) + "/" + Text(Field(job, "max_attempts")));
  for (const char* key : {"run_at", "created_at", "started_at", "finished_at"}) {
    add(key, LocalTime(Field(job, key)));
  }
  add("duration", Seconds(Field(job, "duration")));
  add("timeout", Seconds(Field(job, "timeout")));
  add("unique_key", Text(Field(job, "unique_key")));
  if (Flag(job, "cancel_requested")) add("cancel_requested", "yes");
  for (const char* key : {"error", "result"}) {
    std::string v = Str(job, key);
    if (!v.empty() && v.back() == '\n') v.pop_back();
    if (!v.empty()) add(key, v);
  }
  std::size_t width = 0;
  for (const auto& [k, v] : lines) width = std::max(width, k.size() + 2);
  for (const auto& [k, v] : lines) {
    std::string value;
    for (char c : v) value += c == '\n' ? "\n" + std::string(width, ' ') : std::string(1, c);
    out << k << ':' << std::string(width - k.size() - 1, ' ') << value << '\n';
  }
}

void PrintJobTable(std::ostream& out, const json& jobs) {
  if (jobs.empty()) {
    out << "no jobs\n";
    return;
  }
  Table t({"ID", "TYPE", "STATE", "TRIES", "CREATED", "TOOK", "ARGS"},
          {true, false, false, true, false, true, false});
  for (const json& j : jobs) {
    t.Add({Text(Field(j, "id")), Text(Field(j, "type")), Text(Field(j, "state")),
           Text(Field(j, "attempts")) + "/" + Text(Field(j, "max_attempts")),
           LocalTime(Field(j, "created_at")), Seconds(Field(j, "duration")),
           Truncate(Str(j, "args"), kMaxArgsColumn)});
  }
  t.Print(out);
}

void PrintStats(std::ostream& out, const json& s) {
  out << "torqued " << Text(Field(s, "version")) << ", protocol " << Text(Field(s, "protocol"))
      << ", pid " << Text(Field(s, "pid")) << ", up " << Seconds(Field(s, "uptime")) << '\n';
  const json& db = Field(s, "database");
  out << "database " << Text(Field(db, "path")) << " (" << Text(Field(db, "size_bytes"))
      << " bytes)\n";
  const json& totals = Field(s, "totals");
  out << "jobs submitted " << Text(Field(totals, "submitted")) << ", finished "
      << Text(Field(totals, "finished")) << " since start";
  if (Field(totals, "recent_per_minute").is_number()) {
    out << "; " << Number(Field(totals, "recent_per_minute"), 1) << "/min over the last "
        << Seconds(Field(totals, "recent_window_s"));
  }
  out << '\n';
  const json& notify = Field(s, "notifications");
  if (notify.is_object()) {
    out << "notifications pending " << Text(Field(notify, "pending")) << ", delivered "
        << Text(Field(notify, "delivered")) << ", failed attempts "
        << Text(Field(notify, "failed_attempts")) << ", dropped " << Text(Field(notify, "dropped"))
        << '\n';
  }
  const json& nodes = Field(s, "nodes");
  if (nodes.is_array() && nodes.size() > 1) {  // one node: the line above says it all
    out << '\n';
    Table n({"NODE", "NAME", "RUNNING", "HEARTBEAT"}, {true, false, true, true});
    for (const json& node : nodes) {
      n.Add({Text(Field(node, "id")) + (Flag(node, "this") ? "*" : ""), Text(Field(node, "name")),
             Text(Field(node, "running")), Seconds(Field(node, "heartbeat_age_s")) + " ago"});
    }
    n.Print(out);
  }
  const json& types = Field(s, "types");
  if (!types.is_array() || types.empty()) return;
  out << '\n';
  Table t({"TYPE", "QUEUED", "DELAYED", "RUNNING", "DONE", "FAILED", "CANCELLED", "PAUSED",
           "PER_MIN", "WAIT_AVG", "WAIT_MAX", "RUN_AVG"},
          {false, true, true, true, true, true, true, false, true, true, true, true});
  for (const json& ty : types) {
    std::vector<std::string> row = {Text(Field(ty, "type"))};
    for (const char* k :
         {"queued", "delayed", "running", "done", "failed", "cancelled", "paused"}) {
      row.push_back(Text(Field(ty, k)));
    }
    const json& recent = Field(ty, "recent");
    row.push_back(Number(Field(recent, "per_minute"), 1));
    for (const char* k : {"wait_ms_avg", "wait_ms_max", "run_ms_avg"}) {
      row.push_back(Millis(Field(recent, k)));
    }
    t.Add(std::move(row));
  }
  t.Print(out);
}

void PrintTypes(std::ostream& out, const json& types) {
  Table t({"NAME", "HANDLER", "STATE", "WORKERS", "RUNNING", "QUEUED", "SCHEDULE", "NEXT",
           "ALIASES"},
          {false, false, false, true, true, true, false, false, false});
  for (const json& ty : types) {
    std::string state = !Flag(ty, "active", true) ? "disabled"
                        : Flag(ty, "paused")      ? "paused"
                                                  : "active";
    std::string aliases;
    for (const json& a : Field(ty, "aliases")) {
      aliases += (aliases.empty() ? "" : ",") + Text(a);
    }
    t.Add({Text(Field(ty, "name")), Text(Field(ty, "handler")), state,
           Text(Field(ty, "concurrent")), Text(Field(ty, "running")), Text(Field(ty, "queued")),
           Text(Field(ty, "schedule")), Text(Field(ty, "next_fire")),
           aliases.empty() ? "-" : aliases});
  }
  t.Print(out);
}

void PrintJobState(std::ostream& out, const json& job) {
  std::string state = Text(Field(job, "state"));
  if (Flag(job, "cancel_requested") && state == "running") state = "cancelling";
  out << "job " << Text(Field(job, "id")) << ": " << state << '\n';
}

void PrintPauseState(std::ostream& out, const json& j) {
  out << Text(Field(j, "type")) << ": " << (Flag(j, "paused") ? "paused" : "resumed") << '\n';
}

std::string ClientVersion() {
  return std::string("torque-cli ") + TORQUE_VERSION + " (protocol " +
         std::to_string(protocol::kVersion) + ")";
}

void PrintVersions(std::ostream& out, const json& v) {
  out << ClientVersion() << '\n'
      << "torqued " << Text(Field(v, "version")) << " (protocol " << Text(Field(v, "protocol"))
      << ")\n";
}

}  // namespace torque::client
