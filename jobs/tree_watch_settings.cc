#include "jobs/tree_watch_settings.h"

#include <sys/stat.h>

#include "core/config_values.h"
#include "core/ini_reader.h"
#include "core/utf8.h"
#include "jobs/settings.h"

namespace torque::jobs {
namespace {

bool IsDirectory(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

// "/a/b/" → "/a/b"; "/" stays.
std::string WithoutTrailingSlash(std::string path) {
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  return path;
}

bool Inside(const std::string& path, const std::string& root) {
  return path.size() > root.size() && path.compare(0, root.size(), root) == 0 &&
         (root == "/" || path[root.size()] == '/');
}

Status ReadRoots(const SettingReader& r, bool active, TreeWatchSettings& s) {
  const std::string text = r.Text("path");
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find(':', start);
    if (end == std::string::npos) end = text.size();
    std::string entry = config::Trim(std::string_view(text).substr(start, end - start));
    start = end + 1;
    if (entry.empty()) continue;
    std::string root = WithoutTrailingSlash(config::ToPath(entry, "/"));
    if (!IsDirectory(root)) return r.Fail("path", "'" + root + "' is not a folder");
    bool seen = false;
    for (const std::string& other : s.roots) seen = seen || other == root;
    if (!seen) s.roots.push_back(std::move(root));
  }
  if (s.roots.empty() && active) {
    return r.Fail("path", "no folder to watch (several are separated by ':')");
  }
  return Status::Ok();
}

Status ReadCommands(const JobTypeConfig& type, const SettingReader& r, TreeWatchSettings& s) {
  // type.settings is ordered by key, so the commands come in name order.
  for (const auto& [key, setting] : type.settings) {
    if (key.rfind("cmd.", 0) != 0) continue;
    const std::string name = key.substr(4);
    if (name.empty()) return r.Fail(key, "a load command needs a name (cmd.NAME)");
    auto parsed = WatchTemplate::Parse(setting.value);
    if (!parsed.ok()) return r.Fail(key, parsed.status().message());
    s.commands.push_back({name, std::move(*parsed)});
  }
  return Status::Ok();
}

}  // namespace

std::string TreeWatchSettings::QuarantineFor(const std::string& root) const {
  if (!quarantine.empty() && quarantine.front() == '/') return quarantine;
  return root + "/" + quarantine;
}

std::vector<std::string> TreeWatchSettings::QuarantinesInside() const {
  std::vector<std::string> out;
  for (const std::string& root : roots) {
    std::string q = QuarantineFor(root);
    for (const std::string& r : roots) {
      if (Inside(q, r)) {
        out.push_back(q);
        break;
      }
    }
  }
  return out;
}

Result<bool> ParseLoadMode(const std::string& value) {
  const std::string v = AsciiLower(config::Trim(value));
  if (v == "start" || v == "started") return true;
  if (v.empty() || v == "normal" || v == "load" || v == "none") return false;
  return Status::InvalidArgument("expected start, started or normal, got '" + value + "'");
}

Result<TreeWatchSettings> ReadTreeWatchSettings(const JobTypeConfig& type) {
  const SettingReader r(type);
  TreeWatchSettings s;
  if (Status st = ReadRoots(r, type.active, s); !st.ok()) return st;

  auto mode = ParseLoadMode(r.Text("load_mode"));
  if (!mode.ok()) return r.Fail("load_mode", mode.status().message());
  s.start = *mode;
  // pyrosimple documents `started` (and never read it): honoured here.
  auto started = r.Bool("started", false);
  if (!started.ok()) return started.status();
  if (*started) s.start = true;

  struct BoolKey {
    const char* key;
    bool* out;
  };
  bool remove_unhandled = false;
  for (const BoolKey& k :
       {BoolKey{"queued", &s.queued}, BoolKey{"quiet", &s.quiet},
        BoolKey{"trace_inotify", &s.trace}, BoolKey{"label_from_path", &s.label_from_path},
        BoolKey{"load_raw", &s.load_raw}, BoolKey{"remove_already_added", &s.remove_already_added},
        BoolKey{"remove_unhandled", &remove_unhandled}}) {
    auto v = r.Bool(k.key, *k.out);
    if (!v.ok()) return v.status();
    *k.out = *v;
  }
  // pyrosimple's print_to_client = false is pyrocore's quiet = true.
  if (r.Find("print_to_client")) {
    auto print = r.Bool("print_to_client", true);
    if (!print.ok()) return print.status();
    if (!*print) s.quiet = true;
  }

  const std::string after = AsciiLower(config::Trim(r.Text("after_load", "leave")));
  if (after == "leave" || after.empty()) {
    s.after_load = AfterLoad::kLeave;
  } else if (after == "delete" || after == "remove") {
    s.after_load = AfterLoad::kDelete;
  } else if (after == "rename") {
    s.after_load = AfterLoad::kRename;
  } else {
    return r.Fail("after_load",
                  "expected leave, delete or rename, got '" + r.Text("after_load") + "'");
  }
  // pyrosimple removed a file after its catch-up load attempt; here it is removed once
  // rTorrent holds it.
  if (remove_unhandled && s.after_load == AfterLoad::kLeave) s.after_load = AfterLoad::kDelete;

  if (const Setting* q = r.Find("quarantine")) {
    std::string v = config::Trim(q->value);
    if (v.empty()) return r.Fail("quarantine", "expected a folder");
    s.quarantine = WithoutTrailingSlash(v.front() == '~' ? config::ToPath(v, "/") : v);
  }

  auto settle = r.Duration("settle", s.settle);
  if (!settle.ok()) return settle.status();
  s.settle = *settle;
  auto poll = r.Duration("poll_interval", s.poll_interval);
  if (!poll.ok()) return poll.status();
  if (*poll > 0 && *poll < 100) return r.Fail("poll_interval", "must be 0 (off) or at least 100ms");
  s.poll_interval = *poll;

  if (Status st = ReadCommands(type, r, s); !st.ok()) return st;
  return s;
}

}  // namespace torque::jobs
