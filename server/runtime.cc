#include "server/runtime.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <filesystem>
#include <mutex>
#include <thread>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <spdlog/spdlog.h>

#include "core/database_uri.h"
#include "core/duration.h"
#include "core/host_name.h"
#include "jobs/rtorrent/connector.h"
#include "server/daemon.h"
#include "server/db_check.h"
#include "server/http_listener.h"
#include "server/http_pages.h"
#include "server/intake.h"
#include "server/io_mailbox.h"
#include "server/job_types.h"
#include "server/logging.h"
#include "server/metrics_text.h"
#include "server/notice_text.h"
#include "server/notifier.h"
#include "server/scheduler.h"
#include "server/service.h"
#include "server/socket_server.h"
#include "server/pg_store.h"
#include "server/sqlite_store.h"

namespace torque::server {
namespace {

// How often finished jobs past their retention are purged.
constexpr auto kPurgeInterval = std::chrono::hours(1);

size_t ActiveTypes(const Config& config) {
  return std::count_if(config.types.begin(), config.types.end(),
                       [](const auto& entry) { return entry.second.active; });
}

std::string Names(const std::vector<std::string>& names) {
  if (names.empty()) return "none";
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

}  // namespace

jobs::HandlerEnv MakeHandlerEnv(std::shared_ptr<const Config> config, const Clock& clock) {
  jobs::HandlerEnv env;
  env.rtorrent = std::make_shared<rtorrent::ScgiConnectorFactory>(config->rtorrent);
  env.config = std::move(config);
  env.clock = &clock;
  return env;
}

Result<DurationMs> MisfireGrace(const Config& config) {
  auto it = config.torque_globals.find("apscheduler.misfire_grace_time");
  if (it == config.torque_globals.end()) return SchedulerOptions().misfire_grace;
  auto grace = ParseDuration(it->second.value);
  if (!grace.ok()) {
    return Status::InvalidArgument("apscheduler.misfire_grace_time: " + grace.status().message());
  }
  return *grace;
}

struct Runtime::Parts {
  std::shared_ptr<const Config> config;
  RuntimeOptions options;
  SystemClock clock;
  std::shared_ptr<spdlog::logger> log = spdlog::default_logger();
  // Declared before the store: its last callbacks may still post replies while it closes.
  boost::asio::io_context io;
  IoMailbox mailbox{io};
  std::unique_ptr<Store> store;
  SqliteStore* sqlite = nullptr;  // the store when it is SQLite's
  JobMetrics job_metrics;
  std::unique_ptr<Dispatcher> dispatcher;
  std::unique_ptr<Intake> intake;
  std::unique_ptr<JobTypes> job_types;
  std::unique_ptr<Scheduler> scheduler;
  std::unique_ptr<Notifier> notifier;
  std::unique_ptr<Service> service;
  std::unique_ptr<SocketServer> server;
  // After the store: destroyed (its pages finished) before the store closes.
  std::unique_ptr<HttpListener> http;
  std::mutex rtorrent_mu;
  std::shared_ptr<const jobs::RtorrentMetrics> rtorrent_metrics;  // guarded by rtorrent_mu
  boost::asio::signal_set signals{io, SIGTERM, SIGINT, SIGHUP};
  boost::asio::steady_timer guard_timer{io};
  boost::asio::steady_timer purge_timer{io};
  std::thread drain;
  std::thread purge_worker;

