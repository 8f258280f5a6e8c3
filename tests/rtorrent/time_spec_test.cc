#include "jobs/rtorrent/time_spec.h"

#include <gtest/gtest.h>

#include "tests/rtorrent/query_test_util.h"

namespace torque::rtorrent {
namespace {

using testing::kNow;

TEST(TimeSpecTest, TimestampsAndDeltas) {
  testing::SetTimeZone("UTC0");
  auto ts = ParseTimeSpec("1700000000");
  ASSERT_TRUE(ts);
  EXPECT_EQ(ts->kind, TimeSpec::Kind::kTimestamp);
  EXPECT_EQ(ts->timestamp, 1700000000);

  struct Case {
    const char* text;
    double seconds_before_now;
  } cases[] = {
      {"", 0},
      {"0", -1},  // a timestamp, see below
      {"2w", 14 * 86400},
      {"2W3d", 17 * 86400},
      {"1d12h", 36 * 3600},
      {"5h6i7s", 5 * 3600 + 6 * 60 + 7},
      {"90i", 5400},
      {"3s", 3},
      {"1m", 29 * 86400},   // 2024-03-15 → 2024-02-15 (February 2024 has 29 days)
      {"1y", 366 * 86400},  // 2024-03-15 → 2023-03-15, across 2024-02-29
      {"1y1m1w1d1h1i1s", (366 + 28 + 7 + 1) * 86400.0 + 3661},  // then 2023-02-15
  };
  for (const auto& c : cases) {
    auto spec = ParseTimeSpec(c.text);
    ASSERT_TRUE(spec) << c.text;
    if (c.seconds_before_now < 0) {
      EXPECT_EQ(spec->kind, TimeSpec::Kind::kTimestamp) << c.text;
      continue;
    }
    EXPECT_EQ(spec->kind, TimeSpec::Kind::kDelta) << c.text;
    EXPECT_DOUBLE_EQ(kNow - spec->Before(kNow), c.seconds_before_now) << c.text;
  }
}

TEST(TimeSpecTest, CalendarStepsKeepTheWallClockAcrossDst) {
  testing::SetTimeZone(testing::kBerlinTz);
  // 2024-04-15 12:00 CEST minus a month is 2024-03-15 12:00 CET: 31 days less one hour.
  auto month = ParseTimeSpec("1m");
  ASSERT_TRUE(month);
  EXPECT_DOUBLE_EQ(month->Before(1713175200), 1710500400);
  // Mar 31 minus a month is "Feb 31", normalised to Mar 2 (2024).
  EXPECT_DOUBLE_EQ(month->Before(1711879200), 1709377200);
  testing::SetTimeZone("UTC0");
}

TEST(TimeSpecTest, AbsoluteDatesInLocalTime) {
  testing::SetTimeZone(testing::kBerlinTz);
  struct Case {
    const char* text;
    double timestamp;
  } cases[] = {
      {"2024-01-05", 1704409200},
      {"2024-1-5", 1704409200},
      {"1/5/2024", 1704409200},
      {"01/05/2024", 1704409200},
      {"5.1.2024", 1704409200},
      {"5.1.2024T10:30", 1704447000},
      {"5.1.2024 10:30", 1704447000},
      {"2024-07-05T10:30:15", 1720168215},
      {"2024-07-05t10:30:15", 1720168215},
      {"2024-07-05T7", 1720155600},
      {"2024-02-29", 1709161200},
  };
  for (const auto& c : cases) {
    auto spec = ParseTimeSpec(c.text);
    ASSERT_TRUE(spec) << c.text;
    EXPECT_EQ(spec->kind, TimeSpec::Kind::kAbsolute) << c.text;
    EXPECT_DOUBLE_EQ(spec->timestamp, c.timestamp) << c.text;
  }
  testing::SetTimeZone("UTC0");
}

TEST(TimeSpecTest, Rejects) {
  for (const char* bad : {"yesterday", "2d1w", "1x", "w", "2023-02-29", "2024-13-01", "2024-00-10",
                          "2024-01-32", "13/1/2024", "2024-01-05T24:00", "2024-01-05T10:60",
                          "2024-01-05 10:00:62", "2024-01-05 10:00:00:00", "24-01-05", "2024/01/05",
                          "1.2024", "0000-01-01", "1234567890y", "12345678901234567"}) {
    EXPECT_FALSE(ParseTimeSpec(bad).has_value()) << bad;
  }
}

}  // namespace
}  // namespace torque::rtorrent
