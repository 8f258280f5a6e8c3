#include "bench/report.h"

#include <sqlite3.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <functional>
#include <optional>
#include <ostream>
#include <sstream>
#include <vector>

namespace torque::bench {
namespace {

// The first three columns; the fourth, "raw", holds each row's own reference (raw SQLite,
// or the machine spawning processes itself).
const char* const kSystems[] = {"torque", "beanstalkd", "redis"};
constexpr size_t kNumSystems = 3;

// A target: torque's figure compared with a bound or with another system's figure.
struct Check {
  std::string text;  // how the ratio column names it, e.g. "vs redis >= 1.00x"
  // Returns {ratio/value text, passed}; nullopt when a figure is missing.
  std::function<std::optional<std::pair<std::string, bool>>()> eval;
};

// One line of the table: a figure of every system.
struct Row {
  std::string label;
  std::string workload;
  std::string metric;
  int decimals = 0;
  std::vector<Check> checks;   // empty: the row is for information
  std::string note;            // ratio column text for information rows
  std::string raw = "sqlite";  // the system whose figure the "raw" column shows
};

std::string Format(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

// Looks figures up and builds the target checks over them.
class Table {
 public:
  explicit Table(const Results& r) : r_(r) {}

  std::optional<double> Get(const std::string& w, const std::string& s,
                            const std::string& m) const {
    auto it = r_.find({w, s, m});
    if (it == r_.end() || !std::isfinite(it->second)) return std::nullopt;
    return it->second;
  }

  // torque / other >= min_ratio.
  Check Ratio(const std::string& w, const std::string& m, const std::string& other,
              double min_ratio, const std::string& name) const {
    return {"", [=, this]() -> std::optional<std::pair<std::string, bool>> {
              auto t = Get(w, "torque", m);
              auto o = Get(w, other, m);
              if (!t || !o || *o <= 0) return std::nullopt;
              const double ratio = *t / *o;
              return std::make_pair(
                  Format(ratio, 2) + "x " + name + " (>= " + Format(min_ratio, 2) + "x)",
                  ratio >= min_ratio);
            }};
  }

  // torque's figure of `m` <= its figure of `other_m` + `plus` (a latency over a baseline).
  Check AtMostPlus(const std::string& w, const std::string& m, const std::string& other_m,
                   double plus, const std::string& name) const {
    return {"", [=, this]() -> std::optional<std::pair<std::string, bool>> {
              auto t = Get(w, "torque", m);
              auto o = Get(w, "torque", other_m);
              if (!t || !o) return std::nullopt;
              const double over = *t - *o;
              return std::make_pair((over >= 0 ? "+" : "") + Format(over, 2) + " ms over " + name +
                                        " (<= +" + Format(plus, 2) + ")",
                                    *t <= *o + plus);
            }};
  }

  // torque's figure < bound.
  Check Below(const std::string& w, const std::string& m, double bound,
              const std::string& unit) const {
    return {"", [=, this]() -> std::optional<std::pair<std::string, bool>> {
              auto t = Get(w, "torque", m);
              if (!t) return std::nullopt;
              return std::make_pair("< " + Format(bound, bound < 10 ? 1 : 0) + " " + unit,
                                    *t < bound);
            }};
  }

 private:
  const Results& r_;
};

}  // namespace

Result<Results> ReadResults(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Status::NotFound("cannot read " + path);
  std::map<Results::key_type, std::vector<double>> all;
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream words(line);
    std::string tag, w, s, m;
    double v = 0;
    if (words >> tag >> w >> s >> m >> v && tag == "RESULT") all[{w, s, m}].push_back(v);
  }
  Results results;
  for (auto& [key, values] : all) {
    std::sort(values.begin(), values.end());
    const size_t n = values.size();
    results[key] = n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
  }
  return results;
}

int PrintReport(const Results& results, std::ostream& out) {
  Table t(results);
  // "1M", "100k": how many jobs the memory workload queued.
  std::string queued = "N";
  if (auto jobs = t.Get("load", "torque", "jobs")) {
    queued = *jobs >= 1e6 ? Format(*jobs / 1e6, 0) + "M" : Format(*jobs / 1e3, 0) + "k";
  }
  const std::vector<Row> rows = {
      {"durable submits/s, 1 conn, serial",
       "submit1",
       "rate",
       0,
       {t.Ratio("submit1", "rate", "redis", 1.0, "redis")},
       ""},
      {"  disk bytes written per job",
       "submit1",
       "bytes_per_job",
       0,
       {},
       "/proc/PID/io write_bytes"},
      {"durable submits/s, 8 conns, serial",
       "submit8",
       "rate",
       0,
       {t.Ratio("submit8", "rate", "redis", 1.0, "redis"),
        t.Ratio("submit8", "rate", "beanstalkd", 5.0, "beanstalkd")},
       ""},
      {"  disk bytes written per job", "submit8", "bytes_per_job", 0, {}, ""},
      {"durable submits/s, 1 conn, pipelined 100",
       "pipe100",
       "rate",
       0,
       {t.Ratio("pipe100", "rate", "sqlite", 0.30, "sqlite")},
       ""},
      {"no-op exec jobs/s end to end, 4 workers",
       "e2e",
       "rate",
       0,
       {t.Ratio("e2e", "rate", "spawn", 0.70, "raw spawn")},
       "",
       "spawn"},
      {"in-process no-op jobs/s, 4 workers",
       "e2e_inproc",
       "rate",
       0,
       {t.Ratio("e2e_inproc", "rate", "beanstalkd", 2.0, "beanstalkd")},
       ""},
      {"submit->start p50 ms",
       "latency",
       "total_p50_ms",
       2,
       {t.Below("latency", "total_p50_ms", 1.0, "ms")},
       ""},
      {"submit->start p99 ms", "latency", "total_p99_ms", 2, {}, ""},
      {"  send->ACK (durable commit) p50 ms", "latency", "ack_p50_ms", 2, {}, ""},
      {"  ACK->job process running p50 ms",
       "latency",
       "ack_to_start_p50_ms",
       2,
       {t.AtMostPlus("latency", "ack_to_start_p50_ms", "spawn_p50_ms", 0.3, "spawn")},
       ""},
      {"  torqued received->claimed, mean ms",
       "latency",
       "claim_mean_ms",
       2,
       {},
       "created_at/started_at"},
      {"  job command spawned directly p50 ms",
       "latency",
       "spawn_p50_ms",
       2,
       {},
       "posix_spawn alone, no torqued"},
      {"CLI ping wall time p50 ms",
       "cli_ping",
       "p50_ms",
       2,
       {t.Below("cli_ping", "p50_ms", 3.0, "ms")},
       ""},
      {"CLI ping wall time p99 ms", "cli_ping", "p99_ms", 2, {}, "torque-cli / redis-cli"},
      {"CLI submit wall time p50 ms", "cli_submit", "p50_ms", 2, {}, "redis-cli LPUSH"},
      {"  `true` wall time p50 ms", "cli_true", "p50_ms", 2, {}, "starting any process"},
      {"peak RSS MB, " + queued + " queued jobs",
       "load",
       "hwm_mb",
       1,
       {t.Below("load", "hwm_mb", 64, "MB")},
       ""},
      {"RSS MB after " + queued + " submissions", "load", "rss_mb", 1, {}, ""},
      {"STATS with " + queued + " queued, p50 ms",
       "stats_q",
       "p50_ms",
       2,
       {t.Below("stats_q", "p50_ms", 5.0, "ms")},
       ""},
      {"TYPES with " + queued + " queued, p50 ms",
       "types_q",
       "p50_ms",
       2,
       {t.Below("types_q", "p50_ms", 5.0, "ms")},
       ""},
      {"torque-cli stats with " + queued + " queued, ms",
       "stats",
       "ms",
       0,
       {},
       "wall time, process start included"},
      {"  peak RSS MB after that", "stats", "hwm_mb", 1, {}, ""},
      {"on-disk MB with " + queued + " queued jobs", "load", "disk_mb", 1, {}, ""},
      {queued + " load: submits/s", "load", "rate", 0, {}, "4 conns x pipelined 250"},
      {"restart with " + queued + " queued: s to ready", "restart", "seconds", 2, {}, ""},
      {"restart with " + queued + " queued: RSS MB", "restart", "rss_mb", 1, {}, ""},
  };

  std::vector<std::vector<std::string>> cells;
  cells.push_back({"workload", "torque", "beanstalkd", "redis", "raw", "ratio/target", "verdict"});
  int missed = 0;
  for (const Row& row : rows) {
    std::vector<std::string> line = {row.label};
    for (size_t i = 0; i < kNumSystems; ++i) {
      auto v = t.Get(row.workload, kSystems[i], row.metric);
      line.push_back(v ? Format(*v, row.decimals) : "-");
    }
    auto raw = t.Get(row.workload, row.raw, row.metric);
    line.push_back(raw ? Format(*raw, row.decimals) : "-");
    if (row.checks.empty()) {
      line.push_back(row.note);
      line.push_back("info");
      cells.push_back(line);
      continue;
    }
    for (size_t c = 0; c < row.checks.size(); ++c) {
      if (c > 0) line = {"", "", "", "", ""};
      auto verdict = row.checks[c].eval();
      if (!verdict) {
        line.push_back("(figures missing)");
        line.push_back("MISS");
        ++missed;
      } else {
        line.push_back(verdict->first);
        line.push_back(verdict->second ? "PASS" : "MISS");
        if (!verdict->second) ++missed;
      }
      cells.push_back(line);
    }
  }

  std::vector<size_t> width(cells.front().size(), 0);
  for (const auto& line : cells) {
    for (size_t i = 0; i < line.size(); ++i) width[i] = std::max(width[i], line[i].size());
  }
  auto print = [&](const std::vector<std::string>& line) {
    std::string text;
    for (size_t i = 0; i < line.size(); ++i) {
      const bool left = i == 0 || i >= 5;
      const size_t pad = width[i] - line[i].size();
      if (i > 0) text += " | ";
      if (!left) text.append(pad, ' ');
      text += line[i];
      if (left && i + 1 < line.size()) text.append(pad, ' ');
    }
    out << text << '\n';
  };
  print(cells.front());
  std::string rule;
  for (size_t i = 0; i < width.size(); ++i) {
    if (i > 0) rule += "-|-";
    rule.append(width[i], '-');
  }
  out << rule << '\n';
  for (size_t i = 1; i < cells.size(); ++i) print(cells[i]);

  if (auto fsync = t.Get("env", "disk", "fsync_per_s")) {
    out << "\ndisk: " << Format(*fsync, 0) << " fdatasync/s on the benchmark directory ("
        << Format(1000.0 / *fsync, 2) << " ms per durable commit; serial durable rates and "
        << "latencies cannot beat this)\n";
  }
  out << "raw: submits: libsqlite3 " << sqlite3_libversion()
      << ", torque's schema and INSERT, WAL, synchronous=FULL; exec jobs: 4 threads doing "
         "posix_spawn + waitpid of `true`\n";
  return missed;
}

}  // namespace torque::bench
