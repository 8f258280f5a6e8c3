#include "core/config.h"

#include <sys/stat.h>

#include <cctype>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "core/config_values.h"
#include "core/database_uri.h"
#include "core/duration.h"
#include "core/schedule.h"
#include "core/embedded.h"
#include "core/ini_reader.h"
#include "core/utf8.h"

namespace torque {

namespace fs = std::filesystem;

namespace config {
namespace {

constexpr const char* kDefaultsName = "<defaults>";

constexpr const char* kReserved[] = {"submit", "status", "wait",    "cancel", "retry",
                                     "list",   "stats",  "types",   "pause",  "resume",
                                     "reload", "ping",   "version", "help",   "rt"};
constexpr const char* kServerKeys[] = {
    "socket",         "socket_mode",   "socket_group",  "database",       "pid_file",
    "log_file",       "log_level",     "retention",     "jobs_dir",       "shutdown_grace",
    "crash_retries",  "database_pool", "database_listen", "database_poll", "node_heartbeat",
    "node_timeout"};
constexpr const char* kNotifyKeys[] = {
    "smtp_url",       "mail_from",       "smtp_user",    "smtp_password", "starttls",
    "smtp_ca_file",
    "syslog_address", "syslog_facility", "syslog_ident", "timeout",       "retry_delay",
    "retry_max_delay", "give_up_after", "digest_after"};
constexpr const char* kUpqDataPaths[] = {"uploads", "files", "metadata",
                                         "broken",  "tmp",   "tasks_dir"};

template <size_t N>
bool OneOf(const std::string& s, const char* const (&list)[N]) {
  for (const char* item : list) {
    if (s == item) return true;
  }
  return false;
}

std::string Getenv(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

// The handler `name` (canonical or alias) names; nullptr if none.
const HandlerSpec* FindHandler(const std::vector<HandlerSpec>& specs, const std::string& name) {
  for (const HandlerSpec& spec : specs) {
    if (spec.name == name) return &spec;
    for (const std::string& alias : spec.aliases) {
      if (alias == name) return &spec;
    }
  }
  return nullptr;
}

// Whether `key` is one of the handler's keys or starts with one of its prefixes.
bool IsHandlerKey(const HandlerSpec& spec, const std::string& key) {
  for (const std::string& k : spec.keys) {
    if (k == key || (!k.empty() && k.back() == '.' && key.size() > k.size() &&
                     key.compare(0, k.size(), k) == 0)) {
      return true;
    }
  }
  return false;
}

// Everything said about one job type, before validation.
struct TypeDraft {
  std::map<std::string, Item> items;
  SourceLocation where;
  int64_t first = INT64_MAX;
};

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
    Result<std::vector<Entry>> entries = ReadIni(file, text);
    if (!entries.ok()) return entries.status();
    base_dirs_[file] = base_dir;
    if (file != kDefaultsName) config_.files.push_back(file);
    for (const Entry& e : *entries) {
      Status s = Route(e, ++order_);
      if (!s.ok()) return s;
    }
    return Status::Ok();
  }

  Result<Config> Finish();

 private:
  // A password in a file that users other than its owner can read is theirs too.
  void WarnIfShared(const SourceLocation& where) {
    struct stat st {};
    if (::stat(where.file.c_str(), &st) != 0 || (st.st_mode & (S_IRGRP | S_IROTH)) == 0) return;
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    Warn(where, "smtp_password is in " + where.file + ", which users other than its owner can " +
                    "read (mode " + mode + "): chmod 600 " + where.file);
  }

  void Warn(const SourceLocation& where, std::string message) {
    config_.warnings.push_back({where, std::move(message)});
  }
  Status Route(const Entry& e, int64_t order);
  Status RouteServer(const Entry& e, int64_t order, const std::string& target);
  Status Mention(const std::string& name, const SourceLocation& where, int64_t order);
  Status SplitTorque();
  Status BuildServer();
  Status BuildType(const std::string& name, const TypeDraft& draft, JobTypeConfig& t, bool& keep);
  Status LinkAliases();
  Status BuildHttp();
  std::string ResolvePath(const Setting& s) const;

