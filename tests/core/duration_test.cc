#include "core/duration.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <ctime>
#include <string>

namespace torque {
namespace {

constexpr DurationMs kSecond = 1000;
constexpr DurationMs kMinute = 60 * kSecond;
constexpr DurationMs kHour = 60 * kMinute;
constexpr DurationMs kDay = 24 * kHour;

TEST(DurationTest, ParseGolden) {
  struct Case {
    const char* text;
    DurationMs want;
  };
  const Case cases[] = {
      {"0", 0},
      {"90", 90 * kSecond},
      {"0.5", 500},
      {".25", 250},
      {"1.0005", 1001},  // fractions round to the nearest millisecond
      {"0.0004", 0},
      {"30s", 30 * kSecond},
      {"5m", 5 * kMinute},
      {"1h30m", 90 * kMinute},
      {"1h 30m", 90 * kMinute},
      {"  45s ", 45 * kSecond},
      {"250ms", 250},
      {"1m250ms", kMinute + 250},
      {"2d", 2 * kDay},
      {"1w", 7 * kDay},
      {"1.5h", 90 * kMinute},
      {"0s", 0},
      {"1w2d3h4m5s6ms", 9 * kDay + 3 * kHour + 4 * kMinute + 5 * kSecond + 6},
      {"30s1h", kHour + 30 * kSecond},  // order does not matter
      {"9223372036854775807ms", INT64_MAX},
  };
  for (const Case& c : cases) {
    Result<DurationMs> got = ParseDuration(c.text);
    ASSERT_TRUE(got.ok()) << c.text << ": " << got.status().ToString();
    EXPECT_EQ(*got, c.want) << c.text;
  }
}

TEST(DurationTest, ParseErrorsNameTheText) {
  struct Case {
    const char* text;
    const char* want;
  };
  const char* kExpected =
      "expected a number of seconds or <number><unit> with unit ms, s, m, h, d or w "
      "(e.g. 90, 30s, 1h30m)";
  const Case cases[] = {
      {"", "invalid duration '': empty"},
      {"   ", "invalid duration '   ': empty"},
      {"-5s", "invalid duration '-5s': negative durations are not allowed"},
      {"-1", "invalid duration '-1': negative durations are not allowed"},
      {"abc", nullptr},
      {"s", nullptr},
      {"5.", nullptr},
      {"+5", nullptr},
      {"5x", "invalid duration '5x': unknown unit 'x' (use ms, s, m, h, d or w)"},
      {"5sec", "invalid duration '5sec': unknown unit 'sec' (use ms, s, m, h, d or w)"},
      {"5M", "invalid duration '5M': unknown unit 'M' (use ms, s, m, h, d or w)"},
      {"5m30", "invalid duration '5m30': missing unit after '5m30' (use ms, s, m, h, d or w)"},
      {"90 s", "invalid duration '90 s': missing unit after '90' (use ms, s, m, h, d or w)"},
      {"1.5.5", "invalid duration '1.5.5': missing unit after '1.5' (use ms, s, m, h, d or w)"},
      {"99999999999999999999", "invalid duration '99999999999999999999': too large"},
      {"9223372036854775808ms", "invalid duration '9223372036854775808ms': too large"},
      {"15250284453w", "invalid duration '15250284453w': too large"},
      {"9223372036854775807ms1ms", "invalid duration '9223372036854775807ms1ms': too large"},
  };
  for (const Case& c : cases) {
    Result<DurationMs> got = ParseDuration(c.text);
    ASSERT_FALSE(got.ok()) << c.text;
    EXPECT_EQ(got.status().code(), Status::Code::kInvalidArgument);
    std::string want =
        c.want ? c.want : "invalid duration '" + std::string(c.text) + "': " + kExpected;
    EXPECT_EQ(got.status().message(), want) << c.text;
  }
}

TEST(DurationTest, FormatGolden) {
  struct Case {
    DurationMs ms;
    const char* want;
  };
  const Case cases[] = {
      {0, "0s"},
      {1, "1ms"},
      {250, "250ms"},
      {1000, "1s"},
      {1500, "1s500ms"},
      {90 * kSecond, "1m30s"},
      {90 * kMinute, "1h30m"},
      {kDay, "1d"},
      {2 * kDay, "2d"},
      {7 * kDay, "1w"},
      {8 * kDay + 1, "1w1d1ms"},
      {-1500, "-1s500ms"},
      {INT64_MAX, "15250284452w3d7h12m55s807ms"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(FormatDuration(c.ms), c.want) << c.ms;
  }
}

TEST(DurationTest, FormatThenParseRoundTrips) {
  for (DurationMs ms : {DurationMs{0}, DurationMs{1}, DurationMs{999}, 61 * kSecond + 1, 25 * kHour,
                        13 * kDay + 7, INT64_MAX}) {
    Result<DurationMs> back = ParseDuration(FormatDuration(ms));
    ASSERT_TRUE(back.ok()) << FormatDuration(ms);
    EXPECT_EQ(*back, ms);
  }
}

TEST(DurationTest, TimeFormatUtcGolden) {
  struct Case {
    TimeMs t;
    const char* want;
  };
  const Case cases[] = {
      {0, "1970-01-01T00:00:00.000Z"},
      {1, "1970-01-01T00:00:00.001Z"},
      {-1, "1969-12-31T23:59:59.999Z"},
      {951782400000, "2000-02-29T00:00:00.000Z"},
      {1795442709123, "2026-11-23T14:05:09.123Z"},
      {4102444799999, "2099-12-31T23:59:59.999Z"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(FormatTimeUtc(c.t), c.want) << c.t;
  }
}

TEST(DurationTest, TimeParseUtcAndEpochGolden) {
  struct Case {
    const char* text;
    TimeMs want;
  };
  const Case cases[] = {
      {"2026-11-23T14:05:09.123Z", 1795442709123},
      {"2026-11-23T14:05:09Z", 1795442709000},
      {"2026-11-23T14:05:09", 1795442709000},
      {"2026-11-23T14:05:09.1", 1795442709100},
      {"2026-11-23T14:05:09.12", 1795442709120},
      {"2026-11-23T14:05", 1795442700000},
      {"2026-11-23 14:05:09Z", 1795442709000},  // Z makes the blank form UTC
      {"1970-01-01T00:00:00.000Z", 0},
      {"1969-12-31T23:59:59.999Z", -1},
      {"2000-02-29T00:00:00Z", 951782400000},
      {"1795442709", 1795442709000},
      {"0", 0},
      {" 60 ", 60000},
  };
  for (const Case& c : cases) {
    Result<TimeMs> got = ParseTime(c.text);
    ASSERT_TRUE(got.ok()) << c.text << ": " << got.status().ToString();
    EXPECT_EQ(*got, c.want) << c.text;
  }
}

TEST(DurationTest, TimeParseLocalTime) {
  const char* old = std::getenv("TZ");
  std::string saved = old ? old : "";
  setenv("TZ", "UTC-2", 1);  // POSIX: two hours east of UTC, no DST
  tzset();
  Result<TimeMs> got = ParseTime("2026-11-23 16:05:09");
  Result<TimeMs> no_seconds = ParseTime("2026-11-23 16:05");
  if (old) {
    setenv("TZ", saved.c_str(), 1);
  } else {
    unsetenv("TZ");
  }
  tzset();
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(*got, 1795442709000);
  ASSERT_TRUE(no_seconds.ok());
  EXPECT_EQ(*no_seconds, 1795442700000);
}

TEST(DurationTest, TimeParseErrors) {
  for (const char* text : {"",
                           "yesterday",
                           "2026-11-23",
                           "2026-11-23T",
                           "2026-11-23T14",
                           "2026-11-23T14:05:",
                           "2026-13-01T00:00:00Z",
                           "2026-00-01T00:00:00Z",
                           "2026-02-29T00:00:00Z",
                           "2026-11-31T00:00:00Z",
                           "2026-11-23T24:00:00Z",
                           "2026-11-23T23:60:00Z",
                           "2026-11-23T23:59:60Z",
                           "2026-11-23T14:05:09.Z",
                           "2026-11-23T14:05:09.1234Z",
                           "2026-11-23T14:05:09ZZ",
                           "2026/11/23 14:05",
                           "26-11-23 14:05",
                           "-5",
                           "1.5",
                           "99999999999999999999"}) {
    Result<TimeMs> got = ParseTime(text);
    ASSERT_FALSE(got.ok()) << text;
    EXPECT_EQ(got.status().message(),
              "invalid time '" + std::string(text) +
                  "': expected YYYY-MM-DDTHH:MM:SS[.mmm][Z] (UTC), 'YYYY-MM-DD HH:MM[:SS]' "
                  "(local time) or seconds since the epoch");
  }
}

TEST(DurationTest, TimeFormatThenParseRoundTrips) {
  for (TimeMs t : {TimeMs{0}, TimeMs{-1}, TimeMs{1795442709123}, TimeMs{253402300799999}}) {
    Result<TimeMs> back = ParseTime(FormatTimeUtc(t));
    ASSERT_TRUE(back.ok()) << FormatTimeUtc(t);
    EXPECT_EQ(*back, t);
  }
}

}  // namespace
}  // namespace torque
