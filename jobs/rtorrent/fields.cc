#include "jobs/rtorrent/fields.h"

#include <algorithm>
#include <cctype>

namespace torque::rtorrent {
namespace {

using M = MatcherType;

struct FixedField {
  std::string_view name;
  FieldId id;
  MatcherType matcher;
  std::vector<std::string_view> commands;
  std::string_view help;
};

constexpr std::string_view kSessionFileCommand = "cat=$session.path=,$d.hash=,.torrent";
// The commands `path`, `realpath` and `is_ghost` are computed from (pyrocore's datapath()).
#define TORQUE_PATH_COMMANDS "d.base_path=", "d.directory=", "d.is_multi_file=", "d.name="

const std::vector<FixedField>& FixedFields() {
  static const std::vector<FixedField> kFields = {
      {"hash", FieldId::kHash, M::kPattern, {"d.hash="}, "info hash"},
      {"name", FieldId::kName, M::kPattern, {"d.name="}, "name (file or root directory)"},
      {"alias",
       FieldId::kAlias,
       M::kPattern,
       {kAliasCacheCommand, kTrackersCommand},
       "tracker alias or domain"},
      {"tracker", FieldId::kTracker, M::kPattern, {kTrackersCommand}, "first enabled announce URL"},
      {"message", FieldId::kMessage, M::kPattern, {"d.message="}, "current tracker message"},
      {"size", FieldId::kSize, M::kByteSize, {"d.size_bytes="}, "data size"},
      {"prio",
       FieldId::kPrio,
       M::kFloat,
       {"d.priority="},
       "priority (0=off, 1=low, 2=normal, 3=high)"},
      {"is_private",
       FieldId::kIsPrivate,
       M::kBool,
       {"d.is_private="},
       "private flag set (no DHT/PEX)?"},
      {"is_open", FieldId::kIsOpen, M::kBool, {"d.is_open="}, "download open?"},
      {"is_active", FieldId::kIsActive, M::kBool, {"d.is_active="}, "download active?"},
      {"is_complete", FieldId::kIsComplete, M::kBool, {"d.complete="}, "download complete?"},
      {"is_multi_file",
       FieldId::kIsMultiFile,
       M::kBool,
       {"d.is_multi_file="},
       "single- or multi-file download?"},
      {"is_ignored", FieldId::kIsIgnored, M::kBool, {"d.ignore_commands="}, "ignore commands?"},
      {"is_ghost",
       FieldId::kIsGhost,
       M::kBool,
       {TORQUE_PATH_COMMANDS},
       "has no data file or directory (on this machine)?"},
      {"directory",
       FieldId::kDirectory,
       M::kPattern,
       {"d.directory="},
       "directory containing download data"},
      {"path", FieldId::kPath, M::kPattern, {TORQUE_PATH_COMMANDS}, "path to download data"},
      {"realpath",
       FieldId::kRealpath,
       M::kPattern,
       {TORQUE_PATH_COMMANDS},
       "real path to download data (on this machine)"},
      {"metafile", FieldId::kMetafile, M::kPattern, {"d.tied_to_file="}, "path to torrent file"},
      {"sessionfile",
       FieldId::kSessionfile,
       M::kPattern,
       {kSessionFileCommand},
       "path to session file"},
      {"files", FieldId::kFiles, M::kFiles, {kFilesCommand}, "list of files in this item"},
      {"fno", FieldId::kFno, M::kFloat, {"d.size_files="}, "number of files in this item"},
      {"done",
       FieldId::kDone,
       M::kFloat,
       {"d.completed_chunks=", "d.size_chunks="},
       "completion in percent"},
      {"ratio", FieldId::kRatio, M::kFloat, {"d.ratio="}, "normalized ratio (1:1 = 1.0)"},
      {"uploaded", FieldId::kUploaded, M::kByteSize, {"d.up.total="}, "amount of uploaded data"},
      {"down", FieldId::kDown, M::kByteSize, {"d.down.rate="}, "download rate"},
      {"up", FieldId::kUp, M::kByteSize, {"d.up.rate="}, "upload rate"},
      {"xfer", FieldId::kXfer, M::kByteSize, {"d.up.rate=", "d.down.rate="}, "transfer rate"},
      {"throttle",
       FieldId::kThrottle,
       M::kPattern,
       {"d.throttle_name="},
       "throttle group name (NULL=unlimited, NONE=global)"},
      {"loaded",
       FieldId::kLoaded,
       M::kTimeNotNull,
       {"d.custom=tm_loaded"},
       "time metafile was loaded"},
      {"started",
       FieldId::kStarted,
       M::kTimeNotNull,
       {"d.custom=tm_started"},
       "time download was FIRST started"},
      {"completed",
       FieldId::kCompleted,
       M::kTimeNotNull,
       {"d.custom=tm_completed"},
       "time download was finished"},
      {"leechtime",
       FieldId::kLeechtime,
       M::kDuration,
       {"d.custom=activations", "d.custom=tm_started", "d.custom=tm_completed"},
       "time taken from start to completion"},
      {"seedtime",
       FieldId::kSeedtime,
       M::kDuration,
       {"d.custom=activations", "d.custom=tm_completed", "d.complete="},
       "total seeding time after completion"},
      {"active",
       FieldId::kActive,
       M::kTime,
       {"d.peers_connected=", "d.custom=last_active"},
       "last time a peer was connected"},
      {"last_xfer",
       FieldId::kLastXfer,
       M::kTime,
       {"d.up.rate=", "d.down.rate=", "d.custom=last_xfer"},
       "last time data was transferred (over 5000 B/s)"},
      {"stopped",
       FieldId::kStopped,
       M::kTimeNotNull,
       {"d.custom=activations"},
       "time download was last stopped or paused"},
      {"tagged", FieldId::kTagged, M::kTagged, {"d.custom=tags"}, "has certain tags?"},
      {"views", FieldId::kViews, M::kTagged, {"d.views="}, "views this item is attached to"},
      {"kind",
       FieldId::kKind,
       M::kTagged,
       {kKindCacheCommand},
       "ALL kinds of files in this item (the same as kind_0)"},
      {"traits",
       FieldId::kTraits,
       M::kTagged,
       {"d.name=", kAliasCacheCommand, kTrackersCommand, kKindCacheCommand},
       "automatic classification of this item (audio, video, tv, movie, etc.)"},
  };
  return kFields;
}

#undef TORQUE_PATH_COMMANDS

Status Unknown(std::string_view name, std::string_view why = {}) {
  std::string message = "Unknown field '" + std::string(name) + "'";
  if (!why.empty()) message += " (" + std::string(why) + ")";
  return Status::InvalidArgument(std::move(message));
}

bool AllOf(std::string_view s, bool allow_dot) {
  if (s.empty()) return false;
  for (const char c : s) {
    const bool ok =
        std::isalnum(static_cast<unsigned char>(c)) || c == '_' || (allow_dot && c == '.');
    if (!ok) return false;
  }
  return true;
}

Field FromFixed(const FixedField& f) {
  Field field;
  field.id = f.id;
  field.name = std::string(f.name);
  field.matcher = f.matcher;
  for (const auto c : f.commands) field.commands.emplace_back(c);
  field.help = std::string(f.help);
  return field;
}

}  // namespace

Result<Field> LookupField(std::string_view name) {
  for (const auto& fixed : FixedFields()) {
    if (fixed.name == name) return FromFixed(fixed);
  }
  Field field;
  field.name = std::string(name);
  if (name.substr(0, 5) == "kind_" && name.size() > 5) {
    const std::string_view digits = name.substr(5);
    int limit = 0;
    for (const char c : digits) {
      if (c < '0' || c > '9') return Unknown(name);
      limit = std::min(limit * 10 + (c - '0'), 1000);
    }
    if (limit > 100) return Unknown(name, "N of kind_N must be 0..100");
    field.id = FieldId::kKind;
    field.matcher = M::kTagged;
    field.kind_limit = limit;
    field.commands = {std::string(kKindCacheCommand)};
    field.help =
        "kinds of files that make up at least " + std::to_string(limit) + "% of this item's size";
    return field;
  }
  if (name.substr(0, 7) == "custom_") {
    const std::string_view key = name.substr(7);
    if (!AllOf(key, /*allow_dot=*/false)) return Unknown(name);
    field.id = FieldId::kCustom;
    field.matcher = M::kPattern;
    field.arg = std::string(key);
    const bool numbered = key.size() == 1 && key[0] >= '1' && key[0] <= '5';
    field.commands = {numbered ? "d.custom" + field.arg + "=" : "d.custom=" + field.arg};
    field.help = "custom attribute '" + field.arg + "'";
    return field;
  }
  if (name.substr(0, 2) == "d_") {
    const std::string_view method = name.substr(2);
    if (!AllOf(method, /*allow_dot=*/true)) return Unknown(name);
    field.id = FieldId::kDMethod;
    field.matcher = M::kPattern;
    field.arg = std::string(method);
    field.commands = {"d." + field.arg + "="};
    field.help = "the value of d." + field.arg;
    return field;
  }
  return Unknown(name);
}

std::vector<std::string> FixedFieldNames() {
  std::vector<std::string> names;
  for (const auto& f : FixedFields()) names.emplace_back(f.name);
  return names;
}

Projection::Projection() { AddCommand(kHashCommand); }

void Projection::Add(const Field& field) {
  for (const auto& command : field.commands) AddCommand(command);
}

Status Projection::Add(std::string_view name) {
  auto field = LookupField(name);
  if (!field.ok()) return field.status();
  Add(*field);
  return Status::Ok();
}

int Projection::Column(std::string_view command) const {
  const auto it = index_.find(command);
  return it == index_.end() ? -1 : it->second;
}

void Projection::AddCommand(std::string_view command) {
  if (index_.find(command) != index_.end()) return;
  index_.emplace(std::string(command), static_cast<int>(commands_.size()));
  commands_.emplace_back(command);
}

}  // namespace torque::rtorrent