  ConfigOptions options_;
  std::string state_dir_;
  Config config_;
  int64_t order_ = 0;
  std::map<std::string, std::string> base_dirs_;  // file name → directory
  std::map<std::string, Item> server_;            // ServerConfig field → setting
  std::map<std::string, Item> torque_;            // [TORQUE] key → setting
  std::map<std::string, Setting> notify_;         // [notify] key → setting
  std::map<std::string, Item> rtorrent_;          // [rtorrent] key → setting
  std::map<std::string, Item> http_;              // [http] key → setting
  std::map<std::string, TypeDraft> drafts_;
  std::set<std::pair<std::string, std::string>> warned_sections_;  // (file, section)
};

Status Loader::Mention(const std::string& name, const SourceLocation& where, int64_t order) {
  std::string why = NameError("job type name", name);
  if (!why.empty()) return Status::InvalidArgument(where.ToString() + ": " + why);
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
               sec == "daemon" || sec == "notify" || sec == "rtorrent" || sec == "http" ||
               sec == "TORQUE";
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
    std::string path;
    Status s = ToSqlitePath(item, path);
    if (!s.ok()) return s;
    item.setting.value = std::move(path);
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
  if (sec == "rtorrent") {
    if (key == "url" || key == "rtorrent_rc" || key == "timeout") {
      rtorrent_[key] = Item{e.setting, order, "[rtorrent] key '" + key + "'"};
    } else {
      unknown();
    }
    return Status::Ok();
  }
  if (sec == "http") {
    if (key == "listen" || key == "rtorrent_timeout") {
      http_[key] = Item{e.setting, order, "[http] key '" + key + "'"};
    } else {
      unknown();
    }
    return Status::Ok();
  }
  if (sec == "notify") {
    if (OneOf(key, kNotifyKeys)) {
      notify_[key] = e.setting;
      if (key == "smtp_password" && !e.setting.value.empty()) WarnIfShared(where);
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

Status Loader::SplitTorque() {
  std::map<std::string, std::string> expanded;
  for (const auto& [key, item] : torque_) {
    Result<std::string> v = Expand(torque_, key);
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
  auto it = base_dirs_.find(s.where.file);
  bool in_defaults = it == base_dirs_.end() || it->second.empty();
  return ToPath(s.value, in_defaults ? state_dir_ : it->second);
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
    if (key == "database" && IsPostgresqlUri(item.setting.value)) {
      sc.database = item.setting.value;
    } else if (key == "socket" || key == "database") {
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
    } else if (key == "database_pool") {
      s = ToInt(item, 1, 64, sc.database_pool);
    } else if (key == "database_listen") {
      s = ToBool(item, sc.database_listen);
    } else if (key == "database_poll" || key == "node_heartbeat" || key == "node_timeout") {
      DurationMs& d = key == "database_poll"    ? sc.database_poll
                      : key == "node_heartbeat" ? sc.node_heartbeat
                                                : sc.node_timeout;
      s = ToDuration(item, d);
      if (s.ok() && d <= 0) s = Fail(item, "a duration above 0", item.setting.value);
    }
    if (!s.ok()) return s;
  }
  if (sc.node_timeout < 2 * sc.node_heartbeat) {
    // A node must miss two heartbeats in a row before the others give up on it.
    auto it = server_.find("node_timeout");
    if (it == server_.end()) it = server_.find("node_heartbeat");
    return Fail(it->second, "node_timeout (" + FormatDuration(sc.node_timeout) +
                                ") must be at least twice node_heartbeat (" +
                                FormatDuration(sc.node_heartbeat) + ")");
  }
  RtorrentConfig& rt = config_.rtorrent;
  rt.rtorrent_rc = ToPath("~/.rtorrent.rc", "");
  for (const auto& [key, item] : rtorrent_) {
    if (key == "url") rt.url = item.setting.value;
    if (key == "rtorrent_rc") rt.rtorrent_rc = ResolvePath(item.setting);
    if (key == "timeout") {
      if (Status s = ToDuration(item, rt.timeout); !s.ok()) return s;
    }
  }
  return Status::Ok();
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
  const std::vector<HandlerSpec>* specs = options_.handlers;
  const HandlerSpec* spec = specs ? FindHandler(*specs, t.handler) : nullptr;
  auto found = draft.items.find("handler");
  if (found != draft.items.end()) {
    handler_item = &found->second;
    const std::string& written = handler_item->setting.value;
    if (!specs) {
      t.handler = written;
    } else if ((spec = FindHandler(*specs, written)) != nullptr) {
      t.handler = spec->name;
    } else {
      std::string known;
      for (const HandlerSpec& h : *specs) known += (known.empty() ? "" : ", ") + h.name;
      std::string why = "unknown handler '" + written + "' (known: " + known + ")";
      if (t.active) return Fail(*handler_item, why);
      Warn(handler_item->setting.where,
           handler_item->label + ": " + why + "; the type is inactive and left out");
      keep = false;
      return Status::Ok();
    }
  }
  std::map<std::string, Item> items = draft.items;
  if (spec) {
    for (const auto& [key, value] : spec->defaults) {
      if (items.count(key)) continue;
      items[key] = Item{Setting{value, {"<" + spec->name + " defaults>", 0}}, -1,
                        "job type '" + name + "': key '" + key + "'"};
    }
  }
  for (const auto& [key, item] : items) {
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
      if (!v.empty()) {
        auto parsed = Schedule::Parse(v);
        if (!parsed.ok()) s = Fail(item, parsed.status().message());
      }
    } else if (key == "retries") {
      s = ToInt(item, 0, 1000, t.retries);
    } else if (key == "retry_delay") {
      s = ToDuration(item, t.retry_delay);
    } else if (key == "retry_max_delay") {
      s = ToDuration(item, t.retry_max_delay);
    } else if (key == "timeout") {
      s = ToDuration(item, t.timeout);
    } else if (key == "priority") {
      s = ToInt(item, INT_MIN, INT_MAX, t.priority);
    } else if (key == "coalesce") {
      s = ToBool(item, t.coalesce);
    } else if (key == "max_running") {
      s = ToInt(item, 0, 1'000'000, t.max_running);
    } else if (key == "dry_run") {
      s = ToBool(item, t.dry_run);
    } else if (key == "notify_success" || key == "notify_fail") {
      s = ToNotifyRule(item, key == "notify_fail" ? t.notify_fail : t.notify_success, t);
    } else if (key == "notify_every_failure") {
      s = ToBool(item, t.notify_every_failure);
    } else if (key == "log_level") {
      s = ToLogLevel(item, /*allow_empty=*/true, t.log_level);
    } else if (key == "retention") {
      s = ToDuration(item, t.retention);
    } else if (key == "aliases") {
      s = ToAliases(item, name, t.aliases);
    } else if (key == "subjobs") {
      Warn(item.setting.where, "job type '" + name +
                                   "': key 'subjobs' is not supported (ignored); "
                                   "a job can submit the next one with torque-cli");
    } else if (spec && !IsHandlerKey(*spec, key)) {
      Warn(item.setting.where,
           "unknown key '" + key + "' for job type '" + name + "' (handler " + t.handler + ")");
    }
    if (!s.ok()) return s;
  }
  if (t.active && spec && !spec->available) {
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

// The [http] section, and pyrosimple's exporter keys: the first active metrics_exporter
// type (by name) serves /metrics, and its addr/port (default 127.0.0.1:8000; pyrosimple's
// default 0.0.0.0 is not kept: loopback unless said otherwise) open the listener when
// [http] listen is not set.
Status Loader::BuildHttp() {
  HttpConfig& http = config_.http;
  auto set_listen = [&http] {
    const bool v6 = http.host.find(':') != std::string::npos;
    http.listen = (v6 ? "[" + http.host + "]" : http.host) + ":" + std::to_string(http.port);
  };
  for (const auto& [key, item] : http_) {
    Status s;
    if (key == "listen" && !item.setting.value.empty()) {
      s = ToListenAddress(item, http.host, http.port);
      http.where = item.setting.where;
    } else if (key == "rtorrent_timeout") {
      s = ToDuration(item, http.rtorrent_timeout);
      if (s.ok() && http.rtorrent_timeout <= 0) s = Fail(item, "a duration above 0", "0");
    }
    if (!s.ok()) return s;
  }
  const bool listen_set = !http.host.empty();
  if (listen_set) set_listen();
  for (const auto& entry : config_.types) {
    // Named, not structured bindings: clang 14 cannot capture those in the lambda below.
    const std::string& name = entry.first;
    const JobTypeConfig& t = entry.second;
    if (!t.active || t.handler != "metrics_exporter") continue;
    if (!http.exporter.empty()) {
      Warn(t.where, "job type '" + name + "': /metrics shows rTorrent as job type '" +
                        http.exporter +
                        "' says (the first active metrics_exporter); this "
                        "one only runs as a job");
      continue;
    }
    http.exporter = name;
    auto key_item = [&](const char* key, const char* fallback) {
      auto it = t.settings.find(key);
      Setting setting = it != t.settings.end() ? it->second : Setting{fallback, t.where};
      return Item{setting, 0, "job type '" + name + "': key '" + key + "'"};
    };
    const Item addr = key_item("addr", "127.0.0.1");
    const Item port = key_item("port", "8000");
    const bool written = t.settings.count("addr") || t.settings.count("port");
    if (listen_set) {
      if (written) {
        Warn(t.settings.count("addr") ? addr.setting.where : port.setting.where,
             "job type '" + name + "': addr/port ignored: [http] listen = " + http.listen +
                 " is the listener");
      }
      continue;
    }
    int port_number = 0;
    if (Status s = ToInt(port, 1, 65535, port_number); !s.ok()) return s;
    Item both = addr;
    const std::string& a = addr.setting.value;
    both.setting.value = (a.find(':') != std::string::npos ? "[" + a + "]" : a) + ":0";
    if (Status s = ToListenAddress(both, http.host, http.port); !s.ok()) {
      return Fail(addr, "expected an IP address, got '" + a + "'");
    }
    http.port = port_number;
    http.where = addr.setting.where;
    set_listen();
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
  if (s.ok()) s = BuildHttp();
  if (!s.ok()) return s;
  Result<NotifySettings> notify = ParseNotifySettings(notify_);
  if (!notify.ok()) return notify.status();
  config_.notify = std::move(*notify);
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
}  // namespace config

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
    dirs.push_back(config::DirOf(file));
  }
  return config::Load(texts, dirs, options);
}

Result<Config> LoadConfigFromTexts(const std::vector<std::pair<std::string, std::string>>& texts,
                                   const ConfigOptions& options) {
  std::vector<std::string> dirs;
  for (const auto& [name, text] : texts) dirs.push_back(config::DirOf(name));
  return config::Load(texts, dirs, options);
}

std::string DefaultStateDir() {
  std::string home = config::Getenv("TORQUE_HOME");
  if (!home.empty()) return home;
  std::string xdg = config::Getenv("XDG_STATE_HOME");
  if (!xdg.empty() && xdg[0] == '/') return (fs::path(xdg) / "torque").string();
  return (fs::path(config::HomeDir()) / ".local" / "state" / "torque").string();
}

std::optional<std::string> DefaultConfigFile() {
  std::string env = config::Getenv("TORQUE_CONFIG");
  if (!env.empty()) return env;
  std::error_code ec;
  for (const fs::path& p : {fs::path(config::HomeDir()) / ".config" / "torque" / "torque.ini",
                            fs::path("/etc/torque/torque.ini")}) {
    if (fs::is_regular_file(p, ec)) return p.string();
  }
  return std::nullopt;
}

bool IsReservedName(const std::string& name) {
  return config::OneOf(AsciiLower(name), config::kReserved);
}

}  // namespace torque
