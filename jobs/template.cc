#include "jobs/template.h"

#include <algorithm>

namespace torque::jobs {

Result<Template> Template::Parse(std::string_view text, const std::vector<std::string>& names) {
  std::string known = "known:";
  for (const std::string& n : names) known += " {" + n + "}";
  known += "; write {{ and }} for literal braces";
  Template t;
  const auto add_text = [&](std::string_view s) {
    if (t.pieces_.empty() || t.pieces_.back().placeholder) t.pieces_.push_back({});
    t.pieces_.back().text.append(s);
  };
  size_t i = 0;
  while (i < text.size()) {
    const char c = text[i];
    if (c == '{' || c == '}') {
      if (i + 1 < text.size() && text[i + 1] == c) {
        add_text(text.substr(i, 1));
        i += 2;
        continue;
      }
      const size_t close = c == '{' ? text.find('}', i + 1) : std::string_view::npos;
      if (close == std::string_view::npos) {
        return Status::InvalidArgument(std::string("unmatched '") + c + "' (" + known + ")");
      }
      const std::string name(text.substr(i + 1, close - i - 1));
      if (std::find(names.begin(), names.end(), name) == names.end()) {
        return Status::InvalidArgument("unknown placeholder '{" + name + "}' (" + known + ")");
      }
      t.pieces_.push_back({true, name});
      i = close + 1;
      continue;
    }
    const size_t next = text.find_first_of("{}", i);
    const size_t end = next == std::string_view::npos ? text.size() : next;
    add_text(text.substr(i, end - i));
    i = end;
  }
  return t;
}

bool Template::Uses(std::string_view name) const {
  return std::any_of(pieces_.begin(), pieces_.end(),
                     [&](const Piece& p) { return p.placeholder && p.text == name; });
}

bool Template::IsOnly(std::string_view name) const {
  return pieces_.size() == 1 && pieces_[0].placeholder && pieces_[0].text == name;
}

std::string Template::Expand(const std::function<std::string(std::string_view)>& value) const {
  std::string out;
  for (const Piece& p : pieces_) out += p.placeholder ? value(p.text) : p.text;
  return out;
}

}  // namespace torque::jobs
