#include "jobs/item_template.h"

#include <charconv>
#include <type_traits>
#include <utility>

namespace torque::jobs {
namespace {

// pyrosimple's names for fields the condition language spells otherwise.
std::string_view FieldAlias(std::string_view name) {
  if (name == "label") return "custom_1";
  if (name == "base_path") return "path";
  if (name.size() == 7 && name.substr(0, 6) == "custom" && name[6] >= '1' && name[6] <= '5') {
    static const std::string_view kNumbered[] = {"custom_1", "custom_2", "custom_3", "custom_4",
                                                 "custom_5"};
    return kNumbered[name[6] - '1'];
  }
  return name;
}

// "d.label" → "custom_1"; "" when the name is not d.FIELD or item.FIELD of a known field.
std::string FieldName(std::string_view written) {
  for (std::string_view prefix : {"d.", "item."}) {
    if (written.substr(0, prefix.size()) != prefix) continue;
    auto field = rtorrent::LookupField(FieldAlias(written.substr(prefix.size())));
    return field.ok() ? field->name : "";
  }
  return "";
}

const TemplateVariables& ItemVariables() {
  static const TemplateVariables kVars{
      FieldName,
      "d.FIELD or item.FIELD, FIELD one of `torque-cli rt --help-fields` (e.g. d.name d.hash "
      "d.directory d.path d.custom_1 d.custom_KEY), or d.label d.custom1..d.custom5 "
      "d.base_path"};
  return kVars;
}

}  // namespace

Result<ItemTemplate> ItemTemplate::Parse(std::string_view text) {
  auto parsed = WatchTemplate::Parse(text, ItemVariables());
  if (!parsed.ok()) return parsed.status();
  ItemTemplate t;
  t.text_ = std::string(text);
  t.template_ = std::move(*parsed);
  for (const std::string& name : t.template_.Variables()) {
    auto field = rtorrent::LookupField(name);
    if (!field.ok()) return Status::Internal("template field '" + name + "' vanished");
    t.fields_.push_back(std::move(*field));
  }
  return t;
}

std::vector<std::string> ItemTemplate::Fields() const {
  std::vector<std::string> names;
  for (const rtorrent::Field& f : fields_) names.push_back(f.name);
  return names;
}

std::string ItemTemplate::Render(const rtorrent::Item& item) const {
  std::map<std::string, std::string> vars;
  for (const rtorrent::Field& f : fields_) vars[f.name] = FieldText(item.Get(f));
  return template_.Expand(vars);
}

std::string FieldText(const rtorrent::FieldValue& value) {
  return std::visit(
      [](const auto& v) -> std::string {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::monostate>) {
          return "";
        } else if constexpr (std::is_same_v<T, bool>) {
          return v ? "1" : "0";
        } else if constexpr (std::is_same_v<T, int64_t>) {
          return std::to_string(v);
        } else if constexpr (std::is_same_v<T, double>) {
          char buf[32];
          auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
          return ec == std::errc() ? std::string(buf, end) : std::string();
        } else if constexpr (std::is_same_v<T, std::string>) {
          return v;
        } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
          std::string out;
          for (const std::string& s : v) out += (out.empty() ? "" : " ") + s;
          return out;
        } else {
          std::string out;
          for (const rtorrent::FileInfo& f : v) out += (out.empty() ? "" : " ") + f.path;
          return out;
        }
      },
      value);
}

}  // namespace torque::jobs
