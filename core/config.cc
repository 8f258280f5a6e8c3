#include "core/config.h"

#include <ini.h>
#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "core/duration.h"
#include "core/embedded.h"
#include "core/handler_catalog.h"

namespace torque {
namespace {

namespace fs = std::filesystem;

// inih reads lines into a 200-byte buffer (INI_MAX_LINE) and silently splits longer ones.
constexpr size_t kMaxLine = 199;
constexpr int kMaxInterpolationDepth = 10;  // as Python's ConfigParser
constexpr const char* kDefaultsName = "<defaults>";

constexpr const char* kReserved[] = {"submit", "status", "wait",    "cancel", "retry",
                                     "list",   "stats",  "types",   "pause",  "resume",
                                     "reload", "ping",   "version", "help",   "rt"};
// Canonical handler names, for the "known:" list of an error message.
constexpr const char* kHandlerNames[] = {"exec", "queue_manager", "tree_watch", "engine_stats",
                                         "metrics_exporter"};
constexpr const char* kServerKeys[] = {"socket",   "socket_mode",    "socket_group", "database",
                                       "pid_file", "log_file",       "log_level",    "retention",
                                       "jobs_dir", "shutdown_grace", "crash_retries"};
constexpr const char* kNotifyKeys[] = {"smtp_url",        "mail_from",   "smtp_user",
                                       "smtp_password",   "starttls",    "syslog_address",
                                       "syslog_facility", "syslog_ident"};
constexpr const char* kUpqDataPaths[] = {"uploads", "files", "metadata",
                                         "broken",  "tmp",   "tasks_dir"};

template <size_t N>
bool OneOf(const std::string& s, const char* const (&list)[N]) {
  for (const char* item : list) {
    if (s == item) return true;
  }
  return false;
}

std::string Trim(std::string_view s) {
  size_t b = 0;
  size_t e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return std::string(s.substr(b, e - b));
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

bool ValidName(const std::string& s) {
  if (s.empty() || s[0] < 'a' || s[0] > 'z') return false;
  for (char c : s) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  }
  return true;
}

std::string HomeDir() {
  const char* home = std::getenv("HOME");
  if (home && *home) return home;
  const passwd* pw = getpwuid(getuid());
  return pw && pw->pw_dir ? pw->pw_dir : "/";
}

std::string Getenv(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

// A merged setting: a later `order` overrides; `label` names it in messages.
struct Item {
  Setting setting;
  int64_t order = 0;
  std::string label;  // "[server] key 'socket'", "job type 'x': key 'retries'"
};

Status Fail(const Item& item, const std::string& why) {
  return Status::InvalidArgument(item.setting.where.ToString() + ": " + item.label + ": " + why);
}

Status Fail(const Item& item, const std::string& expected, const std::string& got) {
  return Fail(item, "expected " + expected + ", got '" + got + "'");
}

// Value converters: each fails naming the item and the bad value.
Status ToBool(const Item& item, bool& out) {
  static const std::set<std::string> kTrue = {"true", "t", "yes", "y", "1", "+", "on"};
  static const std::set<std::string> kFalse = {"false", "f", "no", "n", "0", "-", "off"};
  std::string l = Lower(item.setting.value);
  if (!kTrue.count(l) && !kFalse.count(l)) {
    return Fail(item, "a boolean (true/false, yes/no, on/off, 1/0)", item.setting.value);
  }
  out = kTrue.count(l) > 0;
  return Status::Ok();
}

// min == INT_MIN: any int.
Status ToInt(const Item& item, int min, int max, int& out) {
  std::string s = item.setting.value;
  if (!s.empty() && s[0] == '+') s.erase(0, 1);
  long long n = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size() || n < min || n > max) {
    std::string range = std::to_string(min) + ".." + std::to_string(max);
    return Fail(item, min == INT_MIN ? "an integer" : "an integer " + range, item.setting.value);
  }
  out = static_cast<int>(n);
  return Status::Ok();
}

Status ToDuration(const Item& item, DurationMs& out) {
  Result<DurationMs> d = ParseDuration(item.setting.value);
  if (!d.ok()) return Fail(item, d.status().message());
  out = *d;
  return Status::Ok();
}

// spdlog level names; Python's (upper-case, "warning") are accepted too.
Status ToLogLevel(const Item& item, bool allow_empty, std::string& out) {
  std::string l = Lower(item.setting.value);
  if (l == "warning") l = "warn";
  for (const char* level : {"trace", "debug", "info", "warn", "error", "critical", "off"}) {
    if (l == level || (allow_empty && l.empty())) {
      out = l;
      return Status::Ok();
    }
  }
  return Fail(item, "trace, debug, info, warn, error, critical or off", item.setting.value);
}

Status ToMode(const Item& item, unsigned& out) {
  std::string s = item.setting.value;
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'o' || s[1] == 'O')) s.erase(0, 2);
  unsigned mode = 0;
  bool ok = !s.empty() && s.size() <= 4;
  for (char c : s) {
    ok = ok && c >= '0' && c <= '7';
    mode = mode * 8 + static_cast<unsigned>(c - '0');
  }
  if (!ok || mode > 0777) {
    return Fail(item, "an octal file mode such as 0600 or 660", item.setting.value);
  }
  out = mode;
  return Status::Ok();
}

