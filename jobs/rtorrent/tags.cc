#include "jobs/rtorrent/tags.h"

#include <algorithm>
#include <set>

#include "core/utf8.h"

namespace torque::rtorrent {

std::vector<std::string> SplitTags(std::string_view text) {
  std::set<std::string> tags;
  std::string word;
  for (const char c : std::string(text) + " ") {
    if (c == ',' || IsAsciiSpace(c)) {
      if (!word.empty()) tags.insert(AsciiLower(word));
      word.clear();
    } else {
      word += c;
    }
  }
  return {tags.begin(), tags.end()};
}

std::optional<std::string> EditTags(std::string_view current, const std::vector<std::string>& add,
                                    const std::vector<std::string>& remove) {
  const std::vector<std::string> before = SplitTags(current);
  std::set<std::string> after(before.begin(), before.end());
  after.insert(add.begin(), add.end());
  for (const std::string& tag : remove) after.erase(tag);
  if (std::equal(before.begin(), before.end(), after.begin(), after.end())) return std::nullopt;
  std::string text;
  for (const std::string& tag : after) text += (text.empty() ? "" : " ") + tag;
  return text;
}

}  // namespace torque::rtorrent
