// Durations ("1h30m", "90s", "2d") and times: a parsed duration formats to text that parses
// to the same value.
#include "core/duration.h"
#include "tests/fuzz/fuzz.h"

using namespace torque;

TORQUE_FUZZ_TARGET {
  const std::string_view text = fuzz::Text(data, size);
  if (auto ms = ParseDuration(text); ms.ok()) {
    auto again = ParseDuration(FormatDuration(*ms));
    fuzz::Require(again.ok() && *again == *ms, "duration format/parse round trip");
    (void)ShortDuration(*ms);
  }
  if (auto t = ParseTime(text); t.ok()) (void)FormatTimeUtc(*t);
  return 0;
}
