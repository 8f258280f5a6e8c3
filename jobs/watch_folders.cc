#include "jobs/watch_folders.h"

#include <sys/stat.h>

#include "core/config_values.h"
#include "core/file_read.h"
#include "core/ini_reader.h"
#include "core/utf8.h"
#include "jobs/tree_watch_settings.h"

namespace torque::jobs {
namespace {

constexpr off_t kMaxWatchIni = 1 << 20;

Status Fail(const Setting& s, const std::string& why) {
  return Status::InvalidArgument(s.where.ToString() + ": " + why);
}

Result<bool> ToBool(const Setting& s, const std::string& key) {
  bool out = false;
  config::Item item{s, 0, "key '" + key + "'"};
  Status st = config::ToBool(item, out);
  if (!st.ok()) return st;
  return out;
}

}  // namespace

void FolderRules::MergeFrom(const FolderRules& nearer) {
  if (nearer.start) start = nearer.start;
  if (nearer.queued) queued = nearer.queued;
  if (nearer.label) label = nearer.label;
  for (const auto& [name, command] : nearer.commands) commands[name] = command;
  problems.insert(problems.end(), nearer.problems.begin(), nearer.problems.end());
}

Result<FolderRules> ParseWatchIni(const std::string& file, std::string_view text) {
  auto entries = config::ReadIni(file, text);
  if (!entries.ok()) return entries.status();
  FolderRules rules;
  for (const config::Entry& e : *entries) {
    if (!e.section.empty() && e.section != "watch") {
      return Fail(e.setting, "unknown section [" + e.section +
                                 "] (a watch.ini has keys only, "
                                 "or a [watch] section)");
    }
    if (e.header) continue;
    const std::string key = AsciiLower(e.key);
    const std::string value = config::Trim(e.setting.value);
    if (key == "load_mode") {
      auto start = ParseLoadMode(value);
      if (!start.ok()) return Fail(e.setting, "key 'load_mode': " + start.status().message());
      rules.start = *start;
    } else if (key == "queued") {
      auto queued = ToBool(e.setting, key);
      if (!queued.ok()) return queued.status();
      rules.queued = *queued;
    } else if (key == "label") {
      rules.label = value;
    } else if (key.rfind("cmd.", 0) == 0 && key.size() > 4) {
      if (value.empty()) {
        rules.commands[e.key.substr(4)] = std::nullopt;
        continue;
      }
      auto parsed = WatchTemplate::Parse(e.setting.value);
      if (!parsed.ok()) {
        return Fail(e.setting, "key '" + e.key + "': " + parsed.status().message());
      }
      rules.commands[e.key.substr(4)] = std::move(*parsed);
    } else {
      return Fail(e.setting,
                  "unknown key '" + e.key + "' (known: load_mode, queued, label, cmd.NAME)");
    }
  }
  return rules;
}

FolderRules WatchFolders::For(const std::string& root, const std::string& dir,
                              spdlog::logger* log) {
  FolderRules merged = Own(root, log);
  if (dir.size() <= root.size()) return merged;
  // Each folder between the root and `dir`, outermost first.
  size_t pos = root.size();
  while (pos < dir.size()) {
    size_t next = dir.find('/', pos + 1);
    if (next == std::string::npos) next = dir.size();
    merged.MergeFrom(Own(dir.substr(0, next), log));
    pos = next;
  }
  return merged;
}

FolderRules WatchFolders::Own(const std::string& folder, spdlog::logger* log) {
  const std::string file = folder + "/" + kWatchIni;
  struct stat st {};
  const bool exists = ::stat(file.c_str(), &st) == 0 && S_ISREG(st.st_mode);
  const int64_t mtime_ns =
      exists ? static_cast<int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec : -1;

  std::lock_guard lock(mu_);
  Entry& entry = cache_[folder];
  if (!exists) {
    entry = Entry{};
    return {};
  }
  if (entry.rules && entry.inode == st.st_ino && entry.size == st.st_size &&
      entry.mtime_ns == mtime_ns) {
    return *entry.rules;
  }
  entry.inode = st.st_ino;
  entry.size = st.st_size;
  entry.mtime_ns = mtime_ns;
  Result<FolderRules> parsed = Status::IoError("");
  if (st.st_size > kMaxWatchIni) {
    parsed = Status::InvalidArgument(file + ": larger than 1 MiB");
  } else {
    Result<std::string> text = ReadWholeFile(file, static_cast<size_t>(kMaxWatchIni));
    parsed = text.ok() ? ParseWatchIni(file, *text) : Result<FolderRules>(text.status());
  }
  if (parsed.ok()) {
    if (log) log->info("read {}", file);
    entry.rules = std::move(*parsed);
  } else {
    const std::string why = parsed.status().message();
    if (log) log->error("{}; the folder's own watch.ini is ignored until it is fixed", why);
    FolderRules broken;
    broken.problems.push_back(why);
    entry.rules = std::move(broken);
  }
  return *entry.rules;
}

}  // namespace torque::jobs
