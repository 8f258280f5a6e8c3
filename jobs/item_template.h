// ItemTemplate: an item_action value filled in from one rTorrent item's fields, written as
// pyrosimple users write them: "/data/done/{{d.custom_1}}", "{{d.name}}".
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "jobs/rtorrent/fields.h"
#include "jobs/rtorrent/item.h"
#include "jobs/watch_template.h"

namespace torque::jobs {

// The WatchTemplate Tempita subset ({{VAR}}, {{# comment}}, {{if}}/{{elif}}/{{else}}/{{endif}}
// with var, not var, ==, !=, in) whose variables are `d.FIELD` or `item.FIELD`: FIELD is any
// field of the condition language (`torque-cli rt --help-fields`: name, hash, directory,
// path, custom_1, custom_KEY, d_METHOD, ...) or one of pyrosimple's names label (custom_1),
// custom1..custom5 (custom_1..custom_5) and base_path (path). Text without "{{" is literal.
// Immutable; thread-safe; copies share the parsed form.
class ItemTemplate {
 public:
  ItemTemplate() = default;

  // kInvalidArgument with WatchTemplate's one-line reasons, e.g. "unknown variable 'd.nmae' in
  // '{{d.nmae}}' (known: d.FIELD ...)"; the caller prefixes the setting's file:line.
  static Result<ItemTemplate> Parse(std::string_view text);

  // The text as written.
  const std::string& text() const { return text_; }
  // The names of the fields it reads (for the query's projection), each once.
  std::vector<std::string> Fields() const;
  // Whether it reads no field.
  bool IsLiteral() const { return fields_.empty(); }
  // The text with the item's values, trimmed of surrounding blanks (see FieldText).
  std::string Render(const rtorrent::Item& item) const;

 private:
  std::string text_;
  WatchTemplate template_;
  std::vector<rtorrent::Field> fields_;
};

// A field's value as template text: text as it is, numbers in decimal (times in unix
// seconds, sizes in bytes), booleans 1 or 0, sets and file paths joined by single blanks, an
// unknown duration empty.
std::string FieldText(const rtorrent::FieldValue& value);

}  // namespace torque::jobs
