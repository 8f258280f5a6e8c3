#include "jobs/rtorrent/time_spec.h"

#include <algorithm>
#include <cctype>
#include <ctime>
#include <regex>
#include <string>
#include <vector>

namespace torque::rtorrent {
namespace {

constexpr size_t kMaxDeltaDigits = 9;  // keeps year/month arithmetic inside mktime's range

bool AllDigits(std::string_view s) {
  if (s.empty()) return false;
  for (const char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// The delta "^(\d+y)?(\d+m)?(\d+w)?(\d+d)?(\d+h)?(\d+i)?(\d+s)?$"; "" is a zero delta.
std::optional<TimeSpec> ParseDelta(std::string_view text) {
  TimeSpec spec;
  spec.kind = TimeSpec::Kind::kDelta;
  int64_t* const slots[] = {&spec.years, &spec.months,  &spec.weeks,  &spec.days,
                            &spec.hours, &spec.minutes, &spec.seconds};
  const char units[] = "ymwdhis";
  size_t pos = 0;
  for (int u = 0; u < 7 && pos < text.size(); ++u) {
    size_t end = pos;
    while (end < text.size() && std::isdigit(static_cast<unsigned char>(text[end]))) ++end;
    if (end == pos || end >= text.size() ||
        std::tolower(static_cast<unsigned char>(text[end])) != units[u]) {
      continue;  // this unit is absent; try the next one at the same place
    }
    if (end - pos > kMaxDeltaDigits) return std::nullopt;
    *slots[u] = std::stoll(std::string(text.substr(pos, end - pos)));
    pos = end + 1;
  }
  if (pos != text.size()) return std::nullopt;
  return spec;
}

bool IsLeap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int DaysIn(int year, int month) {
  static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return month == 2 && IsLeap(year) ? 29 : kDays[month - 1];
}

// The date orders of pyrocore's formats: "%m/%d/%Y", "%d.%m.%Y", "%Y-%m-%d".
enum DateOrder { kUs, kEuropean, kIso, kDateOrders };

// The regex for `order` with `time_parts` (0-3) of "T%H:%M:%S": the groups of Python's
// _strptime directives %m %d %Y %H %M %S.
std::string AbsolutePattern(int order, int time_parts) {
  const std::string m = "(1[0-2]|0[1-9]|[1-9])";
  const std::string d = "(3[0-1]|[1-2]\\d|0[1-9]|[1-9]| [1-9])";
  const std::string y = "(\\d\\d\\d\\d)";
  std::string pattern = order == kUs         ? m + "/" + d + "/" + y
                        : order == kEuropean ? d + "\\." + m + "\\." + y
                                             : y + "-" + m + "-" + d;
  if (time_parts >= 1) pattern += "T(2[0-3]|[0-1]\\d|\\d)";
  if (time_parts >= 2) pattern += ":([0-5]\\d|\\d)";
  if (time_parts >= 3) pattern += ":(6[0-1]|[0-5]\\d|\\d)";
  return pattern;
}

// Python's time.strptime with pyrocore's formats, then time.mktime (local time).
std::optional<TimeSpec> ParseAbsolute(std::string_view text) {
  // Compiled once: compiling a std::regex costs more than all the rest of parsing a
  // condition (half of it, with one date in it).
  static const std::vector<std::regex> kPatterns = [] {
    std::vector<std::regex> patterns;
    for (int order = 0; order < kDateOrders; ++order) {
      for (int time_parts = 0; time_parts <= 3; ++time_parts) {
        patterns.emplace_back(AbsolutePattern(order, time_parts));
      }
    }
    return patterns;
  }();
  int date_order = kIso;
  int order[3];  // positions of year, month, day among the groups 1..3
  if (text.find('/') != std::string_view::npos) {
    date_order = kUs;
    order[0] = 3, order[1] = 1, order[2] = 2;
  } else if (text.find('.') != std::string_view::npos) {
    date_order = kEuropean;
    order[0] = 3, order[1] = 2, order[2] = 1;
  } else {
    order[0] = 1, order[1] = 2, order[2] = 3;
  }
  std::string value;
  for (const char c : text) {
    value += c == ' ' ? 'T' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  int time_parts = 0;
  if (value.find('T') != std::string::npos) {
    int colons = 0;
    for (const char c : value) colons += c == ':';
    time_parts = std::min(colons + 1, 3);
  }
  const std::regex& pattern = kPatterns[date_order * 4 + time_parts];
  std::smatch match;
  if (!std::regex_match(value, match, pattern)) return std::nullopt;
  auto group = [&](int i) { return std::stoi(match[i].str()); };
  const int year = group(order[0]), month = group(order[1]), day = group(order[2]);
  if (year < 1 || day > DaysIn(year, month)) return std::nullopt;
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = time_parts >= 1 ? group(4) : 0;
  tm.tm_min = time_parts >= 2 ? group(5) : 0;
  tm.tm_sec = time_parts >= 3 ? group(6) : 0;
  tm.tm_isdst = -1;
  TimeSpec spec;
  spec.kind = TimeSpec::Kind::kAbsolute;
  spec.timestamp = static_cast<double>(std::mktime(&tm));
  return spec;
}

// `t` moved by `years` and `months` on the local calendar.
double StepCalendar(double t, int64_t years, int64_t months) {
  const std::time_t start = static_cast<std::time_t>(t);
  std::tm tm{};
  localtime_r(&start, &tm);
  tm.tm_year -= static_cast<int>(years);
  tm.tm_mon -= static_cast<int>(months);
  tm.tm_isdst = -1;
  const std::time_t moved = std::mktime(&tm);
  if (moved == static_cast<std::time_t>(-1)) {
    return t - static_cast<double>(years * 31556952 + months * 2629746);  // mean lengths
  }
  return static_cast<double>(moved);
}

}  // namespace

double TimeSpec::Before(TimeSec now) const {
  double t = static_cast<double>(now);
  if (years) t = StepCalendar(t, years, 0);
  if (months) t = StepCalendar(t, 0, months);
  return t - static_cast<double>(weeks * 7 * 86400 + days * 86400 + hours * 3600 + minutes * 60 +
                                 seconds);
}

std::optional<TimeSpec> ParseTimeSpec(std::string_view text) {
  if (AllDigits(text)) {
    if (text.size() > 15) return std::nullopt;
    TimeSpec spec;
    spec.kind = TimeSpec::Kind::kTimestamp;
    spec.timestamp = std::stod(std::string(text));
    return spec;
  }
  if (auto delta = ParseDelta(text)) return delta;
  return ParseAbsolute(text);
}

}  // namespace torque::rtorrent