// Everything said about one job type, before validation.
struct TypeDraft {
  std::map<std::string, Item> items;
  SourceLocation where;
  int64_t first = INT64_MAX;
};

// One line of a source as inih delivers it: a key = value or a section header.
struct Entry {
  bool header = false;
  std::string section;
  std::string key;
  Setting setting;  // value (continuation lines joined with '\n') and where it started
};

// ini_parse_stream's reader and handler state over one in-memory text. The reader keeps
// the physical line number (inih calls the handler right after reading the line) and
// mirrors inih's line classification to know the section and continuation lines.
struct ParseState {
  std::string_view text;
  std::string file;
  size_t pos = 0;
  int line = 0;
  bool leading_space = false;  // the current line is indented
  bool after_key = false;      // inih's prev_name: a key was read since the last header
  std::string section;
  std::vector<Entry> entries;
  std::string error;
};

char* ReadLine(char* str, int num, void* stream) {
  auto* st = static_cast<ParseState*>(stream);
  if (!st->error.empty() || st->pos >= st->text.size()) return nullptr;
  size_t nl = st->text.find('\n', st->pos);
  size_t end = nl == std::string_view::npos ? st->text.size() : nl;
  std::string_view line = st->text.substr(st->pos, end - st->pos);
  st->pos = end + 1;
  ++st->line;
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  if (st->line == 1 && line.substr(0, 3) == "\xEF\xBB\xBF") line.remove_prefix(3);
  if (line.size() > kMaxLine || line.size() >= static_cast<size_t>(num)) {
    st->error = st->file + ":" + std::to_string(st->line) + ": line longer than " +
                std::to_string(kMaxLine) + " characters; continue the value on indented lines";
    return nullptr;
  }
  size_t first = 0;
  while (first < line.size() && std::isspace(static_cast<unsigned char>(line[first]))) ++first;
  st->leading_space = first > 0 && first < line.size();
  bool continuation = st->after_key && st->leading_space;
  if (first < line.size() && line[first] == '[' && !continuation) {
    size_t close = line.find(']', first);
    if (close != std::string_view::npos) {
      st->section = Trim(line.substr(first + 1, close - first - 1));
      st->after_key = false;
      Entry header{true, st->section, "", {"", {st->file, st->line}}};
      st->entries.push_back(std::move(header));
    }
  }
  std::memcpy(str, line.data(), line.size());
  str[line.size()] = '\0';
  return str;
}

int OnValue(void* user, const char* /*section*/, const char* name, const char* value) {
  auto* st = static_cast<ParseState*>(user);
  if (st->after_key && st->leading_space) {  // inih's continuation line
    // inih r55 keeps inline comments on continuation lines; later versions drop them.
    std::string_view v(value);
    for (size_t i = 1; i < v.size(); ++i) {
      if (v[i] == ';' && std::isspace(static_cast<unsigned char>(v[i - 1]))) {
        v = v.substr(0, i);
        break;
      }
    }
    std::string& joined = st->entries.back().setting.value;
    if (!joined.empty()) joined += '\n';
    joined += Trim(v);
    return 1;
  }
  st->after_key = true;
  st->entries.push_back(Entry{false, st->section, name, {value, {st->file, st->line}}});
  return 1;
}

