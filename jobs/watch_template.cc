// WatchTemplate: parses the Tempita subset and the %-interpolation into one tree of pieces.
#include "jobs/watch_template.h"

#include <algorithm>
#include <iterator>
#include <set>
#include <utility>

namespace torque::jobs {

namespace {

constexpr std::string_view kSupported =
    " (supported: {{var}}, {{# comment}}, {{if}}/{{elif}}/{{else}}/{{endif}} with var, "
    "not var, ==, !=, in)";
constexpr std::string_view kPercentHint = " (write %% for a literal %, %(name)s for a variable)";
constexpr std::string_view kBlanks = " \t\r\n\f\v";

// Tempita directives this subset leaves out; bare, they are not variable names either.
constexpr std::string_view kTempitaWords[] = {"for",     "endfor", "def",   "enddef",  "default",
                                              "inherit", "py",     "break", "continue"};

// A test of an {{if}} or {{elif}}; {{else}} is kAlways.
struct Test {
  enum class Op { kAlways, kTruthy, kNot, kEquals, kNotEquals, kIn, kNotIn };
  Op op = Op::kAlways;
  std::string var;
  std::string literal;
};

// Literal text, a variable, or an {{if}} block.
struct Node {
  enum class Kind { kText, kVariable, kIf };
  // An {{if}}/{{elif}}/{{else}} arm: the first whose test holds is expanded.
  struct Branch {
    Test test;
    std::vector<Node> body;
  };
  Kind kind = Kind::kText;
  std::string text;  // the literal text, or the variable's name
  std::vector<Branch> branches;
};

bool IsBlank(char c) { return kBlanks.find(c) != std::string_view::npos; }

std::string_view Trim(std::string_view s) {
  const size_t first = s.find_first_not_of(kBlanks);
  if (first == std::string_view::npos) return {};
  return s.substr(first, s.find_last_not_of(kBlanks) - first + 1);
}

// `s` on one line: tabs and line breaks become spaces.
std::string OneLine(std::string_view s) {
  std::string out(s);
  std::replace_if(out.begin(), out.end(), IsBlank, ' ');
  return out;
}

// The 1-based column, in UTF-8 characters, of byte `pos` of `text`.
size_t Column(std::string_view text, size_t pos) {
  size_t column = 1;
  for (size_t i = 0; i < pos && i < text.size(); ++i) {
    if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) ++column;
  }
  return column;
}

bool IsNameStart(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool IsNameChar(char c) { return IsNameStart(c) || (c >= '0' && c <= '9'); }

// Whether `s` is a dotted Python name such as `label` or `traits.kind`.
bool IsName(std::string_view s) {
  bool start = true;
  for (char c : s) {
    if (start ? !IsNameStart(c) : !(IsNameChar(c) || c == '.')) return false;
    start = c == '.';
  }
  return !start;
}

std::string KnownList() {
  std::string known;
  for (const std::string& v : WatchTemplateVariables()) known += (known.empty() ? "" : " ") + v;
  return known;
}

// The variable `name` stands for ("traits" is "traits.kind"), or "" when it is unknown.
std::string Canonical(std::string_view name) {
  if (name == "traits") return "traits.kind";
  const auto& vars = WatchTemplateVariables();
  return std::find(vars.begin(), vars.end(), name) != vars.end() ? std::string(name) : "";
}

// The tree watch's variables.
const TemplateVariables& WatchVariables() {
  static const TemplateVariables kVars{Canonical, KnownList()};
  return kVars;
}

Status UnknownVariable(const TemplateVariables& vars, std::string_view name,
                       std::string_view token) {
  return Status::InvalidArgument("unknown variable '" + OneLine(name) + "' in '" + OneLine(token) +
                                 "' (known: " + vars.known + ")");
}

void AppendText(std::vector<Node>& body, std::string_view text) {
  if (text.empty()) return;
  if (body.empty() || body.back().kind != Node::Kind::kText) body.push_back({});
  body.back().text.append(text);
}

// The tokens of an {{if}} expression: names, quoted literals, == and !=.
struct Token {
  enum class Kind { kName, kLiteral, kOperator };
  Kind kind;
  std::string text;
  bool Is(Kind k, std::string_view t) const { return kind == k && text == t; }
};

// The tokens of `expr`, or false when it holds anything else (backslash escapes included).
bool Tokenize(std::string_view expr, std::vector<Token>& tokens) {
  size_t i = 0;
  while (i < expr.size()) {
    const char c = expr[i];
    if (IsBlank(c)) {
      ++i;
    } else if (c == '\'' || c == '"') {
      const size_t close = expr.find(c, i + 1);
      if (close == std::string_view::npos) return false;
      std::string_view literal = expr.substr(i + 1, close - i - 1);
      if (literal.find('\\') != std::string_view::npos) return false;
      tokens.push_back({Token::Kind::kLiteral, std::string(literal)});
      i = close + 1;
    } else if ((c == '=' || c == '!') && i + 1 < expr.size() && expr[i + 1] == '=') {
      tokens.push_back({Token::Kind::kOperator, std::string(expr.substr(i, 2))});
      i += 2;
    } else if (IsNameStart(c)) {
      size_t end = i;
      while (end < expr.size() && (IsNameChar(expr[end]) || expr[end] == '.')) ++end;
      if (!IsName(expr.substr(i, end - i))) return false;
      tokens.push_back({Token::Kind::kName, std::string(expr.substr(i, end - i))});
      i = end;
    } else {
      return false;
    }
  }
  return true;
}

// Parses the Tempita subset: text with {{...}} directives.
class TempitaParser {
 public:
  TempitaParser(std::string_view text, const TemplateVariables& vars) : text_(text), vars_(vars) {}

  Result<std::vector<Node>> Run() {
    size_t i = 0;
    while (i < text_.size()) {
      const size_t open = text_.find("{{", i);
      AppendText(Body(), text_.substr(i, open == std::string_view::npos ? open : open - i));
      if (open == std::string_view::npos) break;
      const size_t close = text_.find("}}", open + 2);
      if (close == std::string_view::npos) return Fail("unterminated '{{'", open);
      Status s = Directive(open, close);
      if (!s.ok()) return s;
      i = close + 2;
    }
    if (!open_.empty()) return Fail("'{{if}}' without '{{endif}}'", open_.back().pos);
    return std::move(root_);
  }

 private:
  struct OpenIf {
    Node node;
    size_t pos;  // of its "{{"
    bool seen_else = false;
  };

  std::vector<Node>& Body() {
    return open_.empty() ? root_ : open_.back().node.branches.back().body;
  }

  Status Fail(std::string_view what, size_t pos, std::string_view hint = "") const {
    return Status::InvalidArgument(std::string(what) + " at column " +
                                   std::to_string(Column(text_, pos)) + std::string(hint));
  }

  Status Unsupported(std::string_view expr, size_t pos) const {
    return Fail("unsupported template expression '" + OneLine(expr) + "'", pos, kSupported);
  }

  // The directive text_[open, close + 2).
  Status Directive(size_t open, size_t close) {
    const std::string_view token = text_.substr(open, close + 2 - open);
    const std::string_view expr = Trim(text_.substr(open + 2, close - open - 2));
    if (expr.empty()) return Fail("empty '{{}}'", open);
    if (expr[0] == '#') return Status::Ok();
    const size_t blank = std::min(expr.find_first_of(kBlanks), expr.size());
    const std::string_view word = expr.substr(0, blank);
    const std::string_view rest = Trim(expr.substr(blank));
    if (word == "if" || word == "elif") {
      if (word == "elif" && open_.empty()) return Fail("'{{elif}}' without '{{if}}'", open);
      if (word == "elif" && open_.back().seen_else) {
        return Fail("'{{elif}}' after '{{else}}'", open);
      }
      if (word == "if" && open_.size() >= static_cast<size_t>(WatchTemplate::kMaxDepth)) {
        return Fail("'{{if}}' nested deeper than " + std::to_string(WatchTemplate::kMaxDepth),
                    open);
      }
      Result<Test> test = ParseTest(rest, expr, token, open);
      if (!test.ok()) return test.status();
      if (word == "if") open_.push_back({Node{Node::Kind::kIf, "", {}}, open});
      open_.back().node.branches.push_back({std::move(*test), {}});
      return Status::Ok();
    }
    if (expr == "else") {
      if (open_.empty()) return Fail("'{{else}}' without '{{if}}'", open);
      if (open_.back().seen_else) return Fail("'{{else}}' after '{{else}}'", open);
      open_.back().seen_else = true;
      open_.back().node.branches.push_back({Test{}, {}});
      return Status::Ok();
    }
    if (expr == "endif") {
      if (open_.empty()) return Fail("'{{endif}}' without '{{if}}'", open);
      Node node = std::move(open_.back().node);
      open_.pop_back();
      Body().push_back(std::move(node));
      return Status::Ok();
    }
    const bool tempita_word = std::find(std::begin(kTempitaWords), std::end(kTempitaWords), expr) !=
                              std::end(kTempitaWords);
    if (tempita_word || !IsName(expr)) return Unsupported(expr, open);
    const std::string var = vars_.canonical(expr);
    if (var.empty()) return UnknownVariable(vars_, expr, token);
    Body().push_back({Node::Kind::kVariable, var, {}});
    return Status::Ok();
  }

  // The test in `cond`, the text after "if" or "elif" in the directive `expr` (`token` with
  // its braces) at byte `open`.
  Result<Test> ParseTest(std::string_view cond, std::string_view expr, std::string_view token,
                         size_t open) const {
    using K = Token::Kind;
    std::vector<Token> t;
    if (!Tokenize(cond, t)) return Unsupported(expr, open);
    const auto plain = [&](size_t i) {
      return t[i].kind == K::kName && t[i].text != "not" && t[i].text != "in";
    };
    Test test;
    std::string name;
    if (t.size() == 1 && plain(0)) {
      test = {Test::Op::kTruthy, "", ""};
      name = t[0].text;
    } else if (t.size() == 2 && t[0].Is(K::kName, "not") && plain(1)) {
      test = {Test::Op::kNot, "", ""};
      name = t[1].text;
    } else if (t.size() == 3 && plain(0) && t[1].kind == K::kOperator && t[2].kind == K::kLiteral) {
      test = {t[1].text == "==" ? Test::Op::kEquals : Test::Op::kNotEquals, "", t[2].text};
      name = t[0].text;
    } else if (t.size() == 3 && t[0].kind == K::kLiteral && t[1].Is(K::kName, "in") && plain(2)) {
      test = {Test::Op::kIn, "", t[0].text};
      name = t[2].text;
    } else if (t.size() == 4 && t[0].kind == K::kLiteral && t[1].Is(K::kName, "not") &&
               t[2].Is(K::kName, "in") && plain(3)) {
      test = {Test::Op::kNotIn, "", t[0].text};
      name = t[3].text;
    } else {
      return Unsupported(expr, open);
    }
    test.var = vars_.canonical(name);
    if (test.var.empty()) return UnknownVariable(vars_, name, token);
    return test;
  }

  std::string_view text_;
  const TemplateVariables& vars_;
  std::vector<Node> root_;
  std::vector<OpenIf> open_;  // the {{if}} blocks not yet closed, innermost last
};

// Parses a Python %-interpolation: %(name)s and %%.
Result<std::vector<Node>> ParsePercent(std::string_view text) {
  std::vector<Node> nodes;
  const auto bad = [&](size_t pos) {
    return Status::InvalidArgument("bad '%' at column " + std::to_string(Column(text, pos)) +
                                   std::string(kPercentHint));
  };
  size_t i = 0;
  while (i < text.size()) {
    const size_t pct = text.find('%', i);
    AppendText(nodes, text.substr(i, pct == std::string_view::npos ? pct : pct - i));
    if (pct == std::string_view::npos) break;
    if (pct + 1 < text.size() && text[pct + 1] == '%') {
      AppendText(nodes, "%");
      i = pct + 2;
      continue;
    }
    if (pct + 1 >= text.size() || text[pct + 1] != '(') return bad(pct);
    const size_t close = text.find(')', pct + 2);
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != 's') {
      return bad(pct);
    }
    const std::string_view name = text.substr(pct + 2, close - pct - 2);
    const std::string var = Canonical(name);
    if (var.empty())
      return UnknownVariable(WatchVariables(), name, text.substr(pct, close + 2 - pct));
    nodes.push_back({Node::Kind::kVariable, var, {}});
    i = close + 2;
  }
  return nodes;
}

std::string_view Lookup(const std::map<std::string, std::string>& vars, const std::string& name) {
  auto it = vars.find(name);
  if (it == vars.end() && (name == "relpath" || name == "rel_path")) {
    it = vars.find(name == "relpath" ? "rel_path" : "relpath");
  }
  return it == vars.end() ? std::string_view() : std::string_view(it->second);
}

// Whether `member` is one of the space-separated members of `set`.
bool IsMember(std::string_view set, std::string_view member) {
  size_t i = 0;
  while (i <= set.size()) {
    const size_t end = std::min(set.find(' ', i), set.size());
    if (end > i && set.substr(i, end - i) == member) return true;
    i = end + 1;
  }
  return false;
}

bool Holds(const Test& test, const std::map<std::string, std::string>& vars) {
  const std::string_view value = Lookup(vars, test.var);
  const auto contains = [&] {
    return test.var == "flags" ? IsMember(value, test.literal)
                               : value.find(test.literal) != std::string_view::npos;
  };
  switch (test.op) {
    case Test::Op::kAlways:
      return true;
    case Test::Op::kTruthy:
      return !value.empty();
    case Test::Op::kNot:
      return value.empty();
    case Test::Op::kEquals:
      return value == test.literal;
    case Test::Op::kNotEquals:
      return value != test.literal;
    case Test::Op::kIn:
      return contains();
    case Test::Op::kNotIn:
      return !contains();
  }
  return false;
}

void ExpandInto(const std::vector<Node>& nodes, const std::map<std::string, std::string>& vars,
                std::string& out) {
  for (const Node& node : nodes) {
    switch (node.kind) {
      case Node::Kind::kText:
        out += node.text;
        break;
      case Node::Kind::kVariable:
        out += Lookup(vars, node.text);
        break;
      case Node::Kind::kIf:
        for (const Node::Branch& branch : node.branches) {
          if (Holds(branch.test, vars)) {
            ExpandInto(branch.body, vars, out);
            break;
          }
        }
        break;
    }
  }
}

}  // namespace

