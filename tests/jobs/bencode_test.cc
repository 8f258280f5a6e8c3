#include "jobs/bencode.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace torque::jobs {
namespace {

// "ok <length>" or the error text of ScanBencode, with " [truncated]" when it says so.
std::string Scanned(std::string_view bytes) {
  bool truncated = true;
  Result<size_t> r = ScanBencode(bytes, &truncated);
  std::string out = r.ok() ? "ok " + std::to_string(*r) : r.status().message();
  return truncated ? out + " [truncated]" : out;
}

TEST(BencodeTest, SyntaxGolden) {
  const std::string deep_ok = std::string(64, 'l') + std::string(64, 'e');
  const std::string too_deep = std::string(65, 'l') + std::string(65, 'e');
  const std::pair<std::string, std::string> cases[] = {
      {"i42e", "ok 4"},
      {"i-42e", "ok 5"},
      {"i0e", "ok 3"},
      {"i9223372036854775807e", "ok 21"},
      {"i-9223372036854775808e", "ok 22"},
      {"0:", "ok 2"},
      {"3:a:e", "ok 5"},
      {"le", "ok 2"},
      {"de", "ok 2"},
      {"d1:bi1e1:ai2ee", "ok 14"},  // keys out of order are accepted
      {"li1ee \r\n\t\f\v", "ok 5"},
      {deep_ok, "ok 128"},
      {"i042e", "not bencoded: leading zero in integer at byte 0"},
      {"i-042e", "not bencoded: leading zero in integer at byte 0"},
      {"li00e", "not bencoded: leading zero in integer at byte 1"},
      {"i-0e", "not bencoded: negative zero in integer at byte 0"},
      {"ie", "not bencoded: empty integer at byte 0"},
      {"i-e", "not bencoded: empty integer at byte 0"},
      {"i9223372036854775808e", "not bencoded: integer out of range at byte 0"},
      {"i-9223372036854775809e", "not bencoded: integer out of range at byte 0"},
      {"i4x2e", "not bencoded: unexpected 'x' in integer at byte 2"},
      {"i+1e", "not bencoded: unexpected '+' in integer at byte 1"},
      {"03:abc", "not bencoded: leading zero in string length at byte 0"},
      {"00:", "not bencoded: leading zero in string length at byte 0"},
      {"3x", "not bencoded: unexpected 'x' in string length at byte 1"},
      {"-3:abc", "not bencoded: unexpected '-' at byte 0"},
      {"x", "not bencoded: unexpected 'x' at byte 0"},
      {"<html>", "not bencoded: unexpected '<' at byte 0"},
      {"\x89PNG", "not bencoded: unexpected '\\x89' at byte 0"},
      {"e", "not bencoded: unexpected 'e' at byte 0"},
      {"di1e1:ae", "not bencoded: dict key is not a string at byte 1"},
      {"dlee", "not bencoded: dict key is not a string at byte 1"},
      {"d1:ae", "not bencoded: key 'a' has no value at byte 4"},
      {"d1:ai1e1:bi2e1:ai3ee", "not bencoded: duplicate key 'a' at byte 13"},
      {"d1:bi1e1:ai2e1:bi3e1:ai4ee", "not bencoded: duplicate key 'b' at byte 13"},
      {"ld1:ai1eed1:ai1e1:ai1ee", "not bencoded: duplicate key 'a' at byte 16"},
      {too_deep, "not bencoded: nested deeper than 64 levels at byte 64"},
      {"i1ei2e", "trailing data after the metafile at byte 3"},
      {"le \n x", "trailing data after the metafile at byte 5"},
  };
  for (const auto& [bytes, want] : cases) EXPECT_EQ(Scanned(bytes), want) << bytes;
  // A NUL byte needs an explicit length.
  EXPECT_EQ(Scanned(std::string("le\0", 3)), "trailing data after the metafile at byte 2");
}

TEST(BencodeTest, TruncationGolden) {
  const std::string cases[] = {
      "",
      "i",
      "i-",
      "i12",
      "i-5",
      "1",
      "12",
      "3:ab",
      "0",
      "l",
      "li1e",
      "lli1ee",
      "d",
      "d1",
      "d1:",
      "d1:a",
      "d1:ai",
      "d1:ai1e",
      "d1:ad1:b",
      "d1:ad1:bi1ee",
      std::string(64, 'l'),
      "99999999999999999999999:x",
  };
  for (const std::string& bytes : cases) {
    EXPECT_EQ(Scanned(bytes), "truncated at byte " + std::to_string(bytes.size()) +
                                  " (is it still being written?) [truncated]")
        << bytes;
  }
  // What is wrong already is reported even before the end.
  EXPECT_EQ(Scanned("li01"), "not bencoded: leading zero in integer at byte 1");
  EXPECT_EQ(Scanned("i-0"), "not bencoded: negative zero in integer at byte 0");
  EXPECT_EQ(Scanned("01"), "not bencoded: leading zero in string length at byte 0");
  EXPECT_EQ(Scanned("d1:ai1ex"), "not bencoded: dict key is not a string at byte 7");
}

TEST(BencodeTest, DeepNestingStopsAtTheLimit) {
  // No recursion: far more openers than any stack could take end at the limit.
  const std::string bytes(1'000'000, 'l');
  EXPECT_EQ(Scanned(bytes), "not bencoded: nested deeper than 64 levels at byte 64");
  EXPECT_EQ(Scanned(std::string(1'000'000, 'd')),
            "not bencoded: dict key is not a string at byte 1");
}

// The value as a tree of its kinds, read through BencodeValue: strings as 'text', integers
// as their value, lists as [...] and dicts as {key:value,...}.
std::string Shape(const BencodeValue& v) {
  if (v.IsString()) return "'" + std::string(v.Text()) + "'";
  if (std::optional<int64_t> i = v.Int()) return std::to_string(*i);
  const bool dict = v.IsDict();
  if (!dict && !v.IsList()) return "?";
  std::string out = dict ? "{" : "[";
  const std::vector<BencodeValue> items = v.Items();
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += dict && i % 2 == 1 ? ":" : ",";
    out += Shape(items[i]);
  }
  return out + (dict ? "}" : "]");
}