// Reads sources in order and builds the Config (see LoadConfig).
class Loader {
 public:
  explicit Loader(const ConfigOptions& options) : options_(options) {
    state_dir_ = options.state_dir.empty() ? DefaultStateDir() : options.state_dir;
    std::error_code ec;
    fs::path abs = fs::absolute(state_dir_, ec);
    if (!ec) state_dir_ = abs.lexically_normal().string();
  }

  // Parses one source and routes its settings; `base_dir` resolves its relative paths.
  Status Add(const std::string& file, std::string_view text, const std::string& base_dir) {
    ParseState st;
    st.text = text;
    st.file = file;
    int rc = ini_parse_stream(&ReadLine, &st, &OnValue, &st);
    if (!st.error.empty()) return Status::InvalidArgument(st.error);
    if (rc > 0) return Status::InvalidArgument(file + ":" + std::to_string(rc) + ": syntax error");
    if (rc < 0) {
      return Status::Internal(file + ": ini_parse_stream failed (" + std::to_string(rc) + ")");
    }
    base_dirs_[file] = base_dir;
    if (file != kDefaultsName) config_.files.push_back(file);
    for (Entry& e : st.entries) {
      Status s = Route(e, ++order_);
      if (!s.ok()) return s;
    }
    return Status::Ok();
  }

  Result<Config> Finish();

 private:
  void Warn(const SourceLocation& where, std::string message) {
    config_.warnings.push_back({where, std::move(message)});
  }
  Status Route(const Entry& e, int64_t order);
  Status RouteServer(const Entry& e, int64_t order, const std::string& target);
  Status Mention(const std::string& name, const SourceLocation& where, int64_t order);
  Result<std::string> Expand(const std::string& key, int depth) const;
  Status SplitTorque();
  Status BuildServer();
  Status BuildType(const std::string& name, const TypeDraft& draft, JobTypeConfig& t, bool& keep);
  Status LinkAliases();
  std::string ResolvePath(const Setting& s) const;

  ConfigOptions options_;
  std::string state_dir_;
  Config config_;
  int64_t order_ = 0;
  std::map<std::string, std::string> base_dirs_;  // file name → directory
  std::map<std::string, Item> server_;            // ServerConfig field → setting
  std::map<std::string, Item> torque_;            // [TORQUE] key → setting
  std::map<std::string, TypeDraft> drafts_;
  std::set<std::pair<std::string, std::string>> warned_sections_;  // (file, section)
};

Status Loader::Mention(const std::string& name, const SourceLocation& where, int64_t order) {
  if (!ValidName(name)) {
    return Status::InvalidArgument(where.ToString() + ": invalid job type name '" + name +
                                   "': use a-z, 0-9 and '_', starting with a letter");
  }
  if (IsReservedName(name)) {
    return Status::InvalidArgument(where.ToString() + ": job type name '" + name +
                                   "' is reserved (a torque-cli command)");
  }
  TypeDraft& d = drafts_[name];
  if (order < d.first) {
    d.first = order;
    d.where = where;
  }
  return Status::Ok();
}

