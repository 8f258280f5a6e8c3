#include "jobs/settings.h"

#include <gtest/gtest.h>

#include "tests/jobs/job_type.h"

namespace torque::jobs {
namespace {

using torque::testing::TestType;

// The error of reading `key` = `value` with `read`, or "ok <value>".
template <typename Read>
std::string Outcome(const std::string& key, const std::string& value, Read read) {
  const JobTypeConfig type = TestType({{key, value}});
  const SettingReader reader(type);
  auto r = read(reader);
  if (!r.ok()) return r.status().message();
  return "ok";
}

TEST(SettingReaderTest, FallbacksWhenMissing) {
  const JobTypeConfig type = TestType({});
  const SettingReader r(type);
  EXPECT_EQ(r.Find("x"), nullptr);
  EXPECT_EQ(r.Text("x", "dflt"), "dflt");
  EXPECT_EQ(*r.Bool("x", true), true);
  EXPECT_EQ(*r.Int("x", 7, 0, 9), 7);
  EXPECT_EQ(*r.Duration("x", 1500), 1500);
  EXPECT_EQ(*r.ByteSize("x", 42), 42);
  auto c = r.Condition("x", "prio>0");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->ToString(), "prio=+0");
}

TEST(SettingReaderTest, ValuesGolden) {
  const JobTypeConfig type = TestType({{"b1", "Yes"},
                                       {"b2", "-"},
                                       {"i", "+12"},
                                       {"d", "1m30s"},
                                       {"d2", "90"},
                                       {"s1", "500k"},
                                       {"s2", "1.5M"},
                                       {"s3", "123"},
                                       {"s4", "2g"},
                                       {"c", "is_open=no prio>0"}});
  const SettingReader r(type);
  EXPECT_TRUE(*r.Bool("b1", false));
  EXPECT_FALSE(*r.Bool("b2", true));
  EXPECT_EQ(*r.Int("i", 0, 0, 100), 12);
  EXPECT_EQ(*r.Duration("d", 0), 90'000);
  EXPECT_EQ(*r.Duration("d2", 0), 90'000);
  EXPECT_EQ(*r.ByteSize("s1", 0), 500 * 1024);
  EXPECT_EQ(*r.ByteSize("s2", 0), 1536 * 1024);
  EXPECT_EQ(*r.ByteSize("s3", 0), 123);
  EXPECT_EQ(*r.ByteSize("s4", 0), 2LL * 1024 * 1024 * 1024);
  EXPECT_EQ(r.Condition("c", "")->ToString(), "is_open=no prio=+0");
}

TEST(SettingReaderTest, ErrorsGolden) {
  const std::string at = "torque.ini:2: job type 't': key 'k': ";
  EXPECT_EQ(Outcome("k", "maybe", [](const SettingReader& r) { return r.Bool("k", false); }),
            at + "expected a boolean (true/false, yes/no, on/off, 1/0), got 'maybe'");
  EXPECT_EQ(Outcome("k", "11", [](const SettingReader& r) { return r.Int("k", 0, 0, 10); }),
            at + "expected an integer 0..10, got '11'");
  EXPECT_EQ(Outcome("k", "x", [](const SettingReader& r) { return r.Int("k", 0, 0, 10); }),
            at + "expected an integer 0..10, got 'x'");
  EXPECT_EQ(
      Outcome("k", "soon", [](const SettingReader& r) { return r.Duration("k", 0); }).rfind(at, 0),
      0u);
  for (const char* bad : {"", "k", "1.2.3", "-5", "1x", "."}) {
    EXPECT_EQ(Outcome("k", bad, [](const SettingReader& r) { return r.ByteSize("k", 0); }),
              at + "expected a size in bytes (e.g. 500k, 2m, 1.5g), got '" + bad + "'")
        << bad;
  }
  EXPECT_EQ(Outcome("k", "sise>1g", [](const SettingReader& r) { return r.Condition("k", ""); }),
            at + "unknown field 'sise' at column 1\n  sise>1g\n  ^");
  EXPECT_EQ(
      Outcome("k", "{x}", [](const SettingReader& r) { return r.Template("k", "", {"path"}); }),
      at + "unknown placeholder '{x}' (known: {path}; write {{ and }} for literal braces)");
}

TEST(SettingReaderTest, FailNamesTheSettingOrTheType) {
  const JobTypeConfig type = TestType({{"k", "v"}});
  const SettingReader r(type);
  EXPECT_EQ(r.Fail("k", "too big").message(), "torque.ini:2: job type 't': key 'k': too big");
  EXPECT_EQ(r.Fail("other", "needed").message(), "torque.ini:1: job type 't': key 'other': needed");
}

TEST(SettingReaderTest, ConditionSettingOutsideTheType) {
  Setting s{"is_open=no [", {"torque.ini", 9}};
  auto c = ParseConditionSetting(s, "[TORQUE] key 'queue_startable_base'");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().message(),
            "torque.ini:9: [TORQUE] key 'queue_startable_base': '[' without a matching ']' at "
            "column 12\n  is_open=no [\n             ^");
}

}  // namespace
}  // namespace torque::jobs
