#include "core/duration.h"

#include <cctype>
#include <cstdio>
#include <ctime>
#include <limits>

namespace torque {
namespace {

constexpr int64_t kMaxInt64 = std::numeric_limits<int64_t>::max();

struct Unit {
  std::string_view name;
  DurationMs ms;
};

// Largest first: FormatDuration walks this list in order.
constexpr Unit kUnits[] = {
    {"w", 7LL * 24 * 3600 * 1000},
    {"d", 24LL * 3600 * 1000},
    {"h", 3600LL * 1000},
    {"m", 60LL * 1000},
    {"s", 1000},
    {"ms", 1},
};

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsSpace(char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; }

std::string_view Trim(std::string_view s) {
  while (!s.empty() && IsSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsSpace(s.back())) s.remove_suffix(1);
  return s;
}

Status BadDuration(std::string_view text, std::string_view why) {
  return Status::InvalidArgument("invalid duration '" + std::string(text) +
                                 "': " + std::string(why));
}

// A decimal number "12", "1.5", ".5" read from `s` at `pos`.
struct Number {
  int64_t whole = 0;
  int64_t frac = 0;        // the fraction's digits as an integer
  int64_t frac_scale = 1;  // 10^(number of fraction digits kept)
  bool overflow = false;
};

// Reads a number at s[pos]; false if there is none. Fraction digits beyond 9 are dropped.
bool ReadNumber(std::string_view s, size_t& pos, Number& n) {
  size_t start = pos;
  while (pos < s.size() && IsDigit(s[pos])) {
    int d = s[pos++] - '0';
    if (n.whole > (kMaxInt64 - d) / 10) n.overflow = true;
    if (!n.overflow) n.whole = n.whole * 10 + d;
  }
  bool digits = pos > start;
  if (pos < s.size() && s[pos] == '.') {
    size_t dot = pos++;
    while (pos < s.size() && IsDigit(s[pos])) {
      if (n.frac_scale < 1'000'000'000) {
        n.frac = n.frac * 10 + (s[pos] - '0');
        n.frac_scale *= 10;
      }
      ++pos;
    }
    if (pos == dot + 1) return false;  // "5." has no fraction digits
    digits = true;
  }
  return digits;
}

// n × unit in milliseconds, the fraction rounded to the nearest millisecond; false on overflow.
bool Scale(const Number& n, DurationMs unit, DurationMs& out) {
  if (n.overflow || n.whole > kMaxInt64 / unit) return false;
  __int128 frac = (static_cast<__int128>(n.frac) * unit * 2 + n.frac_scale) / (2 * n.frac_scale);
  __int128 total = static_cast<__int128>(n.whole) * unit + frac;
  if (total > kMaxInt64) return false;
  out = static_cast<DurationMs>(total);
  return true;
}

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
int64_t DaysFromCivil(int64_t y, int m, int d) {
  y -= m <= 2;
  int64_t era = (y >= 0 ? y : y - 399) / 400;
  int64_t yoe = y - era * 400;
  int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

void CivilFromDays(int64_t z, int64_t& y, int& m, int& d) {
  z += 719468;
  int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  int64_t doe = z - era * 146097;
  int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  int64_t mp = (5 * doy + 2) / 153;
  d = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  m = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  y = yoe + era * 400 + (m <= 2);
}

int DaysInMonth(int64_t y, int m) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return m == 2 && leap ? 29 : kDays[m - 1];
}

// Reads exactly `width` digits at s[pos].
bool ReadFixed(std::string_view s, size_t& pos, int width, int& out) {
  if (pos + width > s.size()) return false;
  out = 0;
  for (int i = 0; i < width; ++i) {
    if (!IsDigit(s[pos + i])) return false;
    out = out * 10 + (s[pos + i] - '0');
  }
  pos += width;
  return true;
}

int64_t FloorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

}  // namespace

Result<DurationMs> ParseDuration(std::string_view text) {
  std::string_view s = Trim(text);
  if (s.empty()) return BadDuration(text, "empty");
  if (s.front() == '-') return BadDuration(text, "negative durations are not allowed");
  size_t pos = 0;
  DurationMs total = 0;
  bool first = true;
  while (pos < s.size()) {
    Number n;
    if (!ReadNumber(s, pos, n)) {
      return BadDuration(text,
                         "expected a number of seconds or <number><unit> with unit "
                         "ms, s, m, h, d or w (e.g. 90, 30s, 1h30m)");
    }
    size_t unit_start = pos;
    while (pos < s.size() && std::isalpha(static_cast<unsigned char>(s[pos]))) ++pos;
    std::string_view unit_name = s.substr(unit_start, pos - unit_start);
    DurationMs unit = 0;
    if (unit_name.empty()) {
      if (!first || pos < s.size()) {
        return BadDuration(text, "missing unit after '" + std::string(s.substr(0, unit_start)) +
                                     "' (use ms, s, m, h, d or w)");
      }
      unit = 1000;  // a bare number means seconds
    } else {
      for (const Unit& u : kUnits) {
        if (u.name == unit_name) unit = u.ms;
      }
      if (unit == 0) {
        return BadDuration(
            text, "unknown unit '" + std::string(unit_name) + "' (use ms, s, m, h, d or w)");
      }
    }
    DurationMs part = 0;
    if (!Scale(n, unit, part) || part > kMaxInt64 - total) return BadDuration(text, "too large");
    total += part;
    first = false;
    while (pos < s.size() && IsSpace(s[pos])) ++pos;
  }
  return total;
}

std::string ShortDuration(DurationMs ms) {
  if (ms < 0) ms = 0;
  auto s = [](int64_t v) { return std::to_string(v); };
  if (ms < 1000) return s(ms) + "ms";
  if (ms < 60'000) return s(ms / 1000) + "." + s(ms / 100 % 10) + "s";
  if (ms < 3'600'000) return s(ms / 60'000) + "m" + s(ms / 1000 % 60) + "s";
  if (ms < 86'400'000) return s(ms / 3'600'000) + "h" + s(ms / 60'000 % 60) + "m";
  return s(ms / 86'400'000) + "d" + s(ms / 3'600'000 % 24) + "h";
}

std::string FormatDuration(DurationMs ms) {
  if (ms == 0) return "0s";
  std::string out;
  uint64_t rest = static_cast<uint64_t>(ms);
  if (ms < 0) {
    out = "-";
    rest = 0 - rest;
  }
  for (const Unit& u : kUnits) {
    uint64_t count = rest / static_cast<uint64_t>(u.ms);
    if (count == 0) continue;
    out += std::to_string(count);
    out += u.name;
    rest -= count * static_cast<uint64_t>(u.ms);
  }
  return out;
}

std::string FormatTimeUtc(TimeMs t) {
  int64_t secs = FloorDiv(t, 1000);
  int millis = static_cast<int>(t - secs * 1000);
  int64_t days = FloorDiv(secs, 86400);
  int64_t in_day = secs - days * 86400;
  int64_t year = 0;
  int month = 0;
  int day = 0;
  CivilFromDays(days, year, month, day);
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%04lld-%02d-%02dT%02d:%02d:%02d.%03dZ",
                static_cast<long long>(year), month, day, static_cast<int>(in_day / 3600),
                static_cast<int>(in_day / 60 % 60), static_cast<int>(in_day % 60), millis);
  return buf;
}

Result<TimeMs> ParseTime(std::string_view text) {
  std::string_view s = Trim(text);
  auto bad = [&] {
    return Status::InvalidArgument(
        "invalid time '" + std::string(text) +
        "': expected YYYY-MM-DDTHH:MM:SS[.mmm][Z] (UTC), 'YYYY-MM-DD HH:MM[:SS]' (local time) "
        "or seconds since the epoch");
  };
  if (s.empty()) return bad();
  bool all_digits = true;
  for (char c : s) all_digits = all_digits && IsDigit(c);
  if (all_digits) {
    Number n;
    size_t pos = 0;
    DurationMs ms = 0;
    if (!ReadNumber(s, pos, n) || !Scale(n, 1000, ms)) return bad();
    return ms;
  }
  size_t pos = 0;
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0, millis = 0;
  if (!ReadFixed(s, pos, 4, year) || pos >= s.size() || s[pos++] != '-' ||
      !ReadFixed(s, pos, 2, month) || pos >= s.size() || s[pos++] != '-' ||
      !ReadFixed(s, pos, 2, day) || pos >= s.size()) {
    return bad();
  }
  char sep = s[pos++];
  if (sep != 'T' && sep != ' ') return bad();
  if (!ReadFixed(s, pos, 2, hour) || pos >= s.size() || s[pos++] != ':' ||
      !ReadFixed(s, pos, 2, minute)) {
    return bad();
  }
  if (pos < s.size() && s[pos] == ':') {
    ++pos;
    if (!ReadFixed(s, pos, 2, second)) return bad();
    if (pos < s.size() && s[pos] == '.') {
      ++pos;
      int digits = 0;
      while (pos < s.size() && IsDigit(s[pos]) && digits < 3) {
        millis = millis * 10 + (s[pos++] - '0');
        ++digits;
      }
      if (digits == 0) return bad();
      for (; digits < 3; ++digits) millis *= 10;
    }
  }
  bool utc = sep == 'T';
  if (pos < s.size() && s[pos] == 'Z') {
    utc = true;
    ++pos;
  }
  if (pos != s.size()) return bad();
  if (month < 1 || month > 12 || day < 1 || day > DaysInMonth(year, month) || hour > 23 ||
      minute > 59 || second > 59) {
    return bad();
  }
  if (utc) {
    int64_t secs = DaysFromCivil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second;
    return secs * 1000 + millis;
  }
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = second;
  tm.tm_isdst = -1;
  std::time_t secs = std::mktime(&tm);
  if (secs == static_cast<std::time_t>(-1)) return bad();
  return static_cast<TimeMs>(secs) * 1000 + millis;
}

}  // namespace torque
