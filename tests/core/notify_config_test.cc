#include "core/notify_config.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "core/config.h"

namespace torque {
namespace {

// The targets of `value` as keys, then "retries=N" / "delay=MS" when set; or the error.
std::string Parsed(const std::string& value) {
  Result<NotifyRule> r = ParseNotifyRule(value);
  if (!r.ok()) return "ERR " + r.status().message();
  std::string out;
  for (const NotifyTarget& t : r->targets) out += (out.empty() ? "" : " ") + t.Key();
  if (r->retries) out += " retries=" + std::to_string(*r->retries);
  if (r->retry_delay) out += " delay=" + std::to_string(*r->retry_delay);
  return out;
}

TEST(NotifyRuleTest, GoldenTable) {
  struct Case {
    std::string value, want;
  } cases[] = {
      {"", ""},
      {"syslog", "syslog:"},
      {"syslog blablub", "syslog:blablub"},
      {"syslog:upq", "syslog:upq"},
      {"mail user1@example.org", "mail:user1@example.org"},
      {"mail a@x,b@y", "mail:a@x,b@y"},
      {"mail user1@example.org user2@example.org", "mail:user1@example.org,user2@example.org"},
      {"mail:user1@example.org,user2@example.org syslog",
       "mail:user1@example.org,user2@example.org syslog:"},
      {"syslog mail:test@example.org", "syslog: mail:test@example.org"},
      {"syslog mail a@x", "syslog: mail:a@x"},
      {"mail a@x syslog tag", "mail:a@x syslog:tag"},
      {"syslog syslog", "syslog:"},
      {"mail a@x,a@x", "mail:a@x"},
      {"mail root", "mail:root"},
      {"  syslog\n  mail a@x ", "syslog: mail:a@x"},
      {"mail:a@x retry:3", "mail:a@x retries=3"},
      {"retrywait:4|30m syslog", "syslog: retries=4 delay=1800000"},
      {"retrywait:1|10s", " retries=1 delay=10000"},
      {"mail", "ERR 'mail' needs at least one address"},
      {"mail syslog", "ERR 'mail' needs at least one address"},
      {"mail:", "ERR empty mail address in ''"},
      {"mail a@x,,b@y", "ERR empty mail address in 'a@x,,b@y'"},
      {"mail '<a@x>'", "ERR invalid mail address '<a@x>'"},
      {"syslog:a:b", "ERR invalid syslog ident 'a:b' (no blanks, ':' or brackets)"},
      {"sms 123", "ERR unknown notification target 'sms' (expected syslog [IDENT], "
                  "syslog:IDENT, mail ADDR[,ADDR...] or mail:ADDR[,ADDR...])"},
      {"retry:x", "ERR 'retry:x': expected a retry count 0..1000"},
      {"retry:1001", "ERR 'retry:1001': expected a retry count 0..1000"},
      {"retrywait:3", "ERR 'retrywait:3': expected retrywait:N|DELAY"},
      {"retrywait:3|soon",
       "ERR 'retrywait:3|soon': invalid duration 'soon': expected a number of seconds or "
       "<number><unit> with unit ms, s, m, h, d or w (e.g. 90, 30s, 1h30m)"},
      {"mail 'a@x", "ERR unterminated single quote at column 6"},
  };
  for (const Case& c : cases) EXPECT_EQ(Parsed(c.value), c.want) << c.value;
}

TEST(NotifyRuleTest, KeyRoundTrips) {
  for (const char* key : {"mail:a@x,b@y", "syslog:", "syslog:tag"}) {
    Result<NotifyTarget> t = NotifyTarget::FromKey(key);
    ASSERT_TRUE(t.ok()) << key;
    EXPECT_EQ(t->Key(), key);
  }
  EXPECT_EQ(NotifyTarget::FromKey("sms:1").status().message(),
            "invalid notification target 'sms:1'");
}

Result<NotifySettings> Settings(std::map<std::string, std::string> kv) {
  std::map<std::string, Setting> keys;
  int line = 1;
  for (auto& [k, v] : kv) keys[k] = Setting{v, {"t.ini", line++}};
  return ParseNotifySettings(keys);
}

TEST(NotifySettingsTest, Defaults) {
  Result<NotifySettings> s = Settings({});
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->smtp_url, "smtp://localhost:25");
  EXPECT_EQ(s->mail_from.rfind("torqued@", 0), 0u);
  EXPECT_FALSE(s->starttls);
  EXPECT_EQ(s->smtp_ca_file, "");
  EXPECT_EQ(s->syslog_facility, 1);
  EXPECT_EQ(s->syslog_ident, "torqued");
}

TEST(NotifySettingsTest, Values) {
  Result<NotifySettings> s = Settings({{"smtp_url", "smtps://mail.example.org"},
                                       {"mail_from", "box@example.org"},
                                       {"starttls", "yes"},
                                       {"syslog_facility", "LOG_LOCAL3"},
                                       {"syslog_ident", "rtbox"},
                                       {"retry_delay", "1m"},
                                       {"give_up_after", "2h"},
                                       {"digest_after", "3"}});
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->smtp_url, "smtps://mail.example.org");
  EXPECT_EQ(s->mail_from, "box@example.org");
  EXPECT_TRUE(s->starttls);
  EXPECT_EQ(s->syslog_facility, 19);
  EXPECT_EQ(s->syslog_ident, "rtbox");
  EXPECT_EQ(s->retry_delay, 60'000);
  EXPECT_EQ(s->give_up_after, 7'200'000);
  EXPECT_EQ(s->digest_after, 3);
}

TEST(NotifySettingsTest, Errors) {
  struct Case {
    std::string key, value, want;
  } cases[] = {
      {"smtp_url", "http://x", "t.ini:1: [notify] key 'smtp_url': expected an smtp:// or "
                               "smtps:// URL, got 'http://x'"},
      {"starttls", "maybe", "t.ini:1: [notify] key 'starttls': expected a boolean (true/false, "
                            "yes/no, on/off, 1/0), got 'maybe'"},
      {"syslog_facility", "local9", "t.ini:1: [notify] key 'syslog_facility': expected a syslog "
                                    "facility (user, daemon, local0..local7, ...), got 'local9'"},
      {"syslog_ident", "a b", "t.ini:1: [notify] key 'syslog_ident': invalid syslog ident 'a b' "
                              "(no blanks, ':' or brackets)"},
      {"mail_from", "<x>", "t.ini:1: [notify] key 'mail_from': invalid mail address '<x>'"},
      {"timeout", "-1", "t.ini:1: [notify] key 'timeout': invalid duration '-1': "
                        "negative durations are not allowed"},
  };
  for (const Case& c : cases) {
    Result<NotifySettings> s = Settings({{c.key, c.value}});
    ASSERT_FALSE(s.ok()) << c.key;
    EXPECT_EQ(s.status().message(), c.want);
  }
}

// A temp dir with CA files, a config file in conf/ and HOME at home/.
class SmtpCaFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string templ = (std::filesystem::temp_directory_path() / "torque-ca-XXXXXX").string();
    ASSERT_NE(mkdtemp(templ.data()), nullptr);
    dir_ = templ;
    for (const char* sub : {"conf", "home", "sub"}) {
      std::filesystem::create_directory(dir_ + "/" + sub);
    }
    const std::string cert = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
    Write("ca.pem", cert);
    Write("conf/rel.pem", "# a bundle\n" + cert + cert);
    Write("home/ca.pem", cert);
    Write("empty.pem", "");
    Write("key.pem", "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n");
    // The marker across the boundary of the 16 KiB blocks the check reads.
    Write("late.pem", std::string(16384 - 10, '#') + cert);
    if (const char* home = std::getenv("HOME")) old_home_ = home;
    setenv("HOME", (dir_ + "/home").c_str(), 1);
  }
  void TearDown() override {
    if (old_home_) {
      setenv("HOME", old_home_->c_str(), 1);
    } else {
      unsetenv("HOME");
    }
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  void Write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ + "/" + name, std::ios::binary) << text;
  }
  // The parsed smtp_ca_file, set on line 7 of conf/torque.ini; or "ERR " and the error.
  std::string Parse(const std::string& value) {
    std::map<std::string, Setting> keys;
    keys["smtp_ca_file"] = Setting{value, {dir_ + "/conf/torque.ini", 7}};
    Result<NotifySettings> s = ParseNotifySettings(keys);
    return s.ok() ? s->smtp_ca_file : "ERR " + s.status().message();
  }

  std::string dir_;
  std::optional<std::string> old_home_;
};