Status Loader::Route(const Entry& e, int64_t order) {
  const std::string& sec = e.section;
  const SourceLocation& where = e.setting.where;
  bool is_job = sec.rfind("job", 0) == 0 &&
                (sec.size() == 3 || std::isspace(static_cast<unsigned char>(sec[3])));
  if (is_job) {
    std::string name = Trim(sec.substr(3));
    if (name.empty()) {
      return Status::InvalidArgument(where.ToString() + ": [job] needs a name: [job NAME]");
    }
    Status s = Mention(name, where, order);
    if (!s.ok() || e.header) return s;
    Item item{e.setting, order, "job type '" + name + "': key '" + e.key + "'"};
    drafts_[name].items[e.key] = std::move(item);
    return Status::Ok();
  }
  bool known = sec == "server" || sec == "paths" || sec == "db" || sec == "logging" ||
               sec == "daemon" || sec == "notify" || sec == "TORQUE";
  if (sec.empty() && !e.header) {
    Warn(where, "key '" + e.key + "' is outside any [section] (ignored)");
    return Status::Ok();
  }
  if (!known) {
    if (warned_sections_.insert({where.file, sec}).second) {
      Warn(where, "unknown section [" + sec + "]");
    }
    return Status::Ok();
  }
  if (e.header) return Status::Ok();
  const std::string& key = e.key;
  auto unknown = [&] { Warn(where, "unknown key '" + key + "' in [" + sec + "]"); };
  if (sec == "server") {
    if (!OneOf(key, kServerKeys)) {
      unknown();
      return Status::Ok();
    }
    return RouteServer(e, order, key);
  }
  if (sec == "paths") {
    if (key == "socket" || key == "jobs_dir") return RouteServer(e, order, key);
    if (key == "socket_chmod") return RouteServer(e, order, "socket_mode");
    if (!OneOf(key, kUpqDataPaths)) unknown();
    return Status::Ok();
  }
  if (sec == "db") {
    if (key != "url") {
      if (key == "debug") {
        Warn(where, "[db] key 'debug' is ignored");
      } else {
        unknown();
      }
      return Status::Ok();
    }
    Item item{e.setting, order, "[db] key 'url'"};
    const std::string& url = e.setting.value;
    if (url.rfind("sqlite://", 0) != 0) {
      return Fail(item, "only sqlite:// databases are supported, got '" + url + "'");
    }
    std::string path = url.substr(9);
    size_t slashes = path.find_first_not_of('/');
    if (path.empty() || path[0] != '/' || slashes == std::string::npos) {
      return Fail(item, "sqlite:///absolute/path", url);
    }
    item.setting.value = path.substr(slashes - 1);
    server_["database"] = std::move(item);
    return Status::Ok();
  }
  if (sec == "logging") {
    if (key == "logfile") return RouteServer(e, order, "log_file");
    if (key == "loglevel") return RouteServer(e, order, "log_level");
    if (key == "logformat" || key == "log_format") {
      Warn(where, "[logging] key '" + key + "' is ignored (torqued's log format is fixed)");
    } else {
      unknown();
    }
    return Status::Ok();
  }
  if (sec == "daemon") {
    Warn(where, "[daemon] key '" + key +
                    "' is ignored (torqued has its own daemon control; see torqued --help)");
    return Status::Ok();
  }
  if (sec == "notify") {
    if (OneOf(key, kNotifyKeys)) {
      config_.notify[key] = e.setting;
    } else {
      unknown();
    }
    return Status::Ok();
  }
  torque_[key] = Item{e.setting, order, "[TORQUE] key '" + key + "'"};
  return Status::Ok();
}

Status Loader::RouteServer(const Entry& e, int64_t order, const std::string& target) {
  server_[target] = Item{e.setting, order, "[" + e.section + "] key '" + e.key + "'"};
  return Status::Ok();
}

// pyrocore's ConfigParser interpolation: %(key)s is another [TORQUE] value, %% is '%'.
Result<std::string> Loader::Expand(const std::string& key, int depth) const {
  const Item& item = torque_.at(key);
  const std::string& v = item.setting.value;
  if (depth > kMaxInterpolationDepth) {
    return Fail(item, "%(...)s references nested more than " +
                          std::to_string(kMaxInterpolationDepth) + " deep (a loop?)");
  }
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) {
    if (v[i] != '%') {
      out += v[i];
    } else if (i + 1 < v.size() && v[i + 1] == '%') {
      out += '%';
      ++i;
    } else if (i + 1 < v.size() && v[i + 1] == '(') {
      size_t close = v.find(')', i + 2);
      if (close == std::string::npos || close + 1 >= v.size() || v[close + 1] != 's') {
        return Fail(item, "bad reference in '" + v + "': write %(name)s, or %% for a '%'");
      }
      std::string ref = v.substr(i + 2, close - i - 2);
      if (!torque_.count(ref)) return Fail(item, "unknown key '" + ref + "' in %(" + ref + ")s");
      Result<std::string> sub = Expand(ref, depth + 1);
      if (!sub.ok()) return sub.status();
      out += *sub;
      i = close + 1;
    } else {
      return Fail(item, "'%' must be followed by '%' or '(' in '" + v + "' (write %% for a '%')");
    }
  }
  return out;
}

