// Condition::RtorrentPrefilter and TermMatcher::Prefilter: translating conditions into
// rTorrent 0.9.8 filter expressions for d.multicall.filtered.
//
// Forms used (each checked with rtxmlrpc.py against rTorrent 0.9.8):
//   equal=d.is_open=,value=1                  booleans
//   greater=value=$d.size_bytes=,value=N      numbers and times (less=, equal= likewise)
//   equal=d.message=,cat=                     an empty string
//   match={d.name=,.*foo.*}                   a full, case-insensitive regex match
//   and={"c1","c2"}  or={"c1","c2"}           elements quoted, '"' and '\' escaped
//   not="$c"                                  negation of an exact clause
// rTorrent 0.9.8 has no string.contains_i (rTorrent-PS has), hence match=; its values are
// kept to [a-z0-9_-] so neither rTorrent's argument parser nor the regex sees a special
// character. Unlike pyrocore, a clause that only narrows (a substring of a glob, a time
// with the NotNull rule) is never negated, regexes with operators are not reduced to a
// word (pyrocore turned message=/^$|ghost/ into "contains ghost"), fractional numbers are
// rounded the way the integer values compare, and OR is translated too.
//
// rTorrent folds only ASCII case; torque folds all of Unicode (Utf8Lower). Non-ASCII
// letters of a pattern are therefore never sent (a glob keeps its longest ASCII piece, a
// regex with one is not translated), and the two code points whose lower case is ASCII
// are written out beside their letter: KELVIN SIGN for 'k' and, at the end of a piece
// that an item's text may go on after, U+0130 for 'i' (it lowers to "i" + U+0307). Both
// forms, (k|K) and (i|İ), were checked against rTorrent 0.9.8.
#include <cmath>

#include "jobs/rtorrent/condition.h"
#include "jobs/rtorrent/condition_node.h"

