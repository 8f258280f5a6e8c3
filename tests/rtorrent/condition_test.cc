#include "jobs/rtorrent/condition.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "jobs/rtorrent/regex.h"
#include "tests/rtorrent/query_test_util.h"

namespace torque::rtorrent {
namespace {

using testing::kDay;
using testing::kNow;
using testing::MakeItem;

Condition Parse(const std::string& text) {
  auto c = ParseCondition(text);
  EXPECT_TRUE(c.ok()) << text << ": " << c.status().message();
  if (!c.ok()) return *ParseCondition("name=__never__");
  return *c;
}

bool Matches(const std::string& text, const Item& item, TimeSec now = kNow) {
  return Parse(text).Match(item, now);
}

// ---------------------------------------------------------------------------------------
// Parsing: canonical form.

struct CanonicalCase {
  const char* text;
  const char* canonical;
};

TEST(ConditionParseTest, CanonicalForms) {
  const CanonicalCase cases[] = {
      {"foo*", "name=foo*"},
      {"name=foo*", "name=foo*"},
      {"size>1g", "size=+1g"},
      {"size<1g", "size=-1g"},
      {"size=+1g", "size=+1g"},
      {"size=-1g", "size=-1g"},
      {"prio>=2", "prio=!-2"},
      {"prio<=2", "prio=!+2"},
      {"prio=!2", "prio=!2"},
      {"name!=foo", "name=!foo"},
      // An empty element of a comma list stays (fuzz finding: it used to be dropped).
      {"tagged=,b", "tagged=,b"},
      {"[ NOT tagged=,b ]", "NOT tagged=,b"},
      {"name<>foo", "name=!foo"},
      {"name~foo", "name=/foo/"},
      {"name~a,b", "name=/a,b/"},
      {"is_open=0", "is_open=no"},
      {"is_open=Y", "is_open=yes"},
      {"is_open=+", "is_open=yes"},
      {"is_open>", "is_open=yes"},  // '>' rewrites to '+', a true word in pyrocore
      {"a b OR c", "name=a name=b OR name=c"},
      {"a [ b OR c ]", "name=a [ name=b OR name=c ]"},
      {"a OR [ b c ]", "name=a OR name=b name=c"},
      {"[ a OR b ] [ c OR d ]", "[ name=a OR name=b ] [ name=c OR name=d ]"},
      {"[ a OR b ] OR c", "name=a OR name=b OR name=c"},
      {"a [ b c ] d", "name=a name=b name=c name=d"},
      {"a [ b OR c ] OR d", "name=a [ name=b OR name=c ] OR name=d"},
      {"a OR name=b,c", "name=a OR name=b,c"},
      {"NOT a b", "NOT name=a name=b"},
      {"NOT a OR b", "NOT name=a OR name=b"},
      {"[ NOT a ]", "name=!a"},
      {"x [ NOT a b ]", "name=x [ NOT name=a name=b ]"},
      {"NOT [ NOT a b ]", "NOT [ NOT name=a name=b ]"},
      {"[ [ a ] ]", "name=a"},
      {"tagged=!foo,bar", "tagged=!foo,bar"},
      {"kind_25=jpg,png,tif", "kind_25=jpg,png,tif"},
      {"[ NOT tagged=a,b ]", "NOT tagged=a,b"},
      {"x [ NOT tagged=a,b ]", "name=x [ NOT tagged=a,b ]"},
      {"name=/a,b/,c", "name=/a,b/,c"},
      {"name=a,,b", "name=a,,b"},
      {"name='foo bar'", "'name=foo bar'"},
      {"'name=foo bar'", "'name=foo bar'"},
      {"name=\"it's\"", "\"name=it's\""},
      {"name=a\\ b", "'name=a b'"},
      {"message=", "message="},
      {"message=\"\"", "message="},
      {"\"\"", "name="},
      {"path=!", "path=!"},
      {"or not", "name=or name=not"},
      {"is_open=no\n  prio>0\tdone=0", "is_open=no prio=+0 done=0"},
      {"custom_1=x d_down.rate>5 kind_007=mkv", "custom_1=x d_down.rate=+5 kind_007=mkv"},
      {"completed>2w3d", "completed=+2w3d"},
      {"tagged==foo", "tagged==foo"},
      {"name=!!x", "name=!!x"},
  };
  for (const auto& c : cases) {
    const Condition condition = Parse(c.text);
    EXPECT_EQ(condition.ToString(), c.canonical) << c.text;
    // The canonical form parses back to itself.
    EXPECT_EQ(Parse(condition.ToString()).ToString(), c.canonical) << c.text;
  }
}

TEST(ConditionParseTest, FieldsAreTheNamesRead) {
  EXPECT_EQ(Parse("is_open=no prio>0 [ name=a OR tagged=x ] foo prio<3").Fields(),
            (std::vector<std::string>{"is_open", "name", "prio", "tagged"}));
  EXPECT_EQ(Parse("kind_25=jpg custom_foo=x").Fields(),
            (std::vector<std::string>{"custom_foo", "kind_25"}));
}

// ---------------------------------------------------------------------------------------
// Parsing: every error, exactly.

struct ErrorCase {
  const char* text;
  const char* message;
};

TEST(ConditionParseTest, ErrorsSayWhatAndWhere) {
  const ErrorCase cases[] = {
      {"", "empty condition"},
      {"  \n ", "empty condition"},
      {"sise>1g", "unknown field 'sise' at column 1\n  sise>1g\n  ^"},
      {"is_open=no sise=1",
       "unknown field 'sise' at column 12\n  is_open=no sise=1\n             ^"},
      {"=x", "unknown field '' at column 1\n  =x\n  ^"},
      {"kind_101=x",
       "unknown field 'kind_101' (N of kind_N must be 0..100) at column 1\n  kind_101=x\n  ^"},
      {"custom_a-b=1", "unknown field 'custom_a-b' at column 1\n  custom_a-b=1\n  ^"},
      {"size>+1g", "operator '>' cannot be followed by '+' at column 6\n  size>+1g\n       ^"},
      {"size>=-1", "operator '>=' cannot be followed by '-' at column 7\n  size>=-1\n        ^"},
      {"size<-1", "operator '<' cannot be followed by '-' at column 6\n  size<-1\n       ^"},
      {"size<=+1", "operator '<=' cannot be followed by '+' at column 7\n  size<=+1\n        ^"},
      {"name!=+x", "operator '!=' cannot be followed by '+' at column 7\n  name!=+x\n        ^"},
      {"name<>-x", "operator '<>' cannot be followed by '-' at column 7\n  name<>-x\n        ^"},
      {"name~-x", "operator '~' cannot be followed by '-' at column 6\n  name~-x\n       ^"},
      {"is_open=maybe",
       "bad boolean value 'maybe' for field 'is_open' (expected one of true t yes y 1 + or "
       "false f no n 0 -) at column 9\n  is_open=maybe\n          ^"},
      {"is_open=no,maybe",
       "bad boolean value 'maybe' for field 'is_open' (expected one of true t yes y 1 + or "
       "false f no n 0 -) at column 12\n  is_open=no,maybe\n             ^"},
      {"is_open=!maybe",
       "bad boolean value 'maybe' for field 'is_open' (expected one of true t yes y 1 + or "
       "false f no n 0 -) at column 10\n  is_open=!maybe\n           ^"},
      {"prio>x", "bad number 'x' for field 'prio' at column 6\n  prio>x\n       ^"},
      {"prio>=x", "bad number 'x' for field 'prio' at column 7\n  prio>=x\n        ^"},
      {"prio=", "bad number '' for field 'prio' at column 6\n  prio=\n       ^"},
      {"ratio=1.5.2", "bad number '1.5.2' for field 'ratio' at column 7\n  ratio=1.5.2\n        ^"},
      {"size=1x",
       "bad size '1x' for field 'size' (expected a number with an optional unit b, k, m or g) "
       "at column 6\n  size=1x\n       ^"},
      {"size>g",
       "bad size 'g' for field 'size' (expected a number with an optional unit b, k, m or g) "
       "at column 6\n  size>g\n       ^"},
      {"completed>yesterday",
       "bad time 'yesterday' for field 'completed' (expected a Unix time, a delta like "
       "1y2m3w4d5h6i7s, or a date Y-M-D, M/D/Y or D.M.Y with an optional time H:M[:S]) at "
       "column 11\n  completed>yesterday\n            ^"},
      {"completed=2023-02-29",
       "bad time '2023-02-29' for field 'completed' (expected a Unix time, a delta like "
       "1y2m3w4d5h6i7s, or a date Y-M-D, M/D/Y or D.M.Y with an optional time H:M[:S]) at "
       "column 11\n  completed=2023-02-29\n            ^"},
      {"leechtime>2d1w",
       "bad time '2d1w' for field 'leechtime' (expected a Unix time, a delta like "
       "1y2m3w4d5h6i7s, or a date Y-M-D, M/D/Y or D.M.Y with an optional time H:M[:S]) at "
       "column 11\n  leechtime>2d1w\n            ^"},
      // PCRE2's reason, the caret where it points.
      {"name=/(/",
       "bad regex '(' for field 'name' (missing closing parenthesis) at column 8\n"
       "  name=/(/\n         ^"},
      {"name~(",
       "bad regex '(' for field 'name' (missing closing parenthesis) at column 7\n"
       "  name~(\n        ^"},
      {"name~(a|b",
       "bad regex '(a|b' for field 'name' (missing closing parenthesis) at column 10\n"
       "  name~(a|b\n           ^"},
      {"name~a)b",
       "bad regex 'a)b' for field 'name' (unmatched closing parenthesis) at column 7\n"
       "  name~a)b\n        ^"},
      {"name~x{2,1}",
       "bad regex 'x{2,1}' for field 'name' (numbers out of order in {} quantifier) at column "
       "11\n  name~x{2,1}\n            ^"},
      {"'name~\\u00e9'",
       "bad regex '\\u00e9' for field 'name' (PCRE2 does not support \\F, \\L, \\l, \\N{name}, "
       "\\U, or \\u) at column 9\n  'name~\\u00e9'\n          ^"},
      {"name={{x}}",
       "template value '{{x}}' for field 'name' is not supported at column 6\n  name={{x}}\n"
       "       ^"},
      {"a OR", "OR needs a condition on its right at column 3\n  a OR\n    ^"},
      {"OR a", "OR needs a condition on its left at column 1\n  OR a\n  ^"},
      {"a OR OR b", "OR needs a condition on its left at column 6\n  a OR OR b\n       ^"},
      {"[ a OR ]", "OR needs a condition on its right at column 5\n  [ a OR ]\n      ^"},
      {"[ a", "'[' without a matching ']' at column 1\n  [ a\n  ^"},
      {"x [ [ a ]", "'[' without a matching ']' at column 3\n  x [ [ a ]\n    ^"},
      {"a ]", "']' without a matching '[' at column 3\n  a ]\n    ^"},
      {"[ a ] ]", "']' without a matching '[' at column 7\n  [ a ] ]\n        ^"},
      {"[ ]", "empty group '[ ]' at column 1\n  [ ]\n  ^"},
      {"NOT", "NOT needs conditions after it at column 1\n  NOT\n  ^"},
      {"[ NOT ]", "NOT needs conditions after it at column 3\n  [ NOT ]\n    ^"},
      {"a NOT b", "NOT must start a group, as in '[ NOT a b ]' at column 3\n  a NOT b\n    ^"},
      {"NOT NOT a",
       "NOT must start a group, as in '[ NOT a b ]' at column 5\n  NOT NOT a\n      ^"},
      {"name='abc", "missing closing ' quote at column 6\n  name='abc\n       ^"},
      {"name=\"abc", "missing closing \" quote at column 6\n  name=\"abc\n       ^"},
      {"abc\\", "backslash at the end of the condition at column 4\n  abc\\\n     ^"},
      // Columns count characters, and tabs and newlines show as blanks.
      {"name=\xC3\xA4 sise=1",
       "unknown field 'sise' at column 8\n  name=\xC3\xA4 sise=1\n         ^"},
      {"is_open=no\n\tsise=1",
       "unknown field 'sise' at column 13\n  is_open=no  sise=1\n              ^"},
  };
  for (const auto& c : cases) {
    auto condition = ParseCondition(c.text);
    ASSERT_FALSE(condition.ok()) << c.text;
    EXPECT_EQ(condition.status().code(), Status::Code::kInvalidArgument) << c.text;
    EXPECT_EQ(condition.status().message(), c.message) << c.text;
  }
}

TEST(ConditionParseTest, GroupsNestAHundredDeepAndNoDeeper) {
  // Parsing, matching and printing recurse once per level: before the bound, a long run of
  // '[ ' overflowed the stack (5 000 levels under ASan).
  const auto nested = [](int depth) {
    std::string text = "name=x";
    for (int i = 0; i < depth; ++i) text = "[ NOT " + text + " ]";
    return text;
  };
  auto deep = ParseCondition(nested(100));
  ASSERT_TRUE(deep.ok()) << deep.status().message();
  EXPECT_TRUE(deep->Match(MakeItem({{"d.name=", Value("x")}}), kNow));  // an even number of NOTs
  EXPECT_TRUE(ParseCondition(deep->ToString()).ok());

  auto deeper = ParseCondition(nested(101));
  ASSERT_FALSE(deeper.ok());
  EXPECT_TRUE(deeper.status().message().starts_with("groups nest more than 100 deep at column 601"))
      << deeper.status().message();
  std::string flood_text;
  for (int i = 0; i < 100000; ++i) flood_text += "[ ";
  auto flood = ParseCondition(flood_text);
  ASSERT_FALSE(flood.ok());
  EXPECT_TRUE(flood.status().message().starts_with("groups nest more than 100 deep"))
      << flood.status().message();
}

// ---------------------------------------------------------------------------------------
// Matching, per matcher class.

struct MatchCase {
  const char* condition;
  std::map<std::string, Value> values;
  bool expected;
};

void ExpectMatches(const std::vector<MatchCase>& cases,
                   const std::vector<std::string>& extra = {}) {
  for (const auto& c : cases) {
    const Item item = MakeItem(c.values, extra);
    EXPECT_EQ(Matches(c.condition, item), c.expected) << c.condition;
  }
}

TEST(ConditionMatchTest, Patterns) {
  ExpectMatches(
      {
          {"name=foo*", {{"d.name=", "FooBar"}}, true},
          {"name=foo*", {{"d.name=", "barfoo"}}, false},
          {"name=*Bar*", {{"d.name=", "foobarbaz"}}, true},
          {"name=foo", {{"d.name=", "foobar"}}, false},  // a glob matches the whole value
          {"name=f?o", {{"d.name=", "fOo"}}, true},
          {"name=f?o", {{"d.name=", "fo"}}, false},
          {"name=f?o", {{"d.name=", "f\xC3\xA4o"}}, true},  // '?' is one character
          {"name=[a-c]x", {{"d.name=", "Bx"}}, true},
          {"name=[!a-c]x", {{"d.name=", "bx"}}, false},
          {"name=[!a-c]x", {{"d.name=", "dx"}}, true},
          {"name=/bar/", {{"d.name=", "FooBar"}}, true},  // a regex searches
          {"name=/^bar/", {{"d.name=", "foobar"}}, false},
          {"name~^foo", {{"d.name=", "Foobar"}}, true},
          {"'name=/^\\S+$/'", {{"d.name=", "nospace"}}, true},  // \S stays \S
          {"'name=/^\\S+$/'", {{"d.name=", "has space"}}, false},
          {"name=/a,b/", {{"d.name=", "xa,by"}}, true},
          {"foo*", {{"d.name=", "Foo.Bar"}}, true},
          {"or", {{"d.name=", "OR"}}, true},
          {"name=a,b", {{"d.name=", "b"}}, true},
          {"name=a,b", {{"d.name=", "c"}}, false},
          {"name=!a,b", {{"d.name=", "a"}}, false},
          {"name=!a,b", {{"d.name=", "b"}}, true},
          {"name=!a,b", {{"d.name=", "c"}}, true},
          {"name!=a", {{"d.name=", "a"}}, false},
          {"name!=a", {{"d.name=", "b"}}, true},
          {"message=", {{"d.message=", ""}}, true},
          {"message=", {{"d.message=", "x"}}, false},
          {"message=", {}, true},
          {"message=!", {{"d.message=", ""}}, false},
          {"message=!", {{"d.message=", "x"}}, true},
          {"message=/^$|ghost/", {{"d.message=", ""}}, true},
          {"message=/^$|ghost/", {{"d.message=", "Ghost item"}}, true},
          {"message=/^$|ghost/", {{"d.message=", "Tracker: timeout"}}, false},
          {"hash=abc*", {{"d.hash=", "ABCDEF"}}, true},
          {"throttle=none", {{"d.throttle_name=", ""}}, true},
          {"throttle=slow", {{"d.throttle_name=", "slow"}}, true},
          {"tracker=*example*",
           {{"t.multicall=,t.url=,t.is_enabled=", Array{Value(Array{"http://example.com/a", 1})}}},
           true},
          {"alias=example.com",
           {{"t.multicall=,t.url=,t.is_enabled=", Array{Value(Array{"http://tr.example.com:6969/a", 1})}}},
           true},
          {"custom_1=label*", {{"d.custom1=", "Label1"}}, true},
          {"custom_foo=bar", {{"d.custom=foo", "bar"}}, true},
          {"d_down.rate=5", {{"d.down.rate=", 5}}, true},
      },
      {"custom_1", "custom_foo", "d_down.rate"});
}

TEST(ConditionMatchTest, NonAsciiLettersFoldAsPythonLower) {
  // pyrocore lower-cases both sides with Python's str.lower(); so does torque, for globs,
  // equality, regexes, tags and file paths.
  ExpectMatches({
      {"name=*über*", {{"d.name=", "Über Alles"}}, true},
      {"name=*ÜBER*", {{"d.name=", "über alles"}}, true},
      {"*MOTÖRHEAD*", {{"d.name=", "Motörhead - Ace"}}, true},
      {"*MOTÖRHEAD*", {{"d.name=", "Motorhead - Ace"}}, false},
      {"name=Über", {{"d.name=", "üBER"}}, true},  // equality
      {"name=Über", {{"d.name=", "übers"}}, false},
      {"name!=Über", {{"d.name=", "üBER"}}, false},
      {"name=Ü?ber", {{"d.name=", "über"}}, false},  // whole value
      {"name=?ber*", {{"d.name=", "Über"}}, true},   // '?' is one character
      {"name=[à-ÿ]ber", {{"d.name=", "Über"}}, true},
      {"name=/motörhead/", {{"d.name=", "MOTÖRHEAD live"}}, true},
      {"name=/MOTÖRHEAD/", {{"d.name=", "motörhead"}}, true},
      {"'name=/^ÜBER\\s/'", {{"d.name=", "über alles"}}, true},
      {"'name=/^über\\S/'", {{"d.name=", "Über alles"}}, false},  // \S stays \S
      {"name~ΣΟΣ", {{"d.name=", "σοσ"}}, true},
      {"name=*kelvin*", {{"d.name=", "Kelvin"}}, true},  // KELVIN SIGN lowers to k
      {"name=i*", {{"d.name=", "İstanbul"}}, true},      // 'İ' lowers to i + U+0307
      {"name=istanbul", {{"d.name=", "İstanbul"}}, false},
      {"name=İstanbul", {{"d.name=", "İSTANBUL"}}, true},
      {"name=*über*", {{"d.name=", "\xFFÜber\xC3"}}, true},  // bad bytes kept
      {"tagged=über", {{"d.custom=tags", "ÜBER foo"}}, true},
      {"files=*/über.mkv",
       {{"f.multicall=,f.path=,f.size_bytes=", Array{Value(Array{"Show/ÜBER.MKV", 5})}}},
       true},
  });
}

TEST(ConditionMatchTest, RegexesSearchTheWholeValue) {
  std::string huge(100000, 'a');
  huge[4000] = 'x';
  huge.back() = 'z';
  EXPECT_TRUE(Matches("name~.*x", MakeItem({{"d.name=", huge}})));
  EXPECT_TRUE(Matches("name~z$", MakeItem({{"d.name=", huge}})));
  // A group repeated for every character of a long value: within the limits.
  EXPECT_TRUE(Matches("'name~^(a|x)+z$'", MakeItem({{"d.name=", huge.substr(90000)}})));
  EXPECT_FALSE(Matches("name~y", MakeItem({{"d.name=", huge}})));
  EXPECT_TRUE(Matches("name=*z", MakeItem({{"d.name=", huge}})));
  EXPECT_TRUE(
      Matches("traits==video,mkv", MakeItem({{"d.name=", huge}, {"d.custom=kind", "100%_mkv"}})));
}

TEST(ConditionMatchTest, RegexesReadLikePython) {
  // What pyrocore users write for Python's re.search, on the lower-cased value.
  ExpectMatches({
      {"'name~^foo(?=.*1080p)'", {{"d.name=", "Foo.S01.1080p"}}, true},  // lookahead
      {"'name~^foo(?!.*1080p)'", {{"d.name=", "Foo.S01.1080p"}}, false},
      {"'name~(?<=s01)e02'", {{"d.name=", "Foo.S01E02"}}, true},  // lookbehind
      {"'name~(?<!s01)e02'", {{"d.name=", "Foo.S01E02"}}, false},
      {"'name~^f.*?o$'", {{"d.name=", "foo"}}, true},  // lazy
      {"'name~(?i)FOO'", {{"d.name=", "foo"}}, true},
      {"'name~(?P<x>ab)-(?P=x)'", {{"d.name=", "AB-ab"}}, true},  // named groups
      {"'name~(ab)-\\1'", {{"d.name=", "ab-AB"}}, true},          // back reference
      {"'name~\\bs\\d{2}e\\d{2}\\b'", {{"d.name=", "Show S01E02 720p"}}, true},
      {"'name~[[:digit:]]{4}'", {{"d.name=", "Film (2024)"}}, true},
      {"'name~(?x) 20 \\d\\d  # a year'", {{"d.name=", "Film 2024"}}, true},
      {"'name~^\\w+$'", {{"d.name=", "Über"}}, true},          // \w is Unicode, as in Python 3
      {"'name~^\\d+$'", {{"d.name=", "\u0661\u0662"}}, true},  // so is \d
      {"'name~^.$'", {{"d.name=", "\u00fc"}}, true},           // '.' is one character
      {"'name~a.b'", {{"d.name=", "a\nb"}}, false},            // not a newline (no DOTALL)
      {"'name~^b'", {{"d.name=", "a\nb"}}, false},             // ^ is the start (no MULTILINE)
      {"'name~a$'", {{"d.name=", "xa\n"}}, true},              // $ before a final newline
      {"'name~\\x41'", {{"d.name=", "a"}}, true},
      {"'name~a*+a'", {{"d.name=", "aaa"}}, false},     // possessive (Python 3.11)
      {"'name~(?>a+)a'", {{"d.name=", "aaa"}}, false},  // atomic group
  });
}

TEST(ConditionMatchTest, RegexesFoldNonAsciiLettersAsPythonLower) {
  ExpectMatches({
      {"name~[à-ÿ]ber", {{"d.name=", "ÜBER"}}, true},  // a range of letters, not bytes
      {"name~^[^ü]", {{"d.name=", "Über"}}, false},
      {"name~İstanbul", {{"d.name=", "İSTANBUL"}}, true},  // both "i" + U+0307
      {"name~istanbul", {{"d.name=", "İstanbul"}}, false},
      {"name~\\xff", {{"d.name=", "a\xff"}}, false},  // UTF-8: U+00FF, not the byte
      {"name~\xff", {{"d.name=", "a\xff"}}, true},    // not UTF-8: bytes
      {"name~b.r",
       {{"d.name=",
         "\xff\xfe"
         "b\xc3r"}},
       false},                                            // a bad byte is no character
      {"name~ber", {{"d.name=", "\xffÜber\xc3"}}, true},  // the rest is searched
  });
}

// Regexes whose backtracking grows exponentially with the value: (a+)+ on "aaaa…!".
TEST(ConditionMatchTest, ARegexThatBacktracksTooMuchGivesUpAsNoMatch) {
  static std::vector<std::string> notices;
  SetRegexNoticeSink([](const std::string& message) { notices.push_back(message); });
  const Item item = MakeItem({{"d.name=", std::string(64, 'a') + "!"}, {"d.priority=", 1}});
  const Condition condition = Parse("'name~^(a+)+$' prio>0");
  EXPECT_FALSE(condition.Match(item, kNow));
  EXPECT_FALSE(condition.Match(item, kNow));
  EXPECT_EQ(condition.Explain(item, kNow),
            "name~^(a+)+$ (name=" + std::string(64, 'a') +
                "!; the regex on name gave up, too much backtracking)");
  ASSERT_EQ(notices.size(), 1u);  // once per regex, however often it gives up
  EXPECT_EQ(notices[0],
            "regex /^(a+)+$/ gave up on a value (match limit exceeded; too much backtracking) "
            "and counts as not matching it; nested quantifiers like (a+)+ are the usual cause");
  // A value it can decide quickly still matches.
  EXPECT_TRUE(condition.Match(MakeItem({{"d.name=", "aaaa"}, {"d.priority=", 1}}), kNow));
  // Negated, the term that gave up is "not matching", so its negation holds.
  EXPECT_TRUE(Matches("'name=!/^(a+)+$/'", item));
  // Other classics, each its own notice.
  EXPECT_FALSE(Matches("'name~^(a|aa)*$'", MakeItem({{"d.name=", std::string(80, 'a') + "b"}})));
  std::string words;
  for (int i = 0; i < 30; ++i) words += "word ";
  EXPECT_FALSE(Matches("'name~^(\\w+\\s?)*$'", MakeItem({{"d.name=", words + "!"}})));
  EXPECT_EQ(notices.size(), 4u);  // with the negated one above
  SetRegexNoticeSink(nullptr);
}

TEST(ConditionMatchTest, FuzzFindingRegexBacktrackingFinishes) {
  // tests/fuzz/corpus/condition/finding-regex-backtracking: std::regex took seconds on it.
  const std::string input(
      "name~.*+fffff#\x13[\x00\xfdt\x03pccff_fffffff#\x13[\x00\xfdt\x03pcc]ffffffff\\na"
      "me=/y\x00\x00\x00\x00\x00\x00\x00\\\\\\s_ghost\\\\\\\\\\X\\fffffff\x03\x03\x03"
      "\x03\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff"
      "\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff"
      "\xff\xff\xff\xff\xff\xff\xff\xff\\\\\\s_ghost\\\\\\\\\\X\\fffffff\x03\x03\x03"
      "\x03\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x03\x03\x03\x03\x03z",
      188);
  auto condition = ParseCondition(input);
  ASSERT_TRUE(condition.ok()) << condition.status().message();
  const Item item = MakeItem({{"d.name=", "Über Motörhead [2024] S01E02.mkv"}});
  EXPECT_FALSE(condition->Match(item, kNow));
  EXPECT_NE(condition->Explain(item, kNow), "");
}

TEST(ConditionMatchTest, Numbers) {
  ExpectMatches({
      {"prio=2", {{"d.priority=", 2}}, true},
      {"prio=2", {{"d.priority=", 1}}, false},
      {"prio>1", {{"d.priority=", 2}}, true},
      {"prio>1", {{"d.priority=", 1}}, false},
      {"prio=+1", {{"d.priority=", 2}}, true},
      {"prio<3", {{"d.priority=", 2}}, true},
      {"prio=-3", {{"d.priority=", 3}}, false},
      {"prio>=2", {{"d.priority=", 2}}, true},
      {"prio>=2", {{"d.priority=", 1}}, false},
      {"prio<=2", {{"d.priority=", 2}}, true},
      {"prio<=2", {{"d.priority=", 3}}, false},
      {"prio!=2", {{"d.priority=", 2}}, false},
      {"prio=1,3", {{"d.priority=", 3}}, true},
      {"prio>0", {}, false},  // missing counts as 0
      {"done=0", {{"d.completed_chunks=", 0}, {"d.size_chunks=", 4}}, true},
      {"done>50", {{"d.completed_chunks=", 3}, {"d.size_chunks=", 4}}, true},
      {"done=75", {{"d.completed_chunks=", 3}, {"d.size_chunks=", 4}}, true},
      {"done=0", {{"d.completed_chunks=", 0}, {"d.size_chunks=", 0}}, true},
      {"ratio>1.5", {{"d.ratio=", 1600}}, true},
      {"ratio>1.5", {{"d.ratio=", 1500}}, false},
      {"ratio=1.5", {{"d.ratio=", 1500}}, true},
      {"ratio<1e-1", {{"d.ratio=", 50}}, true},
      {"fno=3", {{"d.size_files=", 3}}, true},
      {"size>1g", {{"d.size_bytes=", int64_t{2} << 30}}, true},
      {"size>1g", {{"d.size_bytes=", int64_t{1} << 30}}, false},
      {"size=1G", {{"d.size_bytes=", int64_t{1} << 30}}, true},
      {"size<1.5k", {{"d.size_bytes=", 1500}}, true},
      {"size<1.5k", {{"d.size_bytes=", 1536}}, false},
      {"size>2m", {{"d.size_bytes=", (int64_t{2} << 20) + 1}}, true},
      {"size=100b", {{"d.size_bytes=", 100}}, true},
      {"size=100", {{"d.size_bytes=", 100}}, true},
      {"down>3", {{"d.down.rate=", 4}}, true},
      {"down>3", {{"d.down.rate=", 3}}, false},
      {"up>=1k", {{"d.up.rate=", 1024}}, true},
      {"uploaded>1m", {{"d.up.total=", 2 << 20}}, true},
      {"xfer>10", {{"d.up.rate=", 6}, {"d.down.rate=", 6}}, true},
      {"xfer>12", {{"d.up.rate=", 6}, {"d.down.rate=", 6}}, false},
  });
}

TEST(ConditionMatchTest, Booleans) {
  for (const char* yes : {"true", "t", "yes", "y", "1", "+", "YES", "True"}) {
    EXPECT_TRUE(Matches(std::string("is_open=") + yes, MakeItem({{"d.is_open=", 1}}))) << yes;
    EXPECT_FALSE(Matches(std::string("is_open=") + yes, MakeItem({{"d.is_open=", 0}}))) << yes;
  }
  for (const char* no : {"false", "f", "no", "n", "0", "-", "No"}) {
    EXPECT_TRUE(Matches(std::string("is_open=") + no, MakeItem({{"d.is_open=", 0}}))) << no;
    EXPECT_FALSE(Matches(std::string("is_open=") + no, MakeItem({{"d.is_open=", 1}}))) << no;
  }
  ExpectMatches({
      {"is_open=no", {}, true},  // missing is false
      {"is_open!=yes", {{"d.is_open=", 1}}, false},
      {"is_active=yes", {{"d.is_active=", 1}}, true},
      {"is_complete=yes", {{"d.complete=", 1}}, true},
      {"is_private=yes", {{"d.is_private=", 1}}, true},
      {"is_multi_file=no", {{"d.is_multi_file=", 0}}, true},
      {"is_ignored=no", {{"d.ignore_commands=", 0}}, true},
      {"is_ignored=yes", {{"d.ignore_commands=", 1}}, true},
  });
}

TEST(ConditionMatchTest, Ghosts) {
  const std::string dir = ::testing::TempDir();
  const std::string existing = dir + "/rtq_ghost_present";
  std::filesystem::create_directories(existing);
  EXPECT_TRUE(Matches("is_ghost=no", MakeItem({{"d.base_path=", existing}})));
  EXPECT_TRUE(Matches("is_ghost=yes", MakeItem({{"d.base_path=", dir + "/rtq_ghost_absent"}})));
  // No path at all is not a ghost (pyrocore: None).
  EXPECT_TRUE(Matches("is_ghost=no", MakeItem({})));
  std::filesystem::remove_all(existing);
}

TEST(ConditionMatchTest, TimesWithDeltasAreInverted) {
  testing::SetTimeZone("UTC0");
  ExpectMatches({
      // "+2w": older than two weeks.
      {"loaded>2w", {{"d.custom=tm_loaded", std::to_string(kNow - 15 * kDay)}}, true},
      {"loaded>2w", {{"d.custom=tm_loaded", std::to_string(kNow - 13 * kDay)}}, false},
      {"loaded=+2w", {{"d.custom=tm_loaded", std::to_string(kNow - 15 * kDay)}}, true},
      // "-2w" / "<2w": within the last two weeks.
      {"loaded<2w", {{"d.custom=tm_loaded", std::to_string(kNow - 13 * kDay)}}, true},
      {"loaded=-2w", {{"d.custom=tm_loaded", std::to_string(kNow - 15 * kDay)}}, false},
      {"started<2i", {{"d.custom=tm_started", std::to_string(kNow - 60)}}, true},
      {"started<2i", {{"d.custom=tm_started", std::to_string(kNow - 180)}}, false},
      {"started<2I", {{"d.custom=tm_started", std::to_string(kNow - 60)}}, true},
      {"completed>1d12h", {{"d.custom=tm_completed", std::to_string(kNow - 37 * 3600)}}, true},
      {"completed>1d12h", {{"d.custom=tm_completed", std::to_string(kNow - 35 * 3600)}}, false},
      {"completed>90s", {{"d.custom=tm_completed", std::to_string(kNow - 91)}}, true},
      // NotNull: an unset time never matches, except a comparison with 0.
      {"loaded>2w", {}, false},
      {"loaded<2w", {}, false},
      {"loaded<2w", {{"d.custom=tm_loaded", "garbage"}}, false},
      {"completed=0", {}, true},
      {"completed=0", {{"d.custom=tm_completed", "1700000000"}}, false},
      {"completed>0", {{"d.custom=tm_completed", "1700000000"}}, true},
      {"completed>0", {}, false},
      {"completed!=0", {}, false},
      // A Unix time is not inverted.
      {"loaded=1700000000", {{"d.custom=tm_loaded", "1700000000"}}, true},
      {"loaded>1700000000", {{"d.custom=tm_loaded", "1700000001"}}, true},
      {"loaded<1700000000", {{"d.custom=tm_loaded", "1700000001"}}, false},
      // Absolute dates compare as written (UTC here).
      {"loaded>2024-03-01", {{"d.custom=tm_loaded", std::to_string(kNow)}}, true},
      {"loaded<2024-03-01", {{"d.custom=tm_loaded", std::to_string(kNow)}}, false},
      {"loaded<3/16/2024", {{"d.custom=tm_loaded", std::to_string(kNow)}}, true},
      {"loaded<15.3.2024", {{"d.custom=tm_loaded", std::to_string(kNow)}}, false},
      {"'loaded=2024-03-15 12:00'", {{"d.custom=tm_loaded", std::to_string(kNow)}}, true},
      {"loaded=2024-03-15T12:00:00", {{"d.custom=tm_loaded", std::to_string(kNow)}}, true},
      {"loaded=2024-03-15T12", {{"d.custom=tm_loaded", std::to_string(kNow)}}, true},
      // active is a plain time: unset is 0, older than anything.
      {"active>1d", {}, true},
      {"active<1i", {{"d.peers_connected=", 2}}, true},
      {"active<1i", {{"d.custom=last_active", std::to_string(kNow - 30)}}, true},
      {"last_xfer<1i", {{"d.up.rate=", 6000}}, true},
      {"last_xfer<1i", {{"d.up.rate=", 4000}}, false},
      {"stopped>1h", {{"d.custom=activations", "R1700000000P1700000100"}}, true},
      {"stopped=0", {{"d.custom=activations", "R1700000000"}}, true},
  });
}

TEST(ConditionMatchTest, CalendarDeltasUseLocalTime) {
  testing::SetTimeZone(testing::kBerlinTz);
  // 2024-03-31 12:00 CEST minus one month is "2024-02-31", i.e. 2024-03-02 12:00 CET.
  const TimeSec now = 1711879200;
  const TimeSec month_ago = 1709377200;
  const std::string at = std::to_string(month_ago);
  const std::string before = std::to_string(month_ago - 1);
  EXPECT_TRUE(Matches("loaded>1m", MakeItem({{"d.custom=tm_loaded", before}}), now));
  EXPECT_FALSE(Matches("loaded>1m", MakeItem({{"d.custom=tm_loaded", at}}), now));
  EXPECT_TRUE(
      Matches("loaded<1M", MakeItem({{"d.custom=tm_loaded", std::to_string(month_ago + 1)}}), now));
  // 2024-02-29 minus one year is "2023-02-29", i.e. 2023-03-01.
  const TimeSec leap_day = 1709204400;
  const TimeSec year_ago = 1677668400;
  EXPECT_TRUE(Matches("loaded>1y", MakeItem({{"d.custom=tm_loaded", std::to_string(year_ago - 1)}}),
                      leap_day));
  EXPECT_FALSE(
      Matches("loaded>1y", MakeItem({{"d.custom=tm_loaded", std::to_string(year_ago)}}), leap_day));
  // Absolute dates are local too: 2024-03-15 00:00 CET is 23:00 UTC the day before.
  EXPECT_TRUE(Matches("loaded=2024-03-15", MakeItem({{"d.custom=tm_loaded", "1710457200"}})));
  testing::SetTimeZone("UTC0");
}

TEST(ConditionMatchTest, Durations) {
  testing::SetTimeZone("UTC0");
  const std::map<std::string, Value> leeched_1h = {
      {"d.custom=tm_started", std::to_string(kNow - 7200)},
      {"d.custom=tm_completed", std::to_string(kNow - 3600)}};
  ExpectMatches({
      {"leechtime=1h", leeched_1h, true},
      {"leechtime>1h", leeched_1h, false},
      {"leechtime>59i", leeched_1h, true},
      {"leechtime<2h", leeched_1h, true},  // durations are not inverted
      {"leechtime=3600", leeched_1h, true},
      {"leechtime>1w", leeched_1h, false},
      // Unknown (None): never matches, except "-0".
      {"leechtime>0", {}, false},
      {"leechtime<1h", {}, false},
      {"leechtime=0", {}, false},
      {"leechtime=-0", {}, true},
      {"leechtime<0", {}, true},
      {"seedtime=-0", {{"d.complete=", 0}}, true},
      {"seedtime>1h",
       {{"d.complete=", 1},
        {"d.custom=tm_completed", std::to_string(kNow - 7200)},
        {"d.custom=activations", "R" + std::to_string(kNow - 7200)}},
       true},
  });
}

TEST(ConditionMatchTest, Tagged) {
  ExpectMatches(
      {
          {"tagged=foo", {{"d.custom=tags", "Foo bar"}}, true},
          {"tagged=FOO", {{"d.custom=tags", "foo"}}, true},
          {"tagged=foo", {{"d.custom=tags", "foobar"}}, false},
          {"tagged==foo", {{"d.custom=tags", "foo"}}, true},
          {"tagged==foo", {{"d.custom=tags", "foo bar"}}, false},
          {"tagged==foo", {{"d.custom=tags", ""}}, false},
          {"tagged=", {{"d.custom=tags", ""}}, true},
          {"tagged=", {{"d.custom=tags", "  "}}, true},
          {"tagged=", {{"d.custom=tags", "x"}}, false},
          {"tagged=!", {{"d.custom=tags", ""}}, false},
          {"tagged=!", {{"d.custom=tags", "x"}}, true},
          {"tagged=!foo,bar", {{"d.custom=tags", "foo"}}, false},
          {"tagged=!foo,bar", {{"d.custom=tags", "foo bar"}}, true},
          {"tagged=!foo,bar", {{"d.custom=tags", "baz"}}, true},
          {"views=main", {{"d.views=", Array{"main", "seeding"}}}, true},
          {"views=started", {{"d.views=", Array{"main"}}}, false},
          {"kind=nfo", {{"d.custom=kind", "80%_mkv 15%_nfo 5%_jpg"}}, true},
          {"kind_25=jpg,png", {{"d.custom=kind", "80%_mkv 15%_nfo 5%_jpg"}}, false},
          {"kind_5=jpg,png", {{"d.custom=kind", "80%_mkv 15%_nfo 5%_jpg"}}, true},
          {"kind_80==mkv", {{"d.custom=kind", "80%_mkv 15%_nfo 5%_jpg"}}, true},
          {"traits=tv",
           {{"d.name=", "Show.S01E02.720p.HDTV.x264-GRP"}, {"d.custom=kind", "90%_mkv 10%_nfo"}},
           true},
          {"traits=mkv",
           {{"d.name=", "Show.S01E02.720p.HDTV.x264-GRP"}, {"d.custom=kind", "90%_mkv 10%_nfo"}},
           true},
          {"traits=", {{"d.name=", "x"}, {"d.custom=kind", "90%_exe 10%_nfo"}}, true},
          {"[ NOT [ traits=audio kind_25=jpg,png ] ]",
           {{"d.name=", "Album"}, {"d.custom=kind", "70%_flac 30%_jpg"}},
           false},
          {"[ NOT [ traits=audio kind_25=jpg,png ] ]",
           {{"d.name=", "Album"}, {"d.custom=kind", "90%_flac 10%_jpg"}},
           true},
      },
      {"kind_25", "kind_5", "kind_80"});
}

TEST(ConditionMatchTest, Files) {
  const std::map<std::string, Value> files = {
      {"f.multicall=,f.path=,f.size_bytes=",
       Array{Array{"Show/Episode.MKV", 5}, Array{"Show/info.nfo", 1}}}};
  ExpectMatches({
      {"files=*.mkv", files, true},
      {"files=show/*", files, true},
      {"files=*.avi", files, false},
      {"files=!*.avi", files, true},
      {"files=*.mkv", {}, false},
  });
}

// ---------------------------------------------------------------------------------------
// Structure: AND, OR, NOT.

TEST(ConditionMatchTest, OrBindsLooserThanAnd) {
  // "a b OR c" is (a AND b) OR c.
  const std::string text = "is_open=yes prio>1 OR tagged=x";
  struct Case {
    int open, prio;
    const char* tags;
    bool expected;
  } cases[] = {
      {1, 2, "", true}, {1, 1, "", false}, {0, 2, "", false}, {0, 0, "x", true}, {1, 1, "x", true},
  };
  for (const auto& c : cases) {
    const Item item =
        MakeItem({{"d.is_open=", c.open}, {"d.priority=", c.prio}, {"d.custom=tags", c.tags}});
    EXPECT_EQ(Matches(text, item), c.expected) << c.open << c.prio << c.tags;
  }
  // Brackets group: a [ b OR c ].
  const Item closed_tagged = MakeItem({{"d.is_open=", 0}, {"d.custom=tags", "x"}});
  EXPECT_FALSE(Matches("is_open=yes [ prio>1 OR tagged=x ]", closed_tagged));
}

TEST(ConditionMatchTest, NotNegatesTheWholeGroup) {
  const Item open_high = MakeItem({{"d.is_open=", 1}, {"d.priority=", 3}});
  const Item open_low = MakeItem({{"d.is_open=", 1}, {"d.priority=", 1}});
  EXPECT_FALSE(Matches("NOT is_open=yes prio>1", open_high));
  EXPECT_TRUE(Matches("NOT is_open=yes prio>1", open_low));
  // NOT a OR b is NOT (a OR b).
  EXPECT_FALSE(Matches("NOT prio>2 OR prio<2", open_low));
  EXPECT_TRUE(Matches("is_open=yes [ NOT prio>2 ]", open_low));
  EXPECT_FALSE(Matches("is_open=yes [ NOT prio>2 ]", open_high));
  EXPECT_TRUE(Matches("NOT [ NOT prio>2 ]", open_high));
}

// ---------------------------------------------------------------------------------------
// Explain: the failing clause as written and the values of the fields it reads.

struct ExplainCase {
  const char* condition;
  std::map<std::string, Value> values;
  const char* explanation;
};

TEST(ConditionExplainTest, GoldenTable) {
  const std::map<std::string, Value> queued = {
      {"d.is_open=", 0},         {"d.is_active=", 0},        {"d.complete=", 0},
      {"d.ignore_commands=", 0}, {"d.completed_chunks=", 0}, {"d.size_chunks=", 10},
      {"d.message=", ""},        {"d.priority=", 0}};
  auto with = [&queued](const std::string& command, Value value) {
    auto values = queued;
    values[command] = std::move(value);
    return values;
  };
  const std::map<std::string, Value> album = {
      {"d.name=", "Album"}, {"d.custom=kind", "70%_flac 30%_jpg"}, {"d.priority=", 1}};
  const ExplainCase cases[] = {
      // A term, in an AND: the first one that fails.
      {"is_ignored=no done=0 message=/^$|ghost/ prio>0", queued, "prio>0 (prio=0)"},
      {"prio>=1 is_open=yes", queued, "prio>=1 (prio=0)"},
      {"foo*", {{"d.name=", "bar"}}, "foo* (name=bar)"},
      // A comma list and a negated term are one word each.
      {"kind_25=jpg,png",
       {{"d.custom=kind", "80%_mkv 15%_nfo 5%_jpg"}},
       "kind_25=jpg,png (kind_25=mkv)"},
      {"name=!foo*", {{"d.name=", "FooBar"}}, "name=!foo* (name=FooBar)"},
      {"name!=foo", {{"d.name=", "foo"}}, "name!=foo (name=foo)"},
      {"tagged=!a,b", {{"d.custom=tags", "a"}}, "tagged=!a,b (tagged=a)"},
      // AND groups are looked into.
      {"[ is_open=no is_active=no is_complete=no ] [ is_ignored=no done=0 message=/^$|ghost/ "
       "prio>0 ]",
       with("d.complete=", 1), "is_complete=no (is_complete=yes)"},
      {"[ is_open=no is_active=no is_complete=no ] [ is_ignored=no done=0 message=/^$|ghost/ "
       "prio>0 ]",
       queued, "prio>0 (prio=0)"},
      // An OR group fails as a whole: in brackets, unless it is the whole condition.
      {"is_open=no [ prio>2 OR tagged=urgent ]", queued,
       "[ prio>2 OR tagged=urgent ] (prio=0, tagged=-)"},
      {"is_open=no [ is_active=yes prio>1 OR done>50 ]", queued,
       "[ is_active=yes prio>1 OR done>50 ] (done=0.0, is_active=no, prio=0)"},
      {"prio>2 OR tagged=urgent", queued, "prio>2 OR tagged=urgent (prio=0, tagged=-)"},
      {"is_open=no [ prio>2 OR [ NOT traits=audio kind_25=jpg,png ] ]", album,
       "[ prio>2 OR [ NOT traits=audio kind_25=jpg,png ] ] (kind_25=flac,jpg, prio=1, "
       "traits=audio,flac)"},
      // A NOT group too.
      {"is_open=no [ NOT [ traits=audio kind_25=jpg,png ] ]", album,
       "[ NOT traits=audio kind_25=jpg,png ] (kind_25=flac,jpg, traits=audio,flac)"},
      {"is_open=no [ NOT prio>0 ]", album, "[ NOT prio>0 ] (prio=1)"},
      {"NOT prio>0", album, "NOT prio>0 (prio=1)"},
      {"NOT is_open=no prio<1", queued, "NOT is_open=no prio<1 (is_open=no, prio=0)"},
      // Words keep their quoting; text values that are empty or hold blanks are quoted.
      {"is_open=no 'name=*foo bar*'", {{"d.name=", "a b"}}, "'name=*foo bar*' (name='a b')"},
      {"name=\"it's\"", {{"d.name=", "x"}}, "\"name=it's\" (name=x)"},
      {"message=/ghost/", {{"d.message=", ""}}, "message=/ghost/ (message='')"},
      // Each field once, in name order.
      {"[ prio>2 OR prio<0 OR name=x ]", queued, "prio>2 OR prio<0 OR name=x (name='', prio=0)"},
      // A match needs no explanation.
      {"is_ignored=no done=0 message=/^$|ghost/ prio>0", with("d.priority=", 2), ""},
  };
  for (const auto& c : cases) {
    const Item item = MakeItem(c.values, {"kind_25"});
    const std::string explanation = Parse(c.condition).Explain(item, kNow);
    EXPECT_EQ(explanation, c.explanation) << c.condition;
    // The clause can be tried on its own: it parses.
    if (!explanation.empty()) {
      const std::string clause = explanation.substr(0, explanation.rfind(" ("));
      EXPECT_TRUE(ParseCondition(clause).ok()) << clause;
    }
  }
}

TEST(ConditionMatchTest, QueueDefaults) {
  // pyrocore's default startable condition for the queue.
  const Condition startable = Parse(
      "[ is_open=no is_active=no is_complete=no ] [ is_ignored=no done=0 "
      "message=/^$|ghost/ prio>0 ]");
  const std::map<std::string, Value> queued = {
      {"d.is_open=", 0},         {"d.is_active=", 0},        {"d.complete=", 0},
      {"d.ignore_commands=", 0}, {"d.completed_chunks=", 0}, {"d.size_chunks=", 10},
      {"d.message=", ""},        {"d.priority=", 2}};
  EXPECT_TRUE(startable.Match(MakeItem(queued), kNow));
  auto prio0 = queued;
  prio0["d.priority="] = 0;
  EXPECT_FALSE(startable.Match(MakeItem(prio0), kNow));
  auto partial = queued;
  partial["d.completed_chunks="] = 1;
  EXPECT_FALSE(startable.Match(MakeItem(partial), kNow));
  auto failing = queued;
  failing["d.message="] = "Tracker: [Failure reason \"unregistered\"]";
  EXPECT_FALSE(startable.Match(MakeItem(failing), kNow));
  EXPECT_EQ(startable.ToString(),
            "is_open=no is_active=no is_complete=no is_ignored=no done=0 message=/^$|ghost/ "
            "prio=+0");
  const Condition downloading =
      Parse("is_active=1 is_complete=0 [ prio>1 [ down>3 OR started<2i ] ]");
  EXPECT_EQ(downloading.Fields(),
            (std::vector<std::string>{"down", "is_active", "is_complete", "prio", "started"}));
}

}  // namespace
}  // namespace torque::rtorrent
