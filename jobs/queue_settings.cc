#include "jobs/queue_settings.h"

#include <algorithm>
#include <climits>

#include "jobs/settings.h"

namespace torque::jobs {
namespace {

constexpr int kMaxCount = 1'000'000;

// The first of `keys` that is set, else keys.front().
std::string FirstSet(const SettingReader& r, std::initializer_list<const char*> keys) {
  for (const char* k : keys) {
    if (r.Find(k)) return k;
  }
  return *keys.begin();
}

// "max_per_label.TV = 2" style overrides of `prefix`.
Status ReadOverrides(const JobTypeConfig& type, const SettingReader& r, const std::string& prefix,
                     std::map<std::string, int>& out) {
  for (const auto& [key, setting] : type.settings) {
    if (key.size() <= prefix.size() || key.compare(0, prefix.size(), prefix) != 0) continue;
    auto n = r.Int(key, 0, 0, kMaxCount);
    if (!n.ok()) return n.status();
    out[key.substr(prefix.size())] = *n;
  }
  return Status::Ok();
}

Result<rtorrent::Field> Lookup(const char* name) {
  auto f = rtorrent::LookupField(name);
  if (!f.ok()) return Status::Internal(f.status().message());
  return f;
}

}  // namespace

int QueueSettings::LabelLimit(const std::string& label) const {
  if (label.empty()) return 0;
  auto it = label_max.find(label);
  return it != label_max.end() ? it->second : max_per_label;
}

int QueueSettings::TrackerLimit(const std::string& alias) const {
  if (alias.empty()) return 0;
  auto it = tracker_max.find(alias);
  return it != tracker_max.end() ? it->second : max_per_tracker;
}

Result<QueueSettings> ReadQueueSettings(const JobTypeConfig& type, const Config& config) {
  const SettingReader r(type);

  // pyrocore: "[ " + queue_startable_base + " ] [ " + startable + " ]", each part checked
  // on its own first so that an error points at the setting that has it.
  std::string base = kDefaultStartableBase;
  if (auto it = config.torque_globals.find("queue_startable_base");
      it != config.torque_globals.end()) {
    auto parsed = ParseConditionSetting(it->second, "[TORQUE] key 'queue_startable_base'");
    if (!parsed.ok()) return parsed.status();
    base = it->second.value;
  }
  const std::string startable_key = FirstSet(r, {"startable", "matcher"});
  if (auto part = r.Condition(startable_key, kDefaultStartable); !part.ok()) return part.status();
  const std::string startable_text =
      "[ " + base + " ] [ " + r.Text(startable_key, kDefaultStartable) + " ]";
  auto startable = rtorrent::ParseCondition(startable_text);
  if (!startable.ok()) return r.Fail(startable_key, startable.status().message());

  std::string downloading_text = kDownloadingBase;
  if (const std::string extra = r.Text("downloading");
      extra.find_first_not_of(" \t\r\n") != std::string::npos) {
    if (auto part = r.Condition("downloading", ""); !part.ok()) return part.status();
    downloading_text += " [ " + extra + " ]";
  }
  auto downloading = rtorrent::ParseCondition(downloading_text);
  if (!downloading.ok()) return r.Fail("downloading", downloading.status().message());
  auto candidates = rtorrent::ParseCondition(kCandidates);
  if (!candidates.ok()) return Status::Internal(candidates.status().message());
  auto fetch = rtorrent::ParseCondition("[ " + startable_text + " ] OR [ " + downloading_text +
                                        " ] OR [ " + kCandidates + " ]");
  if (!fetch.ok()) return r.Fail(startable_key, fetch.status().message());
  QueueSettings s{std::move(*startable), std::move(*downloading), std::move(*candidates),
                  std::move(*fetch)};
  s.startable_text = startable_text;
  s.downloading_text = downloading_text;

  const std::string sort_key = FirstSet(r, {"sort_fields", "sort"});
  auto sort = rtorrent::ParseSortFields(r.Text(sort_key, kDefaultSortFields));
  if (!sort.ok()) return r.Fail(sort_key, sort.status().message());
  s.sort = std::move(*sort);

  s.view = r.Text("view", "main");
  if (s.view.empty()) return r.Fail("view", "expected a view name, got ''");
  auto prefilter = r.Bool("prefilter", true);
  auto quiet = r.Bool("quiet", false);
  auto min = r.Int("downloading_min", 1, 0, kMaxCount);
  auto max = r.Int("downloading_max", 9, 0, kMaxCount);
  auto at_once = r.Int("start_at_once", 1, 0, kMaxCount);
  auto intermission = r.Duration("intermission", 0);
  auto traffic = r.ByteSize(FirstSet(r, {"downloading_traffic_max", "max_downloading_traffic"}), 0);
  auto per_label = r.Int("max_per_label", 0, 0, kMaxCount);
  auto per_tracker = r.Int("max_per_tracker", 0, 0, kMaxCount);
  for (const Status& st :
       {prefilter.status(), quiet.status(), min.status(), max.status(), at_once.status(),
        intermission.status(), traffic.status(), per_label.status(), per_tracker.status()}) {
    if (!st.ok()) return st;
  }
  s.prefilter = *prefilter;
  s.quiet = *quiet;
  s.downloading_min = *min;
  s.downloading_max = *max;
  s.start_at_once = *at_once;
  s.intermission = *intermission;
  s.downloading_traffic_max = *traffic;
  s.max_per_label = *per_label;
  s.max_per_tracker = *per_tracker;
  if (Status st = ReadOverrides(type, r, "max_per_label.", s.label_max); !st.ok()) return st;
  if (Status st = ReadOverrides(type, r, "max_per_tracker.", s.tracker_max); !st.ok()) return st;

  for (auto [field, name] :
       {std::pair{&s.name_field, "name"}, std::pair{&s.alias_field, "alias"},
        std::pair{&s.label_field, "custom_1"}, std::pair{&s.down_field, "down"}}) {
    auto f = Lookup(name);
    if (!f.ok()) return f.status();
    *field = std::move(*f);
  }
  std::vector<std::string> fields = s.fetch.Fields();
  for (const std::string& f : s.sort.Fields()) fields.push_back(f);
  fields.insert(fields.end(), {"name", "alias", "is_active", "is_complete"});
  if (s.downloading_traffic_max > 0) fields.push_back("down");
  if (s.HasLabelLimits()) fields.push_back("custom_1");
  for (const std::string& f : fields) {
    if (std::find(s.fields.begin(), s.fields.end(), f) == s.fields.end()) s.fields.push_back(f);
  }
  return s;
}

}  // namespace torque::jobs
