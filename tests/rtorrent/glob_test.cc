#include "jobs/rtorrent/glob.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/utf8.h"

namespace torque::rtorrent {
namespace {

struct GlobCase {
  const char* pattern;
  const char* text;
  bool matches;
};

// Expected values produced by Python's fnmatch.fnmatchcase.
TEST(GlobTest, MatchesLikeFnmatchcase) {
  const GlobCase cases[] = {
      {"*", "", true},
      {"*", "abc", true},
      {"a*", "abc", true},
      {"a*", "bac", false},
      {"*c", "abc", true},
      {"a*c", "ac", true},
      {"a*c", "abdc", true},
      {"a*c", "abcd", false},
      {"?", "a", true},
      {"?", "", false},
      {"??", "a", false},
      {"a?c", "abc", true},
      {"[abc]", "b", true},
      {"[abc]", "d", false},
      {"[a-c]x", "bx", true},
      {"[!a-c]x", "bx", false},
      {"[!a-c]x", "dx", true},
      {"[]]", "]", true},
      {"[!]]", "a", true},
      {"[!]]", "]", false},
      {"[a-]", "-", true},
      {"[", "[", true},
      {"[a", "[a", true},
      {"a[", "a[", true},
      {"[!]", "[!]", true},
      {"*.mkv", "show.mkv", true},
      {"*.mkv", "show.mkv.part", false},
      {"*a*b*c*", "xaybzc", true},
      {"*a*b*c*", "xaycb", false},
      {"a**b", "ab", true},
      {"\\*", "\\x", true},
      {"[\\]", "\\", true},
      {"[^a]", "^", true},
      {"[^a]", "b", false},
      {"f?o", "f\xC3\xA4o", true},
      {"*", "a\nb", true},
      {"[z-a]", "m", false},
      {"ABC", "abc", false},
      {"[\xC3\xA4-\xC3\xB6]", "\xC3\xB6", true},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(Glob(c.pattern).Match(c.text), c.matches) << c.pattern << " ~ " << c.text;
  }
}

TEST(GlobTest, LiteralRunsAndStars) {
  EXPECT_EQ(Glob("foo*bar?baz[xy]q").LiteralRuns(),
            (std::vector<std::string>{"foo", "bar", "baz", "q"}));
  EXPECT_EQ(Glob("*").LiteralRuns(), std::vector<std::string>{});
  EXPECT_EQ(Glob("a\xC3\xA4").LiteralRuns(), std::vector<std::string>{"a\x80"});
  EXPECT_TRUE(Glob("*foo*").OnlyStars());
  EXPECT_TRUE(Glob("foo").OnlyStars());
  EXPECT_FALSE(Glob("f?o").OnlyStars());
  EXPECT_FALSE(Glob("[ab]").OnlyStars());
  EXPECT_TRUE(Glob("[ab").OnlyStars());  // an unclosed '[' is a literal
}

TEST(GlobTest, MatchesUnicodeLowerCasedSides) {
  // Glob is case-sensitive; the condition language lower-cases both sides with Utf8Lower.
  auto match = [](std::string_view pattern, std::string_view text) {
    return Glob(Utf8Lower(pattern)).Match(Utf8Lower(text));
  };
  EXPECT_TRUE(match("*über*", "Über Alles"));
  EXPECT_TRUE(match("*MOTÖRHEAD*", "Motörhead - Ace"));
  EXPECT_TRUE(match("[à-ÿ]ber", "ÜBER"));
  EXPECT_FALSE(match("?stanbul", "İstanbul"));  // 'i' + U+0307: two characters
  EXPECT_TRUE(match("??stanbul", "İstanbul"));
  EXPECT_FALSE(match("*über*", "Uber"));
  EXPECT_FALSE(Glob("*über*").Match("Über"));  // Glob alone does not fold
}

TEST(GlobTest, Utf8AndCase) {
  EXPECT_EQ(DecodeUtf8("a\xC3\xA4\xE2\x82\xAC\xF0\x9F\x98\x80"),
            (std::u32string{U'a', U'\u00E4', U'\u20AC', U'\U0001F600'}));
  EXPECT_EQ(DecodeUtf8("\xC3"), std::u32string{U'\u00C3'});  // a broken byte stands for itself
  EXPECT_EQ(DecodeUtf8("\xFF"
                       "a"),
            (std::u32string{U'\u00FF', U'a'}));
  EXPECT_EQ(AsciiLower("AbC\xC3\x84"), "abc\xC3\x84");
}

}  // namespace
}  // namespace torque::rtorrent