struct WatchTemplate::Impl {
  std::vector<Node> nodes;
};

const std::vector<std::string>& WatchTemplateVariables() {
  static const std::vector<std::string> kVariables = {
      "pathname", "info_hash", "info_name", "tracker_alias", "watch_path", "relpath",
      "rel_path", "flags",     "filetype",  "label",         "traits",     "traits.kind"};
  return kVariables;
}

Result<WatchTemplate> WatchTemplate::Parse(std::string_view text) {
  Result<std::vector<Node>> nodes = text.find("{{") != std::string_view::npos
                                        ? TempitaParser(text, WatchVariables()).Run()
                                        : ParsePercent(text);
  if (!nodes.ok()) return nodes.status();
  WatchTemplate t;
  t.impl_ = std::make_shared<const Impl>(Impl{std::move(*nodes)});
  return t;
}

Result<WatchTemplate> WatchTemplate::Parse(std::string_view text, const TemplateVariables& vars) {
  Result<std::vector<Node>> nodes = TempitaParser(text, vars).Run();
  if (!nodes.ok()) return nodes.status();
  WatchTemplate t;
  t.impl_ = std::make_shared<const Impl>(Impl{std::move(*nodes)});
  return t;
}

std::string WatchTemplate::Expand(const std::map<std::string, std::string>& vars) const {
  if (!impl_) return "";
  std::string out;
  ExpandInto(impl_->nodes, vars, out);
  return std::string(Trim(out));
}

namespace {

void CollectVariables(const std::vector<Node>& nodes, std::set<std::string>& out) {
  for (const Node& node : nodes) {
    if (node.kind == Node::Kind::kVariable) out.insert(node.text);
    for (const Node::Branch& branch : node.branches) {
      if (branch.test.op != Test::Op::kAlways) out.insert(branch.test.var);
      CollectVariables(branch.body, out);
    }
  }
}

}  // namespace

std::vector<std::string> WatchTemplate::Variables() const {
  std::set<std::string> names;
  if (impl_) CollectVariables(impl_->nodes, names);
  return {names.begin(), names.end()};
}

bool WatchTemplate::IsLiteral() const {
  return !impl_ || std::all_of(impl_->nodes.begin(), impl_->nodes.end(),
                               [](const Node& n) { return n.kind == Node::Kind::kText; });
}

}  // namespace torque::jobs
