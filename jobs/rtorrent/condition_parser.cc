// ParseCondition: shlex-style tokenizing, grouping, OR/AND/NOT and term parsing, with
// every error located by column.
#include <cctype>
#include <set>

#include "jobs/rtorrent/condition.h"
#include "jobs/rtorrent/condition_node.h"

namespace torque::rtorrent {
namespace {

using Node = ConditionNode;

// Groups nest at most this deep: parsing, matching and printing recurse once per level, so an
// unbounded nesting (a long run of '[') would overflow the stack.
constexpr int kMaxGroupDepth = 100;

// A word of the condition after shlex-style unquoting; pos[i] is the offset in the source
// text of text[i], start the offset of the word's first source character.
struct Token {
  std::string text;
  std::vector<size_t> pos;
  size_t start = 0;
};

class Parser {
 public:
  explicit Parser(std::string_view source) : source_(source) {}

  Result<Node> Parse();

 private:
  Status Tokenize();
  Result<Node> ParseGroup(bool top, size_t open_offset);
  Result<Node> ParseTerm(const Token& token);
  Status Error(size_t offset, std::string_view message) const;

  std::string_view source_;
  std::vector<Token> tokens_;
  size_t next_ = 0;
  int depth_ = 0;  // of the group being parsed
};

bool IsBlank(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
bool IsIdentStart(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; }
bool IsIdentChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.';
}

// Python's shlex.split(text) in POSIX mode: blanks separate words; '...' is literal;
// in "..." a backslash escapes only '"' and '\'; outside quotes it escapes any character;
// quotes inside a word do not end it; "" is an empty word.
Status Parser::Tokenize() {
  size_t i = 0;
  const size_t n = source_.size();
  while (i < n) {
    if (IsBlank(source_[i])) {
      ++i;
      continue;
    }
    Token token;
    token.start = i;
    while (i < n && !IsBlank(source_[i])) {
      const char c = source_[i];
      if (c == '\'' || c == '"') {
        const size_t open = i++;
        while (true) {
          if (i >= n) return Error(open, std::string("missing closing ") + c + " quote");
          if (source_[i] == c) {
            ++i;
            break;
          }
          if (c == '"' && source_[i] == '\\' && i + 1 < n &&
              (source_[i + 1] == '"' || source_[i + 1] == '\\')) {
            ++i;
          }
          token.text += source_[i];
          token.pos.push_back(i);
          ++i;
        }
      } else if (c == '\\') {
        if (i + 1 >= n) return Error(i, "backslash at the end of the condition");
        token.text += source_[i + 1];
        token.pos.push_back(i + 1);
        i += 2;
      } else {
        token.text += c;
        token.pos.push_back(i);
        ++i;
      }
    }
    tokens_.push_back(std::move(token));
  }
  return Status::Ok();
}

Status Parser::Error(size_t offset, std::string_view message) const {
  size_t column = 1;
  for (size_t i = 0; i < offset && i < source_.size(); ++i) {
    if ((static_cast<unsigned char>(source_[i]) & 0xC0) != 0x80) ++column;
  }
  std::string shown(source_);
  for (auto& c : shown) {
    if (c == '\t' || c == '\n' || c == '\r') c = ' ';
  }
  return Status::InvalidArgument(std::string(message) + " at column " + std::to_string(column) +
                                 "\n  " + shown + "\n  " + std::string(column - 1, ' ') + "^");
}

Node Combine(Node::Kind kind, std::vector<Node> children) {
  if (children.size() == 1) return std::move(children.front());
  Node node;
  node.kind = kind;
  node.children = std::move(children);
  return node;
}

Node Negate(Node inner) {
  Node node;
  node.kind = Node::Kind::kNot;
  node.children.push_back(std::move(inner));
  return node;
}

Result<Node> Parser::Parse() {
  if (Status s = Tokenize(); !s.ok()) return s;
  if (tokens_.empty()) return Status::InvalidArgument("empty condition");
  return ParseGroup(/*top=*/true, 0);
}

// Parses up to the "]" closing this group (or the end, at the top level).
Result<Node> Parser::ParseGroup(bool top, size_t open_offset) {
  bool negate = false;
  if (next_ < tokens_.size() && tokens_[next_].text == "NOT") {
    negate = true;
    const size_t at = tokens_[next_++].start;
    if (next_ == tokens_.size() || tokens_[next_].text == "]") {
      return Error(at, "NOT needs conditions after it");
    }
  }
  std::vector<std::vector<Node>> alternatives(1);
  size_t last_or = 0;
  bool closed = false;
  while (next_ < tokens_.size()) {
    const Token& token = tokens_[next_];
    if (token.text == "]") {
      if (top) return Error(token.start, "']' without a matching '['");
      ++next_;
      closed = true;
      break;
    }
    if (token.text == "[") {
      if (depth_ == kMaxGroupDepth) {
        return Error(token.start,
                     "groups nest more than " + std::to_string(kMaxGroupDepth) + " deep");
      }
      ++next_;
      ++depth_;
      auto group = ParseGroup(/*top=*/false, token.start);
      --depth_;
      if (!group.ok()) return group.status();
      if (group->kind == Node::Kind::kAnd) {  // "a [ b c ]" is "a b c"
        for (auto& child : group->children) alternatives.back().push_back(std::move(child));
      } else {
        alternatives.back().push_back(std::move(*group));
      }
      continue;
    }
    if (token.text == "OR") {
      if (alternatives.back().empty())
        return Error(token.start, "OR needs a condition on its left");
      alternatives.emplace_back();
      last_or = token.start;
      ++next_;
      continue;
    }
    if (token.text == "NOT") {
      return Error(token.start, "NOT must start a group, as in '[ NOT a b ]'");
    }
    auto term = ParseTerm(token);
    if (!term.ok()) return term.status();
    alternatives.back().push_back(std::move(*term));
    ++next_;
  }
  if (!top && !closed) return Error(open_offset, "'[' without a matching ']'");
  if (alternatives.back().empty()) {
    if (alternatives.size() > 1) return Error(last_or, "OR needs a condition on its right");
    return Error(open_offset, "empty group '[ ]'");
  }
  std::vector<Node> ors;
  for (auto& alternative : alternatives) {
    Node node = Combine(Node::Kind::kAnd, std::move(alternative));
    if (node.kind == Node::Kind::kOr && !node.comma_list) {  // "[ a OR b ] OR c"
      for (auto& child : node.children) ors.push_back(std::move(child));
    } else {
      ors.push_back(std::move(node));
    }
  }
  Node node = Combine(Node::Kind::kOr, std::move(ors));
  return negate ? Negate(std::move(node)) : std::move(node);
}

// One term: "field<op>value[,value...]", "field=value[,...]" or a bare word (name=word).
Result<Node> Parser::ParseTerm(const Token& token) {
  const std::string& s = token.text;
  // Source offset of character i of a string whose characters map to `pos`, or just after
  // the last one when i is past the end.
  auto offset_in = [&](const std::vector<size_t>& pos, size_t i) -> size_t {
    if (i < pos.size()) return pos[i];
    if (!pos.empty()) return pos.back() + 1;
    return token.pos.empty() ? token.start : token.pos.back() + 1;
  };
  std::string name;
  std::string values;
  std::vector<size_t> value_pos;
  size_t k = 0;
  if (!s.empty() && IsIdentStart(s[0])) {
    k = 1;
    while (k < s.size() && IsIdentChar(s[k])) ++k;
  }
  std::string op;
  if (k > 0 && k < s.size()) {
    if (s[k] == '<') {
      op = (k + 1 < s.size() && (s[k + 1] == '>' || s[k + 1] == '=')) ? s.substr(k, 2) : "<";
    } else if (s[k] == '>') {
      op = (k + 1 < s.size() && s[k + 1] == '=') ? ">=" : ">";
    } else if (s[k] == '!' && k + 1 < s.size() && s[k + 1] == '=') {
      op = "!=";
    } else if (s[k] == '~') {
      op = "~";
    }
  }
  if (!op.empty()) {
    name = s.substr(0, k);
    const size_t v = k + op.size();
    const std::string rest = s.substr(v);
    if (!rest.empty() && (rest[0] == '+' || rest[0] == '-')) {
      return Error(token.pos[v], "operator '" + op + "' cannot be followed by '" + rest[0] + "'");
    }
    std::string prefix = op == "<"    ? "-"
                         : op == "<=" ? "!+"
                         : op == ">"  ? "+"
                         : op == ">=" ? "!-"
                         : op == "~"  ? "/"
                                      : "!";
    values = prefix + rest + (op == "~" ? "/" : "");
    value_pos.assign(prefix.size(), token.pos[k]);
    value_pos.insert(value_pos.end(), token.pos.begin() + v, token.pos.end());
    if (op == "~") value_pos.push_back(offset_in(token.pos, s.size()));
  } else if (const size_t eq = s.find('='); eq != std::string::npos) {
    name = s.substr(0, eq);
    values = s.substr(eq + 1);
    value_pos.assign(token.pos.begin() + eq + 1, token.pos.end());
  } else {
    name = "name";
    values = s;
    value_pos = token.pos;
  }
  auto field = LookupField(name);
  if (!field.ok()) {
    std::string message = field.status().message();
    message[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(message[0])));
    return Error(offset_in(token.pos, 0), message);
  }
  // Split the value list on commas; an element "/.../" or "!/.../" ending at a comma or the
  // end is taken whole, so a regex may contain commas (but not '/').
  std::vector<Node> elements;
  size_t i = 0;
  while (true) {
    size_t end = values.find(',', i);
    const size_t slash = i + (i < values.size() && values[i] == '!' ? 1 : 0);
    if (slash < values.size() && values[slash] == '/') {
      const size_t close = values.find('/', slash + 1);
      if (close != std::string::npos && (close + 1 == values.size() || values[close + 1] == ',')) {
        end = close + 1 == values.size() ? std::string::npos : close + 1;
      }
    }
    std::string element = values.substr(i, end == std::string::npos ? std::string::npos : end - i);
    size_t start = i;
    const bool negated = !element.empty() && element[0] == '!';
    if (negated) {
      element.erase(0, 1);
      ++start;
    }
    size_t error_offset = 0;
    auto term = TermMatcher::Create(*field, element, &error_offset);
    if (!term.ok())
      return Error(offset_in(value_pos, start + error_offset), term.status().message());
    Node node;
    node.term = std::make_shared<const TermMatcher>(std::move(*term));
    elements.push_back(negated ? Negate(std::move(node)) : std::move(node));
    if (end == std::string::npos) break;
    i = end + 1;
  }
  if (elements.size() == 1) {
    elements.front().source = s;
    return std::move(elements.front());
  }
  Node list = Combine(Node::Kind::kOr, std::move(elements));
  list.comma_list = true;
  list.source = s;
  return list;
}

void CollectFields(const Node& node, std::set<std::string>& names) {
  if (node.term) names.insert(node.term->field().name);
  for (const auto& child : node.children) CollectFields(child, names);
}

}  // namespace

Result<Condition> ParseCondition(std::string_view text) {
  Parser parser(text);
  auto root = parser.Parse();
  if (!root.ok()) return root.status();
  std::set<std::string> names;
  CollectFields(*root, names);
  return Condition(std::make_shared<const ConditionNode>(std::move(*root)),
                   std::vector<std::string>(names.begin(), names.end()));
}

}  // namespace torque::rtorrent
