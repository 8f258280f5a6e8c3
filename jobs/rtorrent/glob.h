// Glob: Python's fnmatch.fnmatchcase, the glob dialect of pyrocore conditions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace torque::rtorrent {

// A compiled shell pattern: '*' any run, '?' one character, "[seq]" / "[!seq]" a set with
// a-z ranges, everything else literal (an unclosed '[' too). The whole text must match.
// Works on UTF-8 code points and is case-sensitive (callers lower-case both sides with
// Utf8Lower, as pyrocore does with Python's lower()).
class Glob {
 public:
  explicit Glob(std::string_view pattern);

  bool Match(std::string_view text) const;
  // The literal runs between wildcards and sets, e.g. "foo*bar?" → {"foo", "bar"}.
  std::vector<std::string> LiteralRuns() const;
  // True when the pattern has no '?' and no set (only literals and '*').
  bool OnlyStars() const;

 private:
  struct Range {
    char32_t first;
    char32_t last;
  };
  struct Token {
    enum class Kind { kLiteral, kAny, kStar, kSet } kind;
    char32_t ch = 0;
    bool negated = false;
    std::vector<Range> ranges;
  };
  bool MatchToken(const Token& token, char32_t c) const;

  std::vector<Token> tokens_;
};

// Decodes UTF-8 leniently (an invalid byte stands for itself).
std::u32string DecodeUtf8(std::string_view text);
// Lower-cases ASCII letters only (protocol headers, file extensions); the condition
// language folds all of Unicode with core's Utf8Lower.
std::string AsciiLower(std::string_view text);

}  // namespace torque::rtorrent
