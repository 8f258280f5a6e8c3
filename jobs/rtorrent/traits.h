// Client-side classification of items as pyrocore does it: tracker aliases, the kind
// histogram of file extensions (and its "80%_mkv 15%_nfo" cache format), and traits
// (audio, video, tv, movie, ...) from the dominant extension and the name.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace torque::rtorrent {

// Tracker aliases ([ANNOUNCE] in pyrocore's config.ini) and themed trackers
// ([TRAITS_BY_ALIAS]). Plain data; the defaults are pyrocore's.
struct AliasConfig {
  // alias → its announce URLs, in configuration order.
  std::vector<std::pair<std::string, std::vector<std::string>>> announce;
  // alias → theme, e.g. "Debian" → "linux".
  std::map<std::string, std::string> traits_by_alias = {{"Debian", "linux"},
                                                        {"jamendo.com", "audio"}};
};

// pyrocore's map_announce2alias: the alias one of whose URLs equals `url`; else the alias
// with a URL starting with url's "scheme://host[:port]/"; else the last two labels of the
// host ("tracker.example.com:6969" → "example.com"). A value without "://" (an alias
// stored by another tool) is returned as it is. "" for "".
std::string MapAnnounceToAlias(std::string_view url, const AliasConfig& config);

// One entry of a kind histogram: an extension ("" for none) and its share in percent.
struct KindShare {
  int percent = 0;
  std::string ext;
  bool operator==(const KindShare&) const = default;
};
using KindHistogram = std::vector<KindShare>;

// A file of an item as f.multicall reports it: path relative to the item, size in bytes.
struct FileInfo {
  std::string path;
  int64_t size = 0;
  bool operator==(const FileInfo&) const = default;
};

// pyrocore's get_filetypes: total size per lower-cased extension (Python splitext rules;
// .rNN counts as rar, jpeg as jpg, mpeg as mpg), each share rounded to an integer percent
// (size * 100 / total + 0.499, truncated; raw sums when the total is 0), sorted by
// percent then extension, both descending.
KindHistogram KindHistogramOf(const std::vector<FileInfo>& files);

// The cache text pyrocore stores in d.custom=kind: "80%_mkv 15%_nfo 5%_jpg" (spaces in an
// extension become '_').
std::string FormatKindCache(const KindHistogram& histogram);
// Parses FormatKindCache's text; nullopt when it is empty or any entry is malformed
// (then the cache is recomputed from the files).
std::optional<KindHistogram> ParseKindCache(std::string_view text);

// kind_N: the non-empty extensions with a share of at least `limit` percent, sorted.
std::vector<std::string> KindsAtLeast(const KindHistogram& histogram, int limit);

// pyrocore's name_trait: "tv", "movie", or "" when the name matches neither pattern set.
std::string NameTrait(std::string_view name);

// pyrocore's detect_traits(name, alias, filetype): e.g. {"tv", "mkv"}, {"audio", "flac"},
// {"linux", "iso"} for a themed tracker, {} when nothing applies (shown as misc/other).
// `filetype` is the extension making up more than half of the item ("" if none).
std::vector<std::string> DetectTraits(std::string_view name, std::string_view alias,
                                      std::string_view filetype, const AliasConfig& config);

}  // namespace torque::rtorrent
