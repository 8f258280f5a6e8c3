// Tags: the words of pyrocore's `tagged` field, kept in d.custom=tags, and how the `tag` and
// `untag` actions (item_action, torque-cli rt --tag/--untag) change them.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace torque::rtorrent {

// The custom key that holds an item's tags (d.custom=tags), as pyrocore and pyrosimple use it.
inline constexpr char kTagsKey[] = "tags";

// The tags in `text`: words separated by blanks or commas, ASCII lower-cased, each once,
// sorted (what pyrosimple's `tag` accepts, and what the `tagged` field reads back).
std::vector<std::string> SplitTags(std::string_view text);

// The value d.custom=tags gets when `add` are added to and then `remove` taken from the tags
// in `current` (the raw d.custom=tags text): the resulting tags sorted, joined by single
// spaces (pyrosimple writes them so). nullopt when the set of tags does not change, so
// nothing needs to be written. `add` and `remove` hold tag words as SplitTags returns them.
std::optional<std::string> EditTags(std::string_view current, const std::vector<std::string>& add,
                                    const std::vector<std::string>& remove);

}  // namespace torque::rtorrent