  void BeginStop(const std::string& why);
  void WaitSignal();
  // What systemd's status line says while serving.
  std::string ReadyStatus() const;
  // Logs a failed notification once: torqued works on without systemd's view of it.
  void TellSystemd(const Status& sent);
  bool systemd_warned = false;
  void WatchGuard();
  void SchedulePurge();
  // Deletes the finished jobs past the retention `at` gives them (a type's own or the
  // server's).
  void Purge(std::shared_ptr<const Config> at);
  void Reopen();
  Status Reload(Config next);
  // Opens the [http] listener when the configuration asks for one; the exit code and `why`
  // on failure.
  int OpenHttp(std::string* why);
  // Opens the SQLite or PostgreSQL store [server] database names; the exit code and `why`
  // on failure.
  int OpenStore(std::string* why);
};

Runtime::Runtime(Config config, RuntimeOptions options) : parts_(std::make_unique<Parts>()) {
  parts_->config = std::make_shared<const Config>(std::move(config));
  parts_->options = std::move(options);
}

Runtime::~Runtime() {
  Parts& p = *parts_;
  // No more news from other nodes: its handlers call the dispatcher and the notifier.
  if (p.store) p.store->Watch({});
  p.http.reset();
  if (p.drain.joinable()) p.drain.join();
  if (p.purge_worker.joinable()) p.purge_worker.join();
  if (p.notifier) p.notifier->Stop();
  if (p.scheduler) p.scheduler->Stop();
  if (p.job_types) p.job_types->StopAll();
  if (p.dispatcher) p.dispatcher->Stop(0);
}

int Runtime::Open(std::string* why) {
  Parts& p = *parts_;
  const Config& config = *p.config;
  auto plan = JobTypes::Prepare(MakeHandlerEnv(p.config, p.clock));
  auto misfire_grace = MisfireGrace(config);
  if (!plan.ok() || !misfire_grace.ok()) {
    *why = "invalid configuration: " +
           (plan.ok() ? misfire_grace.status() : plan.status()).message();
    return kExitConfig;
  }
  if (int code = p.OpenStore(why); code != kExitOk) return code;

  // Recover: jobs a crash interrupted run again; those out of crash_retries fail, and
  // their notify_fail notices are stored in the same transaction.
  auto notices_for = [&p](const Job& job) {
    auto it = p.config->types.find(job.type);
    if (it == p.config->types.end()) return std::vector<Notice>();
    return MakeNotices(it->second, job, p.clock.Now());
  };
  // This process is a new node; recovery then rescues the jobs of the earlier ones.
  auto node = p.store->RegisterNode(NodeName(), p.clock.Now());
  if (!node.ok()) {
    *why = "cannot register this node: " + node.status().message();
    return kExitIoError;
  }
  auto recovered = p.store->Recover(p.clock.Now(), config.server.crash_retries, notices_for);
  if (!recovered.ok()) {
    *why = "recovery failed: " + recovered.status().message();
    return kExitIoError;
  }
  if (!recovered->requeued.empty()) {
    p.log->warn("recovered {} job(s) interrupted by the last stop; they run again",
                recovered->requeued.size());
  }
  for (const Job& job : recovered->failed) {
    p.log->error("job {} ({}) failed: {}", job.id, job.type, job.error);
  }
  auto paused = p.store->PausedTypes();
  if (!paused.ok()) {
    *why = "cannot read paused job types: " + paused.status().message();
    return kExitIoError;
  }

  p.notifier = std::make_unique<Notifier>(*p.store, p.clock, config.notify,
                                          MakeDeliverer(config.notify));
  DispatcherOptions dopts;
  dopts.socket_path = config.server.socket;
  dopts.jobs_dir = config.server.jobs_dir;
  dopts.on_final = [&p](const Job& job) {
    if (p.service) p.service->OnFinal(job);
  };
  dopts.make_notices = &MakeNotices;
  dopts.on_notices = [&p] { p.notifier->Wake(); };
  dopts.on_attempt = [&p](const std::string& type, DurationMs run_ms, std::string_view outcome) {
    p.job_metrics.Observe(type, run_ms, outcome);
  };
  p.dispatcher = std::make_unique<Dispatcher>(*p.store, p.clock, dopts);
  p.intake = std::make_unique<Intake>(*p.store, *p.dispatcher, p.clock, p.config);
  p.job_types = std::make_unique<JobTypes>(*p.store, *p.intake, p.io.get_executor());
  p.dispatcher->Configure(config, p.job_types->Apply(std::move(*plan)), std::move(*paused));
  SchedulerOptions sopts;
  sopts.misfire_grace = *misfire_grace;
  sopts.on_fired = [&p](const std::string& type, JobId, bool existing) {
    if (!existing) p.dispatcher->Notify(type, p.clock.Now());
  };
  p.scheduler = std::make_unique<Scheduler>(*p.store, p.clock, sopts);
  if (Status s = p.scheduler->Configure(config); !s.ok()) {
    *why = "invalid configuration: " + s.message();
    return kExitConfig;
  }
  // What other nodes on a shared database do: their jobs, cancels and pauses reach this one.
  StoreEvents events;
  events.ready = [&p](const std::string& type, TimeMs run_at) {
    p.dispatcher->Notify(type, run_at);
  };
  events.cancel = [&p](JobId id) { p.dispatcher->CancelRunning(id); };
  events.paused = [&p](const std::string& type, bool paused) {
    p.dispatcher->SetPaused(type, paused);
  };
  events.notices = [&p] { p.notifier->Wake(); };
  p.store->Watch(std::move(events));
  p.service = std::make_unique<Service>(
      *p.store, *p.dispatcher, *p.intake, p.clock, p.io.get_executor(),
      ServiceInfo{RedactedDatabase(config.server.database), p.clock.Now(), NodeName()});
  p.service->SetNextFire([&p](const std::string& type) { return p.scheduler->NextFire(type); });
  p.service->SetOutboxInfo([&p] {
    NotifierStats n = p.notifier->stats();
    auto pending = p.store->PendingNotices();
    return Service::OutboxInfo{pending.ok() ? pending->second : -1, n.delivered,
                               n.failed_attempts, n.dropped};
  });
  p.server = std::make_unique<SocketServer>(p.io, *p.service, p.mailbox);
  if (Status s = p.server->Listen(config.server); !s.ok()) {
    *why = s.message();
    return s.code() == Status::Code::kAlreadyExists ? kExitTempFail : kExitOsError;
  }
  return p.OpenHttp(why);
}

int Runtime::Parts::OpenStore(std::string* why) {
  const ServerConfig& sc = config->server;
  if (IsPostgresqlUri(sc.database)) {
    PgStoreOptions options;
    options.uri = sc.database;
    options.pool_size = sc.database_pool;
    options.listen = sc.database_listen;
    options.poll_interval = sc.database_poll;
    options.heartbeat_interval = sc.node_heartbeat;
    options.node_timeout = sc.node_timeout;
    auto opened = PgStore::Open(options);
    if (!opened.ok()) {
      *why = "cannot open the database " + RedactedDatabase(sc.database) + ": " +
             opened.status().message();
      // Unreachable: worth another try later (a supervisor restarts on 75).
      return opened.status().code() == Status::Code::kUnavailable ? kExitTempFail : kExitIoError;
    }
    store = std::move(*opened);
    return kExitOk;
  }
  // A damaged file is refused before anything writes to it.
  if (Status s = CheckDatabaseFile(sc.database); !s.ok()) {
    *why = "cannot open the database: " + s.message();
    return kExitIoError;
  }
  auto opened = SqliteStore::Open(SqliteStoreOptions{sc.database});
  if (!opened.ok()) {
    *why = "cannot open the database: " + opened.status().message();
    return opened.status().code() == Status::Code::kAlreadyExists ? kExitTempFail : kExitIoError;
  }
  sqlite = opened->get();
  store = std::move(*opened);
  return kExitOk;
}

int Runtime::Parts::OpenHttp(std::string* why) {
  const HttpConfig& hc = config->http;
  if (hc.listen.empty()) return kExitOk;
  auto rt = RtorrentMetricsFor(MakeHandlerEnv(config, clock));
  if (!rt.ok()) {
    *why = "invalid configuration: " + rt.status().message();
    return kExitConfig;
  }
  rtorrent_metrics = std::move(*rt);
  HttpPageSources sources;
  sources.daemon.store = store.get();
  sources.daemon.dispatcher = dispatcher.get();
  sources.daemon.intake = intake.get();
  sources.daemon.clock = &clock;
  sources.daemon.started_at = clock.Now();
  sources.daemon.jobs = &job_metrics;
  sources.daemon.outbox = [this] {
    NotifierStats n = notifier->stats();
    auto pending = store->PendingNotices();
    return Service::OutboxInfo{pending.ok() ? pending->second : -1, n.delivered, n.failed_attempts,
                               n.dropped};
  };
  sources.database_path = RedactedDatabase(config->server.database);
  sources.next_fire = [this](const std::string& type) { return scheduler->NextFire(type); };
  sources.rtorrent = [this] {
    std::lock_guard lock(rtorrent_mu);
    return rtorrent_metrics;
  };
  sources.rtorrent_timeout = [this] { return intake->config()->http.rtorrent_timeout; };
  HttpListenerOptions options;
  options.host = hc.host;
  options.port = hc.port;
  options.pages = MakeHttpPages(std::move(sources));
  http = std::make_unique<HttpListener>(io, std::move(options));
  if (Status s = http->Listen(); !s.ok()) {
    *why = hc.where.ToString() + ": " + s.message();
    http.reset();
    return kExitOsError;
  }
  return kExitOk;
}

void Runtime::Run(const std::function<void()>& on_ready) {
  Parts& p = *parts_;
  p.dispatcher->Start();
  p.scheduler->Start();
  p.notifier->Start();
  p.WaitSignal();
  if (!p.options.guard_file.empty()) p.WatchGuard();
  p.Purge(p.config);
  p.SchedulePurge();
  p.log->info("torqued {} ready on {} (database {}, {} active job type(s))", TORQUE_VERSION,
              p.config->server.socket, RedactedDatabase(p.config->server.database),
              ActiveTypes(*p.config));
  on_ready();
  p.TellSystemd(p.options.systemd.Ready(p.ReadyStatus()));
  p.io.run();
  p.http.reset();  // waits for pages being made, which read the store
  if (p.drain.joinable()) p.drain.join();
  if (p.purge_worker.joinable()) p.purge_worker.join();
  if (p.sqlite) {
    SqliteStoreStats st = p.sqlite->stats();
    p.log->info("torqued stopped; {} database commits ({} synced) carried {} writes", st.commits,
                st.synced_commits, st.ops);
  } else {
    p.log->info("torqued stopped");
  }
}

void Runtime::Parts::BeginStop(const std::string& why) {
  if (drain.joinable()) {
    log->info("{}; already stopping", why);
    return;
  }
  log->info("{}; draining", why);
  TellSystemd(options.systemd.Stopping(why));
  if (http) http->Stop();
  server->StopAccepting();
  service->BeginShutdown();
  const DurationMs grace = config->server.shutdown_grace;
  drain = std::thread([this, grace] {
    job_types->StopAll();
    scheduler->Stop();
    dispatcher->Stop(grace);
    notifier->Stop();
    boost::asio::post(io, [this] {
      server->CloseSessions();
      io.stop();
    });
  });
}

void Runtime::Parts::WaitSignal() {
  signals.async_wait([this](auto ec, int signo) {
    if (ec) return;
    if (signo != SIGHUP) {
      BeginStop("termination requested (signal " + std::to_string(signo) + ")");
    } else if (drain.joinable()) {
      log->info("SIGHUP received while stopping; ignored");
    } else if (!options.load_config) {
      log->warn("SIGHUP received; this daemon has no configuration source to reload");
    } else {
      log->info("SIGHUP received; reloading the configuration");
      TellSystemd(options.systemd.Reloading());
      Reopen();
      Result<Config> config = options.load_config();
      Status st = config.ok() ? Reload(std::move(*config)) : config.status();
      if (!st.ok()) {
        log->error("configuration reload rejected, the running configuration stays: {}",
                   st.message());
      }
      const std::string status =
          st.ok() ? ReadyStatus()
                  : "reload rejected, the running configuration stays: " + st.message();
      TellSystemd(options.systemd.Ready(status));
    }
    WaitSignal();
  });
}

std::string Runtime::Parts::ReadyStatus() const {
  return "ready on " + config->server.socket + ", " + std::to_string(ActiveTypes(*config)) +
         " active job type(s)";
}

void Runtime::Parts::TellSystemd(const Status& sent) {
  if (sent.ok() || systemd_warned) return;
  systemd_warned = true;
  log->warn("{} (said once)", sent.message());
}

void Runtime::Parts::WatchGuard() {
  guard_timer.expires_after(std::chrono::seconds(1));
  guard_timer.async_wait([this](auto ec) {
    if (ec || drain.joinable()) return;
    std::error_code exists_ec;
    if (!std::filesystem::exists(options.guard_file, exists_ec)) {
      log->warn("guard file {} disappeared, stopping", options.guard_file);
      BeginStop("guard file removed");
      return;
    }
    WatchGuard();
  });
}

void Runtime::Parts::Purge(std::shared_ptr<const Config> at) {
  const TimeMs now = clock.Now();
  const DurationMs retention = at->server.retention;
  std::map<std::string, TimeMs> type_before;
  for (const auto& [name, type] : at->types) {
    if (type.retention > 0) type_before[name] = now - type.retention;
  }
  auto purged = store->Purge(now - retention, type_before);
  if (!purged.ok()) {
    log->error("purge failed: {}", purged.status().message());
  } else if (*purged > 0) {
    log->info("purged {} finished job(s) past their retention ({}, unless their type sets its own)",
              *purged, FormatDuration(retention));
  }
}

void Runtime::Parts::SchedulePurge() {
  purge_timer.expires_after(kPurgeInterval);
  purge_timer.async_wait([this](auto ec) {
    if (ec) return;
    if (purge_worker.joinable()) purge_worker.join();
    purge_worker = std::thread([this, at = config] { Purge(at); });
    SchedulePurge();
  });
}

void Runtime::Parts::Reopen() {
  if (Status s = ReopenLog(); !s.ok()) log->error("{}", s.message());
  const std::string& file = config->server.log_file;
  if (!options.detached || file.empty()) return;
  // Job programs inherit stdout/stderr: point them at the new file too.
  int fd = open(file.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    log->error("cannot reopen {} for stdout/stderr: {}", file, std::strerror(errno));
    return;
  }
  dup2(fd, STDOUT_FILENO);
  dup2(fd, STDERR_FILENO);
  close(fd);
}

Status Runtime::Reload(Config config) { return parts_->Reload(std::move(config)); }

Status Runtime::Parts::Reload(Config next) {
  // What only a restart can change keeps its running value.
  ServerConfig& now = next.server;
  const ServerConfig& old = config->server;
  std::vector<std::string> kept;
  auto keep = [&](const char* key, auto& value, const auto& running) {
    if (value == running) return;
    kept.push_back(key);
    value = running;
  };
  keep("socket", now.socket, old.socket);
  keep("socket_mode", now.socket_mode, old.socket_mode);
  keep("socket_group", now.socket_group, old.socket_group);
  keep("database", now.database, old.database);
  keep("pid_file", now.pid_file, old.pid_file);
  keep("log_file", now.log_file, old.log_file);
  keep("jobs_dir", now.jobs_dir, old.jobs_dir);
  const bool http_moved = next.http.listen != config->http.listen;
  if (http_moved) {
    const HttpConfig running = config->http;
    next.http.listen = running.listen;
    next.http.host = running.host;
    next.http.port = running.port;
    next.http.where = running.where;
  }

  // Validate everything before anything changes.
  auto next_config = std::make_shared<const Config>(std::move(next));
  auto plan = JobTypes::Prepare(MakeHandlerEnv(next_config, clock));
  if (!plan.ok()) return plan.status();
  auto grace = MisfireGrace(*next_config);
  if (!grace.ok()) return grace.status();
  std::shared_ptr<const jobs::RtorrentMetrics> next_rtorrent;
  if (http) {
    auto rt = RtorrentMetricsFor(MakeHandlerEnv(next_config, clock));
    if (!rt.ok()) return rt.status();
    next_rtorrent = std::move(*rt);
  }
  if (options.log_level.empty()) {
    if (auto level = ParseLogLevel(next_config->server.log_level); !level.ok()) {
      return level.status();
    }
  }

  for (const std::string& key : kept) {
    log->warn("reload: [server] {} changed; it takes effect at the next restart", key);
  }
  if (http_moved) {
    log->warn("reload: [http] listen changed; it takes effect at the next restart");
  }
  if (http) {
    std::lock_guard lock(rtorrent_mu);
    rtorrent_metrics = std::move(next_rtorrent);
  }
  if (auto running = MisfireGrace(*config); running.ok() && *running != *grace) {
    log->warn("reload: apscheduler.misfire_grace_time changed; it takes effect at the next "
              "restart");
  }
  for (const auto& w : next_config->warnings) log->warn("config: {}", w.ToString());
  auto paused = store->PausedTypes();
  if (!paused.ok()) {
    log->error("reload: cannot read paused job types ({}); new types start unpaused",
               paused.status().message());
  }
  TypeChanges changes;
  dispatcher->Configure(*next_config, job_types->Apply(std::move(*plan), &changes),
                        paused.ok() ? *paused : std::set<std::string>());
  if (Status s = scheduler->Configure(*next_config); !s.ok()) {
    log->error("reload: schedules unchanged: {}", s.message());  // validated at load already
  }
  notifier->Reconfigure(next_config->notify, MakeDeliverer(next_config->notify));
  intake->SetConfig(next_config);
  config = std::move(next_config);
  // The summary is written at the more verbose of the old and the new level.
  auto level = ParseLogLevel(config->server.log_level);
  const bool set_level = options.log_level.empty() && level.ok();
  const bool louder = set_level && *level < spdlog::default_logger()->level();
  if (louder) (void)SetLogLevel(config->server.log_level);
  log->info("configuration reloaded: {} active job type(s); added: {}; removed: {}; changed: {}",
            ActiveTypes(*config), Names(changes.added), Names(changes.removed),
            Names(changes.changed));
  if (set_level && !louder) (void)SetLogLevel(config->server.log_level);
  return Status::Ok();
}

}  // namespace torque::server
