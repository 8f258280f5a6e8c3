// RtCommand: `torque-cli rt`, the items of the configured rTorrent that match a condition
// of the rtcontrol language, shown as an aligned table or as JSON.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "jobs/rtorrent/fields.h"
#include "jobs/rtorrent/item.h"

namespace torque::client {

// Exit codes of `torque-cli rt` besides those of cli.h.
inline constexpr int kExitNoMatch = 1;         // no item matched (like grep)
inline constexpr int kExitConfig = 78;         // no rTorrent URL, or an unusable config (EX_CONFIG)
inline constexpr int kExitRtorrentFault = 65;  // rTorrent refused the query (EX_DATAERR)

// What the words before "rt" set (torque-cli's global options).
struct RtGlobals {
  std::string config;  // -c FILE; empty: $TORQUE_CONFIG, else the default files
  bool json = false;
  bool quiet = false;
};

// Runs `torque-cli rt` with `args`, the words after "rt":
//   [--url URL] [--view VIEW] [-s|--sort FIELDS] [-o|--fields FIELDS] [--no-prefilter]
//   [--stats] [--json] [-q] [-c FILE] [--help-fields] [--] CONDITION...
// Options and condition words may be mixed; after "--" every word is a condition word.
// Matching items go to `out`, messages to `err`. Returns 0 when an item matched, 1 when
// none did, 64 for a bad option, field or condition (the parser's column and caret),
// 65 when rTorrent answers a fault, 69 when it cannot be reached or answers garbage, 78
// when no rTorrent URL is found or the config cannot be used. Never throws.
int RunRt(const std::vector<std::string>& args, const RtGlobals& globals, std::ostream& out,
          std::ostream& err);

// A field's value as a table cell: yes/no; sizes as "1.5 GiB" (rates "/s"); times as local
// "YYYY-MM-DD HH:MM" ("-" for 0); durations "45s", "5m3s", "3d4h" ("-" when unknown);
// ratio with 2 decimals, done with 1; sets comma-joined ("-" when empty); file paths
// comma-joined; hash upper-case; control characters in text as '?'.
std::string FormatFieldValue(const rtorrent::Field& field, const rtorrent::FieldValue& value);

// A field's raw value as JSON: booleans, numbers (bytes, unix seconds), strings, arrays of
// words, files as [{"path", "size"}], null for an unknown duration.
nlohmann::ordered_json FieldValueJson(const rtorrent::FieldValue& value);

// "0 B", "1023 B", "1.0 KiB", "1.5 GiB" (powers of 1024, one decimal).
std::string HumanSize(int64_t bytes);

}  // namespace torque::client