Status Loader::SplitTorque() {
  std::map<std::string, std::string> expanded;
  for (const auto& [key, item] : torque_) {
    Result<std::string> v = Expand(key, 0);
    if (!v.ok()) return v.status();
    expanded[key] = std::move(*v);
  }
  for (auto& [key, item] : torque_) {
    item.setting.value = expanded[key];
    const SourceLocation& where = item.setting.where;
    if (key.rfind("job.", 0) == 0) {
      size_t dot = key.find('.', 4);
      if (dot == std::string::npos || dot + 1 == key.size()) {
        Warn(where, "unknown key '" + key + "' in [TORQUE] (job keys are job.NAME.KEY)");
        continue;
      }
      std::string name = key.substr(4, dot - 4);
      std::string sub = key.substr(dot + 1);
      Status s = Mention(name, where, item.order);
      if (!s.ok()) return s;
      Item& slot = drafts_[name].items[sub];
      if (slot.order < item.order) {
        slot = item;
        slot.label = "job type '" + name + "': key '" + sub + "'";
      }
      continue;
    }
    config_.torque_globals[key] = item.setting;
    if (key != "queue_startable_base" && key.rfind("apscheduler.", 0) != 0 &&
        key.rfind("httpd.", 0) != 0) {
      Warn(where, "unknown key '" + key + "' in [TORQUE]");
    }
  }
  return Status::Ok();
}

std::string Loader::ResolvePath(const Setting& s) const {
  std::string v = s.value;
  if (v.empty()) return v;
  if (v == "~" || v.rfind("~/", 0) == 0) v = HomeDir() + v.substr(1);
  fs::path p(v);
  if (p.is_relative()) {
    auto it = base_dirs_.find(s.where.file);
    bool in_defaults = it == base_dirs_.end() || it->second.empty();
    p = fs::path(in_defaults ? state_dir_ : it->second) / p;
  }
  return p.lexically_normal().string();
}

Status Loader::BuildServer() {
  ServerConfig& sc = config_.server;
  fs::path state(state_dir_);
  sc.socket = (state / "torqued.sock").string();
  sc.database = (state / "torque.db").string();
  sc.pid_file = (state / "torqued.pid").string();
  sc.log_file = (state / "torqued.log").string();
  for (const auto& [key, item] : server_) {
    Status s;
    if (key == "socket" || key == "database") {
      if (item.setting.value.empty()) return Fail(item, "a path", "");
      (key == "socket" ? sc.socket : sc.database) = ResolvePath(item.setting);
    } else if (key == "pid_file" || key == "log_file" || key == "jobs_dir") {
      (key == "pid_file"   ? sc.pid_file
       : key == "log_file" ? sc.log_file
                           : sc.jobs_dir) = ResolvePath(item.setting);
    } else if (key == "socket_group") {
      sc.socket_group = item.setting.value;
    } else if (key == "socket_mode") {
      s = ToMode(item, sc.socket_mode);
    } else if (key == "log_level") {
      s = ToLogLevel(item, /*allow_empty=*/false, sc.log_level);
    } else if (key == "retention" || key == "shutdown_grace") {
      s = ToDuration(item, key == "retention" ? sc.retention : sc.shutdown_grace);
    } else if (key == "crash_retries") {
      s = ToInt(item, 0, 1000, sc.crash_retries);
    }
    if (!s.ok()) return s;
  }
  return Status::Ok();
}

bool IsHandlerKey(const std::string& handler, const std::string& key) {
  for (const std::string& k : HandlerKeys(handler)) {
    if (k == key || (!k.empty() && k.back() == '.' && key.size() > k.size() &&
                     key.compare(0, k.size(), k) == 0)) {
      return true;
    }
  }
  return false;
}

