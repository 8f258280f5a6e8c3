// Field: one item field of the condition language (pyrocore's TorrentProxy fields), its
// matcher class and the d.multicall2 command strings it is computed from; Projection: the
// ordered, de-duplicated commands a query fetches for a set of fields.
//
// Every command string below was checked inside `d.multicall2 "" main ...` on rTorrent
// 0.9.8, including the sub-multicalls "t.multicall=,t.url=,t.is_enabled=" (one
// [[url, enabled], ...] list per item) and "f.multicall=,f.path=,f.size_bytes=" (one
// [[path, size], ...] list per item), and "cat=$session.path=,$d.hash=,.torrent".
// pyrocore's custom methods that plain rTorrent lacks are rebuilt from what it offers:
//   active     d.last_active (timestamps.rc) = d.peers_connected > 0 ? now : d.custom=last_active
//   last_xfer  d.last_xfer = d.up.rate + d.down.rate > 5000 B/s ? now : d.custom=last_xfer
//   sessionfile d.session_file = session.path + hash + ".torrent" (the cat= above)
// leechtime, seedtime and stopped read d.custom=activations, the "R<unix time>P<unix
// time>..." log pyrocore's timestamps.rc appends to on every resume (R) and pause (P).
// kind, kind_N and traits need the file list only when the d.custom=kind cache is empty;
// the query engine then fetches it for those items in one system.multicall (see
// Item::NeedsFiles), never one request per item; when the files field itself is fetched,
// its list (in the main call) serves.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace torque::rtorrent {

// Unix time in seconds (what rTorrent and pyrocore's tm_* customs hold).
using TimeSec = int64_t;

// How a condition value is compared with the field (pyrocore's filter classes).
enum class MatcherType {
  kPattern,      // glob or /regex/, case-insensitive
  kFloat,        // number, +/- for greater/less
  kByteSize,     // number with b k m g unit
  kBool,         // yes/no words
  kTime,         // timestamp, delta or date
  kTimeNotNull,  // as kTime; an unset (0) value matches only a comparison with 0
  kDuration,     // a span in seconds; unset never matches except "-0"
  kTagged,       // a set of words
  kFiles,        // glob over the item's file paths
};

// Which field (dynamic ones: kKind for kind/kind_N, kCustom, kDMethod).
// clang-format off
enum class FieldId {
  kHash, kName, kAlias, kTracker, kMessage, kSize, kPrio,
  kIsPrivate, kIsOpen, kIsActive, kIsComplete, kIsMultiFile, kIsIgnored, kIsGhost,
  kDirectory, kPath, kRealpath, kMetafile, kSessionfile, kFiles, kFno,
  kDone, kRatio, kUploaded, kDown, kUp, kXfer, kThrottle,
  kLoaded, kStarted, kCompleted, kLeechtime, kSeedtime, kActive, kLastXfer, kStopped,
  kTagged, kViews, kKind, kTraits, kCustom, kDMethod,
};
// clang-format on

// Command strings shared by several fields.
inline constexpr std::string_view kHashCommand = "d.hash=";
inline constexpr std::string_view kKindCacheCommand = "d.custom=kind";
inline constexpr std::string_view kAliasCacheCommand = "d.custom=m_alias";
inline constexpr std::string_view kTrackersCommand = "t.multicall=,t.url=,t.is_enabled=";
inline constexpr std::string_view kFilesCommand = "f.multicall=,f.path=,f.size_bytes=";

// One field as looked up: a fixed one ("size") or a dynamic one ("kind_25", "custom_foo",
// "d_down.rate"). Plain data, copyable.
struct Field {
  FieldId id = FieldId::kHash;
  std::string name;  // as looked up, e.g. "kind_025"
  MatcherType matcher = MatcherType::kPattern;
  std::string arg;     // kCustom: the key ("1".."5" or KEY); kDMethod: the method after "d."
  int kind_limit = 0;  // kKind: N of kind_N (kind = kind_0)
  std::vector<std::string> commands;  // the d.multicall2 commands its value is computed from
  std::string help;                   // one line for listings
};

// The field called `name`. Dynamic names: kind_N (N 0..100, leading zeros allowed),
// custom_1..custom_5, custom_KEY (KEY of [A-Za-z0-9_]), d_METHOD (METHOD of [A-Za-z0-9_.]).
// kInvalidArgument "Unknown field 'x'" for anything else, "Unknown field 'kind_101'
// (N of kind_N must be 0..100)" for a too large N.
Result<Field> LookupField(std::string_view name);

// The names of the fixed fields in the order of pyrocore's documentation.
std::vector<std::string> FixedFieldNames();

// The commands a query fetches: d.hash= first (items need their hash), then each added
// field's commands in order, each once; a row holds one value per command, in this order.
class Projection {
 public:
  Projection();

  void Add(const Field& field);
  // LookupField(name) then Add; its error when the name is unknown.
  Status Add(std::string_view name);

  const std::vector<std::string>& commands() const { return commands_; }
  // The column of `command` in a row, or -1 when it is not fetched.
  int Column(std::string_view command) const;
  bool Has(std::string_view command) const { return Column(command) >= 0; }

 private:
  void AddCommand(std::string_view command);

  std::vector<std::string> commands_;
  std::map<std::string, int, std::less<>> index_;
};

}  // namespace torque::rtorrent
