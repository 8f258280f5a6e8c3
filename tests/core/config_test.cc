#include "core/config.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "core/embedded.h"
#include "tests/test_env.h"

namespace torque {
namespace {

using torque::testing::ScopedEnv;

namespace fs = std::filesystem;

constexpr DurationMs kSecond = 1000;

using Texts = std::vector<std::pair<std::string, std::string>>;

// The handlers the loader is told about in these tests (jobs/handler_table.h has the real
// ones; its test checks that they load): queue_manager and tree_watch are known but not
// available here, so the loader's handling of both cases is tested.
const std::vector<HandlerSpec> kHandlers = {
    {"exec", {}, {"command", "shell", "cwd", "max_output", "env."}, true, {}},
    {"queue_manager",
     {"pyrocore.torrent.queue:QueueManager", "pyrosimple.job.queue:QueueManager"},
     {"sort_fields", "downloading_min", "downloading_max", "start_at_once", "intermission",
      "startable", "downloading", "quiet", "scgi_url"},
     false,
     {}},
    {"tree_watch",
     {"pyrocore.torrent.watch:TreeWatch", "pyrosimple.job.watch:TreeWatch"},
     {"path", "load_mode", "queued", "quiet", "trace_inotify", "cmd.", "scgi_url"},
     false,
     {{"retries", "1000"}, {"retry_max_delay", "1m"}}},
    {"engine_stats",
     {"pyrocore.torrent.jobs:EngineStats", "pyrosimple.job.connstats:EngineStats"},
     {"scgi_url"},
     false,
     {}},
    {"metrics_exporter", {"pyrocore.daemon.exporter:RtorrentExporter"}, {"port"}, false, {}},
};

ConfigOptions Options() {
  ConfigOptions options;
  options.handlers = &kHandlers;
  return options;
}

Result<Config> Load(const Texts& texts, bool dry_run = false) {
  ConfigOptions options = Options();
  options.state_dir = "/state";
  options.dry_run = dry_run;
  return LoadConfigFromTexts(texts, options);
}

Result<Config> LoadOne(const std::string& text) { return Load({{"user.ini", text}}); }

// The error message of loading `text` as user.ini, or "ok".
std::string ErrorOf(const std::string& text) {
  Result<Config> r = LoadOne(text);
  return r.ok() ? "ok" : r.status().message();
}

std::vector<std::string> WarningsOf(const Config& config) {
  std::vector<std::string> out;
  for (const ConfigWarning& w : config.warnings) out.push_back(w.ToString());
  return out;
}

// The 1-based line of the compiled-in defaults that equals `line`; 0 if none.
int DefaultsLine(const std::string& line) {
  std::string_view text = embedded::default_config()[0].text;
  int n = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) nl = text.size();
    ++n;
    if (text.substr(pos, nl - pos) == line) return n;
    pos = nl + 1;
  }
  return 0;
}


// A fresh directory for config files, removed afterwards.
class ConfigFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string templ = (fs::temp_directory_path() / "torque_config_test.XXXXXX").string();
    ASSERT_NE(mkdtemp(templ.data()), nullptr);
    dir_ = templ;
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string Write(const std::string& name, const std::string& text) {
    fs::path p = dir_ / name;
    fs::create_directories(p.parent_path());
    std::ofstream(p) << text;
    return p.string();
  }

  fs::path dir_;
};

TEST(ConfigTest, DefaultsLoadWithoutWarnings) {
  Result<Config> r = Load({});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const Config& c = *r;
  EXPECT_EQ(WarningsOf(c), std::vector<std::string>{});
  EXPECT_TRUE(c.files.empty());
  EXPECT_EQ(c.notify.smtp_url, "smtp://localhost:25");
  EXPECT_EQ(c.notify.syslog_ident, "torqued");

  EXPECT_EQ(c.server.socket, "/state/torqued.sock");
  EXPECT_EQ(c.server.database, "/state/torque.db");
  EXPECT_EQ(c.server.pid_file, "/state/torqued.pid");
  EXPECT_EQ(c.server.log_file, "/state/torqued.log");
  EXPECT_EQ(c.server.socket_mode, 0600u);
  EXPECT_EQ(c.server.socket_group, "");
  EXPECT_EQ(c.server.log_level, "info");
  EXPECT_EQ(c.server.retention, 7 * 24 * 3600 * kSecond);
  EXPECT_EQ(c.server.jobs_dir, "");
  EXPECT_EQ(c.server.shutdown_grace, 30 * kSecond);
  EXPECT_EQ(c.server.crash_retries, 3);

  ASSERT_EQ(c.types.size(), 4u);
  const JobTypeConfig& hello = c.types.at("hello");
  EXPECT_EQ(hello.name, "hello");
  EXPECT_EQ(hello.handler, "exec");
  EXPECT_TRUE(hello.active);
  EXPECT_EQ(hello.concurrent, 1);
  EXPECT_EQ(hello.schedule, "");
  EXPECT_EQ(hello.retries, 0);
  EXPECT_EQ(hello.retry_delay, 10 * kSecond);
  EXPECT_EQ(hello.timeout, 0);
  EXPECT_EQ(hello.priority, 0);
  EXPECT_FALSE(hello.coalesce);
  EXPECT_TRUE(hello.aliases.empty());
  EXPECT_FALSE(hello.dry_run);
  EXPECT_EQ(hello.log_level, "");
  EXPECT_EQ(hello.Get("command"), "echo hello {args}");
  EXPECT_EQ(hello.where.ToString(), "<defaults>:" + std::to_string(DefaultsLine("[job hello]")));
  EXPECT_EQ(hello.settings.at("command").where.line, DefaultsLine("command = echo hello {args}"));

  const JobTypeConfig& queue = c.types.at("queue");
  EXPECT_EQ(queue.handler, "queue_manager");
  EXPECT_FALSE(queue.active);
  EXPECT_FALSE(queue.dry_run);
  EXPECT_EQ(queue.schedule, "second=*/15");
  EXPECT_EQ(queue.aliases, std::vector<std::string>{"queue_pass"});
  EXPECT_EQ(queue.Get("sort_fields"), "-prio, loaded, name");
  EXPECT_EQ(queue.Get("downloading_min"), "1");
  EXPECT_EQ(queue.Get("downloading_max"), "9");
  EXPECT_EQ(queue.Get("start_at_once"), "1");
  EXPECT_EQ(queue.Get("intermission"), "0");
  EXPECT_EQ(queue.Get("quiet"), "False");
  EXPECT_EQ(queue.Get("startable"), "is_ignored=no done=0 message=/^$|ghost/\nprio>0");
  EXPECT_EQ(queue.Get("downloading", "none"), "none");
  EXPECT_EQ(c.FindType("queue"), &queue);
  EXPECT_EQ(c.FindType("queue_pass"), &queue);
  EXPECT_EQ(c.FindType("hello"), &hello);
  EXPECT_EQ(c.FindType("nosuch"), nullptr);
  EXPECT_EQ(c.aliases.size(), 5u);

  const JobTypeConfig& watch = c.types.at("treewatch");
  EXPECT_EQ(watch.handler, "tree_watch");
  EXPECT_FALSE(watch.active);
  EXPECT_EQ(watch.schedule, "hour=*");
  EXPECT_EQ(watch.Get("path", "unset"), "");
  EXPECT_EQ(watch.Get("load_mode"), "normal");
  EXPECT_EQ(watch.Get("queued"), "False");
  EXPECT_EQ(watch.Get("trace_inotify"), "False");

  const JobTypeConfig& stats = c.types.at("connstats");
  EXPECT_EQ(stats.handler, "engine_stats");
  EXPECT_FALSE(stats.active);
  EXPECT_EQ(stats.schedule, "minute=*");

  ASSERT_EQ(c.torque_globals.size(), 1u);
  const Setting& base = c.torque_globals.at("queue_startable_base");
  EXPECT_EQ(base.value, "is_open=no is_active=no is_complete=no");
  EXPECT_EQ(base.where.file, "<defaults>");
  EXPECT_GT(base.where.line, 0);
}

