// TimeSpec: a time value of the condition language (pyrocore's TimeFilter): a Unix
// timestamp, a delta like "1y2m3w4d5h6i7s", or an absolute date.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "jobs/rtorrent/fields.h"

namespace torque::rtorrent {

// A parsed time value; the delta is applied to "now" only when a condition is matched.
struct TimeSpec {
  enum class Kind {
    kTimestamp,  // all digits (up to 15): that Unix time
    kDelta,      // units y (year) m (month) w d h i (minute) s, in this order, any subset
    kAbsolute,   // M/D/Y, D.M.Y or Y-M-D, optionally " "/"T" then H, H:M or H:M:S (local)
  };
  Kind kind = Kind::kTimestamp;
  double timestamp = 0;  // kTimestamp and kAbsolute
  int64_t years = 0, months = 0, weeks = 0, days = 0, hours = 0, minutes = 0, seconds = 0;

  // kDelta: `now` minus the delta. Years and months step the local calendar date
  // (mktime normalises: Mar 31 minus 1m is Mar 3 or 2), the rest are fixed seconds.
  double Before(TimeSec now) const;
};

// Parses `text` (units case-insensitive); nullopt when it is none of the three forms or a
// date is invalid (Feb 30). Absolute dates use the local time zone (TZ) at parse time.
std::optional<TimeSpec> ParseTimeSpec(std::string_view text);

}  // namespace torque::rtorrent