// Fills `t` from `draft`. A type whose handler is unknown is left out (`keep` false) with
// a warning when it is inactive (pyrotorque's own torque.ini lists InfluxDBStats), else fails.
Status Loader::BuildType(const std::string& name, const TypeDraft& draft, JobTypeConfig& t,
                         bool& keep) {
  t.name = name;
  t.where = draft.where;
  const Item* active_item = nullptr;  // "active" or "enabled", whichever was written last
  for (const char* key : {"active", "enabled"}) {
    auto it = draft.items.find(key);
    if (it != draft.items.end() && (!active_item || it->second.order > active_item->order)) {
      active_item = &it->second;
    }
  }
  if (active_item) {
    Status s = ToBool(*active_item, t.active);
    if (!s.ok()) return s;
  }
  const Item* handler_item = nullptr;
  auto found = draft.items.find("handler");
  if (found != draft.items.end()) {
    handler_item = &found->second;
    auto canonical = CanonicalHandlerName(handler_item->setting.value);
    if (!canonical) {
      std::string known;
      for (const char* h : kHandlerNames) {
        if (CanonicalHandlerName(h)) known += (known.empty() ? "" : ", ") + std::string(h);
      }
      std::string why =
          "unknown handler '" + handler_item->setting.value + "' (known: " + known + ")";
      if (t.active) return Fail(*handler_item, why);
      Warn(handler_item->setting.where,
           handler_item->label + ": " + why + "; the type is inactive and left out");
      keep = false;
      return Status::Ok();
    }
    t.handler = *canonical;
  }
  for (const auto& [key, item] : draft.items) {
    t.settings[key] = item.setting;
    const std::string& v = item.setting.value;
    Status s;
    if (key == "handler") {
    } else if (key == "active" || key == "enabled") {
      bool ignored;
      s = ToBool(item, ignored);
    } else if (key == "concurrent") {
      s = ToInt(item, 0, 1024, t.concurrent);
      if (s.ok() && t.concurrent == 0) {
        t.concurrent = 1;
        Warn(item.setting.where, "job type '" + name + "': concurrent = 0 is taken as 1");
      }
    } else if (key == "schedule") {
      t.schedule = v;
    } else if (key == "retries") {
      s = ToInt(item, 0, 1000, t.retries);
    } else if (key == "retry_delay") {
      s = ToDuration(item, t.retry_delay);
    } else if (key == "timeout") {
      s = ToDuration(item, t.timeout);
    } else if (key == "priority") {
      s = ToInt(item, INT_MIN, INT_MAX, t.priority);
    } else if (key == "coalesce") {
      s = ToBool(item, t.coalesce);
    } else if (key == "dry_run") {
      s = ToBool(item, t.dry_run);
    } else if (key == "notify_success") {
      t.notify_success = v;
    } else if (key == "notify_fail") {
      t.notify_fail = v;
    } else if (key == "log_level") {
      s = ToLogLevel(item, /*allow_empty=*/true, t.log_level);
    } else if (key == "aliases") {
      std::string word;
      std::string spaced = v;
      for (char& c : spaced) c = c == ',' ? ' ' : c;
      std::istringstream words(spaced);
      while (s.ok() && words >> word) {
        if (!ValidName(word)) {
          s = Fail(item,
                   "invalid alias '" + word + "': use a-z, 0-9 and '_', starting with a letter");
        } else if (IsReservedName(word)) {
          s = Fail(item, "alias '" + word + "' is reserved (a torque-cli command)");
        } else if (word != name &&
                   std::find(t.aliases.begin(), t.aliases.end(), word) == t.aliases.end()) {
          t.aliases.push_back(word);
        }
      }
    } else if (key == "subjobs") {
      Warn(item.setting.where, "job type '" + name +
                                   "': key 'subjobs' is not supported (ignored); "
                                   "a job can submit the next one with torque-cli");
    } else if (!IsHandlerKey(t.handler, key)) {
      Warn(item.setting.where,
           "unknown key '" + key + "' for job type '" + name + "' (handler " + t.handler + ")");
    }
    if (!s.ok()) return s;
  }
  if (t.active && !HandlerImplemented(t.handler)) {
    const Item* blame = handler_item;
    if (active_item && (!blame || active_item->order > blame->order)) blame = active_item;
    return Status::InvalidArgument((blame ? blame->setting.where : t.where).ToString() +
                                   ": job type '" + name + "': handler " + t.handler +
                                   " is not available in this build");
  }
  if (options_.dry_run) t.dry_run = true;
  return Status::Ok();
}

