// Parsing and printing of human durations ("90", "30s", "5m", "1h30m", "2d").
#pragma once

#include <string>
#include <string_view>

#include "core/clock.h"
#include "core/status.h"

namespace torque {

// Parses a duration: a bare number means seconds (fractions allowed, "0.5");
// otherwise a sequence of <number><unit> with units ms, s, m, h, d, w.
// Fails with kInvalidArgument naming the bad text; negative values are rejected.
Result<DurationMs> ParseDuration(std::string_view text);

// "1h30m", "250ms", "0s": the shortest exact form.
std::string FormatDuration(DurationMs ms);

// For people, not for parsing back: "340ms", "1.2s", "5m3s", "2h5m", "3d4h" (the two largest
// units, truncated; a negative span shows as 0).
std::string ShortDuration(DurationMs ms);

// "2026-11-23T14:05:09.123Z" (UTC, millisecond precision).
std::string FormatTimeUtc(TimeMs t);

// Parses FormatTimeUtc's form, also without milliseconds or "Z", and
// "YYYY-MM-DD HH:MM[:SS]" in local time. Fails with kInvalidArgument.
Result<TimeMs> ParseTime(std::string_view text);

}  // namespace torque
