// TermMatcher: one compiled "field=value" comparison of the condition language, with the
// value semantics of pyrocore's filter class for the field (PatternFilter, FloatFilter,
// ByteSizeFilter, BoolFilter, TimeFilter[NotNull], DurationFilter, TaggedAsFilter,
// FilesFilter).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "jobs/rtorrent/fields.h"
#include "jobs/rtorrent/glob.h"
#include "jobs/rtorrent/item.h"
#include "jobs/rtorrent/regex.h"
#include "jobs/rtorrent/time_spec.h"

namespace torque::rtorrent {

// An rTorrent filter expression for d.multicall.filtered that selects a superset of the
// items a condition selects; `exact` when it selects exactly those (only then may it be
// negated).
struct PrefilterClause {
  std::string expr;
  bool exact = false;
};

// Immutable after Create; Match is thread-safe. A /regex/ that gives up on a value (see
// Regex) does not match it.
class TermMatcher {
 public:
  // Compiles `value` (one comma element of a term, its '!' already removed) for `field`.
  // kInvalidArgument with a one-line message naming the value and the field; then
  // *error_offset is where in `value` the problem starts (for the caret).
  static Result<TermMatcher> Create(const Field& field, std::string_view value,
                                    size_t* error_offset);

  bool Match(const Item& item, TimeSec now) const;
  // True when this is a /regex/ that gives up on `item`'s value (then Match is false).
  bool RegexGivesUp(const Item& item) const;

  const Field& field() const { return field_; }
  // The value as the canonical form shows it: as written, booleans as yes/no.
  std::string Text() const;
  // This term as a d.multicall.filtered expression; nullopt when it has none.
  std::optional<PrefilterClause> Prefilter(TimeSec now) const;

 private:
  enum class Cmp { kEq, kGt, kLt };

  bool Compare(double value, double threshold) const;
  double Threshold(TimeSec now) const;  // time and duration matchers
  bool MatchNumber(const FieldValue& value, TimeSec now) const;
  std::optional<PrefilterClause> PatternPrefilter(std::string_view command) const;
  std::optional<PrefilterClause> NumberPrefilter(std::string_view command, double threshold,
                                                 double scale, bool exact) const;

  Field field_;
  std::string text_;  // the element as written
  Cmp cmp_ = Cmp::kEq;
  std::string lower_;                 // patterns and tags: the lower-cased value
  std::optional<Regex> regex_;        // /regex/ patterns
  std::shared_ptr<const Glob> glob_;  // glob patterns and files
  double number_ = 0;                 // float and size values
  bool flag_ = false;                 // boolean value
  TimeSpec time_;                     // time and duration values
  bool exact_ = false;                // tagged: "=tag" or the empty set
};

}  // namespace torque::rtorrent