Status Loader::LinkAliases() {
  for (const auto& [name, t] : config_.types) config_.aliases[name] = name;
  for (const auto& [name, t] : config_.types) {
    for (const std::string& alias : t.aliases) {
      auto it = config_.aliases.find(alias);
      if (it == config_.aliases.end()) {
        config_.aliases[alias] = name;
        continue;
      }
      std::string what = config_.types.count(alias) ? "the name of job type '" + alias + "'"
                                                    : "an alias of job type '" + it->second + "'";
      return Status::InvalidArgument(t.settings.at("aliases").where.ToString() + ": job type '" +
                                     name + "': alias '" + alias + "' is already " + what);
    }
  }
  return Status::Ok();
}

Result<Config> Loader::Finish() {
  Status s = SplitTorque();
  if (s.ok()) s = BuildServer();
  for (auto it = drafts_.begin(); s.ok() && it != drafts_.end(); ++it) {
    bool keep = true;
    s = BuildType(it->first, it->second, config_.types[it->first], keep);
    if (!keep) config_.types.erase(it->first);
  }
  if (s.ok()) s = LinkAliases();
  if (!s.ok()) return s;
  return std::move(config_);
}

Result<Config> Load(const std::vector<std::pair<std::string, std::string>>& texts,
                    const std::vector<std::string>& base_dirs, const ConfigOptions& options) {
  Loader loader(options);
  for (const EmbeddedFile& f : embedded::default_config()) {
    Status s = loader.Add(kDefaultsName, f.text, "");
    if (!s.ok()) return s;
  }
  for (size_t i = 0; i < texts.size(); ++i) {
    Status s = loader.Add(texts[i].first, texts[i].second, base_dirs[i]);
    if (!s.ok()) return s;
  }
  return loader.Finish();
}

std::string DirOf(const std::string& file) {
  std::error_code ec;
  fs::path abs = fs::absolute(file, ec);
  return (ec ? fs::path(file) : abs).parent_path().lexically_normal().string();
}

}  // namespace

std::string JobTypeConfig::Get(const std::string& key, const std::string& fallback) const {
  auto it = settings.find(key);
  return it == settings.end() ? fallback : it->second.value;
}

const JobTypeConfig* Config::FindType(const std::string& word) const {
  auto alias = aliases.find(word);
  if (alias == aliases.end()) return nullptr;
  auto type = types.find(alias->second);
  return type == types.end() ? nullptr : &type->second;
}

Result<Config> LoadConfig(const ConfigOptions& options) {
  std::vector<std::pair<std::string, std::string>> texts;
  std::vector<std::string> dirs;
  for (const std::string& file : options.files) {
    std::error_code ec;
    if (!fs::exists(file, ec)) return Status::NotFound("config file " + file + " not found");
    if (fs::is_directory(file, ec)) {
      return Status::IoError("cannot read config file " + file + ": is a directory");
    }
    std::ifstream in(file, std::ios::binary);
    if (!in.is_open()) {
      return Status::IoError("cannot read config file " + file + ": " + std::strerror(errno));
    }
    std::stringstream buf;
    buf << in.rdbuf();
    texts.emplace_back(file, buf.str());
    dirs.push_back(DirOf(file));
  }
  return Load(texts, dirs, options);
}

Result<Config> LoadConfigFromTexts(const std::vector<std::pair<std::string, std::string>>& texts,
                                   const ConfigOptions& options) {
  std::vector<std::string> dirs;
  for (const auto& [name, text] : texts) dirs.push_back(DirOf(name));
  return Load(texts, dirs, options);
}

std::string DefaultStateDir() {
  std::string home = Getenv("TORQUE_HOME");
  if (!home.empty()) return home;
  std::string xdg = Getenv("XDG_STATE_HOME");
  if (!xdg.empty() && xdg[0] == '/') return (fs::path(xdg) / "torque").string();
  return (fs::path(HomeDir()) / ".local" / "state" / "torque").string();
}

std::optional<std::string> DefaultConfigFile() {
  std::string env = Getenv("TORQUE_CONFIG");
  if (!env.empty()) return env;
  std::error_code ec;
  for (const fs::path& p : {fs::path(HomeDir()) / ".config" / "torque" / "torque.ini",
                            fs::path("/etc/torque/torque.ini")}) {
    if (fs::is_regular_file(p, ec)) return p.string();
  }
  return std::nullopt;
}

bool IsReservedName(const std::string& name) { return OneOf(Lower(name), kReserved); }

}  // namespace torque
