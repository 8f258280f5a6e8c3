// Condition: a parsed filter condition of pyrocore's rtcontrol language, as the queue's
// `startable` and `downloading` settings use it, e.g.
//   is_open=no is_active=no [ prio>0 OR tagged=urgent ] message=/^$|ghost/ size<2g
//
// Syntax (pyrocore's ConditionParser): the text is split like POSIX shlex; adjacent terms
// are AND; upper-case OR separates alternatives (AND binds tighter); "[" and "]" (separate
// words) group; NOT as the first word of a group negates the group; a term is
// "field<op>value" with op one of = != <> < > <= >= ~ (and =+ =- =!), a comma-separated
// value list means OR and each element may start with '!' (negation); a bare word means
// name=word. Values are compared per field type (see matcher.h). Deviations from pyrocore:
// NOT anywhere but at the start of a group is an error (pyrocore matched it as a name);
// /regex/ is PCRE2 (see regex.h), searched case-insensitively without lower-casing the
// pattern's ASCII letters, and one that gives up on a value does not match it; Tempita templates ("{{...}}") are rejected; the field name before an
// operator may contain dots (d_down.rate>0); time deltas count back from the `now` given
// to Match, not from the parse time.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "jobs/rtorrent/fields.h"
#include "jobs/rtorrent/item.h"

namespace torque::rtorrent {

struct ConditionNode;

// A parsed condition. Immutable and cheap to copy; Match is thread-safe.
class Condition {
 public:
  // True when `item` satisfies the condition. Time deltas ("-2w", "started<2i") are
  // measured back from `now`. AND and OR stop at the first term that decides.
  bool Match(const Item& item, TimeSec now) const;

  // Why `item` does not match: "" when Match(item, now) is true, else the clause that fails
  // (in an AND the first failing member, recursively; an OR or NOT group as a whole, in
  // brackets unless it is the whole condition), words as written, then the values of the
  // fields it reads, sorted by name (FormatFieldValue; text empty or with blanks in single
  // quotes), e.g. "prio>0 (prio=0)", "[ prio>2 OR tagged=x ] (prio=1, tagged=-)"; a
  // /regex/ of the clause that gave up on the item's value adds "; the regex on name gave
  // up, too much backtracking".
  std::string Explain(const Item& item, TimeSec now) const;

  // The names of the fields the condition reads, sorted, each once: a query fetches
  // exactly these (Projection::Add).
  const std::vector<std::string>& Fields() const { return fields_; }

  // The canonical form, e.g. "size>1g foo*" → "size=+1g name=foo*"; it parses back to an
  // equivalent condition.
  std::string ToString() const;

  // A d.multicall.filtered expression (rTorrent 0.9.8 syntax) selecting a superset of the
  // matching items, from the terms on hash name message prio size uploaded down up ratio
  // fno is_* loaded started completed tagged; AND, OR and NOT (of exact parts) included.
  // nullopt when nothing can be translated. The final match must still be done here.
  std::optional<std::string> RtorrentPrefilter(TimeSec now) const;

 private:
  friend Result<Condition> ParseCondition(std::string_view text);
  Condition(std::shared_ptr<const ConditionNode> root, std::vector<std::string> fields)
      : root_(std::move(root)), fields_(std::move(fields)) {}

  std::shared_ptr<const ConditionNode> root_;
  std::vector<std::string> fields_;
};

// Parses `text`. kInvalidArgument with a message saying what is wrong and where:
//   "unknown field 'sise' at column 1\n  sise>1g\n  ^"
// (column in characters, 1-based; the second line is the text with blanks for tabs and
// newlines, the third a caret under the column). "empty condition" for blank text.
Result<Condition> ParseCondition(std::string_view text);

}  // namespace torque::rtorrent