TEST(ConfigTest, StateDirFromEnvironment) {
  ScopedEnv home("HOME", "/home/u");
  {
    ScopedEnv torque_home("TORQUE_HOME", "/th");
    ScopedEnv xdg("XDG_STATE_HOME", "/xdg");
    EXPECT_EQ(DefaultStateDir(), "/th");
    Result<Config> r = LoadConfigFromTexts({}, ConfigOptions{});
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->server.socket, "/th/torqued.sock");
  }
  {
    ScopedEnv torque_home("TORQUE_HOME", nullptr);
    ScopedEnv xdg("XDG_STATE_HOME", "/xdg");
    EXPECT_EQ(DefaultStateDir(), "/xdg/torque");
  }
  ScopedEnv torque_home("TORQUE_HOME", nullptr);
  ScopedEnv xdg("XDG_STATE_HOME", nullptr);
  EXPECT_EQ(DefaultStateDir(), "/home/u/.local/state/torque");
}

TEST_F(ConfigFileTest, DefaultConfigFile) {
  ScopedEnv home("HOME", dir_.c_str());
  {
    ScopedEnv env("TORQUE_CONFIG", "/somewhere/t.ini");
    EXPECT_EQ(DefaultConfigFile(), "/somewhere/t.ini");
  }
  ScopedEnv env("TORQUE_CONFIG", nullptr);
  std::optional<std::string> system;
  if (fs::exists("/etc/torque/torque.ini")) system = "/etc/torque/torque.ini";
  EXPECT_EQ(DefaultConfigFile(), system);
  std::string user = Write(".config/torque/torque.ini", "");
  EXPECT_EQ(DefaultConfigFile(), user);
}

TEST(ConfigTest, IsReservedName) {
  for (const char* word :
       {"submit", "status", "wait", "cancel", "retry", "list", "stats", "types", "pause", "resume",
        "reload", "ping", "version", "help", "rt", "STATUS"}) {
    EXPECT_TRUE(IsReservedName(word)) << word;
  }
  for (const char* word : {"queue", "hello", "statuses", "r", ""}) {
    EXPECT_FALSE(IsReservedName(word)) << word;
  }
}

TEST(ConfigTest, LaterFilesOverrideKeyByKey) {
  Result<Config> r = Load({
      {"a.ini", "[server]\nlog_level = debug\ncrash_retries = 5\n[job hello]\ncommand = one\n"},
      {"b.ini", "[server]\nlog_level = error\n[job hello]\nretries = 2\n"},
  });
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->files, (std::vector<std::string>{"a.ini", "b.ini"}));
  EXPECT_EQ(r->server.log_level, "error");
  EXPECT_EQ(r->server.crash_retries, 5);
  const JobTypeConfig& hello = r->types.at("hello");
  EXPECT_EQ(hello.Get("command"), "one");
  EXPECT_EQ(hello.settings.at("command").where.ToString(), "a.ini:5");
  EXPECT_EQ(hello.retries, 2);
  EXPECT_EQ(hello.settings.at("retries").where.ToString(), "b.ini:4");
  EXPECT_EQ(hello.handler, "exec");  // still from the defaults
  EXPECT_EQ(hello.settings.at("handler").where.file, "<defaults>");
}

TEST(ConfigTest, JobSectionEqualsTorqueKeys) {
  const std::string upq =
      "[job x]\nhandler = exec\ncommand = run {args}\nenabled = no\nconcurrent = 4\n"
      "schedule = minute=*/5\nretries = 3\nretry_delay = 1m\ntimeout = 2h\npriority = -7\n"
      "coalesce = yes\naliases = xx, xy\nnotify_success = syslog\nnotify_fail = mail a@b.c\n"
      "dry_run = on\nlog_level = DEBUG\nenv.FOO = bar\nretention = 1h\n";
  const std::string pyro =
      "[TORQUE]\njob.x.handler = exec\njob.x.command = run {args}\njob.x.enabled = no\n"
      "job.x.concurrent = 4\njob.x.schedule = minute=*/5\njob.x.retries = 3\n"
      "job.x.retry_delay = 1m\njob.x.timeout = 2h\njob.x.priority = -7\njob.x.coalesce = yes\n"
      "job.x.aliases = xx, xy\njob.x.notify_success = syslog\njob.x.notify_fail = mail a@b.c\n"
      "job.x.dry_run = on\njob.x.log_level = DEBUG\njob.x.env.FOO = bar\njob.x.retention = 1h\n";
  Result<Config> a = LoadOne(upq);
  Result<Config> b = LoadOne(pyro);
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_EQ(WarningsOf(*a), std::vector<std::string>{});
  EXPECT_EQ(WarningsOf(*b), std::vector<std::string>{});
  for (const Config* c : {&*a, &*b}) {
    const JobTypeConfig& x = c->types.at("x");
    EXPECT_EQ(x.handler, "exec");
    EXPECT_FALSE(x.active);
    EXPECT_EQ(x.concurrent, 4);
    EXPECT_EQ(x.schedule, "minute=*/5");
    EXPECT_EQ(x.retries, 3);
    EXPECT_EQ(x.retry_delay, 60 * kSecond);
    EXPECT_EQ(x.timeout, 7200 * kSecond);
    EXPECT_EQ(x.priority, -7);
    EXPECT_TRUE(x.coalesce);
    EXPECT_EQ(x.aliases, (std::vector<std::string>{"xx", "xy"}));
    EXPECT_EQ(x.notify_success.at(0).Key(), "syslog:");
    EXPECT_EQ(x.notify_fail.at(0).Key(), "mail:a@b.c");
    EXPECT_TRUE(x.dry_run);
    EXPECT_EQ(x.log_level, "debug");
    EXPECT_EQ(x.retention, 3600 * kSecond);
    EXPECT_EQ(x.Get("env.FOO"), "bar");
    EXPECT_EQ(x.Get("command"), "run {args}");
    EXPECT_EQ(x.settings.size(), 17u);
    EXPECT_EQ(x.where.ToString(), c == &*a ? "user.ini:1" : "user.ini:2");
    EXPECT_EQ(c->FindType("xy"), &x);
  }
}

