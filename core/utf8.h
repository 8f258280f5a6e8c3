// Text helpers every area shares: UTF-8 sequence checks, ASCII classes and case folding,
// and bytes made printable for messages.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace torque {

// The length (1-4) of the valid UTF-8 sequence at the start of `s`, or 0 when it is not
// one (a stray continuation byte, an overlong form, a UTF-16 surrogate, above U+10FFFF,
// truncated, or `s` empty).
std::size_t Utf8SequenceLength(std::string_view s);

// `s` with A-Z (AsciiLower) or a-z (AsciiUpper) changed; every other byte as it is.
std::string AsciiLower(std::string_view s);
std::string AsciiUpper(std::string_view s);

// `s` lower-cased as Python's str.lower() does it (pyrocore's case folding), code point by
// code point from a table generated with Python (core/unicode_lower_gen.py): "Ü" → "ü",
// "Σ" → "σ", "İ" → "i" + U+0307. Bytes that are not valid UTF-8 stay as they are.
std::string Utf8Lower(std::string_view s);
// The lower case of one code point (one or two code points; {c, 0} when it has none).
struct LowerCodePoint {
  char32_t first;
  char32_t second;  // 0 unless the lower case is two code points (only U+0130)
};
LowerCodePoint LowerOf(char32_t c);

// 0-9, and the ASCII white space of C's isspace (space, \t \n \v \f \r), whatever the locale.
inline bool IsAsciiDigit(char c) { return c >= '0' && c <= '9'; }
inline bool IsAsciiSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

inline constexpr std::string_view kUpperHexDigits = "0123456789ABCDEF";

// `bytes` (a name, a key, a path part from a file) for a message: valid UTF-8 except
// control characters as it is, any other byte as \xNN, cut after about 60 bytes with "...".
std::string PrintableBytes(std::string_view bytes);

}  // namespace torque
