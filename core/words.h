// Shell-like word splitting and quoting (no expansion, no globbing).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace torque {

// Splits like a POSIX shell: blanks separate words, '...' is literal, "..."
// allows \" \\ \$ \` escapes, a backslash outside quotes escapes the next char.
// kInvalidArgument for an unterminated quote or a trailing backslash.
Result<std::vector<std::string>> SplitWords(std::string_view text);

// `word` quoted so SplitWords returns it unchanged (as is when it needs nothing).
std::string QuoteWord(std::string_view word);

// QuoteWord of each, joined by single spaces.
std::string JoinWords(const std::vector<std::string>& words);

}  // namespace torque
