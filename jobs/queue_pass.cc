#include "jobs/queue_pass.h"

#include <algorithm>
#include <map>

#include "core/utf8.h"
#include "jobs/rtorrent/field_format.h"

namespace torque::jobs {
namespace {

using rtorrent::Item;

int64_t Number(const Item& item, const rtorrent::Field& field) {
  rtorrent::FieldValue v = item.Get(field);
  if (const int64_t* n = std::get_if<int64_t>(&v)) return *n;
  if (const double* d = std::get_if<double>(&v)) return static_cast<int64_t>(*d);
  return 0;
}

std::string Plural(int64_t n, const char* one, const char* many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

std::string Seconds(DurationMs ms) { return std::to_string(ms / 1000) + " s"; }

}  // namespace

const char* QueueVerdictName(QueueVerdict v) {
  switch (v) {
    case QueueVerdict::kNotStartable:
      return "not startable";
    case QueueVerdict::kIntermission:
      return "intermission";
    case QueueVerdict::kTraffic:
      return "traffic";
    case QueueVerdict::kMaxReached:
      return "downloading_max";
    case QueueVerdict::kAtOnce:
      return "start_at_once";
    case QueueVerdict::kLabelMax:
      return "max_per_label";
    case QueueVerdict::kTrackerMax:
      return "max_per_tracker";
  }
  return "?";
}

std::string FieldText(const Item& item, const rtorrent::Field& field) {
  rtorrent::FieldValue v = item.Get(field);
  const std::string* s = std::get_if<std::string>(&v);
  return s ? *s : "";
}

std::string StartedLogLine(const QueueSettings& s, const Item& item) {
  return "QueueManager: Started '" + FieldText(item, s.name_field) + "' {" +
         FieldText(item, s.alias_field) + "}";
}

std::string DescribeItem(const QueueSettings& s, const Item& item) {
  return "'" + FieldText(item, s.name_field) + "' [" + FieldText(item, s.alias_field) + ", #" +
         AsciiUpper(item.hash()) + "]";
}

QueuePlan PlanQueuePass(const QueueSettings& s, const std::vector<Item>& items, TimeMs now,
                        TimeMs last_start, size_t max_decisions) {
  const rtorrent::TimeSec now_s = now / 1000;
  QueuePlan plan;
  plan.fetched = static_cast<int>(items.size());
  plan.last_start = last_start;

  std::vector<const Item*> startable;
  std::vector<const Item*> others;  // stopped, incomplete, not startable
  std::vector<const Item*> downloading;
  for (const Item& item : items) {
    if (s.startable.Match(item, now_s)) {
      startable.push_back(&item);
    } else if (s.candidates.Match(item, now_s)) {
      others.push_back(&item);
    }
    if (s.downloading.Match(item, now_s)) downloading.push_back(&item);
  }
  s.sort.Sort(startable);
  s.sort.Sort(others);
  plan.startable = static_cast<int>(startable.size());
  plan.downloading = static_cast<int>(downloading.size());
  for (const Item* d : downloading) plan.traffic += Number(*d, s.down_field);

  // Records that `item` was not started, or only counts it beyond the limit.
  const auto decide = [&](const Item* item, QueueVerdict verdict, auto&& detail) {
    if (plan.decisions.size() < max_decisions) {
      plan.decisions.push_back({item, verdict, detail()});
    } else {
      ++plan.more[QueueVerdictName(verdict)];
    }
  };
  // Marks the startable items from `from` on as not started for `verdict`.
  const auto rest = [&](size_t from, QueueVerdict verdict, const std::string& detail) {
    for (size_t i = from; i < startable.size(); ++i) {
      decide(startable[i], verdict, [&] { return detail; });
    }
  };
  const auto explain_others = [&] {
    for (const Item* item : others) {
      decide(item, QueueVerdict::kNotStartable, [&] { return s.startable.Explain(*item, now_s); });
    }
  };
  if (startable.empty()) {
    explain_others();
    return plan;
  }

  if (now < plan.last_start) {
    plan.last_start = now;
    plan.clock_went_back = true;
  }
  // pyrocore: delayed = int(last_start + intermission - now); start only when it is not > 0.
  const DurationMs left = plan.last_start + s.intermission - now;
  if (left >= 1000) {
    const std::string detail =
        "intermission: " + Seconds(left) + " left of " + Seconds(s.intermission);
    plan.blocked = detail;
    rest(0, QueueVerdict::kIntermission, detail);
    explain_others();
    return plan;
  }
  if (s.downloading_traffic_max > 0 && plan.traffic > s.downloading_traffic_max) {
    const std::string detail =
        "the downloading items receive " + rtorrent::HumanSize(plan.traffic) +
        "/s, over downloading_traffic_max " + rtorrent::HumanSize(s.downloading_traffic_max) + "/s";
    plan.blocked = detail;
    rest(0, QueueVerdict::kTraffic, detail);
    explain_others();
    return plan;
  }

  int count = plan.downloading;
  const int start_now = std::max(s.start_at_once, s.downloading_min - count);
  // The optional limits in effect, each counting the downloading items by its key.
  struct KeyLimit {
    QueueVerdict verdict;
    const char* setting;   // "max_per_label"
    const char* key_name;  // "label"
    const rtorrent::Field* field;
    int (QueueSettings::*limit)(const std::string& key) const;
    std::map<std::string, int> count;
  };
  std::vector<KeyLimit> limits;
  if (s.HasLabelLimits()) {
    limits.push_back({QueueVerdict::kLabelMax,
                      "max_per_label",
                      "label",
                      &s.label_field,
                      &QueueSettings::LabelLimit,
                      {}});
  }
  if (s.HasTrackerLimits()) {
    limits.push_back({QueueVerdict::kTrackerMax,
                      "max_per_tracker",
                      "tracker",
                      &s.alias_field,
                      &QueueSettings::TrackerLimit,
                      {}});
  }
  for (KeyLimit& l : limits) {
    for (const Item* d : downloading) ++l.count[FieldText(*d, *l.field)];
  }
  int started = 0;
  for (size_t i = 0; i < startable.size(); ++i) {
    const Item* item = startable[i];
    if (started >= start_now) {
      std::string detail = "only " + Plural(start_now, "start", "starts") + " per pass";
      detail +=
          start_now == s.start_at_once
              ? " (start_at_once = " + std::to_string(s.start_at_once) + ")"
              : " (catching up to downloading_min = " + std::to_string(s.downloading_min) + ")";
      rest(i, QueueVerdict::kAtOnce, detail);
      break;
    }
    // downloading_min trumps downloading_max: below the minimum, starts catch up.
    if (count >= s.downloading_min && count >= s.downloading_max) {
      const std::string detail = "downloading_max reached (" + std::to_string(count) + " of " +
                                 std::to_string(s.downloading_max) + " downloading)";
      if (started == 0) plan.blocked = detail;
      rest(i, QueueVerdict::kMaxReached, detail);
      break;
    }
    const KeyLimit* full = nullptr;  // the first limit the item's key has reached
    std::string key;
    for (const KeyLimit& l : limits) {
      key = FieldText(*item, *l.field);
      const int max = (s.*l.limit)(key);
      const auto counted = l.count.find(key);
      if (max > 0 && counted != l.count.end() && counted->second >= max) {
        full = &l;
        break;
      }
    }
    if (full) {
      decide(item, full->verdict, [&] {
        return std::string(full->setting) + " reached for " + full->key_name + " '" + key + "' (" +
               std::to_string(full->count.at(key)) + " of " +
               std::to_string((s.*full->limit)(key)) + ")";
      });
      continue;
    }
    plan.last_start = now;
    ++count;
    ++started;
    for (KeyLimit& l : limits) ++l.count[FieldText(*item, *l.field)];
    plan.start.push_back(item);
  }
  if (started == 0 && plan.blocked.empty()) {
    plan.blocked = start_now == 0 ? "start_at_once = 0" : "every startable item is over a limit";
  }
  explain_others();
  return plan;
}

std::string QueueReport(const QueueSettings& s, const QueuePlan& plan, bool dry_run,
                        const std::vector<std::string>& extra) {
  std::string out = "queue pass" + std::string(dry_run ? " (dry run)" : "") + ": " +
                    Plural(plan.fetched, "item", "items") + " in view '" + s.view + "', " +
                    std::to_string(plan.downloading) + " downloading (min " +
                    std::to_string(s.downloading_min) + ", max " +
                    std::to_string(s.downloading_max) + "), " + std::to_string(plan.startable) +
                    " startable\n";
  if (plan.clock_went_back) out += "the clock went back: the intermission counts from now\n";
  for (const Item* item : plan.start) {
    out += std::string(dry_run ? "would start " : "started ") + DescribeItem(s, *item) + "\n";
  }
  if (plan.start.empty()) {
    out += "nothing started: " +
           (plan.startable == 0 ? std::string("nothing is startable") : plan.blocked) + "\n";
  }
  for (const std::string& line : extra) out += line + "\n";
  if (!plan.decisions.empty()) out += "not started:\n";
  for (const QueueDecision& d : plan.decisions) {
    out += "  '" + FieldText(*d.item, s.name_field) + "' #" + AsciiUpper(d.item->hash()) + ": " +
           (d.verdict == QueueVerdict::kNotStartable ? "not startable: " : "") + d.detail + "\n";
  }
  if (!plan.more.empty()) {
    int total = 0;
    std::string parts;
    for (const auto& [why, n] : plan.more) {
      total += n;
      parts += (parts.empty() ? "" : ", ") + std::to_string(n) + " " + why;
    }
    out += "  ... and " + std::to_string(total) + " more (" + parts + ")\n";
  }
  if (!out.empty()) out.pop_back();
  return out;
}

}  // namespace torque::jobs
