// ConditionNode: the tree a Condition evaluates (internal to the condition module).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "jobs/rtorrent/matcher.h"

namespace torque::rtorrent {

// A term, or AND / OR / NOT over child nodes. Immutable once parsed.
struct ConditionNode {
  enum class Kind { kTerm, kAnd, kOr, kNot };
  Kind kind = Kind::kTerm;
  bool comma_list = false;  // kOr built from one term's "a,b,!c" value list
  std::vector<ConditionNode> children;
  std::shared_ptr<const TermMatcher> term;  // kTerm
  // The word as written (after shlex unquoting) on the node the parser made of it: a term, a
  // term negated by '!' or a comma list. Empty on every other node ("" is also a word).
  std::string source;

  // A negated term as written "field=!value".
  bool IsNegatedTerm() const {
    return kind == Kind::kNot && children.size() == 1 && children[0].kind == Kind::kTerm;
  }
  // A term, a negated term or a value list: printed as one word.
  bool IsWord() const { return kind == Kind::kTerm || IsNegatedTerm() || comma_list; }
  // A word as the user wrote it: as IsWord, except that "[ NOT a ]" is a group.
  bool IsWrittenWord() const {
    return kind == Kind::kTerm || comma_list || (IsNegatedTerm() && !source.empty());
  }
};

}  // namespace torque::rtorrent
