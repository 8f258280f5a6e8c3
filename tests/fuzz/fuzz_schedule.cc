// Schedule expressions (cron-like `minute=*/5 hour=2`, pyrotorque's forms): a parsed
// schedule's next fire times only move forward.
#include "core/schedule.h"
#include "tests/fuzz/fuzz.h"

using namespace torque;

TORQUE_FUZZ_TARGET {
  auto schedule = Schedule::Parse(fuzz::Text(data, size));
  if (!schedule.ok()) return 0;
  TimeMs t = 1'700'000'000'000;  // 2023-11-14
  for (int i = 0; i < 3; ++i) {
    auto next = schedule->NextAfter(t);
    if (!next) break;
    fuzz::Require(*next > t, "the next fire is after the last");
    t = *next;
  }
  return 0;
}
