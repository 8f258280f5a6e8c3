#include "core/ini_reader.h"

#include <ini.h>

#include <cctype>
#include <cstring>

namespace torque::config {
namespace {

// ini_parse_stream's reader and handler state over one in-memory text. The reader keeps
// the physical line number (inih calls the handler right after reading the line) and
// mirrors inih's line classification to know the section and continuation lines.
struct ParseState {
  std::string_view text;
  std::string file;
  size_t pos = 0;
  int line = 0;
  bool leading_space = false;  // the current line is indented
  bool after_key = false;      // inih's prev_name: a key was read since the last header
  std::string section;
  std::vector<Entry> entries;
  std::string error;
};

char* ReadLine(char* str, int num, void* stream) {
  auto* st = static_cast<ParseState*>(stream);
  if (!st->error.empty() || st->pos >= st->text.size()) return nullptr;
  size_t nl = st->text.find('\n', st->pos);
  size_t end = nl == std::string_view::npos ? st->text.size() : nl;
  std::string_view line = st->text.substr(st->pos, end - st->pos);
  st->pos = end + 1;
  ++st->line;
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  if (st->line == 1 && line.substr(0, 3) == "\xEF\xBB\xBF") line.remove_prefix(3);
  if (line.size() > kMaxLine || line.size() >= static_cast<size_t>(num)) {
    st->error = st->file + ":" + std::to_string(st->line) + ": line longer than " +
                std::to_string(kMaxLine) + " characters; continue the value on indented lines";
    return nullptr;
  }
  size_t first = 0;
  while (first < line.size() && std::isspace(static_cast<unsigned char>(line[first]))) ++first;
  st->leading_space = first > 0 && first < line.size();
  bool continuation = st->after_key && st->leading_space;
  if (first < line.size() && line[first] == '[' && !continuation) {
    size_t close = line.find(']', first);
    if (close != std::string_view::npos) {
      st->section = Trim(line.substr(first + 1, close - first - 1));
      st->after_key = false;
      Entry header{true, st->section, "", {"", {st->file, st->line}}};
      st->entries.push_back(std::move(header));
    }
  }
  std::memcpy(str, line.data(), line.size());
  str[line.size()] = '\0';
  return str;
}

int OnValue(void* user, const char* /*section*/, const char* name, const char* value) {
  auto* st = static_cast<ParseState*>(user);
  if (st->after_key && st->leading_space) {  // inih's continuation line
    // inih r55 keeps inline comments on continuation lines; later versions drop them.
    std::string_view v(value);
    for (size_t i = 1; i < v.size(); ++i) {
      if (v[i] == ';' && std::isspace(static_cast<unsigned char>(v[i - 1]))) {
        v = v.substr(0, i);
        break;
      }
    }
    std::string& joined = st->entries.back().setting.value;
    if (!joined.empty()) joined += '\n';
    joined += Trim(v);
    return 1;
  }
  st->after_key = true;
  st->entries.push_back(Entry{false, st->section, name, {value, {st->file, st->line}}});
  return 1;
}

}  // namespace

Result<std::vector<Entry>> ReadIni(const std::string& file, std::string_view text) {
  ParseState st;
  st.text = text;
  st.file = file;
  int rc = ini_parse_stream(&ReadLine, &st, &OnValue, &st);
  if (!st.error.empty()) return Status::InvalidArgument(st.error);
  if (rc > 0) return Status::InvalidArgument(file + ":" + std::to_string(rc) + ": syntax error");
  if (rc < 0) {
    return Status::Internal(file + ": ini_parse_stream failed (" + std::to_string(rc) + ")");
  }
  return std::move(st.entries);
}

std::string Trim(std::string_view s) {
  size_t b = 0;
  size_t e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return std::string(s.substr(b, e - b));
}

}  // namespace torque::config