TEST(BencodeTest, ValueGolden) {
  const std::pair<std::string, std::string> cases[] = {
      {"i42e", "42"},
      {"i-9223372036854775808e", "-9223372036854775808"},
      {"0:", "''"},
      {"4:l:ie", "'l:ie'"},
      {"le", "[]"},
      {"de", "{}"},
      {"li1e2:abl0:ee", "[1,'ab',['']]"},
      {"d1:bi1e1:ald1:xleeee", "{'b':1,'a':[{'x':[]}]}"},  // in the file's order
      {"l9:de1:a2:xyli7eee", "['de1:a2:xy',[7]]"},         // a string that looks like a dict
  };
  for (const auto& [bytes, want] : cases) {
    ASSERT_TRUE(ScanBencode(bytes).ok()) << bytes;
    EXPECT_EQ(Shape(BencodeValue(bytes)), want) << bytes;
  }
  EXPECT_EQ(BencodeValue("3:abc").Int(), std::nullopt);
  EXPECT_EQ(BencodeValue("i3e").Text(), "");
  EXPECT_TRUE(BencodeValue("3:abc").Items().empty());
  EXPECT_EQ(BencodeValue("d1:ai1ee").raw(), "d1:ai1ee");
}

TEST(BencodeTest, DictGet) {
  const std::string bytes = "d1:bi1e4:infod1:ci2ee1:a0:e";
  const BencodeDict dict{BencodeValue(bytes)};
  ASSERT_NE(dict.Get("info"), nullptr);
  EXPECT_EQ(dict.Get("info")->raw(), "d1:ci2ee");
  EXPECT_EQ(dict.Get("b")->Int(), 1);
  EXPECT_EQ(dict.Get("a")->Text(), "");
  EXPECT_EQ(dict.Get("c"), nullptr);  // only the dict's own keys
  EXPECT_EQ(BencodeDict(*dict.Get("info")).Get("c")->Int(), 2);
}

TEST(BencodeTest, ItemsCoverTheirContainer) {
  // On bytes ScanBencode accepted the items are the container's bytes, split; on any other
  // bytes they stay inside it.
  std::mt19937 random(7);
  const std::string alphabet = "ield-0123:x";
  int accepted = 0;
  for (int round = 0; round < 20000; ++round) {
    std::string bytes(1 + random() % 12, ' ');
    for (char& c : bytes) c = alphabet[random() % alphabet.size()];
    bytes[0] = random() % 2 ? 'l' : 'd';
    const bool ok = ScanBencode(bytes).ok();
    accepted += ok;
    const BencodeValue value(bytes);
    std::string joined;
    for (const BencodeValue& item : value.Items()) {
      ASSERT_GE(item.raw().data(), bytes.data()) << bytes;
      ASSERT_LE(item.raw().data() + item.raw().size(), bytes.data() + bytes.size()) << bytes;
      joined += item.raw();
    }
    if (ok) {
      EXPECT_EQ(joined, bytes.substr(1, bytes.size() - 2)) << bytes;
    }
  }
  EXPECT_GT(accepted, 100);
}

}  // namespace
}  // namespace torque::jobs