TEST(ConfigTest, LaterValueWinsAcrossStyles) {
  struct Case {
    Texts texts;
    int want;
  };
  const Case cases[] = {
      {{{"u.ini", "[job y]\nretries = 1\n[TORQUE]\njob.y.retries = 2\n"}}, 2},
      {{{"u.ini", "[TORQUE]\njob.y.retries = 2\n[job y]\nretries = 1\n"}}, 1},
      {{{"a.ini", "[TORQUE]\njob.y.retries = 2\n"}, {"b.ini", "[job y]\nretries = 1\n"}}, 1},
      {{{"a.ini", "[job y]\nretries = 1\n"}, {"b.ini", "[TORQUE]\njob.y.retries = 2\n"}}, 2},
  };
  for (const Case& c : cases) {
    Result<Config> r = Load(c.texts);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r->types.at("y").retries, c.want) << c.texts[0].second;
  }
}

TEST(ConfigTest, TorqueJobKeySplitsAtTheFirstTwoDots) {
  Result<Config> r = LoadOne(
      "[TORQUE]\njob.treewatch.cmd.nfo = f.multicall=*.nfo,f.set_priority=2\n"
      "job.treewatch.path = /srv/watch\n");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(WarningsOf(*r), std::vector<std::string>{});
  const JobTypeConfig& watch = r->types.at("treewatch");
  EXPECT_EQ(watch.Get("cmd.nfo"), "f.multicall=*.nfo,f.set_priority=2");
  EXPECT_EQ(watch.Get("path"), "/srv/watch");
  EXPECT_EQ(watch.settings.at("path").where.ToString(), "user.ini:3");
}

TEST(ConfigTest, MultiLineValuesAndComments) {
  Result<Config> r = LoadOne(
      "[job m]\n"
      "command = first\n"
      "    second ; a comment\n"
      "# a comment line does not end the value\n"
      "\n"
      "\tthird\n"
      "startable =\n"
      "  a=1\n"
      "  b=2\n"
      "shell = echo a;b ; comment\n"
      "cwd: /tmp\n");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const JobTypeConfig& m = r->types.at("m");
  EXPECT_EQ(m.Get("command"), "first\nsecond\nthird");
  EXPECT_EQ(m.settings.at("command").where.line, 2);
  EXPECT_EQ(m.Get("startable"), "a=1\nb=2");
  EXPECT_EQ(m.settings.at("startable").where.line, 7);
  EXPECT_EQ(m.Get("shell"), "echo a;b");
  EXPECT_EQ(m.Get("cwd"), "/tmp");
}

TEST(ConfigTest, IndentedKeyAfterHeaderIsAKey) {
  Result<Config> r = LoadOne("[job m]\n  command = x\n  [server]\nsocket = /s\n");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->types.at("m").Get("command"), "x\n[server]");
  EXPECT_EQ(
      WarningsOf(*r),
      std::vector<std::string>{"user.ini:4: unknown key 'socket' for job type 'm' (handler exec)"});
}

TEST(ConfigTest, CrlfAndByteOrderMark) {
  Result<Config> r = LoadOne("\xEF\xBB\xBF[server]\r\nlog_level = debug\r\n[job w]\r\n");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->server.log_level, "debug");
  EXPECT_EQ(r->types.at("w").where.ToString(), "user.ini:3");
  EXPECT_EQ(WarningsOf(*r), std::vector<std::string>{});
}

TEST(ConfigTest, EmptyJobSectionDeclaresAType) {
  Result<Config> r = LoadOne("[server]\njobs_dir = /srv/jobs\n\n[job verify]\n");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const JobTypeConfig& v = r->types.at("verify");
  EXPECT_EQ(v.handler, "exec");
  EXPECT_TRUE(v.active);
  EXPECT_TRUE(v.settings.empty());
  EXPECT_EQ(v.where.ToString(), "user.ini:4");
  EXPECT_EQ(r->server.jobs_dir, "/srv/jobs");
}

TEST(ConfigTest, ValidValues) {
  struct Case {
    const char* value;
    bool want;
  };
  for (const Case& c : {Case{"true", true},
                        {"T", true},
                        {"Yes", true},
                        {"y", true},
                        {"1", true},
                        {"+", true},
                        {"ON", true},
                        {"false", false},
                        {"f", false},
                        {"NO", false},
                        {"n", false},
                        {"0", false},
                        {"-", false},
                        {"off", false}}) {
    Result<Config> r =
        LoadOne(std::string("[job b]\ncoalesce = ") + c.value + "\nactive = " + c.value + "\n");
    ASSERT_TRUE(r.ok()) << c.value << ": " << r.status().ToString();
    EXPECT_EQ(r->types.at("b").coalesce, c.want) << c.value;
    EXPECT_EQ(r->types.at("b").active, c.want) << c.value;
  }
  struct ModeCase {
    const char* value;
    unsigned want;
  };
  for (const ModeCase& c :
       {ModeCase{"0600", 0600}, {"660", 0660}, {"0o640", 0640}, {"0", 0}, {"777", 0777}}) {
    Result<Config> r = LoadOne(std::string("[server]\nsocket_mode = ") + c.value + "\n");
    ASSERT_TRUE(r.ok()) << c.value << ": " << r.status().ToString();
    EXPECT_EQ(r->server.socket_mode, c.want) << c.value;
  }
  struct LevelCase {
    const char* value;
    const char* want;
  };
  for (const LevelCase& c : {LevelCase{"DEBUG", "debug"},
                             {"warning", "warn"},
                             {"Off", "off"},
                             {"critical", "critical"},
                             {"trace", "trace"}}) {
    Result<Config> r = LoadOne(std::string("[server]\nlog_level = ") + c.value +
                               "\n[job l]\nlog_level = " + c.value + "\n");
    ASSERT_TRUE(r.ok()) << c.value << ": " << r.status().ToString();
    EXPECT_EQ(r->server.log_level, c.want);
    EXPECT_EQ(r->types.at("l").log_level, c.want);
  }
  Result<Config> r = LoadOne(
      "[server]\nretention = 30d\nshutdown_grace = 0.5\ncrash_retries = 0\nsocket_group = torrent\n"
      "[job n]\nconcurrent = 1024\nretries = 1000\npriority = +12\ntimeout = 0\n");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->server.retention, 30LL * 24 * 3600 * kSecond);
  EXPECT_EQ(r->server.shutdown_grace, 500);
  EXPECT_EQ(r->server.crash_retries, 0);
  EXPECT_EQ(r->server.socket_group, "torrent");
  EXPECT_EQ(r->types.at("n").concurrent, 1024);
  EXPECT_EQ(r->types.at("n").retries, 1000);
  EXPECT_EQ(r->types.at("n").priority, 12);
}

