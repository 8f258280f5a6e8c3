// Template: a setting's text with {name} placeholders from a fixed set of names.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace torque::jobs {

// Parsed once from a setting, expanded per job. "{{" and "}}" are literal braces.
// Immutable; thread-safe.
class Template {
 public:
  // Literal text, or a placeholder (`text` is its name).
  struct Piece {
    bool placeholder = false;
    std::string text;
  };

  // Parses `text` where {NAME} may name any of `names`. kInvalidArgument
  // "unknown placeholder '{x}' (known: {a} {b}; write {{ and }} for literal braces)" or
  // "unmatched '{'" (with the same hint).
  static Result<Template> Parse(std::string_view text, const std::vector<std::string>& names);

  const std::vector<Piece>& pieces() const { return pieces_; }
  // Whether placeholder `name` occurs.
  bool Uses(std::string_view name) const;
  // Whether the whole text is the one placeholder `name`.
  bool IsOnly(std::string_view name) const;
  // The text with each placeholder replaced by value(name).
  std::string Expand(const std::function<std::string(std::string_view name)>& value) const;

 private:
  std::vector<Piece> pieces_;
};

}  // namespace torque::jobs
