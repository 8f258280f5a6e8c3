#include "core/words.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

namespace torque {
namespace {

using Words = std::vector<std::string>;

struct SplitCase {
  std::string text;
  Words words;
};

TEST(WordsTest, SplitGolden) {
  const SplitCase cases[] = {
      {"", {}},
      {"   \t\n ", {}},
      {"a", {"a"}},
      {"a b  c", {"a", "b", "c"}},
      {" \tleading and trailing\n", {"leading", "and", "trailing"}},
      {"fid:50", {"fid:50"}},
      {"'single quoted'", {"single quoted"}},
      {"'a\\b\"c$d`e'", {"a\\b\"c$d`e"}},  // nothing is special inside '...'
      {"\"double quoted\"", {"double quoted"}},
      {"\"esc \\\" \\\\ \\$ \\`\"", {"esc \" \\ $ `"}},
      {"\"keep \\n \\a \\'\"", {"keep \\n \\a \\'"}},  // other backslashes stay
      {"\"it's\"", {"it's"}},
      {"'say \"hi\"'", {"say \"hi\""}},
      {"a\\ b", {"a b"}},
      {"\\'", {"'"}},
      {"\\\"", {"\""}},
      {"\\\\", {"\\"}},
      {"\\a\\b", {"ab"}},
      {"pre'mid dle'post", {"premid dlepost"}},
      {"a\"b c\"'d e'f", {"ab cd ef"}},
      {"\"\"", {""}},
      {"''", {""}},
      {"a '' b", {"a", "", "b"}},
      {"\"\"''", {""}},
      {"one\\\ntwo", {"onetwo"}},  // backslash-newline continues the line
      {"one \\\n two", {"one", "two"}},
      {"\"one\\\ntwo\"", {"onetwo"}},
      {"tab\\\there", {"tab\there"}},
      {"multi\nline\targs", {"multi", "line", "args"}},
      {"$HOME `x` *.txt ~ ;|&", {"$HOME", "`x`", "*.txt", "~", ";|&"}},  // no expansion
      {"caf\xC3\xA9 '\xE2\x9C\x93 ok'", {"caf\xC3\xA9", "\xE2\x9C\x93 ok"}},
      {"#not-a-comment", {"#not-a-comment"}},
  };
  for (const auto& c : cases) {
    auto got = SplitWords(c.text);
    ASSERT_TRUE(got.ok()) << "[" << c.text << "]: " << got.status().ToString();
    EXPECT_EQ(*got, c.words) << "[" << c.text << "]";
  }
}

struct ErrorCase {
  std::string text;
  std::string message;
};

TEST(WordsTest, SplitErrorsGolden) {
  const ErrorCase cases[] = {
      {"'", "unterminated single quote at column 1"},
      {"abc 'def", "unterminated single quote at column 5"},
      {"\"", "unterminated double quote at column 1"},
      {"a \"b\\\"", "unterminated double quote at column 3"},
      {"\"ends in backslash\\", "unterminated double quote at column 1"},
      {"'ok' \"not", "unterminated double quote at column 6"},
      {"\"it's", "unterminated double quote at column 1"},
      {"\\", "trailing backslash"},
      {"abc\\", "trailing backslash"},
      {"'a' \\", "trailing backslash"},
  };
  for (const auto& c : cases) {
    auto got = SplitWords(c.text);
    ASSERT_FALSE(got.ok()) << "[" << c.text << "]";
    EXPECT_EQ(got.status().code(), Status::Code::kInvalidArgument);
    EXPECT_EQ(got.status().message(), c.message) << "[" << c.text << "]";
  }
}

TEST(WordsTest, QuoteGolden) {
  const std::pair<std::string, std::string> cases[] = {
      {"", "''"},
      {"plain", "plain"},
      {"A-Za-z0-9_@%+=:,./-", "A-Za-z0-9_@%+=:,./-"},
      {"/usr/bin/env", "/usr/bin/env"},
      {"two words", "'two words'"},
      {"it's", "'it'\\''s'"},
      {"'", "''\\'''"},
      {"$HOME", "'$HOME'"},
      {"a;b|c&d", "'a;b|c&d'"},
      {"back\\slash", "'back\\slash'"},
      {"\"dq\"", "'\"dq\"'"},
      {"new\nline", "'new\nline'"},
      {"*", "'*'"},
      {"~user", "'~user'"},
      {"caf\xC3\xA9", "'caf\xC3\xA9'"},
  };
  for (const auto& [word, quoted] : cases) EXPECT_EQ(QuoteWord(word), quoted) << word;
}

TEST(WordsTest, JoinGolden) {
  EXPECT_EQ(JoinWords({}), "");
  EXPECT_EQ(JoinWords({""}), "''");
  EXPECT_EQ(JoinWords({"", ""}), "'' ''");
  EXPECT_EQ(JoinWords({"/bin/echo", "hello world", "it's"}), "/bin/echo 'hello world' 'it'\\''s'");
}

// Random words over an alphabet rich in characters that need quoting.
Words RandomWords(std::mt19937& rng) {
  static const std::vector<std::string> kPieces = {"a",
                                                   "Z",
                                                   "0",
                                                   "_",
                                                   "-",
                                                   ".",
                                                   "/",
                                                   "=",
                                                   " ",
                                                   "  ",
                                                   "\t",
                                                   "\n",
                                                   "'",
                                                   "\"",
                                                   "\\",
                                                   "$",
                                                   "`",
                                                   "*",
                                                   "?",
                                                   "~",
                                                   "#",
                                                   ";",
                                                   "|",
                                                   "&",
                                                   "(",
                                                   ")",
                                                   "<",
                                                   ">",
                                                   "{",
                                                   "}",
                                                   "!",
                                                   "\r",
                                                   "\xC3\xA9",
                                                   "\xE2\x9C\x93",
                                                   "\xF0\x9F\x98\x80",
                                                   "\x7F",
                                                   std::string(1, '\0')};
  std::uniform_int_distribution<int> word_count(0, 6);
  std::uniform_int_distribution<int> piece_count(0, 8);
  std::uniform_int_distribution<size_t> piece(0, kPieces.size() - 1);
  Words words(word_count(rng));
  for (auto& word : words) {
    const int n = piece_count(rng);
    for (int i = 0; i < n; ++i) word += kPieces[piece(rng)];
  }
  return words;
}

TEST(WordsTest, JoinThenSplitRoundTrips) {
  std::mt19937 rng(20240611);
  for (int i = 0; i < 20000; ++i) {
    const Words words = RandomWords(rng);
    const std::string joined = JoinWords(words);
    auto split = SplitWords(joined);
    ASSERT_TRUE(split.ok()) << joined << ": " << split.status().ToString();
    ASSERT_EQ(*split, words) << joined;
    for (const auto& word : words) {
      auto single = SplitWords(QuoteWord(word));
      ASSERT_TRUE(single.ok());
      ASSERT_EQ(*single, Words{word});
    }
  }
}

TEST(WordsTest, SplitOfArbitraryTextIsStableUnderRequoting) {
  // Any text that splits must split the same way again after JoinWords.
  std::mt19937 rng(7);
  const std::string alphabet = "ab '\"\\$`\t\n\xC3\xA9";
  std::uniform_int_distribution<size_t> pick(0, alphabet.size() - 1);
  std::uniform_int_distribution<int> length(0, 24);
  int splittable = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string text;
    const int n = length(rng);
    for (int j = 0; j < n; ++j) text.push_back(alphabet[pick(rng)]);
    auto split = SplitWords(text);
    if (!split.ok()) {
      ASSERT_EQ(split.status().code(), Status::Code::kInvalidArgument);
      continue;
    }
    ++splittable;
    auto again = SplitWords(JoinWords(*split));
    ASSERT_TRUE(again.ok()) << text;
    ASSERT_EQ(*again, *split) << text;
  }
  EXPECT_GT(splittable, 1000);  // the property was actually exercised
}

}  // namespace
}  // namespace torque
