#include "core/notify_config.h"

#include <gtest/gtest.h>

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
                                       {"give_up_after", "2h"}});
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->smtp_url, "smtps://mail.example.org");
  EXPECT_EQ(s->mail_from, "box@example.org");
  EXPECT_TRUE(s->starttls);
  EXPECT_EQ(s->syslog_facility, 19);
  EXPECT_EQ(s->syslog_ident, "rtbox");
  EXPECT_EQ(s->retry_delay, 60'000);
  EXPECT_EQ(s->give_up_after, 7'200'000);
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
