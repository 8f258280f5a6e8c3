// WatchTemplate: a tree watch `cmd.NAME` load command, written as pyrocore's Tempita subset
// or as a Python %-interpolation.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace torque::jobs {

// The variables a cmd.* template may use, in the order messages list them: pathname
// info_hash info_name tracker_alias watch_path relpath rel_path flags filetype label traits
// traits.kind. `rel_path` is pyrosimple's name for `relpath`; `traits` alone means
// `traits.kind`.
const std::vector<std::string>& WatchTemplateVariables();

// The variables a template of another kind (item_action's) may use: `canonical` maps a name
// as written to the key Expand looks it up by, "" when the name is unknown; `known` lists
// the names for error messages.
struct TemplateVariables {
  std::function<std::string(std::string_view name)> canonical;
  std::string known;
};

// A cmd.* load command template, parsed once at configuration time and expanded per metafile.
// Text containing "{{" is a Tempita subset:
//   {{VAR}}  {{# comment}}  {{if EXPR}}...{{elif EXPR}}...{{else}}...{{endif}}
// with EXPR one of VAR, not VAR, VAR == 'lit', VAR != 'lit', 'lit' in VAR, 'lit' not in VAR
// (for `flags`, `in` tests membership among its space-separated members; for any other
// variable it tests for a substring). Other text is a %-interpolation: %(VAR)s and %%.
// Immutable; thread-safe; copies share the parsed form.
class WatchTemplate {
 public:
  // How many {{if}} blocks may nest inside each other.
  static constexpr int kMaxDepth = 32;

  // The empty template: Expand() gives "".
  WatchTemplate() = default;

  // The template in `text`. kInvalidArgument with a one-line reason (the caller prefixes
  // "file:line: job type 'x': key 'cmd.y': "), columns 1-based in characters of the whole
  // text:
  //   "unknown variable 'x' in '{{x}}' (known: pathname info_hash ...)"
  //   "unterminated '{{' at column N", "empty '{{}}' at column N",
  //   "'{{endif}}' without '{{if}}' at column N" (also else, elif),
  //   "'{{if}}' without '{{endif}}' at column N", "'{{elif}}' after '{{else}}' at column N" (also
  //   else),
  //   "'{{if}}' nested deeper than 32 at column N",
  //   "unsupported template expression 'x' at column N (supported: ...)",
  //   "bad '%' at column N (write %% for a literal %, %(name)s for a variable)".
  static Result<WatchTemplate> Parse(std::string_view text);
  // The same Tempita subset over the variables of `vars`; text without "{{" is literal (no
  // %-interpolation).
  static Result<WatchTemplate> Parse(std::string_view text, const TemplateVariables& vars);

  // The expansion, trimmed of surrounding white space; "" means "no command". `vars` maps the
  // names of WatchTemplateVariables() to values ("traits.kind" is a key of its own; `relpath`
  // and `rel_path` stand in for each other); a missing variable expands to "". `flags` holds
  // its members separated by single spaces.
  std::string Expand(const std::map<std::string, std::string>& vars) const;

  // The canonical names of the variables the template reads, each once, sorted.
  std::vector<std::string> Variables() const;

  // Whether the template is plain text without any variable (comments are allowed).
  bool IsLiteral() const;

 private:
  struct Impl;  // the parsed pieces
  std::shared_ptr<const Impl> impl_;
};

}  // namespace torque::jobs
