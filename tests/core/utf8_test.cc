#include "core/utf8.h"

#include <gtest/gtest.h>

namespace torque {
namespace {

TEST(Utf8Test, SequenceLengthGolden) {
  const std::pair<std::string, size_t> cases[] = {
      {"", 0},
      {"a", 1},
      {"\x7f", 1},
      {"\xc3\xa9x", 2},         // é
      {"\xe2\x9c\x93", 3},      // ✓
      {"\xf0\x9f\x8e\xac", 4},  // 🎬
      {"\xf4\x8f\xbf\xbf", 4},  // U+10FFFF
      {"\x80", 0},              // stray continuation
      {"\xc0\xaf", 0},          // overlong
      {"\xc1\xbf", 0},          // overlong
      {"\xe0\x80\xaf", 0},      // overlong
      {"\xed\xa0\x80", 0},      // surrogate
      {"\xf0\x80\x80\xaf", 0},  // overlong
      {"\xf4\x90\x80\x80", 0},  // above U+10FFFF
      {"\xf5\x80\x80\x80", 0},
      {"\xff", 0},
      {"\xc3", 0},  // truncated
      {"\xe2\x9c", 0},
      {"\xe2\x28\x93", 0},  // bad continuation
  };
  for (const auto& [text, len] : cases) EXPECT_EQ(Utf8SequenceLength(text), len) << text;
}

TEST(Utf8Test, AsciiCaseOnly) {
  EXPECT_EQ(AsciiLower("Content-Length: 12 ÄÖ"), "content-length: 12 ÄÖ");
  EXPECT_EQ(AsciiUpper("0f1e2d3c4b5a9z é"), "0F1E2D3C4B5A9Z é");
  EXPECT_EQ(AsciiLower(""), "");
}

TEST(Utf8Test, LowerFoldsAsPythonDoes) {
  const std::pair<std::string, std::string> cases[] = {
      {"", ""},
      {"Plain ASCII 123 [X-Y]", "plain ascii 123 [x-y]"},
      {"Über Alles", "über alles"},
      {"MOTÖRHEAD", "motörhead"},
      {"ΣΊΣΥΦΟΣ", "σίσυφοσ"},  // code point by code point: no final-sigma rule (Python: ς)
      {"İstanbul", "i\xCC\x87stanbul"},  // 'İ'.lower() is 'i̇': two code points
      {"\xE2\x84\xAA", "k"},             // KELVIN SIGN
      {"ÅNGSTRÖM Ǆ ẞ", "ångström ǆ ß"},
      {"Ꭰ 𐐀", "ꭰ 𐐨"},           // Cherokee (lowers to U+AB70), Deseret (4 bytes)
      {"ß ü 🎬 中文", "ß ü 🎬 中文"},  // no lower case, or already lower
  };
  for (const auto& [text, want] : cases) EXPECT_EQ(Utf8Lower(text), want) << text;
}

TEST(Utf8Test, LowerKeepsInvalidBytes) {
  EXPECT_EQ(Utf8Lower("A\xFF" "B\xC3"), "a\xFF" "b\xC3");
  EXPECT_EQ(Utf8Lower("\xC3\x9C\x80\xED\xA0\x80Ü"), "\xC3\xBC\x80\xED\xA0\x80ü");
  EXPECT_EQ(Utf8Lower("\xC0\x81X"), "\xC0\x81x");  // overlong 'A' is not an A
}

TEST(Utf8Test, LowerOfCodePoints) {
  EXPECT_EQ(LowerOf(U'A').first, U'a');
  EXPECT_EQ(LowerOf(U'a').first, U'a');
  EXPECT_EQ(LowerOf(U'\u00DC').first, U'\u00FC');
  EXPECT_EQ(LowerOf(U'\u03A3').first, U'\u03C3');
  EXPECT_EQ(LowerOf(U'\u0130').first, U'i');
  EXPECT_EQ(LowerOf(U'\u0130').second, U'\u0307');
  EXPECT_EQ(LowerOf(U'\u00DC').second, 0U);
  EXPECT_EQ(LowerOf(U'\U0010FFFF').first, U'\U0010FFFF');
}

TEST(Utf8Test, PrintableBytesGolden) {
  const std::pair<std::string, std::string> cases[] = {
      {"", ""},
      {"a b~", "a b~"},
      {"Caf\xc3\xa9", "Caf\xc3\xa9"},
      {std::string("a\0b", 3), "a\\x00b"},
      {"\x7f\t\xff\xc3", "\\x7F\\x09\\xFF\\xC3"},
      {std::string(61, 'x'), std::string(60, 'x') + "..."},
      {std::string(60, 'x'), std::string(60, 'x')},
  };
  for (const auto& [bytes, want] : cases) EXPECT_EQ(PrintableBytes(bytes), want) << bytes;
}

TEST(Utf8Test, AsciiClasses) {
  EXPECT_TRUE(IsAsciiDigit('0') && IsAsciiDigit('9'));
  EXPECT_FALSE(IsAsciiDigit('a') || IsAsciiDigit('\xd9'));
  for (char c : std::string(" \t\n\v\f\r")) EXPECT_TRUE(IsAsciiSpace(c));
  EXPECT_FALSE(IsAsciiSpace('x') || IsAsciiSpace('\xa0') || IsAsciiSpace('\0'));
}

}  // namespace
}  // namespace torque
