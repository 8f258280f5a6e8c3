// QueueSettings: the queue manager's configuration — pyrocore's keys and defaults, the two
// conditions as pyrocore builds them, and the optional limits users asked for.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/config.h"
#include "core/status.h"
#include "jobs/rtorrent/condition.h"
#include "jobs/rtorrent/fields.h"
#include "jobs/rtorrent/sort.h"

namespace torque::jobs {

// pyrotorque's packaged defaults (its torque.ini), which apply to every queue_manager type,
// not only to the shipped `queue`.
inline constexpr char kDefaultStartableBase[] = "is_open=no is_active=no is_complete=no";
inline constexpr char kDefaultStartable[] = "is_ignored=no done=0 message=/^$|ghost/ prio>0";
inline constexpr char kDefaultSortFields[] = "-prio, loaded, name";
// Always part of the downloading condition, as in pyrocore.
inline constexpr char kDownloadingBase[] = "is_active=1 is_complete=0";
// Items the pass report explains when they are not started: stopped and incomplete.
inline constexpr char kCandidates[] = "is_active=no is_complete=no";

// Immutable once made; shared by the runs of one handler.
struct QueueSettings {
  QueueSettings(rtorrent::Condition startable, rtorrent::Condition downloading,
                rtorrent::Condition candidates, rtorrent::Condition fetch)
      : startable(std::move(startable)),
        downloading(std::move(downloading)),
        candidates(std::move(candidates)),
        fetch(std::move(fetch)) {}

  rtorrent::Condition startable;    // [ queue_startable_base ] [ startable ]
  rtorrent::Condition downloading;  // is_active=1 is_complete=0 [ downloading ]
  rtorrent::Condition candidates;   // kCandidates
  // startable OR downloading OR candidates: what one fetch must return (its rTorrent
  // pre-filter drops everything else).
  rtorrent::Condition fetch;
  std::string startable_text;  // as pyrocore logs it
  std::string downloading_text;
  rtorrent::SortOrder sort;
  std::vector<std::string> fields;  // every field a pass reads

  std::string view = "main";
  bool prefilter = true;  // let rTorrent drop what cannot matter
  int downloading_min = 1;
  int downloading_max = 9;
  int start_at_once = 1;
  DurationMs intermission = 0;
  bool quiet = false;  // no "QueueManager: Started" line in rTorrent's log
  // Optional limits, off when 0: no start while the downloading items' summed down rate
  // exceeds it (bytes/s); at most N downloading items per label (custom_1) or tracker alias,
  // with per-name overrides.
  int64_t downloading_traffic_max = 0;
  int max_per_label = 0;
  std::map<std::string, int> label_max;
  int max_per_tracker = 0;
  std::map<std::string, int> tracker_max;

  // Fields the pass reads directly.
  rtorrent::Field name_field, alias_field, label_field, down_field;

  // The limit for `label` (0: none).
  int LabelLimit(const std::string& label) const;
  int TrackerLimit(const std::string& alias) const;
  bool HasLabelLimits() const { return max_per_label > 0 || !label_max.empty(); }
  bool HasTrackerLimits() const { return max_per_tracker > 0 || !tracker_max.empty(); }
};

// The settings of queue_manager type `type`; [TORQUE] queue_startable_base comes from
// `config`. pyrosimple's names are accepted: matcher (= startable), sort (= sort_fields),
// max_downloading_traffic (= downloading_traffic_max). kInvalidArgument with the setting's
// file:line for a bad value (a condition's error shows the column and a caret).
Result<QueueSettings> ReadQueueSettings(const JobTypeConfig& type, const Config& config);

}  // namespace torque::jobs
