#include "jobs/rtorrent/matcher.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <set>

#include "core/utf8.h"

namespace torque::rtorrent {
namespace {

const std::set<std::string_view> kTrue = {"true", "t", "yes", "y", "1", "+"};
const std::set<std::string_view> kFalse = {"false", "f", "no", "n", "0", "-"};

Status Bad(std::string_view what, std::string_view value, const Field& field,
           std::string_view hint = {}) {
  std::string message =
      "bad " + std::string(what) + " '" + std::string(value) + "' for field '" + field.name + "'";
  if (!hint.empty()) message += " (" + std::string(hint) + ")";
  return Status::InvalidArgument(std::move(message));
}

// Python's float() on a string: optional sign, digits with an optional fraction and
// exponent, or inf/nan; surrounding blanks allowed.
std::optional<double> ParseFloat(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  bool negative = false;
  if (!s.empty() && (s.front() == '+' || s.front() == '-')) {
    negative = s.front() == '-';
    s.remove_prefix(1);
  }
  if (s.empty() || s.front() == '+' || s.front() == '-') return std::nullopt;
  double value = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return negative ? -value : value;
}

// A regex with its non-ASCII letters lower-cased like the values it searches, by Python's
// rules (ASCII letters are left to the caseless match: lowering them would turn \\D into
// \\d). PCRE2's own caseless match folds one code point to one: 'İ' would find 'i' where
// the value, lowered like Python does it, holds "i" + U+0307.
std::string LowerNonAscii(std::string_view regex) {
  std::string out;
  size_t i = 0;
  while (i < regex.size()) {
    const size_t len = Utf8SequenceLength(regex.substr(i));
    if (len <= 1) {
      out += regex[i++];
      continue;
    }
    out += Utf8Lower(regex.substr(i, len));
    i += len;
  }
  return out;
}

double AsNumber(const FieldValue& v) {
  if (const auto* i = std::get_if<int64_t>(&v)) return static_cast<double>(*i);
  if (const auto* d = std::get_if<double>(&v)) return *d;
  if (const auto* b = std::get_if<bool>(&v)) return *b ? 1 : 0;
  return 0;
}

bool Truthy(const FieldValue& v) {
  if (const auto* b = std::get_if<bool>(&v)) return *b;
  if (const auto* i = std::get_if<int64_t>(&v)) return *i != 0;
  if (const auto* d = std::get_if<double>(&v)) return *d != 0;
  if (const auto* s = std::get_if<std::string>(&v)) return !s->empty();
  if (const auto* t = std::get_if<std::vector<std::string>>(&v)) return !t->empty();
  if (const auto* f = std::get_if<std::vector<FileInfo>>(&v)) return !f->empty();
  return false;
}

bool IsTime(MatcherType m) {
  return m == MatcherType::kTime || m == MatcherType::kTimeNotNull || m == MatcherType::kDuration;
}

}  // namespace

Result<TermMatcher> TermMatcher::Create(const Field& field, std::string_view value,
                                        size_t* error_offset) {
  *error_offset = 0;
  TermMatcher m;
  m.field_ = field;
  m.text_ = std::string(value);
  switch (field.matcher) {
    case MatcherType::kPattern:
    case MatcherType::kFiles: {
      if (value.substr(0, 2) == "{{" ||
          (value.size() >= 2 && value.substr(value.size() - 2) == "}}")) {
        return Status::InvalidArgument("template value '" + std::string(value) + "' for field '" +
                                       field.name + "' is not supported");
      }
      m.lower_ = Utf8Lower(value);
      const bool is_regex = field.matcher == MatcherType::kPattern && !value.empty() &&
                            value.front() == '/' && value.back() == '/';
      if (is_regex) {
        const std::string_view written =
            value.size() >= 2 ? value.substr(1, value.size() - 2) : std::string_view();
        const std::string body = LowerNonAscii(written);
        size_t offset = 0;
        auto regex = Regex::Compile(body, &offset);
        if (!regex.ok()) {
          // The offset is in the lowered body: the same as in the value unless lowering
          // changed a letter's length, then the start of the regex.
          *error_offset = 1 + (body.size() == written.size() ? offset : 0);
          return Bad("regex", written, field, regex.status().message());
        }
        m.regex_ = std::move(*regex);
      } else {
        m.glob_ = std::make_shared<const Glob>(m.lower_);
      }
      return m;
    }
    case MatcherType::kBool: {
      const std::string lower = AsciiLower(value);
      if (kTrue.count(lower)) {
        m.flag_ = true;
      } else if (kFalse.count(lower)) {
        m.flag_ = false;
      } else {
        return Bad("boolean value", value, field,
                   "expected one of true t yes y 1 + or false f no n 0 -");
      }
      return m;
    }
    case MatcherType::kTagged: {
      m.lower_ = Utf8Lower(value);
      if (!m.lower_.empty() && m.lower_.front() == '=') {
        m.exact_ = true;
        m.lower_.erase(0, 1);
      } else {
        m.exact_ = m.lower_.empty();
      }
      return m;
    }
    default:
      break;
  }
  // Numeric filters: a leading '+' means greater, '-' less.
  std::string_view number = value;
  if (!number.empty() && (number.front() == '+' || number.front() == '-')) {
    m.cmp_ = number.front() == '+' ? Cmp::kGt : Cmp::kLt;
    number.remove_prefix(1);
    *error_offset = 1;
  }
  if (field.matcher == MatcherType::kFloat) {
    const auto v = ParseFloat(number);
    if (!v) return Bad("number", number, field);
    m.number_ = *v;
    return m;
  }
  if (field.matcher == MatcherType::kByteSize) {
    double scale = 1;
    std::string_view digits = number;
    if (!digits.empty()) {
      switch (std::tolower(static_cast<unsigned char>(digits.back()))) {
        case 'b':
          scale = 1;
          digits.remove_suffix(1);
          break;
        case 'k':
          scale = 1024.0;
          digits.remove_suffix(1);
          break;
        case 'm':
          scale = 1024.0 * 1024;
          digits.remove_suffix(1);
          break;
        case 'g':
          scale = 1024.0 * 1024 * 1024;
          digits.remove_suffix(1);
          break;
        default:
          break;
      }
    }
    const auto v = ParseFloat(digits);
    if (!v)
      return Bad("size", number, field, "expected a number with an optional unit b, k, m or g");
    m.number_ = *v * scale;
    return m;
  }
  const auto spec = ParseTimeSpec(number);
  if (!spec) {
    return Bad("time", number, field,
               "expected a Unix time, a delta like 1y2m3w4d5h6i7s, or a date Y-M-D, M/D/Y "
               "or D.M.Y with an optional time H:M[:S]");
  }
  m.time_ = *spec;
  // Deltas read naturally: "+2w" is older than two weeks, i.e. a time before now - 2w.
  if (field.matcher != MatcherType::kDuration && spec->kind == TimeSpec::Kind::kDelta) {
    if (m.cmp_ == Cmp::kGt) {
      m.cmp_ = Cmp::kLt;
    } else if (m.cmp_ == Cmp::kLt) {
      m.cmp_ = Cmp::kGt;
    }
  }
  *error_offset = 0;
  return m;
}

std::string TermMatcher::Text() const {
  if (field_.matcher == MatcherType::kBool) return flag_ ? "yes" : "no";
  return text_;
}

bool TermMatcher::Compare(double value, double threshold) const {
  switch (cmp_) {
    case Cmp::kEq:
      return value == threshold;
    case Cmp::kGt:
      return value > threshold;
    case Cmp::kLt:
      return value < threshold;
  }
  return false;
}

double TermMatcher::Threshold(TimeSec now) const {
  const bool duration = field_.matcher == MatcherType::kDuration;
  switch (time_.kind) {
    case TimeSpec::Kind::kTimestamp:
      return time_.timestamp;
    case TimeSpec::Kind::kDelta:
      return duration ? static_cast<double>(now) - time_.Before(now) : time_.Before(now);
    case TimeSpec::Kind::kAbsolute:
      return duration ? time_.timestamp - static_cast<double>(now) : time_.timestamp;
  }
  return 0;
}

bool TermMatcher::MatchNumber(const FieldValue& value, TimeSec now) const {
  const MatcherType type = field_.matcher;
  if (!IsTime(type)) return Compare(AsNumber(value), number_);
  const double threshold = Threshold(now);
  if (type == MatcherType::kDuration && std::holds_alternative<std::monostate>(value)) {
    // An unknown duration matches only comparisons like "-0".
    return threshold != 0 ? false : Compare(-1, 0);
  }
  const double v = AsNumber(value);
  if (type == MatcherType::kTimeNotNull && threshold != 0 && v == 0) return false;
  return Compare(v, threshold);
}

bool TermMatcher::Match(const Item& item, TimeSec now) const {
  const FieldValue value = item.Get(field_);
  switch (field_.matcher) {
    case MatcherType::kPattern: {
      const auto* s = std::get_if<std::string>(&value);
      const std::string lower = Utf8Lower(s ? *s : std::string());
      if (regex_) return regex_->Search(lower) == Regex::Outcome::kMatch;
      return glob_->Match(lower);
    }
    case MatcherType::kFiles: {
      const auto* files = std::get_if<std::vector<FileInfo>>(&value);
      if (!files) return false;
      return std::any_of(files->begin(), files->end(),
                         [&](const FileInfo& f) { return glob_->Match(Utf8Lower(f.path)); });
    }
    case MatcherType::kBool:
      return Truthy(value) == flag_;
    case MatcherType::kTagged: {
      const auto* tags = std::get_if<std::vector<std::string>>(&value);
      static const std::vector<std::string> kNone;
      const auto& set = tags ? *tags : kNone;
      if (exact_) {
        if (lower_.empty()) return set.empty();
        return std::all_of(set.begin(), set.end(), [&](const auto& t) { return t == lower_; }) &&
               !set.empty();
      }
      return std::find(set.begin(), set.end(), lower_) != set.end();
    }
    default:
      return MatchNumber(value, now);
  }
}

bool TermMatcher::RegexGivesUp(const Item& item) const {
  if (!regex_) return false;
  const FieldValue value = item.Get(field_);
  const auto* s = std::get_if<std::string>(&value);
  return regex_->Search(Utf8Lower(s ? *s : std::string())) == Regex::Outcome::kGaveUp;
}

}  // namespace torque::rtorrent
