// Schedule: when a periodic job fires (APScheduler cron fields or a crontab line).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "core/status.h"

namespace torque {

// A parsed, immutable schedule; computes fire times in the process's local time zone (TZ).
//
// Two syntaxes are accepted:
//
// 1. APScheduler CronTrigger fields, as pyrotorque's `schedule` (split like a shell, so
//    `hour=12 "day=3rd sun"` works): year, month, day, week (ISO week), day_of_week
//    (mon=0 .. sun=6 or mon..sun), hour, minute, second. Each value is a comma list of
//    `*`, `*/n`, `a`, `a-b`, `a-b/n`, `a/n` (a and up, every n); month names jan..dec;
//    weekday names mon..sun; for `day` also `1st`..`5th <weekday>`, `last <weekday>` and
//    `last` (the last day of the month). Fields after the smallest one given default to
//    their minimum (week and day_of_week to `*`), larger ones to `*`: `minute=*` fires at
//    second 0 of every minute, `hour=*` at :00:00. ALL fields must match, so `day` and
//    `day_of_week` are ANDed (APScheduler semantics).
//
// 2. A 5-field crontab line `minute hour day month day_of_week` (day_of_week 0 or 7 =
//    Sunday, names allowed; `*`, `*/n`, `a`, `a-b`, `a-b/n` and lists), or one of @yearly,
//    @annually, @monthly, @weekly, @daily, @midnight, @hourly. Seconds are 0. Unlike the
//    APScheduler syntax (and djutils' crontab()), Vixie cron's rule applies: when both day
//    and day_of_week are restricted (neither starts with `*`), a date matches if EITHER
//    matches (`0 0 1 * 1` = midnight on the 1st and on every Monday).
//
// Daylight saving time:
// - A local time that does not exist (spring-forward gap) is skipped for that day.
// - A schedule whose hour field covers all 24 hours ("hourly or finer", e.g. `minute=0`,
//   `second=*/15`, `*/5 * * * *`) runs on real time like Vixie cron's wildcard jobs: it
//   keeps firing through both passes of a fall-back overlap, each fire strictly later than
//   the previous one, never twice at the same instant.
// - Any other schedule (e.g. `hour=2 minute=30`) fires once for an ambiguous local time,
//   at its first occurrence.
class Schedule {
 public:
  // Parses either syntax above. kInvalidArgument with a message naming the field and the
  // bad text, e.g. "hour='25': 25 is out of range 0-23".
  static Result<Schedule> Parse(std::string_view text);

  // The first fire time strictly after `after` (ms since the epoch, UTC), always a whole
  // second; nullopt when there is none (e.g. `year=2000`, or `month=feb day=30`: no
  // match within 400 years, or after year 9999). Uses the C library's local time
  // (localtime_r), so it follows TZ as last set by tzset(). Thread-safe.
  std::optional<TimeMs> NextAfter(TimeMs after) const;

  // The text as given to Parse.
  const std::string& text() const { return text_; }

  struct Spec;  // the expanded fields; defined in schedule.cc

 private:
  Schedule(std::string text, std::shared_ptr<const Spec> spec)
      : text_(std::move(text)), spec_(std::move(spec)) {}

  std::string text_;
  std::shared_ptr<const Spec> spec_;
};

}  // namespace torque
