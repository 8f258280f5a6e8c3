#include "jobs/rtorrent/item.h"

#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <set>
#include <system_error>

#include "core/utf8.h"

namespace torque::rtorrent {
namespace {

// One "R<unix time>" (resumed) or "P<unix time>" (paused) event of d.custom=activations,
// which pyrocore's timestamps.rc appends to on event.download.resumed/paused.
struct Activation {
  char kind;
  int64_t time;
};

// pyrocore's _interval_split: every "[A-Z][0-9]+" in `text`, oldest first.
std::vector<Activation> SplitActivations(std::string_view text) {
  std::vector<Activation> events;
  size_t i = 0;
  while (i < text.size()) {
    const char c = text[i];
    if (c >= 'A' && c <= 'Z' && i + 1 < text.size() &&
        std::isdigit(static_cast<unsigned char>(text[i + 1]))) {
      int64_t t = 0;
      size_t j = i + 1;
      for (; j < text.size() && std::isdigit(static_cast<unsigned char>(text[j])); ++j) {
        if (t < 100000000000000000) t = t * 10 + (text[j] - '0');
      }
      events.push_back({c, t});
      i = j;
    } else {
      ++i;
    }
  }
  return events;
}

// pyrocore's _interval_sum: the total of R→P intervals clipped to [start, end] (end 0 =
// now; a trailing R runs until end); nullopt when there is no such interval.
std::optional<int64_t> IntervalSum(std::string_view activations, int64_t start, int64_t end,
                                   TimeSec now) {
  if (!end) end = now;
  const std::vector<Activation> events = SplitActivations(activations);
  std::optional<int64_t> sum;
  size_t i = 0;
  while (i < events.size()) {
    const Activation event = events[i++];
    if (event.kind != 'R') continue;
    const int64_t resumed = std::max(event.time, start ? start : event.time);
    int64_t paused = end;
    if (i < events.size()) {
      if (events[i].kind != 'P') continue;
      paused = std::min(events[i++].time, end);
    }
    if (resumed >= paused) continue;
    sum = sum.value_or(0) + (paused - resumed);
  }
  return sum;
}

// pyrocore's _duration(start, end).
std::optional<int64_t> Duration(int64_t start, int64_t end, TimeSec now) {
  if (start && end) return start > end ? std::nullopt : std::optional<int64_t>(end - start);
  if (start) return now - start;
  return std::nullopt;
}

FieldValue Optional(std::optional<int64_t> v) {
  if (v) return *v;
  return std::monostate{};
}

// Python's os.path.expanduser for "~" and "~user" prefixes.
std::string ExpandUser(std::string path) {
  if (path.empty() || path[0] != '~') return path;
  const size_t slash = path.find('/');
  const std::string user =
      path.substr(1, slash == std::string::npos ? std::string::npos : slash - 1);
  std::string home;
  if (user.empty()) {
    if (const char* env = std::getenv("HOME")) home = env;
  } else {
    struct passwd pw;
    struct passwd* found = nullptr;
    std::vector<char> buffer(16384);
    if (getpwnam_r(user.c_str(), &pw, buffer.data(), buffer.size(), &found) == 0 && found) {
      home = found->pw_dir;
    }
  }
  if (home.empty()) return path;
  if (home.size() > 1 && home.back() == '/') home.pop_back();
  return home + (slash == std::string::npos ? "" : path.substr(slash));
}

// Text of a value for string fields: arrays (d.views=) as their elements joined by spaces.
std::string Text(const Value& v) {
  if (v.IsArray()) {
    std::string out;
    for (const auto& e : v.AsArray()) {
      if (!out.empty()) out += ' ';
      out += Text(e);
    }
    return out;
  }
  if (const auto* b = std::get_if<bool>(&v.v)) return *b ? "1" : "0";
  return v.AsString();
}

std::vector<std::string> SortedSet(std::vector<std::string> words) {
  std::sort(words.begin(), words.end());
  words.erase(std::unique(words.begin(), words.end()), words.end());
  return words;
}

std::optional<std::vector<FileInfo>> ParseFiles(const Value& v) {
  if (!v.IsArray()) return std::nullopt;
  std::vector<FileInfo> files;
  for (const auto& entry : v.AsArray()) {
    const Array& pair = entry.AsArray();
    if (pair.size() < 2 || !pair[0].IsString()) return std::nullopt;
    files.push_back({pair[0].AsString(), pair[1].AsInt(0)});
  }
  return files;
}

}  // namespace

Item::Item(std::shared_ptr<const Projection> projection, Array row,
           std::shared_ptr<const ItemContext> context)
    : projection_(std::move(projection)), row_(std::move(row)), context_(std::move(context)) {
  hash_ = Str(kHashCommand);
  if (projection_->Has(kFilesCommand)) files_ = ParseFiles(Column(kFilesCommand));
  wants_kind_ = projection_->Has(kKindCacheCommand);
  if (wants_kind_) {
    histogram_ = ParseKindCache(Str(kKindCacheCommand));
    if (!histogram_ && files_) ComputeKindFromFiles();
  }
}

std::vector<PendingCall> Item::PendingWrites() const {
  std::vector<PendingCall> writes;
  if (!kind_cache_.empty()) writes.push_back({"d.custom.set", Array{hash_, "kind", kind_cache_}});
  if (projection_->Has(kAliasCacheCommand) && projection_->Has(kTrackersCommand) &&
      Str(kAliasCacheCommand).empty()) {
    std::string tracker = Tracker();
    if (!tracker.empty()) {
      writes.push_back({"d.custom.set", Array{hash_, "m_alias", std::move(tracker)}});
    }
  }
  return writes;
}

bool Item::NeedsFiles() const { return wants_kind_ && !histogram_ && !files_; }

PendingCall Item::FilesCall() const {
  return {"f.multicall", Array{hash_, "", "f.path=", "f.size_bytes="}};
}

Status Item::SetFiles(const Value& answer) {
  auto files = ParseFiles(answer);
  if (!files) {
    return Status::InvalidArgument("f.multicall answer for " + hash_ +
                                   " is not a list of [path, size]");
  }
  files_ = std::move(files);
  if (wants_kind_ && !histogram_) ComputeKindFromFiles();
  return Status::Ok();
}

void Item::ComputeKindFromFiles() {
  histogram_ = KindHistogramOf(*files_);
  kind_cache_ = FormatKindCache(*histogram_);
}

const Value& Item::Column(std::string_view command) const {
  static const Value kNil;
  const int column = projection_->Column(command);
  if (column < 0 || static_cast<size_t>(column) >= row_.size()) return kNil;
  return row_[column];
}

std::string Item::Str(std::string_view command) const { return Text(Column(command)); }

int64_t Item::Int(std::string_view command) const { return Column(command).AsInt(0); }

const std::vector<FileInfo>* Item::Files() const { return files_ ? &*files_ : nullptr; }

std::string Item::Tracker() const {
  for (const auto& tracker : Column(kTrackersCommand).AsArray()) {
    const Array& pair = tracker.AsArray();
    if (pair.size() >= 2 && pair[1].AsInt(0) != 0) return pair[0].AsString();
  }
  return {};
}

std::string Item::Alias() const {
  const std::string cached = Str(kAliasCacheCommand);
  return MapAnnounceToAlias(cached.empty() ? Tracker() : cached, context_->aliases);
}

std::string Item::DataPath() const {
  std::string path = Str("d.base_path=");
  if (path.empty()) {
    path = Str("d.directory=");
    if (!path.empty() && !Int("d.is_multi_file=")) {
      path += (path.back() == '/' ? "" : "/") + Str("d.name=");
    }
  }
  return ExpandUser(std::move(path));
}

const KindHistogram& Item::Histogram() const {
  static const KindHistogram kEmpty;
  return histogram_ ? *histogram_ : kEmpty;
}

FieldValue Item::Get(const Field& field) const {
  const TimeSec now = context_->now;
  switch (field.id) {
    case FieldId::kHash:
      return hash_;
    case FieldId::kName:
      return Str("d.name=");
    case FieldId::kAlias:
      return Alias();
    case FieldId::kTracker:
      return Tracker();
    case FieldId::kMessage:
      return Str("d.message=");
    case FieldId::kSize:
      return Int("d.size_bytes=");
    case FieldId::kPrio:
      return Int("d.priority=");
    case FieldId::kIsPrivate:
      return Int("d.is_private=") != 0;
    case FieldId::kIsOpen:
      return Int("d.is_open=") != 0;
    case FieldId::kIsActive:
      return Int("d.is_active=") != 0;
    case FieldId::kIsComplete:
      return Int("d.complete=") != 0;
    case FieldId::kIsMultiFile:
      return Int("d.is_multi_file=") != 0;
    case FieldId::kIsIgnored:
      return Int("d.ignore_commands=") != 0;
    case FieldId::kIsGhost: {
      const std::string path = DataPath();
      std::error_code ec;
      return !path.empty() && !std::filesystem::exists(path, ec);
    }
    case FieldId::kDirectory:
      return Str("d.directory=");
    case FieldId::kPath:
      return DataPath();
    case FieldId::kRealpath: {
      const std::string path = DataPath();
      if (path.empty()) return path;
      std::error_code ec;
      const auto real = std::filesystem::weakly_canonical(path, ec);
      return ec ? path : real.string();
    }
    case FieldId::kMetafile:
      return ExpandUser(Str("d.tied_to_file="));
    case FieldId::kSessionfile:
      return ExpandUser(Str(field.commands.front()));
    case FieldId::kFiles:
      return Files() ? *Files() : std::vector<FileInfo>{};
    case FieldId::kFno:
      return Int("d.size_files=");
    case FieldId::kDone: {
      const int64_t chunks = Int("d.size_chunks=");
      return chunks ? 100.0 * static_cast<double>(Int("d.completed_chunks=")) /
                          static_cast<double>(chunks)
                    : 0.0;
    }
    case FieldId::kRatio:
      return static_cast<double>(Int("d.ratio=")) / 1000.0;
    case FieldId::kUploaded:
      return Int("d.up.total=");
    case FieldId::kDown:
      return Int("d.down.rate=");
    case FieldId::kUp:
      return Int("d.up.rate=");
    case FieldId::kXfer:
      return Int("d.up.rate=") + Int("d.down.rate=");
    case FieldId::kThrottle: {
      const std::string name = Str("d.throttle_name=");
      return name.empty() ? std::string("NONE") : name;
    }
    case FieldId::kLoaded:
      return Int("d.custom=tm_loaded");
    case FieldId::kStarted:
      return Int("d.custom=tm_started");
    case FieldId::kCompleted:
      return Int("d.custom=tm_completed");
    case FieldId::kLeechtime: {
      const int64_t completed = Int("d.custom=tm_completed");
      auto sum = IntervalSum(Str("d.custom=activations"), 0, completed, now);
      if (!sum) sum = Duration(Int("d.custom=tm_started"), completed, now);
      return Optional(sum);
    }
    case FieldId::kSeedtime:
      if (!Int("d.complete=")) return std::monostate{};
      return Optional(
          IntervalSum(Str("d.custom=activations"), Int("d.custom=tm_completed"), 0, now));
    case FieldId::kActive:
      return Int("d.peers_connected=") > 0 ? now : Int("d.custom=last_active");
    case FieldId::kLastXfer:
      return Int("d.up.rate=") + Int("d.down.rate=") > context_->last_xfer_min_rate
                 ? now
                 : Int("d.custom=last_xfer");
    case FieldId::kStopped: {
      int64_t stopped = 0;
      for (const auto& event : SplitActivations(Str("d.custom=activations"))) {
        if (event.kind == 'P') stopped = event.time;
      }
      return stopped;
    }
    case FieldId::kTagged: {
      std::vector<std::string> tags;
      std::string word;
      for (const char c : Str("d.custom=tags") + " ") {
        if (std::isspace(static_cast<unsigned char>(c))) {
          if (!word.empty()) tags.push_back(Utf8Lower(word));  // as Python's lower()
          word.clear();
        } else {
          word += c;
        }
      }
      return SortedSet(std::move(tags));
    }
    case FieldId::kViews: {
      std::vector<std::string> views;
      for (const auto& v : Column("d.views=").AsArray()) views.push_back(v.AsString());
      return SortedSet(std::move(views));
    }
    case FieldId::kKind:
      return KindsAtLeast(Histogram(), field.kind_limit);
    case FieldId::kTraits: {
      const auto dominant = KindsAtLeast(Histogram(), 51);
      return DetectTraits(Str("d.name="), Alias(), dominant.empty() ? "" : dominant.front(),
                          context_->aliases);
    }
    case FieldId::kCustom:
    case FieldId::kDMethod:
      return Str(field.commands.front());
  }
  return std::monostate{};
}

}  // namespace torque::rtorrent
