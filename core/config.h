// Configuration: compiled-in defaults, then torque.ini files, merged and validated.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/notify_config.h"
#include "core/status.h"

namespace torque {

// Where a setting came from, for messages: "torque.ini:12" or "<defaults>:40".
struct SourceLocation {
  std::string file;
  int line = 0;
  std::string ToString() const { return file + ":" + std::to_string(line); }
};

// One raw key = value as written (multi-line values joined with '\n').
struct Setting {
  std::string value;
  SourceLocation where;
};

// One job type as configured ([job NAME] or [TORQUE] job.NAME.KEY).
struct JobTypeConfig {
  std::string name;
  std::string handler = "exec";  // canonical name after alias resolution
  bool active = true;            // "active" or "enabled"
  int concurrent = 1;            // worker threads
  int max_running = 0;           // running jobs of all nodes together; 0: no limit
  std::string schedule;          // empty: none (issue 4)
  int retries = 0;               // extra attempts after a failure
  DurationMs retry_delay = 10'000;  // base of the exponential backoff
  DurationMs retry_max_delay = 24LL * 3600 * 1000;  // its ceiling
  DurationMs timeout = 0;        // 0: none
  int priority = 0;              // default priority of submissions
  bool coalesce = false;         // at most one queued/running job with the same args
  std::vector<std::string> aliases;
  std::vector<NotifyTarget> notify_success;  // where a done job is reported
  std::vector<NotifyTarget> notify_fail;     // where a failed job is reported
  bool notify_every_failure = false;         // notify_fail also for failures that are retried
  bool dry_run = false;
  std::string log_level;         // empty: the daemon's level
  DurationMs retention = 0;      // how long finished jobs are kept; 0: [server] retention
  // Every key of the section, common and handler-specific, as written.
  std::map<std::string, Setting> settings;
  SourceLocation where;          // first place the type was mentioned

  // Handler-specific value or `fallback`.
  std::string Get(const std::string& key, const std::string& fallback = "") const;
};

// The [server] section.
struct ServerConfig {
  std::string socket;           // absolute path
  unsigned socket_mode = 0600;
  std::string socket_group;     // empty: the daemon's group
  // SQLite file (absolute path), or a PostgreSQL URI that several nodes share.
  std::string database;
  int database_pool = 4;               // PostgreSQL: connections per node (and a listener)
  bool database_listen = true;         // PostgreSQL: LISTEN/NOTIFY; false: poll (PgBouncer)
  DurationMs database_poll = 1000;     // database_listen = false: how often to poll
  DurationMs node_heartbeat = 2000;    // PostgreSQL: how often a node says it is alive
  DurationMs node_timeout = 15'000;    // PostgreSQL: silent this long, a node is dead
  std::string pid_file;
  std::string log_file;         // empty: stderr only
  std::string log_level = "info";
  DurationMs retention = 7LL * 24 * 3600 * 1000;  // keep finished jobs this long
  std::string jobs_dir;         // upq style: [job NAME] without command runs jobs_dir/NAME
  DurationMs shutdown_grace = 30'000;  // SIGTERM: running jobs get this long
  int crash_retries = 3;        // interruptions by a crash tolerated per job
};

// The [rtorrent] section: how rTorrent job types and `torque-cli rt` reach rTorrent.
struct RtorrentConfig {
  // scgi:///path, /path, ~/path, scgi://host:port or host:port; empty: found in rtorrent_rc.
  std::string url;
  // Read for network.scgi.open_local / open_port when url is empty (as pyrocore does).
  std::string rtorrent_rc;  // default: ~/.rtorrent.rc
  DurationMs timeout = 30'000;  // one XMLRPC call
};

// The [http] section: the read-only listener of /metrics and the status page. Off unless
// `listen` is set, or an active metrics_exporter type names addr/port (pyrosimple's keys).
struct HttpConfig {
  std::string listen;    // "host:port" as in effect ("[v6]:port"); empty: no listener
  std::string host;      // its address, an IP literal without brackets
  int port = 0;          // 1..65535 (0: any free port, for tests)
  SourceLocation where;  // where `listen` (or the type's addr/port) was written
  // How long a scrape waits for rTorrent (at most [rtorrent] timeout, which bounds every call).
  DurationMs rtorrent_timeout = 5'000;
  // The active metrics_exporter type whose settings (jobs, prefix, item_stats, ...) /metrics
  // uses for rTorrent's series; empty: none (the defaults apply).
  std::string exporter;
};

// A message about the configuration that does not stop the daemon.
struct ConfigWarning {
  SourceLocation where;
  std::string message;
  std::string ToString() const { return where.ToString() + ": " + message; }
};

// The effective configuration.
struct Config {
  ServerConfig server;
  std::map<std::string, JobTypeConfig> types;   // by name
  std::map<std::string, std::string> aliases;   // command word → type name
  // [TORQUE] keys that are not job.* (queue_startable_base, apscheduler.*, ...).
  std::map<std::string, Setting> torque_globals;
  // The [notify] section.
  NotifySettings notify;
  RtorrentConfig rtorrent;
  HttpConfig http;
  std::vector<ConfigWarning> warnings;
  std::vector<std::string> files;               // files read, in order

  // The type a command word names (its own name or an alias); nullptr if none.
  const JobTypeConfig* FindType(const std::string& word) const;
};

// What the loader knows of a handler: its name, the names it is also known by and its own
// keys. The handlers themselves live in jobs/ (jobs/handler_table.h lists them).
struct HandlerSpec {
  std::string name;                  // canonical, e.g. "queue_manager"
  std::vector<std::string> aliases;  // e.g. "pyrocore.torrent.queue:QueueManager"
  std::vector<std::string> keys;     // its own keys; one ending in '.' is a prefix ("cmd.")
  bool available = true;             // false: known, not in this build (inactive types only)
  // Values of common keys (retries, retry_delay, ...) for every type of this handler that
  // does not set them.
  std::map<std::string, std::string> defaults;
};

// How LoadConfig finds and overrides things.
struct ConfigOptions {
  std::vector<std::string> files;  // read in order after the defaults; must exist
  std::string state_dir;           // base for default paths; empty: DefaultStateDir()
  bool dry_run = false;            // -n: force dry_run on every type
  // The handlers job types may name. Null: `handler` is kept as written and handler keys
  // are not checked (for clients, which read only [server] and [rtorrent]).
  const std::vector<HandlerSpec>* handlers = nullptr;
};

// Parses the compiled-in defaults (etc/torque.ini), then each file, merges them
// key by key and validates. Fails with kInvalidArgument "file:line: reason" for
// a syntax error or an invalid value; kNotFound for a missing file.
Result<Config> LoadConfig(const ConfigOptions& options);

// Same, from in-memory texts (name, text) after the defaults; for tests.
Result<Config> LoadConfigFromTexts(const std::vector<std::pair<std::string, std::string>>& texts,
                                   const ConfigOptions& options);

// $TORQUE_HOME, else $XDG_STATE_HOME/torque, else ~/.local/state/torque.
std::string DefaultStateDir();

// The config file used when none is given: $TORQUE_CONFIG, else
// ~/.config/torque/torque.ini, else /etc/torque/torque.ini, if it exists;
// nullopt when there is none (the defaults alone apply).
std::optional<std::string> DefaultConfigFile();

// Command words a job type may not be named (torque-cli subcommands).
bool IsReservedName(const std::string& name);

}  // namespace torque
