#include "jobs/rtorrent/condition.h"

#include <algorithm>
#include <map>
#include <set>
#include <variant>

#include "jobs/rtorrent/condition_node.h"
#include "jobs/rtorrent/field_format.h"

namespace torque::rtorrent {
namespace {

using Node = ConditionNode;

bool Eval(const Node& node, const Item& item, TimeSec now) {
  switch (node.kind) {
    case Node::Kind::kTerm:
      return node.term->Match(item, now);
    case Node::Kind::kAnd:
      return std::all_of(node.children.begin(), node.children.end(),
                         [&](const Node& c) { return Eval(c, item, now); });
    case Node::Kind::kOr:
      return std::any_of(node.children.begin(), node.children.end(),
                         [&](const Node& c) { return Eval(c, item, now); });
    case Node::Kind::kNot:
      return !Eval(node.children.front(), item, now);
  }
  return false;
}

// A word as shlex would read it back: quoted when it is empty or holds blanks, quotes or
// backslashes.
std::string Quote(const std::string& word) {
  const bool plain = !word.empty() && word.find_first_of(" \t\r\n'\"\\") == std::string::npos;
  if (plain) return word;
  if (word.find('\'') == std::string::npos) return "'" + word + "'";
  std::string out = "\"";
  for (const char c : word) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

// "!value" for a negated term, "value" for a term.
std::string Element(const Node& node) {
  if (node.kind == Node::Kind::kNot) return "!" + node.children.front().term->Text();
  return node.term->Text();
}

const Field& WordField(const Node& node) {
  if (node.kind == Node::Kind::kTerm) return node.term->field();
  if (node.IsNegatedTerm()) return node.children.front().term->field();
  return WordField(node.children.front());
}

std::string Word(const Node& node) {
  std::string values;
  if (node.comma_list) {
    for (const auto& element : node.children) {
      // By position, not by what is there so far: an element may be empty ("tagged=,b").
      if (&element != &node.children.front()) values += ',';
      values += Element(element);
    }
  } else {
    values = Element(node);
  }
  return Quote(WordField(node).name + "=" + values);
}

// How a node's words are shown: canonical ("name=foo*") or as the user wrote them ("foo*").
enum class Words { kCanonical, kWritten };

bool IsShownAsWord(const Node& node, Words words) {
  return words == Words::kCanonical ? node.IsWord() : node.IsWrittenWord();
}

std::string ShownWord(const Node& node, Words words) {
  return words == Words::kCanonical ? Word(node) : Quote(node.source);
}

std::string Body(const Node& node, Words words);

// A node as one member of an AND or OR sequence: a word, or a bracketed group.
std::string Member(const Node& node, Words words) {
  return IsShownAsWord(node, words) ? ShownWord(node, words) : "[ " + Body(node, words) + " ]";
}

// A node as the content of a group (or of the whole condition).
std::string Body(const Node& node, Words words) {
  if (IsShownAsWord(node, words)) return ShownWord(node, words);
  std::string out;
  switch (node.kind) {
    case Node::Kind::kAnd:
      for (const auto& child : node.children) {
        out += (out.empty() ? "" : " ") + Member(child, words);
      }
      return out;
    case Node::Kind::kOr:
      for (const auto& child : node.children) {
        if (!out.empty()) out += " OR ";
        out += child.kind == Node::Kind::kAnd ? Body(child, words) : Member(child, words);
      }
      return out;
    case Node::Kind::kNot: {
      const Node& inner = node.children.front();
      return "NOT " + (inner.kind == Node::Kind::kNot ? Member(inner, words) : Body(inner, words));
    }
    case Node::Kind::kTerm:
      break;
  }
  return out;
}

// The clause that makes `node` fail for `item`: in an AND the first failing member,
// recursively; any other node is its own clause.
const Node& FailingClause(const Node& node, const Item& item, TimeSec now) {
  if (node.kind == Node::Kind::kAnd) {
    for (const Node& child : node.children) {
      if (!Eval(child, item, now)) return FailingClause(child, item, now);
    }
  }
  return node;
}

void CollectFields(const Node& node, std::map<std::string, Field>& fields) {
  if (node.term) fields.emplace(node.term->field().name, node.term->field());
  for (const Node& child : node.children) CollectFields(child, fields);
}

// The fields whose /regex/ terms in `node` give up on `item` (and so count as no match).
void CollectGaveUp(const Node& node, const Item& item, std::set<std::string>& fields) {
  if (node.term && node.term->RegexGivesUp(item)) fields.insert(node.term->field().name);
  for (const Node& child : node.children) CollectGaveUp(child, item, fields);
}

// "name='foo bar'", "message=''", "prio=0": a field and its value as FormatFieldValue shows it.
std::string FieldAndValue(const Field& field, const Item& item) {
  const FieldValue value = item.Get(field);
  std::string text = FormatFieldValue(field, value);
  if (std::holds_alternative<std::string>(value) &&
      (text.empty() || text.find(' ') != std::string::npos)) {
    text = "'" + text + "'";
  }
  return field.name + "=" + text;
}

}  // namespace

bool Condition::Match(const Item& item, TimeSec now) const { return Eval(*root_, item, now); }

std::string Condition::ToString() const { return Body(*root_, Words::kCanonical); }

std::string Condition::Explain(const Item& item, TimeSec now) const {
  if (Eval(*root_, item, now)) return "";
  const Node& clause = FailingClause(*root_, item, now);
  std::string out =
      &clause == root_.get() ? Body(clause, Words::kWritten) : Member(clause, Words::kWritten);
  std::map<std::string, Field> fields;
  CollectFields(clause, fields);
  std::string values;
  for (const auto& [name, field] : fields) {
    values += (values.empty() ? "" : ", ") + FieldAndValue(field, item);
  }
  std::set<std::string> gave_up;
  CollectGaveUp(clause, item, gave_up);
  for (const auto& name : gave_up) {
    values += "; the regex on " + name + " gave up, too much backtracking";
  }
  return out + " (" + values + ")";
}

}  // namespace torque::rtorrent
