#include "core/schedule.h"

#include <time.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <vector>

#include "core/utf8.h"
#include "core/words.h"

namespace torque {

namespace {

constexpr int kMaxYear = 9999;
// The Gregorian calendar (weekdays, ISO weeks) repeats every 400 years.
constexpr int kSearchYears = 400;
constexpr int64_t kDay = 86400;

// "3rd sun" (nth 3, weekday 6), "last fri" (nth -1), "last" (weekday -1).
struct DayPosition {
  int nth;
  int weekday;
};

enum class Names { kNone, kMonth, kWeekday, kCronWeekday };

struct FieldDef {
  const char* name;
  int min;
  int max;
  Names names;
  bool positions;  // day: accepts "3rd sun", "last fri", "last"
};

// APScheduler order: from the largest unit to the smallest.
enum Field { kYear, kMonth, kDayF, kWeek, kDow, kHour, kMinute, kSecond, kFieldCount };
constexpr std::array<FieldDef, kFieldCount> kApsFields = {{
    {"year", 1970, kMaxYear, Names::kNone, false},
    {"month", 1, 12, Names::kMonth, false},
    {"day", 1, 31, Names::kNone, true},
    {"week", 1, 53, Names::kNone, false},
    {"day_of_week", 0, 6, Names::kWeekday, false},
    {"hour", 0, 23, Names::kNone, false},
    {"minute", 0, 59, Names::kNone, false},
    {"second", 0, 59, Names::kNone, false},
}};
// Crontab order: minute hour day month day_of_week.
constexpr std::array<FieldDef, 5> kCronFields = {{
    {"minute", 0, 59, Names::kNone, false},
    {"hour", 0, 23, Names::kNone, false},
    {"day", 1, 31, Names::kNone, false},
    {"month", 1, 12, Names::kMonth, false},
    {"day_of_week", 0, 7, Names::kCronWeekday, false},
}};
constexpr std::array<const char*, 12> kMonthNames = {"jan", "feb", "mar", "apr", "may", "jun",
                                                     "jul", "aug", "sep", "oct", "nov", "dec"};
constexpr std::array<const char*, 7> kWeekdayNames = {"mon", "tue", "wed", "thu",
                                                      "fri", "sat", "sun"};
constexpr std::array<const char*, 5> kOrdinals = {"1st", "2nd", "3rd", "4th", "5th"};

struct FieldSet {
  std::vector<bool> bits;  // indexed by value
  bool star = false;       // the text starts with '*' (Vixie's "unrestricted")
  bool full = false;       // one element covers min..max: every value is in
  std::vector<DayPosition> positions;
};

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

bool AllDigits(std::string_view s) {
  return !s.empty() &&
         std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

int WeekdayByName(std::string_view name) {  // mon=0; -1 if unknown
  const std::string lower = AsciiLower(name);
  for (size_t i = 0; i < kWeekdayNames.size(); ++i) {
    if (lower == kWeekdayNames[i]) return static_cast<int>(i);
  }
  return -1;
}

// One value: a number or a name; sets `error` (without the field prefix) on failure.
int ParseValue(const FieldDef& def, std::string_view text, std::string* error) {
  if (AllDigits(text)) {
    const int v = text.size() > 5 ? def.max + 1 : std::stoi(std::string(text));
    if (v < def.min || v > def.max) {
      *error = std::string(text) + " is out of range " + std::to_string(def.min) + "-" +
               std::to_string(def.max);
    }
    return v;
  }
  const std::string lower = AsciiLower(text);
  if (def.names == Names::kMonth) {
    for (size_t i = 0; i < kMonthNames.size(); ++i) {
      if (lower == kMonthNames[i]) return static_cast<int>(i) + 1;
    }
    *error = "unknown month '" + std::string(text) + "'";
  } else if (def.names == Names::kWeekday || def.names == Names::kCronWeekday) {
    const int wd = WeekdayByName(text);
    if (wd >= 0) return def.names == Names::kWeekday ? wd : (wd + 1) % 7;  // cron: sun=0
    *error = "unknown weekday '" + std::string(text) + "'";
  } else {
    *error = "'" + std::string(text) + "' is not a number";
  }
  return 0;
}

// One list element into `set`; returns the problem, or "" when fine.
std::string ParseElement(const FieldDef& def, std::string_view elem, FieldSet* set) {
  if (elem.empty()) return "empty list element";
  if (def.positions) {
    const std::string lower = AsciiLower(elem);
    if (lower == "last") {
      set->positions.push_back({-1, -1});
      return "";
    }
    const size_t space = elem.find_first_of(" \t");
    if (space != std::string_view::npos) {
      const std::string_view ord = elem.substr(0, space);
      const std::string_view wd_text = Trim(elem.substr(space));
      const std::string ord_lower = AsciiLower(ord);
      int nth = ord_lower == "last" ? -1 : 0;
      for (size_t i = 0; i < kOrdinals.size(); ++i) {
        if (ord_lower == kOrdinals[i]) nth = static_cast<int>(i) + 1;
      }
      if (nth == 0) return "bad ordinal '" + std::string(ord) + "' (expected 1st..5th or last)";
      const int wd = WeekdayByName(wd_text);
      if (wd < 0) return "unknown weekday '" + std::string(wd_text) + "'";
      set->positions.push_back({nth, wd});
      return "";
    }
  }
  if (elem.find_first_of(" \t") != std::string_view::npos) {
    return "bad value '" + std::string(elem) + "'";
  }
  std::string_view base = elem;
  int step = 1;
  bool has_step = false;
  if (const size_t slash = elem.find('/'); slash != std::string_view::npos) {
    base = elem.substr(0, slash);
    const std::string_view step_text = elem.substr(slash + 1);
    if (!AllDigits(step_text)) return "bad step '" + std::string(step_text) + "'";
    step = step_text.size() > 5 ? 100000 : std::stoi(std::string(step_text));
    if (step < 1) return "step must be at least 1";
    has_step = true;
  }
  int lo = def.min;
  int hi = def.max;
  if (base != "*") {
    std::string error;
    const size_t dash = base.find('-');
    const std::string_view first = base.substr(0, dash);
    if (first.empty() || (dash != std::string_view::npos && dash + 1 == base.size())) {
      return "bad range '" + std::string(base) + "'";
    }
    lo = ParseValue(def, first, &error);
    if (!error.empty()) return error;
    if (dash != std::string_view::npos) {
      hi = ParseValue(def, base.substr(dash + 1), &error);
      if (!error.empty()) return error;
      if (lo > hi) {
        return "range start " + std::to_string(lo) + " is after end " + std::to_string(hi);
      }
    } else if (!has_step) {
      hi = lo;
    }
  }
  if (step == 1) {
    // Word by word: a year range is 8000 values, and every schedule has one.
    std::fill(set->bits.begin() + lo, set->bits.begin() + hi + 1, true);
    set->full = set->full || (lo == def.min && hi == def.max);
  } else {
    for (int v = lo; v <= hi; v += step) set->bits[static_cast<size_t>(v)] = true;
  }
  return "";
}

Result<FieldSet> ParseField(const FieldDef& def, std::string_view text) {
  FieldSet set;
  set.bits.assign(static_cast<size_t>(def.max) + 1, false);
  set.star = !text.empty() && text.front() == '*';
  const auto fail = [&](const std::string& problem) {
    return Status::InvalidArgument(std::string(def.name) + "='" + std::string(text) +
                                   "': " + problem);
  };
  if (Trim(text).empty()) return fail("empty value");
  size_t start = 0;
  while (true) {
    const size_t comma = text.find(',', start);
    const std::string_view elem = Trim(text.substr(start, comma - start));
    if (std::string problem = ParseElement(def, elem, &set); !problem.empty()) {
      return fail(problem);
    }
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return set;
}

std::vector<bool> AllOf(const FieldDef& def) {
  std::vector<bool> bits(static_cast<size_t>(def.max) + 1, false);
  std::fill(bits.begin() + def.min, bits.end(), true);
  return bits;
}

// --- Calendar arithmetic (proleptic Gregorian, days since 1970-01-01). ---

int64_t DaysFromCivil(int64_t y, int m, int d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

void CivilFromDays(int64_t z, int* y, int* m, int* d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  *d = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  *m = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  *y = static_cast<int>(yoe + era * 400 + (*m <= 2));
}

int Weekday(int64_t days) { return static_cast<int>(((days % 7) + 7 + 3) % 7); }  // mon=0

int IsoWeek(int64_t days) {
  const int64_t thursday = days - Weekday(days) + 3;
  int y, m, d;
  CivilFromDays(thursday, &y, &m, &d);
  return static_cast<int>((thursday - DaysFromCivil(y, 1, 1)) / 7 + 1);
}

int DaysInMonth(int y, int m) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return m == 2 && leap ? 29 : kDays[m - 1];
}

int64_t FloorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

// --- Time zone: the C library's local time. ---

// UTC offset (seconds east) in effect at instant `t`.
int64_t Offset(int64_t t) {
  const time_t tt = static_cast<time_t>(t);
  struct tm tm {};
  if (localtime_r(&tt, &tm) == nullptr) return 0;
  return tm.tm_gmtoff;
}

// The instants (ascending) whose local wall clock reads `wall` (seconds since 1970 as if
// UTC): none in a spring-forward gap, two in a fall-back overlap.
std::vector<int64_t> InstantsFor(int64_t wall) {
  std::vector<int64_t> out;
  for (const int64_t probe : {wall - kDay, wall, wall + kDay}) {
    const int64_t off = Offset(probe);
    const int64_t t = wall - off;
    if (Offset(t) == off && std::find(out.begin(), out.end(), t) == out.end()) out.push_back(t);
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

struct Schedule::Spec {
  std::vector<bool> field[kFieldCount];  // indexed by value; day_of_week mon=0
  std::vector<DayPosition> day_positions;
  bool day_or_dow = false;  // crontab with both day and day_of_week restricted
  bool real_time = false;   // hour covers all 24 hours
  bool any_year = false;    // every year from 1970 on: the calendar repeats after 400 years

  bool Has(Field f, int v) const { return field[f][static_cast<size_t>(v)]; }

  bool DayMatches(int y, int m, int d) const {
    const int64_t days = DaysFromCivil(y, m, d);
    const int wd = Weekday(days);
    bool day_ok = Has(kDayF, d);
    for (const DayPosition& p : day_positions) {
      const int dim = DaysInMonth(y, m);
      if (p.weekday < 0) {
        day_ok = day_ok || d == dim;
      } else if (wd == p.weekday) {
        day_ok = day_ok || (p.nth < 0 ? d + 7 > dim : (d - 1) / 7 + 1 == p.nth);
      }
    }
    const bool dow_ok = Has(kDow, wd);
    const bool date_ok = day_or_dow ? (day_ok || dow_ok) : (day_ok && dow_ok);
    return date_ok && Has(kWeek, IsoWeek(days));
  }

  // The instant to fire for local `wall`, if it is one: later than `after`; for a
  // real-time schedule any occurrence, otherwise only the first.
  std::optional<int64_t> Accept(int64_t wall, int64_t after) const {
    for (const int64_t t : InstantsFor(wall)) {
      if (t > after) return t;
      if (!real_time) break;
    }
    return std::nullopt;
  }

  // The first matching local wall time at or after wall(after + 1) that Accept()s, walking
  // field by field (year, month, day, then time of day) with carry.
  std::optional<int64_t> Search(int64_t after) const {
    const int64_t start = after + 1 + Offset(after + 1);
    int64_t days = FloorDiv(start, kDay);
    int64_t sod = start - days * kDay;
    int y, m, d;
    CivilFromDays(days, &y, &m, &d);
    const int last_year = any_year ? std::min(kMaxYear, y + kSearchYears) : kMaxYear;
    while (y <= last_year) {
      if (y < 1970 || !Has(kYear, y)) {
        int next = std::max(y + 1, 1970);
        while (next <= last_year && !Has(kYear, next)) ++next;
        y = next, m = 1, d = 1, sod = 0;
        continue;
      }
      if (!Has(kMonth, m) || d > DaysInMonth(y, m)) {
        if (++m > 12) ++y, m = 1;
        d = 1, sod = 0;
        continue;
      }
      if (DayMatches(y, m, d)) {
        if (auto t = SearchDay(DaysFromCivil(y, m, d) * kDay, sod, after)) return t;
      }
      ++d, sod = 0;
    }
    return std::nullopt;
  }

  // The first Accept()ed time of day at or after `sod` on the day starting at `day_wall`.
  std::optional<int64_t> SearchDay(int64_t day_wall, int64_t sod, int64_t after) const {
    const int h0 = static_cast<int>(sod / 3600);
    const int m0 = static_cast<int>(sod / 60 % 60);
    const int s0 = static_cast<int>(sod % 60);
    for (int h = h0; h < 24; ++h) {
      if (!Has(kHour, h)) continue;
      for (int mi = h == h0 ? m0 : 0; mi < 60; ++mi) {
        if (!Has(kMinute, mi)) continue;
        for (int s = h == h0 && mi == m0 ? s0 : 0; s < 60; ++s) {
          if (!Has(kSecond, s)) continue;
          if (auto t = Accept(day_wall + h * 3600 + mi * 60 + s, after)) return t;
        }
      }
    }
    return std::nullopt;
  }
};

std::optional<TimeMs> Schedule::NextAfter(TimeMs after) const {
  const int64_t after_s = FloorDiv(after, 1000);
  std::optional<int64_t> next = spec_->Search(after_s);
  if (next && spec_->real_time) {
    // Clocks went back between `after` and `next`: the repeated local times after the
    // change are later in real time and may match first.
    const int64_t before = Offset(after_s + 1);
    if (Offset(*next) < before) {
      int64_t lo = after_s + 1, hi = *next;  // Offset(lo) == before != Offset(hi)
      while (hi - lo > 1) {
        const int64_t mid = lo + (hi - lo) / 2;
        (Offset(mid) == before ? lo : hi) = mid;
      }
      if (auto again = spec_->Search(hi - 1); again && *again < *next) next = again;
    }
  }
  if (!next) return std::nullopt;
  return *next * 1000;
}

Result<Schedule> Schedule::Parse(std::string_view text) {
  const std::string original(text);
  const std::string_view trimmed = Trim(text);
  if (trimmed.empty()) return Status::InvalidArgument("empty schedule");
  auto spec = std::make_shared<Spec>();
  std::string cron;
  if (trimmed.front() == '@') {
    static constexpr std::pair<const char*, const char*> kAliases[] = {
        {"@yearly", "0 0 1 1 *"}, {"@annually", "0 0 1 1 *"}, {"@monthly", "0 0 1 * *"},
        {"@weekly", "0 0 * * 0"}, {"@daily", "0 0 * * *"},    {"@midnight", "0 0 * * *"},
        {"@hourly", "0 * * * *"},
    };
    for (const auto& [alias, line] : kAliases) {
      if (trimmed == alias) cron = line;
    }
    if (cron.empty()) {
      return Status::InvalidArgument("unknown schedule alias '" + std::string(trimmed) +
                                     "' (expected @yearly, @annually, @monthly, @weekly, "
                                     "@daily, @midnight or @hourly)");
    }
    text = cron;
  }
  auto words = SplitWords(text);
  if (!words.ok()) return words.status();
  const bool aps = std::any_of(words->begin(), words->end(), [](const std::string& w) {
    return w.find('=') != std::string::npos;
  });
  if (aps) {
    std::optional<std::string> given[kFieldCount];
    int smallest = -1;
    for (const std::string& word : *words) {
      const size_t eq = word.find('=');
      if (eq == std::string::npos) {
        return Status::InvalidArgument("expected field=value, got '" + word + "'");
      }
      const std::string name = word.substr(0, eq);
      int f = 0;
      while (f < kFieldCount && name != kApsFields[static_cast<size_t>(f)].name) ++f;
      if (f == kFieldCount) {
        return Status::InvalidArgument("unknown field '" + name +
                                       "' (expected year, month, day, week, day_of_week, "
                                       "hour, minute or second)");
      }
      if (given[f]) return Status::InvalidArgument("field '" + name + "' given twice");
      given[f] = word.substr(eq + 1);
      smallest = std::max(smallest, f);
    }
    for (int f = 0; f < kFieldCount; ++f) {
      const FieldDef& def = kApsFields[static_cast<size_t>(f)];
      std::string expr = given[f] ? *given[f] : "*";
      if (!given[f] && f > smallest && f != kWeek && f != kDow) expr = std::to_string(def.min);
      auto set = ParseField(def, expr);
      if (!set.ok()) return set.status();
      spec->field[f] = std::move(set->bits);
      if (f == kDayF) spec->day_positions = std::move(set->positions);
      if (f == kYear) spec->any_year = set->full;
    }
  } else {
    if (words->size() != kCronFields.size()) {
      return Status::InvalidArgument(
          "crontab line needs 5 fields (minute hour day month day_of_week), got " +
          std::to_string(words->size()));
    }
    FieldSet sets[5];
    for (size_t i = 0; i < kCronFields.size(); ++i) {
      auto set = ParseField(kCronFields[i], (*words)[i]);
      if (!set.ok()) return set.status();
      sets[i] = std::move(*set);
    }
    spec->field[kSecond].assign(60, false);
    spec->field[kSecond][0] = true;
    spec->field[kMinute] = std::move(sets[0].bits);
    spec->field[kHour] = std::move(sets[1].bits);
    spec->field[kDayF] = std::move(sets[2].bits);
    spec->field[kMonth] = std::move(sets[3].bits);
    spec->field[kDow].assign(7, false);
    for (size_t n = 0; n <= 7; ++n) {  // cron sun=0 (and 7) -> mon=0
      if (sets[4].bits[n]) spec->field[kDow][(n + 6) % 7] = true;
    }
    spec->field[kYear] = AllOf(kApsFields[kYear]);
    spec->any_year = true;
    spec->field[kWeek] = AllOf(kApsFields[kWeek]);
    spec->day_or_dow = !sets[2].star && !sets[4].star;
  }
  spec->real_time = std::all_of(spec->field[kHour].begin(), spec->field[kHour].end(),
                                [](bool b) { return b; });
  return Schedule(original, std::move(spec));
}

}  // namespace torque
