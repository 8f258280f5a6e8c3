#include "jobs/rtorrent/field_format.h"

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <iterator>
#include <type_traits>
#include <variant>
#include <vector>

#include "core/duration.h"
#include "core/utf8.h"

namespace torque::rtorrent {
namespace {


// Text for one table cell: control characters would break the row.
std::string Printable(std::string s) {
  for (char& c : s) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) c = '?';
  }
  return s;
}

std::string LocalMinute(int64_t unix_seconds) {
  if (unix_seconds == 0) return "-";
  std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  localtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M", &tm);
  return buf;
}

// "45s", "5m3s", "2h5m", "3d4h": whole seconds, else ShortDuration.
std::string Seconds(int64_t seconds) {
  if (seconds < 60) return std::to_string(std::max<int64_t>(seconds, 0)) + "s";
  return ShortDuration(seconds * 1000);
}

std::string Joined(const std::vector<std::string>& words, const char* separator) {
  if (words.empty()) return "-";
  std::string out;
  for (const std::string& w : words) out += (out.empty() ? "" : separator) + w;
  return out;
}

}  // namespace

std::string HumanSize(int64_t bytes) {
  if (bytes > -1024 && bytes < 1024) return std::to_string(bytes) + " B";
  static const char* const kUnits[] = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  double v = static_cast<double>(bytes) / 1024;
  size_t unit = 0;
  while ((v >= 1024 || v <= -1024) && unit + 1 < std::size(kUnits)) {
    v /= 1024;
    ++unit;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f %s", v, kUnits[unit]);
  return buf;
}

std::string FormatFieldValue(const Field& field, const FieldValue& value) {
  if (const auto* b = std::get_if<bool>(&value)) return *b ? "yes" : "no";
  if (const auto* s = std::get_if<std::string>(&value)) {
    return Printable(field.id == FieldId::kHash ? AsciiUpper(*s) : *s);
  }
  if (const auto* words = std::get_if<std::vector<std::string>>(&value)) {
    return Printable(Joined(*words, ","));
  }
  if (const auto* files = std::get_if<std::vector<FileInfo>>(&value)) {
    std::vector<std::string> paths;
    for (const auto& f : *files) paths.push_back(f.path);
    return Printable(Joined(paths, ", "));
  }
  if (const auto* d = std::get_if<double>(&value)) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", field.id == FieldId::kDone ? 1 : 2, *d);
    return buf;
  }
  if (const auto* i = std::get_if<int64_t>(&value)) {
    switch (field.matcher) {
      case MatcherType::kByteSize: {
        const bool rate = field.id == FieldId::kDown || field.id == FieldId::kUp;
        return HumanSize(*i) + (rate ? "/s" : "");
      }
      case MatcherType::kTime:
      case MatcherType::kTimeNotNull:
        return LocalMinute(*i);
      case MatcherType::kDuration:
        return Seconds(*i);
      case MatcherType::kBool:
        return *i ? "yes" : "no";
      default:
        return std::to_string(*i);
    }
  }
  return "-";
}

nlohmann::ordered_json FieldValueJson(const FieldValue& value) {
  using nlohmann::ordered_json;
  return std::visit(
      [](const auto& v) -> ordered_json {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::monostate>) {
          return nullptr;
        } else if constexpr (std::is_same_v<T, std::vector<FileInfo>>) {
          ordered_json files = ordered_json::array();
          for (const auto& f : v) files.push_back({{"path", f.path}, {"size", f.size}});
          return files;
        } else {
          return v;
        }
      },
      value);
}

}  // namespace torque::rtorrent
