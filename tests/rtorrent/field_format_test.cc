// FormatFieldValue and FieldValueJson: every kind of value, exactly.
#include "jobs/rtorrent/field_format.h"

#include <gtest/gtest.h>

#include <string>
#include <variant>
#include <vector>

#include "tests/test_env.h"

namespace torque::rtorrent {
namespace {

using torque::testing::ScopedEnv;

TEST(FormatFieldValueTest, GoldenTable) {
  ScopedEnv tz("TZ", "UTC");
  struct Case {
    std::string field;
    FieldValue value;
    std::string text;
  };
  const std::vector<Case> cases = {
      {"is_open", true, "yes"},
      {"is_open", false, "no"},
      {"size", int64_t{0}, "0 B"},
      {"size", int64_t{1023}, "1023 B"},
      {"size", int64_t{1024}, "1.0 KiB"},
      {"size", int64_t{1536} << 20, "1.5 GiB"},
      {"size", int64_t{5} << 40, "5.0 TiB"},
      {"down", int64_t{2048}, "2.0 KiB/s"},
      {"loaded", int64_t{0}, "-"},
      {"loaded", int64_t{1710504059}, "2024-03-15 12:00"},
      {"completed", int64_t{86400}, "1970-01-02 00:00"},
      {"leechtime", std::monostate{}, "-"},
      {"leechtime", int64_t{0}, "0s"},
      {"leechtime", int64_t{45}, "45s"},
      {"seedtime", int64_t{303}, "5m3s"},
      {"seedtime", int64_t{3 * 86400 + 4 * 3600 + 59}, "3d4h"},
      {"ratio", 1.0, "1.00"},
      {"ratio", 0.125, "0.12"},
      {"done", 99.95, "100.0"},
      {"prio", int64_t{3}, "3"},
      {"tagged", std::vector<std::string>{}, "-"},
      {"tagged", std::vector<std::string>{"bar", "foo"}, "bar,foo"},
      {"hash", std::string("abcdef0123"), "ABCDEF0123"},
      {"name", std::string("two\tlines\n"), "two?lines?"},
      {"message", std::string(""), ""},
      {"files", std::vector<FileInfo>{{"a/b.mkv", 5}, {"c.nfo", 1}}, "a/b.mkv, c.nfo"},
  };
  for (const Case& c : cases) {
    auto field = LookupField(c.field);
    ASSERT_TRUE(field.ok()) << c.field;
    EXPECT_EQ(FormatFieldValue(*field, c.value), c.text) << c.field;
  }
  EXPECT_EQ(FieldValueJson(std::monostate{}).dump(), "null");
  EXPECT_EQ(FieldValueJson(std::vector<FileInfo>{{"a", 5}}).dump(), R"([{"path":"a","size":5}])");
}

}  // namespace
}  // namespace torque::rtorrent