TEST_F(SmtpCaFileTest, GoldenTable) {
  const std::string d = dir_;
  const std::string at = "ERR " + d + "/conf/torque.ini:7: [notify] key 'smtp_ca_file': ";
  struct Case {
    std::string value, want;
  } cases[] = {
      {"", ""},
      {d + "/ca.pem", d + "/ca.pem"},
      {"rel.pem", d + "/conf/rel.pem"},  // relative to the config file's directory
      {"../ca.pem", d + "/ca.pem"},
      {"~/ca.pem", d + "/home/ca.pem"},
      {d + "/late.pem", d + "/late.pem"},
      {d + "/missing.pem", at + "cannot read " + d + "/missing.pem: No such file or directory"},
      {"missing.pem", at + "cannot read " + d + "/conf/missing.pem: No such file or directory"},
      {d + "/sub", at + "cannot read " + d + "/sub: Is a directory"},
      {"/dev/null", at + "cannot read /dev/null: not a regular file"},
      {d + "/empty.pem",
       at + "no PEM certificate (-----BEGIN CERTIFICATE-----) in " + d + "/empty.pem"},
      {"../key.pem", at + "no PEM certificate (-----BEGIN CERTIFICATE-----) in " + d + "/key.pem"},
  };
  for (const Case& c : cases) EXPECT_EQ(Parse(c.value), c.want) << c.value;
}

