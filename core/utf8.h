// Text helpers every area shares: UTF-8 sequence checks and ASCII case folding.
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

}  // namespace torque