TEST(ConfigTest, InvalidValues) {
  struct Case {
    const char* text;
    const char* want;
  };
  const Case cases[] = {
      {"[job x]\nretries = abc\n",
       "user.ini:2: job type 'x': key 'retries': expected an integer 0..1000, got 'abc'"},
      {"[job x]\nschedule = hour=25\n",
       "user.ini:2: job type 'x': key 'schedule': hour='25': 25 is out of range 0-23"},
      {"[TORQUE]\njob.x.schedule = minute=* \"day=3rd sun\n",
       "user.ini:2: job type 'x': key 'schedule': unterminated double quote at column 10"},
      {"[job x]\nretries = 1001\n",
       "user.ini:2: job type 'x': key 'retries': expected an integer 0..1000, got '1001'"},
      {"[job x]\nconcurrent = 1025\n",
       "user.ini:2: job type 'x': key 'concurrent': expected an integer 0..1024, got '1025'"},
      {"[job x]\nconcurrent = -1\n",
       "user.ini:2: job type 'x': key 'concurrent': expected an integer 0..1024, got '-1'"},
      {"[job x]\n\nactive = maybe\n",
       "user.ini:3: job type 'x': key 'active': expected a boolean (true/false, yes/no, on/off, "
       "1/0), got 'maybe'"},
      {"[job x]\nenabled = 2\n",
       "user.ini:2: job type 'x': key 'enabled': expected a boolean (true/false, yes/no, on/off, "
       "1/0), got '2'"},
      {"[job x]\ncoalesce = always\n",
       "user.ini:2: job type 'x': key 'coalesce': expected a boolean (true/false, yes/no, on/off, "
       "1/0), got 'always'"},
      {"[job x]\ndry_run =\n",
       "user.ini:2: job type 'x': key 'dry_run': expected a boolean (true/false, yes/no, on/off, "
       "1/0), got ''"},
      {"[job x]\nretry_delay = soon\n",
       "user.ini:2: job type 'x': key 'retry_delay': invalid duration 'soon': expected a number "
       "of seconds or <number><unit> with unit ms, s, m, h, d or w (e.g. 90, 30s, 1h30m)"},
      {"[job x]\ntimeout = -5s\n",
       "user.ini:2: job type 'x': key 'timeout': invalid duration '-5s': negative durations are "
       "not allowed"},
      {"[job x]\npriority = high\n",
       "user.ini:2: job type 'x': key 'priority': expected an integer, got 'high'"},
      {"[job x]\npriority = 99999999999\n",
       "user.ini:2: job type 'x': key 'priority': expected an integer, got '99999999999'"},
      {"[job x]\nlog_level = loud\n",
       "user.ini:2: job type 'x': key 'log_level': expected trace, debug, info, warn, error, "
       "critical or off, got 'loud'"},
      {"[job x]\nhandler = nope\n",
       "user.ini:2: job type 'x': key 'handler': unknown handler 'nope' (known: exec, "
       "queue_manager, tree_watch, engine_stats, metrics_exporter)"},
      {"[TORQUE]\njob.x.retries = abc\n",
       "user.ini:2: job type 'x': key 'retries': expected an integer 0..1000, got 'abc'"},
      {"[server]\nsocket_mode = 999\n",
       "user.ini:2: [server] key 'socket_mode': expected an octal file mode such as 0600 or 660, "
       "got '999'"},
      {"[server]\nsocket_mode = 01777\n",
       "user.ini:2: [server] key 'socket_mode': expected an octal file mode such as 0600 or 660, "
       "got '01777'"},
      {"[paths]\nsocket_chmod = rw\n",
       "user.ini:2: [paths] key 'socket_chmod': expected an octal file mode such as 0600 or 660, "
       "got 'rw'"},
      {"[server]\nlog_level = verbose\n",
       "user.ini:2: [server] key 'log_level': expected trace, debug, info, warn, error, critical "
       "or off, got 'verbose'"},
      {"[logging]\nloglevel = chatty\n",
       "user.ini:2: [logging] key 'loglevel': expected trace, debug, info, warn, error, critical "
       "or off, got 'chatty'"},
      {"[server]\nretention = forever\n",
       "user.ini:2: [server] key 'retention': invalid duration 'forever': expected a number of "
       "seconds or <number><unit> with unit ms, s, m, h, d or w (e.g. 90, 30s, 1h30m)"},
      {"[server]\nshutdown_grace =\n",
       "user.ini:2: [server] key 'shutdown_grace': invalid duration '': empty"},
      {"[server]\ncrash_retries = -1\n",
       "user.ini:2: [server] key 'crash_retries': expected an integer 0..1000, got '-1'"},
      {"[server]\nsocket =\n", "user.ini:2: [server] key 'socket': expected a path, got ''"},
      {"[server]\ndatabase_pool = 0\n",
       "user.ini:2: [server] key 'database_pool': expected an integer 1..64, got '0'"},
      {"[server]\nnode_heartbeat = 0\n",
       "user.ini:2: [server] key 'node_heartbeat': expected a duration above 0, got '0'"},
      {"[server]\nnode_heartbeat = 10s\n",
       "user.ini:2: [server] key 'node_heartbeat': node_timeout (15s) must be at least twice "
       "node_heartbeat (10s)"},
      {"[job x]\nmax_running = -1\n",
       "user.ini:2: job type 'x': key 'max_running': expected an integer 0..1000000, got '-1'"},
      {"[server]\ndatabase =\n", "user.ini:2: [server] key 'database': expected a path, got ''"},
      {"[db]\nurl = postgresql://db/upq\n",
       "user.ini:2: [db] key 'url': only sqlite:// databases are supported, got "
       "'postgresql://db/upq'"},
      {"[db]\nurl = sqlite://upq.db\n",
       "user.ini:2: [db] key 'url': expected sqlite:///absolute/path, got 'sqlite://upq.db'"},
      {"[db]\nurl = sqlite:///\n",
       "user.ini:2: [db] key 'url': expected sqlite:///absolute/path, got 'sqlite:///'"},
      {"[server\nlog_level = debug\n", "user.ini:1: syntax error"},
      {"[server]\njust some words\n", "user.ini:2: syntax error"},
      {"[job]\nretries = 1\n", "user.ini:1: [job] needs a name: [job NAME]"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(ErrorOf(c.text), c.want) << c.text;
  }
  EXPECT_EQ(LoadOne("[job x]\nretries = abc\n").status().code(), Status::Code::kInvalidArgument);
}

TEST(ConfigTest, APostgresqlDatabaseIsAUriAndNodesAreTuned) {
  Result<Config> r = LoadOne(
      "[server]\ndatabase = postgresql://torque@db.example/torque?sslmode=require\n"
      "database_pool = 8\ndatabase_listen = no\ndatabase_poll = 250ms\nnode_heartbeat = 1s\n"
      "node_timeout = 10s\n[job x]\nmax_running = 3\n");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(WarningsOf(*r), std::vector<std::string>{});
  const ServerConfig& s = r->server;
  EXPECT_EQ(s.database, "postgresql://torque@db.example/torque?sslmode=require");  // not a path
  EXPECT_EQ(s.database_pool, 8);
  EXPECT_FALSE(s.database_listen);
  EXPECT_EQ(s.database_poll, 250);
  EXPECT_EQ(s.node_heartbeat, 1000);
  EXPECT_EQ(s.node_timeout, 10'000);
  EXPECT_EQ(r->types.at("x").max_running, 3);
  Result<Config> d = LoadOne("[job x]\n");
  ASSERT_TRUE(d.ok());
  EXPECT_TRUE(d->server.database_listen);
  EXPECT_EQ(d->server.node_timeout, 15'000);
  EXPECT_EQ(d->types.at("x").max_running, 0);
}

TEST(ConfigTest, UnknownKeysAndSectionsWarn) {
  Result<Config> r = LoadOne(
      "[server]\n"                     // 1
      "foo = 1\n"                      // 2
      "[bar]\n"                        // 3
      "x = 1\n"                        // 4
      "y = 2\n"                        // 5
      "[job x]\n"                      // 6
      "bogus = 1\n"                    // 7
      "cmd.x = 1\n"                    // 8
      "[TORQUE]\n"                     // 9
      "foo = 1\n"                      // 10
      "apscheduler.coalesce = True\n"  // 11
      "httpd.active = False\n"         // 12
      "job.x = 1\n"                    // 13
      "[paths]\n"                      // 14
      "uploads = /u\n"                 // 15
      "weird = 1\n"                    // 16
      "[daemon]\n"                     // 17
      "detach_process = true\n"        // 18
      "[job y]\n"                      // 19
      "subjobs = a b\n"                // 20
      "[notify]\n"                     // 21
      "smtp_url = smtp://mail:25\n"    // 22
      "nope = 1\n"                     // 23
      "[job z]\n"                      // 24
      "concurrent = 0\n"               // 25
      "[logging]\n"                    // 26
      "logformat = %(message)s\n"      // 27
      "[db]\n"                         // 28
      "debug = true\n"                 // 29
      "[bar]\n"                        // 30
      "w = 1\n"                        // 31
      "[TORQUE]\n"                     // 32
      "job.treewatch.cmd.x = d.x=1\n"  // 33
      "job.treewatch.nope = 1\n");     // 34
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(WarningsOf(*r),
            (std::vector<std::string>{
                "user.ini:2: unknown key 'foo' in [server]",
                "user.ini:3: unknown section [bar]",
                "user.ini:16: unknown key 'weird' in [paths]",
                "user.ini:18: [daemon] key 'detach_process' is ignored (torqued has its own daemon "
                "control; see torqued --help)",
                "user.ini:23: unknown key 'nope' in [notify]",
                "user.ini:27: [logging] key 'logformat' is ignored (torqued's log format is fixed)",
                "user.ini:29: [db] key 'debug' is ignored",
                "user.ini:10: unknown key 'foo' in [TORQUE]",
                "user.ini:13: unknown key 'job.x' in [TORQUE] (job keys are job.NAME.KEY)",
                "user.ini:34: unknown key 'nope' for job type 'treewatch' (handler tree_watch)",
                "user.ini:7: unknown key 'bogus' for job type 'x' (handler exec)",
                "user.ini:8: unknown key 'cmd.x' for job type 'x' (handler exec)",
                "user.ini:20: job type 'y': key 'subjobs' is not supported (ignored); a job can "
                "submit the next one with torque-cli",
                "user.ini:25: job type 'z': concurrent = 0 is taken as 1",
            }));
  EXPECT_EQ(r->types.at("z").concurrent, 1);
  EXPECT_EQ(r->types.at("x").Get("bogus"), "1");
  EXPECT_EQ(r->types.at("treewatch").Get("cmd.x"), "d.x=1");
  EXPECT_EQ(r->notify.smtp_url, "smtp://mail:25");
  EXPECT_EQ(r->torque_globals.at("httpd.active").value, "False");
  EXPECT_EQ(r->torque_globals.at("foo").value, "1");
}

TEST(ConfigTest, KeyOutsideAnySection) {
  Result<Config> r = LoadOne("log_level = debug\n[server]\n");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(WarningsOf(*r), std::vector<std::string>{
                                "user.ini:1: key 'log_level' is outside any [section] (ignored)"});
  EXPECT_EQ(r->server.log_level, "info");
}

// pyrotorque's packaged torque.ini has an InfluxDBStats job, inactive: copied into a user's
// file it must not stop the daemon.
TEST(ConfigTest, InactiveTypeWithUnknownHandlerIsLeftOut) {
  Result<Config> r = LoadOne(
      "[TORQUE]\n"
      "job.fluxstats.handler       = pyrocore.torrent.jobs:InfluxDBStats\n"
      "job.fluxstats.schedule      = second=*/15\n"
      "job.fluxstats.active        = False\n"
      "job.fluxstats.dbname        = torque\n");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->types.count("fluxstats"), 0u);
  EXPECT_EQ(r->FindType("fluxstats"), nullptr);
  EXPECT_EQ(WarningsOf(*r),
            std::vector<std::string>{
                "user.ini:2: job type 'fluxstats': key 'handler': unknown handler "
                "'pyrocore.torrent.jobs:InfluxDBStats' (known: exec, queue_manager, tree_watch, "
                "engine_stats, metrics_exporter); the type is inactive and left out"});
  EXPECT_EQ(ErrorOf("[TORQUE]\njob.fluxstats.handler = pyrocore.torrent.jobs:InfluxDBStats\n"),
            "user.ini:2: job type 'fluxstats': key 'handler': unknown handler "
            "'pyrocore.torrent.jobs:InfluxDBStats' (known: exec, queue_manager, tree_watch, "
            "engine_stats, metrics_exporter)");
}

TEST(ConfigTest, ReservedAndInvalidNames) {
  struct Case {
    const char* text;
    const char* want;
  };
  const Case cases[] = {
      {"[job status]\n", "user.ini:1: job type name 'status' is reserved (a torque-cli command)"},
      {"\n[job rt]\nhandler = exec\n",
       "user.ini:2: job type name 'rt' is reserved (a torque-cli command)"},
      {"[TORQUE]\njob.ping.handler = exec\n",
       "user.ini:2: job type name 'ping' is reserved (a torque-cli command)"},
      {"[job Foo]\n",
       "user.ini:1: invalid job type name 'Foo': use a-z, 0-9 and '_', starting with a letter"},
      {"[job 9lives]\n",
       "user.ini:1: invalid job type name '9lives': use a-z, 0-9 and '_', starting with a letter"},
      {"[job a-b]\n",
       "user.ini:1: invalid job type name 'a-b': use a-z, 0-9 and '_', starting with a letter"},
      {"[TORQUE]\njob.Big.handler = exec\n",
       "user.ini:2: invalid job type name 'Big': use a-z, 0-9 and '_', starting with a letter"},
      {"[job x]\naliases = ok ping\n",
       "user.ini:2: job type 'x': key 'aliases': alias 'ping' is reserved (a torque-cli command)"},
      {"[job x]\naliases = Bad-Name\n",
       "user.ini:2: job type 'x': key 'aliases': invalid alias 'Bad-Name': use a-z, 0-9 and '_', "
       "starting with a letter"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(ErrorOf(c.text), c.want) << c.text;
  }
}

TEST(ConfigTest, Aliases) {
  struct Case {
    const char* text;
    const char* want;
  };
  const Case cases[] = {
      {"[job a]\naliases = b\n[job b]\n",
       "user.ini:2: job type 'a': alias 'b' is already the name of job type 'b'"},
      {"[job a]\naliases = z\n[job b]\naliases = z\n",
       "user.ini:4: job type 'b': alias 'z' is already an alias of job type 'a'"},
      {"[job x]\naliases = queue_pass\n",
       "user.ini:2: job type 'x': alias 'queue_pass' is already an alias of job type 'queue'"},
      {"[job x]\naliases = hello\n",
       "user.ini:2: job type 'x': alias 'hello' is already the name of job type 'hello'"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(ErrorOf(c.text), c.want) << c.text;
  }
  Result<Config> r = LoadOne("[job x]\naliases = hi, howdy  greet,x,hi\n");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const JobTypeConfig& x = r->types.at("x");
  EXPECT_EQ(x.aliases, (std::vector<std::string>{"hi", "howdy", "greet"}));
  for (const char* word : {"x", "hi", "howdy", "greet"}) {
    EXPECT_EQ(r->FindType(word), &x) << word;
    EXPECT_EQ(r->aliases.at(word), "x");
  }
}

TEST(ConfigTest, TorqueInterpolation) {
  Result<Config> r = Load({
      {"a.ini",
       "[TORQUE]\nbase = /old\njob.x.handler = exec\njob.x.command = ls %(base)s/in 100%%\n"
       "job.x.cwd = %(dir)s\ndir = %(base)s/work\n"
       "job.queue.startable = %(queue_startable_base)s prio>0\n"
       "[job y]\ncommand = date +%s %(base)s\n"},
      {"b.ini", "[TORQUE]\nbase = /srv\n"},
  });
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const JobTypeConfig& x = r->types.at("x");
  EXPECT_EQ(x.Get("command"), "ls /srv/in 100%");
  EXPECT_EQ(x.settings.at("command").where.ToString(), "a.ini:4");
  EXPECT_EQ(x.Get("cwd"), "/srv/work");
  EXPECT_EQ(r->types.at("queue").Get("startable"), "is_open=no is_active=no is_complete=no prio>0");
  EXPECT_EQ(r->types.at("y").Get("command"), "date +%s %(base)s");  // only [TORQUE] interpolates
  EXPECT_EQ(r->torque_globals.at("dir").value, "/srv/work");

  struct Case {
    const char* text;
    const char* want;
  };
  const Case cases[] = {
      {"[TORQUE]\njob.x.command = %(nope)s\n",
       "user.ini:2: [TORQUE] key 'job.x.command': unknown key 'nope' in %(nope)s"},
      {"[TORQUE]\njob.x.command = date +%s\n",
       "user.ini:2: [TORQUE] key 'job.x.command': '%' must be followed by '%' or '(' in "
       "'date +%s' (write %% for a '%')"},
      {"[TORQUE]\njob.x.command = 50%\n",
       "user.ini:2: [TORQUE] key 'job.x.command': '%' must be followed by '%' or '(' in '50%' "
       "(write %% for a '%')"},
      {"[TORQUE]\njob.x.command = %(base)d\nbase = 1\n",
       "user.ini:2: [TORQUE] key 'job.x.command': bad reference in '%(base)d': write %(name)s, "
       "or %% for a '%'"},
      {"[TORQUE]\na = %(b)s\nb = %(a)s\n",
       "user.ini:3: [TORQUE] key 'b': %(...)s references nested more than 10 deep (a loop?)"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(ErrorOf(c.text), c.want) << c.text;
  }
}

TEST_F(ConfigFileTest, APasswordOthersCanReadWarns) {
  const std::string text = "[notify]\nsmtp_url = smtp://127.0.0.1:2525\nsmtp_password = s3cret\n";
  const std::string file = Write("torque.ini", text);
  ConfigOptions options = Options();
  options.state_dir = "/state";
  options.files = {file};
  auto warnings_about = [&](unsigned mode) {
    fs::permissions(file, static_cast<fs::perms>(mode));
    Result<Config> r = LoadConfig(options);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    std::vector<std::string> out;
    for (const ConfigWarning& w : r->warnings) {
      if (w.message.find("smtp_password") != std::string::npos) out.push_back(w.ToString());
    }
    return out;
  };
  auto shared = warnings_about(0644);
  ASSERT_EQ(shared.size(), 1u);
  EXPECT_EQ(shared[0], file + ":3: smtp_password is in " + file +
                           ", which users other than its owner can read (mode 0644): chmod 600 " +
                           file);
  EXPECT_EQ(warnings_about(0640).size(), 1u);
  EXPECT_TRUE(warnings_about(0600).empty());
  EXPECT_TRUE(warnings_about(0400).empty());

  // No password, no warning, whatever the mode.
  fs::permissions(file, fs::perms::owner_read | fs::perms::owner_write);
  Write("torque.ini", "[notify]\nsmtp_url = smtp://127.0.0.1:2525\nsmtp_password =\n");
  EXPECT_TRUE(warnings_about(0644).empty());
}

TEST_F(ConfigFileTest, RelativePathsFollowTheirFile) {
  ScopedEnv home("HOME", "/home/u");
  std::string file = Write("conf/torque.ini",
                           "[server]\nsocket = run/t.sock\ndatabase = ../db/t.db\n"
                           "pid_file = ~/t.pid\nlog_file =\njobs_dir = ~\n");
  std::string other = Write("other/upq.cfg", "[paths]\njobs_dir = ./jobs\n");
  ConfigOptions options = Options();
  options.state_dir = "/state";
  options.files = {file, other};
  Result<Config> r = LoadConfig(options);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->files, (std::vector<std::string>{file, other}));
  EXPECT_EQ(r->server.socket, (dir_ / "conf/run/t.sock").string());
  EXPECT_EQ(r->server.database, (dir_ / "db/t.db").string());
  EXPECT_EQ(r->server.pid_file, "/home/u/t.pid");
  EXPECT_EQ(r->server.log_file, "");
  EXPECT_EQ(r->server.jobs_dir, (dir_ / "other/jobs").string());

  options.files = {file};
  Result<Config> only = LoadConfig(options);
  ASSERT_TRUE(only.ok());
  EXPECT_EQ(only->server.jobs_dir, "/home/u");
}

TEST_F(ConfigFileTest, UpqConfigLoads) {
  std::string file = Write("upq/upq.cfg",
                           "[daemon]\n"
                           "detach_process = false\n"
                           "umask = 22\n"
                           "\n"
                           "[logging]\n"
                           "loglevel = debug\n"
                           "logfile = ./upq.log\n"
                           "\n"
                           "[paths]\n"
                           "socket = ./upq-incoming.sock\n"
                           "socket_chmod = 660\n"
                           "jobs_dir = ./jobs\n"
                           "uploads = ./uploads\n"
                           "tmp = /tmp\n"
                           "\n"
                           "[db]\n"
                           "url = sqlite:////var/lib/upq/upq.db\n"
                           "\n"
                           "[job verify_file]\n"
                           "enabled = true\n"
                           "concurrent = 0\n"
                           "notify_fail = mail admin@example.org syslog\n"
                           "subjobs = extract_metadata\n"
                           "\n"
                           "[job extract_metadata]\n"
                           "enabled = false\n"
                           "concurrent = 2\n"
                           "unitsync = /usr/lib/libunitsync.so\n");
  ConfigOptions options = Options();
  options.state_dir = "/state";
  options.files = {file};
  Result<Config> r = LoadConfig(options);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  fs::path upq = dir_ / "upq";
  EXPECT_EQ(r->server.socket, (upq / "upq-incoming.sock").string());
  EXPECT_EQ(r->server.socket_mode, 0660u);
  EXPECT_EQ(r->server.jobs_dir, (upq / "jobs").string());
  EXPECT_EQ(r->server.log_file, (upq / "upq.log").string());
  EXPECT_EQ(r->server.log_level, "debug");
  EXPECT_EQ(r->server.database, "/var/lib/upq/upq.db");
  EXPECT_EQ(r->server.pid_file, "/state/torqued.pid");
  const JobTypeConfig& verify = r->types.at("verify_file");
  EXPECT_EQ(verify.handler, "exec");
  EXPECT_TRUE(verify.active);
  EXPECT_EQ(verify.concurrent, 1);
  ASSERT_EQ(verify.notify_fail.size(), 2u);
  EXPECT_EQ(verify.notify_fail[0].Key(), "mail:admin@example.org");
  EXPECT_EQ(verify.notify_fail[1].Key(), "syslog:");
  const JobTypeConfig& extract = r->types.at("extract_metadata");
  EXPECT_FALSE(extract.active);
  EXPECT_EQ(extract.concurrent, 2);
  EXPECT_EQ(extract.Get("unitsync"), "/usr/lib/libunitsync.so");
  EXPECT_EQ(WarningsOf(*r),
            (std::vector<std::string>{
                file + ":2: [daemon] key 'detach_process' is ignored (torqued has its own daemon "
                       "control; see torqued --help)",
                file + ":3: [daemon] key 'umask' is ignored (torqued has its own daemon control; "
                       "see torqued --help)",
                file + ":28: unknown key 'unitsync' for job type 'extract_metadata' (handler "
                       "exec)",
                file + ":21: job type 'verify_file': concurrent = 0 is taken as 1",
                file + ":23: job type 'verify_file': key 'subjobs' is not supported (ignored); a "
                       "job can submit the next one with torque-cli",
            }));

  for (const char* url : {"sqlite:///var/lib/upq/upq.db", "sqlite:////var/lib/upq/upq.db"}) {
    Result<Config> db = LoadOne(std::string("[db]\nurl = ") + url + "\n");
    ASSERT_TRUE(db.ok()) << url;
    EXPECT_EQ(db->server.database, "/var/lib/upq/upq.db") << url;
  }
}

TEST(ConfigTest, LongLines) {
  std::string ok_value(199 - std::string("command = ").size(), 'x');
  Result<Config> r = LoadOne("[job l]\ncommand = " + ok_value + "\n  " + std::string(197, 'y') +
                             "\nretries = 1\n");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->types.at("l").Get("command"), ok_value + "\n" + std::string(197, 'y'));
  EXPECT_EQ(r->types.at("l").retries, 1);
  EXPECT_EQ(WarningsOf(*r), std::vector<std::string>{});

  const std::string want =
      "user.ini:3: line longer than 199 characters; continue the value on indented lines";
  EXPECT_EQ(ErrorOf("[job l]\n\ncommand = " + ok_value + "x\n"), want);
  EXPECT_EQ(ErrorOf("[job l]\n\n# " + std::string(300, 'c') + "\n"), want);
  EXPECT_EQ(ErrorOf("[job l]\n\ncommand = " + ok_value + "x"), want);  // no final newline
}

TEST_F(ConfigFileTest, MissingFile) {
  ConfigOptions options = Options();
  options.state_dir = "/state";
  options.files = {Write("a.ini", "[server]\n"), (dir_ / "nope.ini").string()};
  Result<Config> r = LoadConfig(options);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kNotFound);
  EXPECT_EQ(r.status().message(), "config file " + (dir_ / "nope.ini").string() + " not found");
}

TEST_F(ConfigFileTest, ErrorsNameTheFile) {
  std::string file = Write("bad.ini", "[job x]\n\nretries = many\n");
  ConfigOptions options = Options();
  options.files = {file};
  Result<Config> r = LoadConfig(options);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(r.status().message(),
            file + ":3: job type 'x': key 'retries': expected an integer 0..1000, got 'many'");
}

TEST(ConfigTest, HandlerDefaultsApplyUnlessTheTypeSetsTheKey) {
  auto r = Load({{"user.ini",
                  "[job w1]\nhandler = tree_watch\nactive = no\n"
                  "[job w2]\nhandler = pyrosimple.job.watch:TreeWatch\nactive = no\nretries = 2\n"
                  "retry_max_delay = 5m\n"
                  "[job plain]\ncommand = true\n"}});
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->types.at("w1").retries, 1000);
  EXPECT_EQ(r->types.at("w1").retry_max_delay, 60'000);
  EXPECT_EQ(r->types.at("w2").retries, 2);
  EXPECT_EQ(r->types.at("w2").retry_max_delay, 5 * 60'000);
  EXPECT_EQ(r->types.at("plain").retries, 0);
  EXPECT_EQ(r->types.at("plain").retry_max_delay, 24LL * 3600 * 1000);
}

TEST(ConfigTest, ActiveTypeWithUnavailableHandler) {
  struct Case {
    const char* text;
    const char* want;
  };
  const Case cases[] = {
      {"[TORQUE]\njob.queue.active = True\n",
       "user.ini:2: job type 'queue': handler queue_manager is not available in this build"},
      {"[job q2]\nhandler = pyrocore.torrent.watch:TreeWatch\n",
       "user.ini:2: job type 'q2': handler tree_watch is not available in this build"},
      {"[job q2]\nenabled = yes\nhandler = engine_stats\n",
       "user.ini:3: job type 'q2': handler engine_stats is not available in this build"},
      {"[job q2]\nhandler = engine_stats\nenabled = yes\n",
       "user.ini:3: job type 'q2': handler engine_stats is not available in this build"},
      {"[job q2]\nhandler = metrics_exporter\nactive = no\n", "ok"},
      {"[job q2]\nhandler = pyrosimple.job.queue:QueueManager\nactive = no\n", "ok"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(ErrorOf(c.text), c.want) << c.text;
  }
}

TEST(ConfigTest, WithoutHandlerCatalogHandlersAreNotChecked) {
  ConfigOptions options;
  options.state_dir = "/state";
  Result<Config> r = LoadConfigFromTexts(
      {{"user.ini", "[job x]\nhandler = whatever:Thing\nfoo = 1\n[TORQUE]\njob.queue.active = True\n"}},
      options);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->types.at("x").handler, "whatever:Thing");
  EXPECT_EQ(r->types.at("queue").handler, "pyrocore.torrent.queue:QueueManager");
  EXPECT_TRUE(r->types.at("queue").active);
  EXPECT_TRUE(WarningsOf(*r).empty());
}

TEST(ConfigTest, DryRunIsForced) {
  const Texts texts = {{"u.ini", "[job x]\ndry_run = yes\n[job y]\n"}};
  Result<Config> normal = Load(texts);
  ASSERT_TRUE(normal.ok());
  EXPECT_TRUE(normal->types.at("x").dry_run);
  EXPECT_FALSE(normal->types.at("y").dry_run);
  EXPECT_FALSE(normal->types.at("hello").dry_run);
  Result<Config> forced = Load(texts, /*dry_run=*/true);
  ASSERT_TRUE(forced.ok());
  for (const auto& [name, type] : forced->types) EXPECT_TRUE(type.dry_run) << name;
}

}  // namespace
}  // namespace torque

namespace torque {
namespace {

TEST(ConfigTest, RtorrentSection) {
  setenv("HOME", "/home/u", 1);
  Result<Config> d = LoadOne("");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->rtorrent.url, "");
  EXPECT_EQ(d->rtorrent.rtorrent_rc, "/home/u/.rtorrent.rc");
  EXPECT_EQ(d->rtorrent.timeout, 30'000);
  Result<Config> c =
      LoadOne("[rtorrent]\nurl = scgi://127.0.0.1:5000\nrtorrent_rc = rt.rc\ntimeout = 5s\n");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->rtorrent.url, "scgi://127.0.0.1:5000");
  EXPECT_EQ(c->rtorrent.timeout, 5000);
  EXPECT_EQ(ErrorOf("[rtorrent]\ntimeout = soon\n").substr(0, 50),
            "user.ini:2: [rtorrent] key 'timeout': invalid dura");
  Result<Config> w = LoadOne("[rtorrent]\nscgi_url = x\n");
  ASSERT_TRUE(w.ok());
  EXPECT_EQ(WarningsOf(*w), std::vector<std::string>{"user.ini:2: unknown key 'scgi_url' in [rtorrent]"});
}


// kHandlers with metrics_exporter available and knowing its keys, for the [http] tests.
const std::vector<HandlerSpec> kExporterHandlers = [] {
  std::vector<HandlerSpec> specs = kHandlers;
  for (HandlerSpec& spec : specs) {
    if (spec.name != "metrics_exporter") continue;
    spec.available = true;
    spec.aliases.push_back("pyrosimple.job.metrics:RtorrentExporter");
    spec.keys = {"jobs", "addr", "port", "prefix"};
  }
  return specs;
}();

Result<Config> LoadHttp(const std::string& text) {
  ConfigOptions options;
  options.handlers = &kExporterHandlers;
  options.state_dir = "/state";
  return LoadConfigFromTexts({{"user.ini", text}}, options);
}

std::string HttpErrorOf(const std::string& text) {
  Result<Config> r = LoadHttp(text);
  return r.ok() ? "ok" : r.status().message();
}

TEST(ConfigTest, HttpListenIsOffByDefault) {
  Result<Config> d = LoadHttp("");
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->http.listen, "");
  EXPECT_EQ(d->http.host, "");
  EXPECT_EQ(d->http.rtorrent_timeout, 5000);
  EXPECT_EQ(d->http.exporter, "");
  Result<Config> empty = LoadHttp("[http]\nlisten =\n");
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(empty->http.listen, "");
}

TEST(ConfigTest, HttpListenAddresses) {
  struct Case {
    std::string value, host;
    int port;
    std::string listen;
  };
  for (const Case& c : std::vector<Case>{{"127.0.0.1:9100", "127.0.0.1", 9100, "127.0.0.1:9100"},
                                         {"[::1]:9100", "::1", 9100, "[::1]:9100"},
                                         {"localhost:80", "127.0.0.1", 80, "127.0.0.1:80"},
                                         {"0.0.0.0:0", "0.0.0.0", 0, "0.0.0.0:0"}}) {
    Result<Config> r = LoadHttp("[http]\nlisten = " + c.value + "\nrtorrent_timeout = 2s\n");
    ASSERT_TRUE(r.ok()) << c.value << ": " << r.status().ToString();
    EXPECT_EQ(r->http.host, c.host) << c.value;
    EXPECT_EQ(r->http.port, c.port) << c.value;
    EXPECT_EQ(r->http.listen, c.listen) << c.value;
    EXPECT_EQ(r->http.where.ToString(), "user.ini:2");
    EXPECT_EQ(r->http.rtorrent_timeout, 2000);
  }
}

TEST(ConfigTest, HttpBadValuesNameTheLine) {
  EXPECT_EQ(HttpErrorOf("[http]\nlisten = 9100\n"),
            "user.ini:2: [http] key 'listen': expected host:port, e.g. 127.0.0.1:9100 or "
            "[::1]:9100, got '9100'");
  EXPECT_EQ(HttpErrorOf("[http]\n\nlisten = example.org:80\n"),
            "user.ini:3: [http] key 'listen': 'example.org' is not an IP address (host:port, "
            "e.g. 127.0.0.1:9100 or [::1]:9100)");
  EXPECT_EQ(HttpErrorOf("[http]\nlisten = 127.0.0.1:99999\n"),
            "user.ini:2: [http] key 'listen': port '99999' is not a number 0..65535 (host:port, "
            "e.g. 127.0.0.1:9100 or [::1]:9100)");
  EXPECT_EQ(HttpErrorOf("[http]\nlisten = ::1:80\n").substr(0, 36),
            "user.ini:2: [http] key 'listen': exp");
  EXPECT_EQ(HttpErrorOf("[http]\nlisten = [::1]80\n").substr(0, 36),
            "user.ini:2: [http] key 'listen': exp");
  EXPECT_EQ(HttpErrorOf("[http]\nrtorrent_timeout = 0\n"),
            "user.ini:2: [http] key 'rtorrent_timeout': expected a duration above 0, got '0'");
  Result<Config> w = LoadHttp("[http]\nport = 1\n");
  ASSERT_TRUE(w.ok());
  EXPECT_EQ(WarningsOf(*w), std::vector<std::string>{"user.ini:2: unknown key 'port' in [http]"});
}

TEST(ConfigTest, ExporterTypeOpensTheListenerOnLoopbackByDefault) {
  Result<Config> r =
      LoadHttp("[job exporter]\nhandler = pyrosimple.job.metrics:RtorrentExporter\n");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->http.exporter, "exporter");
  EXPECT_EQ(r->http.listen, "127.0.0.1:8000");
  Result<Config> own = LoadHttp(
      "[TORQUE]\njob.exporter.handler = metrics_exporter\njob.exporter.addr = ::1\n"
      "job.exporter.port = 9200\n");
  ASSERT_TRUE(own.ok()) << own.status().ToString();
  EXPECT_EQ(own->http.listen, "[::1]:9200");
  EXPECT_EQ(own->http.where.ToString(), "user.ini:3");
  // An inactive one opens nothing.
  Result<Config> off = LoadHttp("[job exporter]\nhandler = metrics_exporter\nactive = no\n");
  ASSERT_TRUE(off.ok());
  EXPECT_EQ(off->http.listen, "");
  EXPECT_EQ(off->http.exporter, "");
}