TEST_F(SmtpCaFileTest, UnreadableFile) {
  if (geteuid() == 0) GTEST_SKIP() << "root reads any file";
  ASSERT_EQ(chmod((dir_ + "/ca.pem").c_str(), 0), 0);
  EXPECT_EQ(Parse(dir_ + "/ca.pem"), "ERR " + dir_ +
                                         "/conf/torque.ini:7: [notify] key 'smtp_ca_file': "
                                         "cannot read " +
                                         dir_ + "/ca.pem: Permission denied");
}

TEST_F(SmtpCaFileTest, AcceptedInTheNotifySection) {
  ConfigOptions options;
  options.state_dir = "/state";
  Result<Config> c = LoadConfigFromTexts(
      {{dir_ + "/conf/torque.ini", "[notify]\nstarttls = yes\nsmtp_ca_file = rel.pem\n"}}, options);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->notify.smtp_ca_file, dir_ + "/conf/rel.pem");
  c = LoadConfigFromTexts({{dir_ + "/conf/torque.ini", "[notify]\nsmtp_ca_file = nope.pem\n"}},
                          options);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().message(), dir_ +
                                      "/conf/torque.ini:2: [notify] key 'smtp_ca_file': "
                                      "cannot read " +
                                      dir_ + "/conf/nope.pem: No such file or directory");
}

TEST(NotifyConfigTest, JobTypeKeys) {
  ConfigOptions options;
  options.state_dir = "/state";
  Result<Config> c = LoadConfigFromTexts(
      {{"u.ini",
        "[job v]\ncommand = true\nnotify_fail = mail:a@x retry:2\nnotify_every_failure = yes\n"
        "[job w]\ncommand = true\nretries = 5\nnotify_fail = retrywait:1|1m\n"
        "[job bad]\ncommand = true\nnotify_success = pager\n"}},
      options);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().message(),
            "u.ini:11: job type 'bad': key 'notify_success': unknown notification target "
            "'pager' (expected syslog [IDENT], syslog:IDENT, mail ADDR[,ADDR...] or "
            "mail:ADDR[,ADDR...])");
  c = LoadConfigFromTexts(
      {{"u.ini",
        "[job v]\ncommand = true\nnotify_fail = mail:a@x retry:2\nnotify_every_failure = yes\n"
        "[job w]\ncommand = true\nretries = 5\nnotify_fail = retrywait:1|1m\n"}},
      options);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  const JobTypeConfig& v = c->types.at("v");
  EXPECT_EQ(v.retries, 2);
  EXPECT_TRUE(v.notify_every_failure);
  ASSERT_EQ(v.notify_fail.size(), 1u);
  EXPECT_EQ(v.notify_fail[0].to, std::vector<std::string>{"a@x"});
  const JobTypeConfig& w = c->types.at("w");
  EXPECT_EQ(w.retries, 5);  // the type's own key wins over upq's retry token
  EXPECT_EQ(w.retry_delay, 60'000);
}

}  // namespace
}  // namespace torque
