// Tags in d.custom=tags: splitting as pyrosimple reads them, editing as `tag`/`untag` write them.
#include "jobs/rtorrent/tags.h"

#include <gtest/gtest.h>

namespace torque::rtorrent {
namespace {

using Words = std::vector<std::string>;

TEST(SplitTagsTest, BlanksAndCommasSeparateWordsLowerCasedSortedOnce) {
  EXPECT_EQ(SplitTags(""), Words{});
  EXPECT_EQ(SplitTags("  \t "), Words{});
  EXPECT_EQ(SplitTags("Foo bar,baz\tfoo  ,, BAR"), (Words{"bar", "baz", "foo"}));
  EXPECT_EQ(SplitTags("a\nb"), (Words{"a", "b"}));
}

TEST(EditTagsTest, AddsAndRemovesWritingSortedWordsWithSingleSpaces) {
  struct Case {
    std::string current;
    Words add, remove;
    std::optional<std::string> expect;
  };
  const Case cases[] = {
      {"", {"new"}, {}, "new"},
      {"b a", {"c"}, {}, "a b c"},
      {"Foo bar", {"baz"}, {}, "bar baz foo"},  // lower-cased as pyrosimple writes them
      {"a b c", {}, {"b"}, "a c"},
      {"a", {}, {"a"}, ""},               // the last tag goes: an empty value
      {"a b", {"a"}, {}, std::nullopt},   // already tagged: nothing to write
      {"a b", {}, {"x"}, std::nullopt},   // not tagged: nothing to write
      {"A  b", {"a"}, {}, std::nullopt},  // the same set, however it is spelled
      {"a", {"x"}, {"x"}, std::nullopt},  // added, then removed
      {"", {}, {}, std::nullopt},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(EditTags(c.current, c.add, c.remove), c.expect) << "'" << c.current << "'";
  }
}

}  // namespace
}  // namespace torque::rtorrent
