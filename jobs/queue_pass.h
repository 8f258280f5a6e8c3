// QueuePass: one pass of the queue manager over fetched items — pyrocore's algorithm,
// exactly — and the report that says what started and why everything else did not.
// Pure: no I/O, no clock; tests feed it items and times.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "jobs/queue_settings.h"
#include "jobs/rtorrent/item.h"

namespace torque::jobs {

// Why a candidate was not started.
enum class QueueVerdict {
  kNotStartable,  // the startable condition failed (detail: the clause and the values)
  kIntermission,  // intermission still running
  kTraffic,       // downloading_traffic_max exceeded
  kMaxReached,    // downloading_max reached
  kAtOnce,        // no more starts in this pass (start_at_once, or the catch-up count)
  kLabelMax,      // max_per_label reached for its label
  kTrackerMax,    // max_per_tracker reached for its tracker
};

// One candidate not started: a startable item, or a stopped incomplete one that is not
// startable.
struct QueueDecision {
  const rtorrent::Item* item = nullptr;
  QueueVerdict verdict = QueueVerdict::kNotStartable;
  std::string detail;  // e.g. "prio>0 (prio=0)", "3 of 3", "42 s left"
};

// What a pass decided, and what the report needs to say it.
struct QueuePlan {
  std::vector<const rtorrent::Item*> start;  // to start now, in order
  // The first candidates not started, with their reasons: the startable ones in sort order,
  // then the others; beyond the limit only counted in `more` (verdict name → count).
  std::vector<QueueDecision> decisions;
  std::map<std::string, int> more;
  int fetched = 0;      // items looked at
  int downloading = 0;  // downloading before the pass
  int startable = 0;
  int64_t traffic = 0;    // summed down rate of the downloading items (bytes/s)
  TimeMs last_start = 0;  // after the pass (moved by a start or the clock guard)
  bool clock_went_back = false;
  // Why nothing started, when nothing did and something was startable; "" otherwise.
  std::string blocked;
};

// Runs pyrocore's pass: the startable items in sort order; nothing when none is startable;
// the clock-backwards guard (now < last_start: last_start = now); the intermission check
// (a start only once last_start + intermission - now is under a second); the downloading
// count; start max(start_at_once, downloading_min - downloading) items, where
// downloading_min catches up regardless of downloading_max and otherwise downloading_max
// stops the pass. The optional limits: traffic blocks every start; a full label or tracker
// skips that item only. `items` must outlive the plan. `now` is also the time conditions
// are evaluated at. At most `max_decisions` candidates get a decision (and the not
// startable ones among them an explanation); the rest are counted.
QueuePlan PlanQueuePass(const QueueSettings& settings, const std::vector<rtorrent::Item>& items,
                        TimeMs now, TimeMs last_start, size_t max_decisions = 100);

// "not startable", "intermission", "downloading_max", ...: how `more` names a verdict.
const char* QueueVerdictName(QueueVerdict verdict);

// The pass report, the job's result (the plan's decisions, then a count of the rest):
//   queue pass: 50 item(s) in view 'main', 2 downloading (min 1, max 3), 12 startable
//   started 'Some.Item' [example.com, #0123…]
//   not started:
//     'Other' #4567…: downloading_max reached (3 of 3)
//     'Third' #89AB…: not startable: prio>0 (prio=0)
// `dry_run` says "would start". `extra` lines (e.g. failed starts, timings) follow the head.
std::string QueueReport(const QueueSettings& settings, const QueuePlan& plan, bool dry_run,
                        const std::vector<std::string>& extra);

// "'<name>' [<alias>, #<HASH>]", as pyrocore logs a start.
std::string DescribeItem(const QueueSettings& settings, const rtorrent::Item& item);
// "QueueManager: Started '<name>' {<alias>}", the line a start writes into rTorrent's log.
std::string StartedLogLine(const QueueSettings& settings, const rtorrent::Item& item);
// A text field's value ("" when the field is not text).
std::string FieldText(const rtorrent::Item& item, const rtorrent::Field& field);

}  // namespace torque::jobs