namespace torque::rtorrent {
namespace {

using Node = ConditionNode;

bool IsSafe(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

bool AllSafe(std::string_view s) {
  for (const char c : s) {
    if (!IsSafe(c)) return false;
  }
  return true;
}

std::string QuoteElement(std::string_view expr) {
  std::string out = "\"";
  for (const char c : expr) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

// `safe` ([a-z0-9_-] only) as a regex for rTorrent that matches every text whose Unicode
// lower case has `safe` at that place, and nothing else. `open_end`: anything may follow.
std::string SafeRegex(std::string_view safe, bool open_end) {
  std::string out;
  for (size_t i = 0; i < safe.size(); ++i) {
    if (safe[i] == 'k') {
      out += "(k|\u212A)";
    } else if (safe[i] == 'i' && open_end && i + 1 == safe.size()) {
      out += "(i|\u0130)";
    } else {
      out += safe[i];
    }
  }
  return out;
}

std::string MatchExpr(std::string_view command, std::string_view regex) {
  // rTorrent 0.9.8 selects nothing for a match= regex that starts with '(' (its argument
  // parser takes that for something else); a leading '^' is a no-op for a full match.
  const std::string_view anchor = regex.substr(0, 1) == "(" ? "^" : "";
  return "match={" + std::string(command) + "," + std::string(anchor) + std::string(regex) + "}";
}

std::optional<PrefilterClause> Translate(const Node& node, TimeSec now) {
  switch (node.kind) {
    case Node::Kind::kTerm:
      return node.term->Prefilter(now);
    case Node::Kind::kNot: {
      auto inner = Translate(node.children.front(), now);
      if (!inner || !inner->exact) return std::nullopt;
      return PrefilterClause{"not=" + QuoteElement("$" + inner->expr), true};
    }
    case Node::Kind::kAnd:
    case Node::Kind::kOr: {
      const bool is_and = node.kind == Node::Kind::kAnd;
      std::vector<PrefilterClause> parts;
      bool exact = true;
      for (const auto& child : node.children) {
        auto part = Translate(child, now);
        if (!part) {
          if (!is_and) return std::nullopt;  // one untranslatable alternative: anything goes
          exact = false;                     // AND: leaving a part out only widens
          continue;
        }
        exact = exact && part->exact;
        parts.push_back(std::move(*part));
      }
      if (parts.empty()) return std::nullopt;
      if (parts.size() == 1) return PrefilterClause{parts.front().expr, exact};
      std::string expr = is_and ? "and={" : "or={";
      for (size_t i = 0; i < parts.size(); ++i) {
        expr += (i ? "," : "") + QuoteElement(parts[i].expr);
      }
      return PrefilterClause{expr + "}", exact};
    }
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::string> Condition::RtorrentPrefilter(TimeSec now) const {
  auto clause = Translate(*root_, now);
  if (!clause) return std::nullopt;
  return clause->expr;
}

std::optional<PrefilterClause> TermMatcher::PatternPrefilter(std::string_view command) const {
  if (regex_) {
    const std::string body = lower_.substr(1, lower_.size() - 2);
    if (body.empty() || !AllSafe(body)) return std::nullopt;
    return PrefilterClause{MatchExpr(command, ".*" + SafeRegex(body, true) + ".*"), true};
  }
  if (lower_.empty()) return PrefilterClause{"equal=" + std::string(command) + ",cat=", true};
  // The whole glob when it is only safe characters and stars ...
  std::string regex;
  bool whole = glob_->OnlyStars();
  std::string run;
  for (const char c : lower_) {
    if (c == '*') {
      regex += SafeRegex(run, true) + ".*";
      run.clear();
    } else if (IsSafe(c)) {
      run += c;
    } else {
      whole = false;
    }
  }
  regex += SafeRegex(run, false);
  if (whole) return PrefilterClause{MatchExpr(command, regex), true};
  // ... else its longest safe literal piece, as a substring.
  std::string best;
  for (const auto& run : glob_->LiteralRuns()) {
    std::string piece;
    for (const char c : run + " ") {
      if (IsSafe(c)) {
        piece += c;
        continue;
      }
      if (piece.size() > best.size()) best = piece;
      piece.clear();
    }
  }
  if (best.empty()) return std::nullopt;
  return PrefilterClause{MatchExpr(command, ".*" + SafeRegex(best, true) + ".*"), false};
}

std::optional<PrefilterClause> TermMatcher::NumberPrefilter(std::string_view command,
                                                            double threshold, double scale,
                                                            bool exact) const {
  if (!std::isfinite(threshold) || std::fabs(threshold * scale) > 9e15) return std::nullopt;
  // rTorrent holds integers x; the client compares x / scale with the threshold.
  auto client = [&](int64_t x) { return Compare(static_cast<double>(x) / scale, threshold); };
  const std::string value = "value=$" + std::string(command);
  int64_t n = 0;
  std::string op;
  switch (cmp_) {
    case Cmp::kGt:  // the smallest n with client(n + 1) and !client(n)
      n = static_cast<int64_t>(std::floor(threshold * scale));
      while (!client(n + 1)) ++n;
      while (client(n)) --n;
      op = "greater";
      break;
    case Cmp::kLt:
      n = static_cast<int64_t>(std::ceil(threshold * scale));
      while (!client(n - 1)) --n;
      while (client(n)) ++n;
      op = "less";
      break;
    case Cmp::kEq:
      n = static_cast<int64_t>(std::llround(threshold * scale));
      if (!client(n)) return std::nullopt;
      op = "equal";
      break;
  }
  return PrefilterClause{op + "=" + value + ",value=" + std::to_string(n), exact};
}

std::optional<PrefilterClause> TermMatcher::Prefilter(TimeSec now) const {
  switch (field_.id) {
    case FieldId::kHash:
    case FieldId::kName:
    case FieldId::kMessage:
      return PatternPrefilter(field_.commands.front());
    case FieldId::kIsActive:
    case FieldId::kIsComplete:
    case FieldId::kIsIgnored:
    case FieldId::kIsMultiFile:
    case FieldId::kIsOpen:
    case FieldId::kIsPrivate:
      return PrefilterClause{"equal=" + field_.commands.front() + ",value=" + (flag_ ? "1" : "0"),
                             true};
    case FieldId::kPrio:
    case FieldId::kSize:
    case FieldId::kUploaded:
    case FieldId::kDown:
    case FieldId::kUp:
    case FieldId::kFno:
      return NumberPrefilter(field_.commands.front(), number_, 1, true);
    case FieldId::kRatio:
      return NumberPrefilter(field_.commands.front(), number_, 1000, true);
    case FieldId::kLoaded:
    case FieldId::kStarted:
    case FieldId::kCompleted:
      // Not exact: an unset time never matches a non-zero comparison (the NotNull rule).
      return NumberPrefilter(field_.commands.front(), Threshold(now), 1, false);
    case FieldId::kTagged:
      if (lower_.empty() || !AllSafe(lower_)) return std::nullopt;
      return PrefilterClause{
          MatchExpr(field_.commands.front(), ".*" + SafeRegex(lower_, true) + ".*"), false};
    default:
      return std::nullopt;
  }
}

}  // namespace torque::rtorrent
