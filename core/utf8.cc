#include "core/utf8.h"

#include <algorithm>
#include <iterator>

namespace torque {
namespace {

struct LowerRow {
  char32_t from;
  char32_t first;
  char32_t second;
};

constexpr LowerRow kLowerTable[] = {
#include "core/unicode_lower_table.inc"
};

char32_t DecodeValid(std::string_view s, std::size_t len) {
  auto byte = [&](std::size_t k) -> char32_t { return static_cast<unsigned char>(s[k]); };
  if (len == 1) return byte(0);
  char32_t cp = byte(0) & (len == 2 ? 0x1F : len == 3 ? 0x0F : 0x07);
  for (std::size_t k = 1; k < len; ++k) cp = (cp << 6) | (byte(k) & 0x3F);
  return cp;
}

void AppendUtf8(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

}  // namespace

std::size_t Utf8SequenceLength(std::string_view s) {
  if (s.empty()) return 0;
  auto byte = [&](std::size_t k) -> unsigned { return static_cast<unsigned char>(s[k]); };
  const unsigned b = byte(0);
  if (b < 0x80) return 1;
  std::size_t len;
  unsigned lo = 0x80, hi = 0xBF;  // allowed range of the second byte
  if (b >= 0xC2 && b <= 0xDF) {
    len = 2;
  } else if (b >= 0xE0 && b <= 0xEF) {
    len = 3;
    if (b == 0xE0) lo = 0xA0;  // overlong
    if (b == 0xED) hi = 0x9F;  // surrogates
  } else if (b >= 0xF0 && b <= 0xF4) {
    len = 4;
    if (b == 0xF0) lo = 0x90;  // overlong
    if (b == 0xF4) hi = 0x8F;  // above U+10FFFF
  } else {
    return 0;  // continuation byte, C0/C1 (overlong), F5..FF
  }
  if (len > s.size()) return 0;
  if (byte(1) < lo || byte(1) > hi) return 0;
  for (std::size_t k = 2; k < len; ++k) {
    if ((byte(k) & 0xC0) != 0x80) return 0;
  }
  return len;
}

std::string AsciiLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::string AsciiUpper(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return out;
}

LowerCodePoint LowerOf(char32_t c) {
  if (c < 0x80) return {c >= U'A' && c <= U'Z' ? c - U'A' + U'a' : c, 0};
  const auto* row = std::lower_bound(std::begin(kLowerTable), std::end(kLowerTable), c,
                                     [](const LowerRow& r, char32_t v) { return r.from < v; });
  if (row == std::end(kLowerTable) || row->from != c) return {c, 0};
  return {row->first, row->second};
}

std::string Utf8Lower(std::string_view s) {
  // Most names are ASCII: they take the plain byte loop.
  if (std::none_of(s.begin(), s.end(),
                   [](char c) { return static_cast<unsigned char>(c) >= 0x80; })) {
    return AsciiLower(s);
  }
  std::string out;
  out.reserve(s.size() + 4);
  std::size_t i = 0;
  while (i < s.size()) {
    const std::size_t len = Utf8SequenceLength(s.substr(i));
    if (len == 0) {  // not UTF-8: kept as it is
      out += s[i++];
      continue;
    }
    const LowerCodePoint lower = LowerOf(DecodeValid(s.substr(i), len));
    AppendUtf8(out, lower.first);
    if (lower.second != 0) AppendUtf8(out, lower.second);
    i += len;
  }
  return out;
}

std::string PrintableBytes(std::string_view bytes) {
  constexpr size_t kMaxShown = 60;
  std::string out;
  size_t i = 0;
  while (i < bytes.size() && out.size() < kMaxShown) {
    const auto byte = static_cast<unsigned char>(bytes[i]);
    const size_t n = Utf8SequenceLength(bytes.substr(i));
    if (n > 1 || (n == 1 && byte >= 0x20 && byte != 0x7f)) {
      out.append(bytes.substr(i, n));
      i += n;
    } else {
      out += "\\x";
      out += kUpperHexDigits[byte >> 4];
      out += kUpperHexDigits[byte & 0xf];
      ++i;
    }
  }
  if (i < bytes.size()) out += "...";
  return out;
}

}  // namespace torque
