// The inih reading layer of the configuration: one in-memory text to raw entries.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "core/config.h"
#include "core/status.h"

namespace torque::config {

// inih reads lines into a 200-byte buffer (INI_MAX_LINE) and silently splits longer ones.
inline constexpr size_t kMaxLine = 199;

// One line of a source as inih delivers it: a key = value or a section header.
struct Entry {
  bool header = false;
  std::string section;
  std::string key;
  Setting setting;  // value (continuation lines joined with '\n') and where it started
};

// Parses `text` with inih; `file` names it in messages and in each entry's location.
// Returns the headers and key = value lines in order. Fails with kInvalidArgument
// "file:line: ..." for a line longer than kMaxLine or a syntax error, kInternal when
// inih itself fails.
Result<std::vector<Entry>> ReadIni(const std::string& file, std::string_view text);

// `s` without leading and trailing white space.
std::string Trim(std::string_view s);

}  // namespace torque::config