TEST(ConfigTest, HttpListenWinsOverExporterKeys) {
  Result<Config> r = LoadHttp(
      "[http]\nlisten = 127.0.0.1:9100\n[job exporter]\nhandler = metrics_exporter\n"
      "port = 8001\n");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->http.listen, "127.0.0.1:9100");
  EXPECT_EQ(r->http.exporter, "exporter");
  EXPECT_EQ(WarningsOf(*r),
            std::vector<std::string>{"user.ini:5: job type 'exporter': addr/port ignored: "
                                     "[http] listen = 127.0.0.1:9100 is the listener"});
  Result<Config> two =
      LoadHttp("[job a]\nhandler = metrics_exporter\n[job b]\nhandler = metrics_exporter\n");
  ASSERT_TRUE(two.ok());
  EXPECT_EQ(two->http.exporter, "a");
  ASSERT_EQ(two->warnings.size(), 1u);
  EXPECT_EQ(two->warnings[0].where.ToString(), "user.ini:3");
}

TEST(ConfigTest, ExporterBadAddrOrPort) {
  EXPECT_EQ(HttpErrorOf("[job e]\nhandler = metrics_exporter\nport = http\n"),
            "user.ini:3: job type 'e': key 'port': expected an integer 1..65535, got 'http'");
  EXPECT_EQ(HttpErrorOf("[job e]\nhandler = metrics_exporter\naddr = my.host\n"),
            "user.ini:3: job type 'e': key 'addr': expected an IP address, got 'my.host'");
}

}  // namespace
}  // namespace torque
