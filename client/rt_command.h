// RtCommand: `torque-cli rt`, the items of the configured rTorrent that match a condition
// of the rtcontrol language, shown as an aligned table or as JSON.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

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
//   [--stats] [--json] [-q] [-c FILE] [--help-fields]
//   [--start|--stop] [--prio N] [--custom KEY=VALUE]... [--tag WORD]... [--untag WORD]...
//   [--erase] [--dry-run] [--] CONDITION...
// Actions apply to every matching item, all in one system.multicall (per item: stop, prio,
// custom values, tags, start; --erase alone); they need a condition. Tags are edited as
// item_action's tag/untag do (jobs/rtorrent/tags.h): an item whose tags do not change gets
// no write. --dry-run says what they
// would do and sends nothing. An action rTorrent refuses for an item: exit 65.
// Options and condition words may be mixed; after "--" every word is a condition word.
// Matching items go to `out`, messages to `err`. Returns 0 when an item matched, 1 when
// none did, 64 for a bad option, field or condition (the parser's column and caret),
// 65 when rTorrent answers a fault, 69 when it cannot be reached or answers garbage, 78
// when no rTorrent URL is found or the config cannot be used. Never throws.
int RunRt(const std::vector<std::string>& args, const RtGlobals& globals, std::ostream& out,
          std::ostream& err);

}  // namespace torque::client
