#include "jobs/rtorrent/condition.h"

#include <algorithm>

#include "jobs/rtorrent/condition_node.h"

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
      if (!values.empty()) values += ',';
      values += Element(element);
    }
  } else {
    values = Element(node);
  }
  return Quote(WordField(node).name + "=" + values);
}

std::string Body(const Node& node);

// A node as one member of an AND or OR sequence: a word, or a bracketed group.
std::string Member(const Node& node) {
  return node.IsWord() ? Word(node) : "[ " + Body(node) + " ]";
}

// A node as the content of a group (or of the whole condition).
std::string Body(const Node& node) {
  if (node.IsWord()) return Word(node);
  std::string out;
  switch (node.kind) {
    case Node::Kind::kAnd:
      for (const auto& child : node.children) out += (out.empty() ? "" : " ") + Member(child);
      return out;
    case Node::Kind::kOr:
      for (const auto& child : node.children) {
        if (!out.empty()) out += " OR ";
        out += child.kind == Node::Kind::kAnd ? Body(child) : Member(child);
      }
      return out;
    case Node::Kind::kNot: {
      const Node& inner = node.children.front();
      return "NOT " + (inner.kind == Node::Kind::kNot ? Member(inner) : Body(inner));
    }
    case Node::Kind::kTerm:
      break;
  }
  return out;
}

}  // namespace

bool Condition::Match(const Item& item, TimeSec now) const { return Eval(*root_, item, now); }

std::string Condition::ToString() const { return Body(*root_); }

}  // namespace torque::rtorrent
