#include "jobs/settings.h"

#include <cctype>
#include <cmath>
#include <cstdlib>

#include "core/config_values.h"
#include "core/utf8.h"

namespace torque::jobs {
namespace {

config::Item ItemOf(const JobTypeConfig& type, const std::string& key, const Setting& s) {
  return config::Item{s, 0, "job type '" + type.name + "': key '" + key + "'"};
}

// "1.5m" → 1572864; nullopt when it is not a size.
std::optional<int64_t> ParseByteSize(const std::string& text) {
  std::string s = AsciiLower(text);
  if (s.empty()) return std::nullopt;
  double scale = 1;
  const std::string units = "bkmgt";
  if (size_t u = units.find(s.back()); u != std::string::npos && !std::isdigit(s.back())) {
    scale = std::pow(1024.0, static_cast<double>(u));
    s.pop_back();
  }
  if (s.empty() || s.find_first_not_of("0123456789.") != std::string::npos ||
      s.find('.') != s.rfind('.') || s == ".") {
    return std::nullopt;
  }
  const double value = std::strtod(s.c_str(), nullptr) * scale;
  if (value > 9.0e18) return std::nullopt;
  return static_cast<int64_t>(value);
}

}  // namespace

const Setting* SettingReader::Find(const std::string& key) const {
  auto it = type_.settings.find(key);
  return it == type_.settings.end() ? nullptr : &it->second;
}

std::string SettingReader::Text(const std::string& key, const std::string& fallback) const {
  const Setting* s = Find(key);
  return s ? s->value : fallback;
}

Result<bool> SettingReader::Bool(const std::string& key, bool fallback) const {
  const Setting* s = Find(key);
  if (!s) return fallback;
  bool out = fallback;
  if (Status st = config::ToBool(ItemOf(type_, key, *s), out); !st.ok()) return st;
  return out;
}

Result<int> SettingReader::Int(const std::string& key, int fallback, int min, int max) const {
  const Setting* s = Find(key);
  if (!s) return fallback;
  int out = fallback;
  if (Status st = config::ToInt(ItemOf(type_, key, *s), min, max, out); !st.ok()) return st;
  return out;
}

Result<DurationMs> SettingReader::Duration(const std::string& key, DurationMs fallback) const {
  const Setting* s = Find(key);
  if (!s) return fallback;
  DurationMs out = fallback;
  if (Status st = config::ToDuration(ItemOf(type_, key, *s), out); !st.ok()) return st;
  return out;
}

Result<int64_t> SettingReader::ByteSize(const std::string& key, int64_t fallback) const {
  const Setting* s = Find(key);
  if (!s) return fallback;
  std::optional<int64_t> size = ParseByteSize(s->value);
  if (!size) {
    return config::Fail(ItemOf(type_, key, *s), "a size in bytes (e.g. 500k, 2m, 1.5g)", s->value);
  }
  return *size;
}

Result<rtorrent::Condition> SettingReader::Condition(const std::string& key,
                                                     const std::string& fallback) const {
  const Setting* s = Find(key);
  if (!s) return rtorrent::ParseCondition(fallback);
  return ParseConditionSetting(*s, "job type '" + type_.name + "': key '" + key + "'");
}

Result<jobs::Template> SettingReader::Template(const std::string& key, const std::string& fallback,
                                               const std::vector<std::string>& names) const {
  const Setting* s = Find(key);
  auto parsed = jobs::Template::Parse(s ? s->value : fallback, names);
  if (!parsed.ok() && s) return config::Fail(ItemOf(type_, key, *s), parsed.status().message());
  return parsed;
}

Status SettingReader::Fail(const std::string& key, const std::string& why) const {
  const Setting* s = Find(key);
  return config::Fail(ItemOf(type_, key, s ? *s : Setting{"", type_.where}), why);
}

Result<rtorrent::Condition> ParseConditionSetting(const Setting& setting,
                                                  const std::string& label) {
  auto parsed = rtorrent::ParseCondition(setting.value);
  if (!parsed.ok()) {
    return config::Fail(config::Item{setting, 0, label}, parsed.status().message());
  }
  return parsed;
}

std::vector<std::string> SplitListSetting(std::string_view text, std::string_view more) {
  std::vector<std::string> out;
  std::string word;
  auto flush = [&] {
    if (!word.empty()) out.push_back(std::move(word));
    word.clear();
  };
  for (char c : text) {
    if (c == ',' || IsAsciiSpace(c) || more.find(c) != std::string_view::npos) {
      flush();
    } else {
      word += c;
    }
  }
  flush();
  return out;
}

}  // namespace torque::jobs
