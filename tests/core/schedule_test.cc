#include "core/schedule.h"

#include <gtest/gtest.h>

#include "tests/test_env.h"
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <optional>
#include <string>
#include <vector>

namespace torque {
namespace {

using Lines = std::vector<std::string>;

using testing::ScopedTz;

// "YYYY-MM-DD HH:MM:SS" in local time (not an ambiguous one) -> ms.
TimeMs Local(const std::string& text) {
  struct tm tm {};
  EXPECT_EQ(6, sscanf(text.c_str(), "%d-%d-%d %d:%d:%d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                      &tm.tm_hour, &tm.tm_min, &tm.tm_sec))
      << text;
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  tm.tm_isdst = -1;
  return static_cast<TimeMs>(mktime(&tm)) * 1000;
}

// "YYYY-MM-DD HH:MM:SS" in UTC -> ms.
TimeMs Utc(const std::string& text) {
  struct tm tm {};
  sscanf(text.c_str(), "%d-%d-%d %d:%d:%d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
         &tm.tm_min, &tm.tm_sec);
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  return static_cast<TimeMs>(timegm(&tm)) * 1000;
}

// ms -> local "YYYY-MM-DD HH:MM:SS", with the zone abbreviation when `zone`.
std::string Format(TimeMs t, bool zone = false) {
  const time_t s = static_cast<time_t>(t / 1000);
  struct tm tm {};
  localtime_r(&s, &tm);
  char buf[64];
  strftime(buf, sizeof buf, zone ? "%Y-%m-%d %H:%M:%S %Z" : "%Y-%m-%d %H:%M:%S", &tm);
  return buf;
}

// The next `n` fires after `start`, each after the previous one; "none" ends the list.
Lines Fires(const Schedule& schedule, TimeMs start, size_t n, bool zone = false) {
  Lines out;
  TimeMs t = start;
  for (size_t i = 0; i < n; ++i) {
    const std::optional<TimeMs> next = schedule.NextAfter(t);
    if (!next) {
      out.push_back("none");
      break;
    }
    EXPECT_GT(*next, t);
    EXPECT_EQ(0, *next % 1000);
    out.push_back(Format(*next, zone));
    t = *next;
  }
  return out;
}

struct FireCase {
  const char* tz;
  std::string text;
  std::string start;  // local
  Lines fires;        // local
};

void RunGolden(const std::vector<FireCase>& cases) {
  for (const FireCase& c : cases) {
    ScopedTz tz(c.tz);
    auto schedule = Schedule::Parse(c.text);
    ASSERT_TRUE(schedule.ok()) << c.text << ": " << schedule.status().ToString();
    EXPECT_EQ(c.text, schedule->text());
    EXPECT_EQ(c.fires, Fires(*schedule, Local(c.start), c.fires.size())) << c.tz << " " << c.text;
  }
}

constexpr const char* kBerlin = "Europe/Berlin";
constexpr const char* kUtc = "UTC";

TEST(ScheduleTest, ZoneInfoInstalled) {
  ASSERT_EQ(0, access("/usr/share/zoneinfo/Europe/Berlin", R_OK)) << "install tzdata";
}

TEST(ScheduleTest, ApschedulerGolden) {
  RunGolden({
      {kBerlin, "second=*/15", "2026-05-04 10:00:07",
       {"2026-05-04 10:00:15", "2026-05-04 10:00:30", "2026-05-04 10:00:45",
        "2026-05-04 10:01:00", "2026-05-04 10:01:15"}},
      {kUtc, "second=*/15", "2026-12-31 23:59:40",
       {"2026-12-31 23:59:45", "2027-01-01 00:00:00", "2027-01-01 00:00:15"}},
      {kBerlin, "minute=*", "2026-05-04 10:00:07",
       {"2026-05-04 10:01:00", "2026-05-04 10:02:00", "2026-05-04 10:03:00"}},
      {kBerlin, "hour=*", "2026-05-04 10:00:00",
       {"2026-05-04 11:00:00", "2026-05-04 12:00:00", "2026-05-04 13:00:00"}},
      {kBerlin, "minute=0", "2026-05-04 23:59:59", {"2026-05-05 00:00:00", "2026-05-05 01:00:00"}},
      {kBerlin, "hour=12 \"day=3rd sun\"", "2026-01-01 00:00:00",
       {"2026-01-18 12:00:00", "2026-02-15 12:00:00", "2026-03-15 12:00:00",
        "2026-04-19 12:00:00"}},
      {kUtc, "hour=12 'day=3rd sun'", "2026-01-18 12:00:00",
       {"2026-02-15 12:00:00", "2026-03-15 12:00:00"}},
      {kBerlin, "day=last", "2026-01-15 08:00:00",
       {"2026-01-31 00:00:00", "2026-02-28 00:00:00", "2026-03-31 00:00:00",
        "2026-04-30 00:00:00"}},
      {kBerlin, "month=feb day=last hour=6", "2027-03-01 00:00:00",
       {"2028-02-29 06:00:00", "2029-02-28 06:00:00"}},
      {kBerlin, "\"day=last fri\"", "2026-01-01 00:00:00",
       {"2026-01-30 00:00:00", "2026-02-27 00:00:00", "2026-03-27 00:00:00",
        "2026-04-24 00:00:00"}},
      {kBerlin, "month=feb day=29", "2025-01-01 00:00:00",
       {"2028-02-29 00:00:00", "2032-02-29 00:00:00", "2036-02-29 00:00:00"}},
      {kBerlin, "day=31", "2026-01-31 12:00:00",
       {"2026-03-31 00:00:00", "2026-05-31 00:00:00", "2026-07-31 00:00:00",
        "2026-08-31 00:00:00", "2026-10-31 00:00:00"}},
      {kBerlin, "day_of_week=mon-fri hour=9", "2026-05-08 10:00:00",
       {"2026-05-11 09:00:00", "2026-05-12 09:00:00", "2026-05-13 09:00:00",
        "2026-05-14 09:00:00", "2026-05-15 09:00:00", "2026-05-18 09:00:00"}},
      {kBerlin, "week=1", "2026-06-01 00:00:00",
       {"2027-01-04 00:00:00", "2027-01-05 00:00:00", "2027-01-06 00:00:00",
        "2027-01-07 00:00:00", "2027-01-08 00:00:00", "2027-01-09 00:00:00",
        "2027-01-10 00:00:00", "2028-01-03 00:00:00"}},
      {kBerlin, "week=53 day_of_week=sun hour=18", "2026-01-01 00:00:00",
       {"2027-01-03 18:00:00", "2033-01-02 18:00:00"}},
      {kBerlin, "year=2030", "2026-05-04 00:00:00", {"2030-01-01 00:00:00", "none"}},
      {kBerlin, "year=2000", "2026-05-04 00:00:00", {"none"}},
      {kBerlin, "minute=*/20 hour=8-10", "2026-05-04 10:30:00",
       {"2026-05-04 10:40:00", "2026-05-05 08:00:00", "2026-05-05 08:20:00",
        "2026-05-05 08:40:00", "2026-05-05 09:00:00"}},
      {kBerlin, "minute=10-40/15", "2026-05-04 10:00:00",
       {"2026-05-04 10:10:00", "2026-05-04 10:25:00", "2026-05-04 10:40:00",
        "2026-05-04 11:10:00"}},
      {kBerlin, "hour=20/2", "2026-05-04 19:00:00",
       {"2026-05-04 20:00:00", "2026-05-04 22:00:00", "2026-05-05 20:00:00"}},
      {kBerlin, "hour=1,13 minute=5,35", "2026-05-04 00:00:00",
       {"2026-05-04 01:05:00", "2026-05-04 01:35:00", "2026-05-04 13:05:00",
        "2026-05-04 13:35:00", "2026-05-05 01:05:00"}},
      {kBerlin, "second=5,10-12,*/30", "2026-05-04 10:00:00",
       {"2026-05-04 10:00:05", "2026-05-04 10:00:10", "2026-05-04 10:00:11",
        "2026-05-04 10:00:12", "2026-05-04 10:00:30", "2026-05-04 10:01:00"}},
      {kBerlin, "month=jan-mar,Dec day=1", "2026-02-10 00:00:00",
       {"2026-03-01 00:00:00", "2026-12-01 00:00:00", "2027-01-01 00:00:00",
        "2027-02-01 00:00:00"}},
      {kBerlin, "day_of_week=SAT,sun hour=7 minute=30", "2026-05-08 12:00:00",
       {"2026-05-09 07:30:00", "2026-05-10 07:30:00", "2026-05-16 07:30:00"}},
      {kBerlin, "day_of_week=5-6 hour=7", "2026-05-08 12:00:00",
       {"2026-05-09 07:00:00", "2026-05-10 07:00:00", "2026-05-16 07:00:00"}},
      // APScheduler ANDs day and day_of_week: Friday the 13th.
      {kBerlin, "day=13 day_of_week=fri", "2026-01-01 00:00:00",
       {"2026-02-13 00:00:00", "2026-03-13 00:00:00", "2026-11-13 00:00:00",
        "2027-08-13 00:00:00"}},
      {kBerlin, "\"day=1st mon, last\" hour=3", "2026-06-01 04:00:00",
       {"2026-06-30 03:00:00", "2026-07-06 03:00:00", "2026-07-31 03:00:00"}},
      {kUtc, "year=9999 month=dec day=31 hour=23 minute=59 second=59", "2026-01-01 00:00:00",
       {"9999-12-31 23:59:59", "none"}},
      // Impossible dates end the search instead of looping forever.
      {kBerlin, "month=feb day=30", "2026-01-01 00:00:00", {"none"}},
      {kBerlin, "day=13 day_of_week=fri week=2 month=jun", "2026-01-01 00:00:00", {"none"}},
  });
}

TEST(ScheduleTest, CrontabGolden) {
  RunGolden({
      {kBerlin, "*/5 * * * *", "2026-05-04 10:02:30",
       {"2026-05-04 10:05:00", "2026-05-04 10:10:00", "2026-05-04 10:15:00"}},
      // Vixie: day and day_of_week both restricted -> either matches.
      {kBerlin, "0 0 1 * 1", "2026-06-20 00:00:00",
       {"2026-06-22 00:00:00", "2026-06-29 00:00:00", "2026-07-01 00:00:00",
        "2026-07-06 00:00:00"}},
      {kBerlin, "0 0 13 * fri", "2026-02-01 00:00:00",
       {"2026-02-06 00:00:00", "2026-02-13 00:00:00", "2026-02-20 00:00:00",
        "2026-02-27 00:00:00", "2026-03-06 00:00:00", "2026-03-13 00:00:00"}},
      // A field starting with '*' counts as unrestricted (Vixie): AND again.
      {kBerlin, "0 0 */10 * mon", "2026-01-01 00:00:00",
       {"2026-05-11 00:00:00", "2026-06-01 00:00:00", "2026-08-31 00:00:00"}},
      {kBerlin, "30 4 * jan-mar sun", "2026-03-20 00:00:00",
       {"2026-03-22 04:30:00", "2026-03-29 04:30:00", "2027-01-03 04:30:00"}},
      {kBerlin, "0 12 * * 7", "2026-05-04 00:00:00",
       {"2026-05-10 12:00:00", "2026-05-17 12:00:00"}},
      {kBerlin, "0 12 * * 0,6", "2026-05-04 00:00:00",
       {"2026-05-09 12:00:00", "2026-05-10 12:00:00", "2026-05-16 12:00:00"}},
      {kBerlin, "15 8-17/3 * * 1-5", "2026-05-08 12:00:00",
       {"2026-05-08 14:15:00", "2026-05-08 17:15:00", "2026-05-11 08:15:00"}},
      {kBerlin, "@daily", "2026-05-04 10:00:00",
       {"2026-05-05 00:00:00", "2026-05-06 00:00:00"}},
      {kBerlin, "@midnight", "2026-05-04 10:00:00", {"2026-05-05 00:00:00"}},
      {kBerlin, "@hourly", "2026-05-04 10:00:00",
       {"2026-05-04 11:00:00", "2026-05-04 12:00:00"}},
      {kBerlin, "@weekly", "2026-05-04 10:00:00",
       {"2026-05-10 00:00:00", "2026-05-17 00:00:00"}},
      {kBerlin, "@monthly", "2026-05-04 10:00:00",
       {"2026-06-01 00:00:00", "2026-07-01 00:00:00"}},
      {kUtc, "@yearly", "2026-05-04 10:00:00", {"2027-01-01 00:00:00", "2028-01-01 00:00:00"}},
      {kUtc, "@annually", "2026-05-04 10:00:00", {"2027-01-01 00:00:00"}},
  });
}

TEST(ScheduleTest, StrictlyAfterWholeSeconds) {
  ScopedTz tz(kUtc);
  auto s = Schedule::Parse("second=*/15");
  ASSERT_TRUE(s.ok());
  const TimeMs at15 = Utc("2026-05-04 10:00:15");
  EXPECT_EQ(at15, s->NextAfter(at15 - 1));
  EXPECT_EQ(at15, s->NextAfter(at15 - 14999));
  EXPECT_EQ(at15 + 15000, s->NextAfter(at15));
  EXPECT_EQ(at15 + 15000, s->NextAfter(at15 + 999));
}

// Europe/Berlin 2026-03-29: 02:00 CET jumps to 03:00 CEST.
TEST(ScheduleTest, DstSpringForwardSkipsMissingTimes) {
  ScopedTz tz(kBerlin);
  auto daily = Schedule::Parse("hour=2 minute=30");
  ASSERT_TRUE(daily.ok());
  EXPECT_EQ((Lines{"2026-03-28 02:30:00 CET", "2026-03-30 02:30:00 CEST",
                   "2026-03-31 02:30:00 CEST"}),
            Fires(*daily, Local("2026-03-27 12:00:00"), 3, true));

  auto often = Schedule::Parse("second=*/15");
  ASSERT_TRUE(often.ok());
  EXPECT_EQ((Lines{"2026-03-29 01:59:45 CET", "2026-03-29 03:00:00 CEST",
                   "2026-03-29 03:00:15 CEST"}),
            Fires(*often, Local("2026-03-29 01:59:30"), 3, true));

  auto cron = Schedule::Parse("30 2 * * *");
  ASSERT_TRUE(cron.ok());
  EXPECT_EQ((Lines{"2026-03-30 02:30:00 CEST"}),
            Fires(*cron, Local("2026-03-29 00:00:00"), 1, true));
}

// Europe/Berlin 2026-10-25: 03:00 CEST goes back to 02:00 CET (02:xx happens twice).
TEST(ScheduleTest, DstFallBackFixedTimeFiresOnce) {
  ScopedTz tz(kBerlin);
  auto daily = Schedule::Parse("hour=2 minute=30");
  ASSERT_TRUE(daily.ok());
  EXPECT_EQ((Lines{"2026-10-25 02:30:00 CEST", "2026-10-26 02:30:00 CET"}),
            Fires(*daily, Local("2026-10-24 12:00:00"), 2, true));
  // Asked during the second pass: the first occurrence is gone, no second fire.
  EXPECT_EQ((Lines{"2026-10-26 02:30:00 CET"}),
            Fires(*daily, Utc("2026-10-25 01:10:00"), 1, true));  // 02:10 CET
}

TEST(ScheduleTest, DstFallBackHourlyRunsOnRealTime) {
  ScopedTz tz(kBerlin);
  auto hourly = Schedule::Parse("minute=0");
  ASSERT_TRUE(hourly.ok());
  const TimeMs start = Utc("2026-10-24 22:30:00");  // 00:30 CEST
  EXPECT_EQ((Lines{"2026-10-25 01:00:00 CEST", "2026-10-25 02:00:00 CEST",
                   "2026-10-25 02:00:00 CET", "2026-10-25 03:00:00 CET",
                   "2026-10-25 04:00:00 CET"}),
            Fires(*hourly, start, 5, true));
  // Each UTC hour fires exactly once, strictly increasing.
  TimeMs t = start;
  for (int i = 0; i < 48; ++i) {
    const std::optional<TimeMs> next = hourly->NextAfter(t);
    ASSERT_TRUE(next.has_value());
    EXPECT_EQ(Utc("2026-10-24 23:00:00") + i * 3600000LL, *next) << i;
    t = *next;
  }

  auto quarter = Schedule::Parse("*/15 * * * *");
  ASSERT_TRUE(quarter.ok());
  EXPECT_EQ((Lines{"2026-10-25 02:45:00 CEST", "2026-10-25 02:00:00 CET",
                   "2026-10-25 02:15:00 CET", "2026-10-25 02:30:00 CET",
                   "2026-10-25 02:45:00 CET", "2026-10-25 03:00:00 CET"}),
            Fires(*quarter, Utc("2026-10-25 00:30:00"), 6, true));  // 02:30 CEST
}

TEST(ScheduleTest, DstRealTimeEverySecondThroughBothChanges) {
  ScopedTz tz(kBerlin);
  auto s = Schedule::Parse("second=*/30");
  ASSERT_TRUE(s.ok());
  for (const char* from : {"2026-03-29 00:30:00", "2026-10-25 00:30:00"}) {
    TimeMs t = Utc(from);
    for (int i = 0; i < 240; ++i) {  // two hours across the change
      const std::optional<TimeMs> next = s->NextAfter(t);
      ASSERT_TRUE(next.has_value());
      ASSERT_EQ(t + 30000, *next) << from << " step " << i << " " << Format(t, true);
      t = *next;
    }
  }
}

struct ErrorCase {
  std::string text;
  std::string message;
};

TEST(ScheduleTest, ParseErrorsGolden) {
  const ErrorCase cases[] = {
      {"", "empty schedule"},
      {"  ", "empty schedule"},
      {"hours=1",
       "unknown field 'hours' (expected year, month, day, week, day_of_week, hour, minute or "
       "second)"},
      {"start_date=2026-01-01",
       "unknown field 'start_date' (expected year, month, day, week, day_of_week, hour, minute "
       "or second)"},
      {"hour=1 hour=2", "field 'hour' given twice"},
      {"hour minute=5", "expected field=value, got 'hour'"},
      {"hour=", "hour='': empty value"},
      {"hour=x", "hour='x': 'x' is not a number"},
      {"hour=25", "hour='25': 25 is out of range 0-23"},
      {"hour=99999999999", "hour='99999999999': 99999999999 is out of range 0-23"},
      {"hour=-1", "hour='-1': bad range '-1'"},
      {"hour=1-", "hour='1-': bad range '1-'"},
      {"hour=5-3", "hour='5-3': range start 5 is after end 3"},
      {"hour=1,,2", "hour='1,,2': empty list element"},
      {"hour=1,", "hour='1,': empty list element"},
      {"minute=*/0", "minute='*/0': step must be at least 1"},
      {"minute=*/x", "minute='*/x': bad step 'x'"},
      {"minute=*/", "minute='*/': bad step ''"},
      {"second=60", "second='60': 60 is out of range 0-59"},
      {"day=0", "day='0': 0 is out of range 1-31"},
      {"day=32", "day='32': 32 is out of range 1-31"},
      {"week=0", "week='0': 0 is out of range 1-53"},
      {"month=13", "month='13': 13 is out of range 1-12"},
      {"month=foo", "month='foo': unknown month 'foo'"},
      {"day_of_week=7", "day_of_week='7': 7 is out of range 0-6"},
      {"day_of_week=mon-fry", "day_of_week='mon-fry': unknown weekday 'fry'"},
      {"year=1969", "year='1969': 1969 is out of range 1970-9999"},
      {"\"day=6th sun\"", "day='6th sun': bad ordinal '6th' (expected 1st..5th or last)"},
      {"\"day=3rd sunday\"", "day='3rd sunday': unknown weekday 'sunday'"},
      {"\"hour=3rd sun\"", "hour='3rd sun': bad value '3rd sun'"},
      {"hour=12 \"day=3rd sun", "unterminated double quote at column 9"},
      {"hour=12 'day=3rd sun", "unterminated single quote at column 9"},
      {"*/5 * * *", "crontab line needs 5 fields (minute hour day month day_of_week), got 4"},
      {"0 0 * * * *", "crontab line needs 5 fields (minute hour day month day_of_week), got 6"},
      {"hourly", "crontab line needs 5 fields (minute hour day month day_of_week), got 1"},
      {"60 * * * *", "minute='60': 60 is out of range 0-59"},
      {"0 24 * * *", "hour='24': 24 is out of range 0-23"},
      {"0 0 0 * *", "day='0': 0 is out of range 1-31"},
      {"0 0 last * *", "day='last': 'last' is not a number"},
      {"0 0 * 13 *", "month='13': 13 is out of range 1-12"},
      {"0 0 * * 8", "day_of_week='8': 8 is out of range 0-7"},
      {"0 0 * * mon-xyz", "day_of_week='mon-xyz': unknown weekday 'xyz'"},
      {"0 0 * foo *", "month='foo': unknown month 'foo'"},
      {"*/0 * * * *", "minute='*/0': step must be at least 1"},
      {"0 0 * * sat-sun", "day_of_week='sat-sun': range start 6 is after end 0"},
      {"@fortnightly",
       "unknown schedule alias '@fortnightly' (expected @yearly, @annually, @monthly, @weekly, "
       "@daily, @midnight or @hourly)"},
  };
  for (const ErrorCase& c : cases) {
    auto s = Schedule::Parse(c.text);
    ASSERT_FALSE(s.ok()) << c.text;
    EXPECT_EQ(Status::Code::kInvalidArgument, s.status().code()) << c.text;
    EXPECT_EQ(c.message, s.status().message()) << c.text;
  }
}

TEST(ScheduleTest, TextIsKeptAsGiven) {
  auto s = Schedule::Parse("  @daily ");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ("  @daily ", s->text());
}

}  // namespace
}  // namespace torque
