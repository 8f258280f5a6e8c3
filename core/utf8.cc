#include "core/utf8.h"

namespace torque {

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
