// Notification settings: the targets of notify_success / notify_fail and the [notify] section.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/status.h"

namespace torque {

struct Setting;  // core/config.h

// Where one notification goes.
struct NotifyTarget {
  enum class Kind { kMail, kSyslog };
  Kind kind = Kind::kSyslog;
  std::vector<std::string> to;  // kMail: recipient addresses
  std::string ident;            // kSyslog: the tag; empty: [notify] syslog_ident

  // Canonical text, stored in the outbox: "mail:a@x,b@y" or "syslog:ident" ("syslog:").
  std::string Key() const;
  static Result<NotifyTarget> FromKey(std::string_view key);
  bool operator==(const NotifyTarget&) const = default;
};

// A parsed notify_success / notify_fail value. Accepted forms (upq's, all mixable):
//   syslog [IDENT]       mail ADDR[,ADDR...] [ADDR...]
//   syslog:IDENT         mail:ADDR[,ADDR...]
// and upq's retry tokens retry:N and retrywait:N|T (T like 30s, 10m, 1h), which set
// the type's retries and retry_delay when the type does not set them itself.
struct NotifyRule {
  std::vector<NotifyTarget> targets;
  std::optional<int> retries;
  std::optional<DurationMs> retry_delay;
};

// kInvalidArgument with a reason naming the bad word.
Result<NotifyRule> ParseNotifyRule(std::string_view value);

// The [notify] section.
struct NotifySettings {
  std::string smtp_url = "smtp://localhost:25";  // smtp:// or smtps://
  std::string mail_from;                          // default: torqued@<hostname>
  std::string smtp_user;
  std::string smtp_password;
  bool starttls = false;          // require STARTTLS on smtp://
  std::string smtp_ca_file;       // PEM CA certificates that verify the SMTP server (an
                                  // absolute path); empty: the system's
  std::string syslog_address;     // empty: the local socket /dev/log; "host:port" (UDP),
                                  // "udp:host:port", "unix:/path" (datagram socket)
  int syslog_facility = 1;        // numeric facility code (user = 1, local0 = 16, ...)
  std::string syslog_ident = "torqued";
  DurationMs timeout = 30'000;    // one delivery attempt (connect + send)
  DurationMs retry_delay = 30'000;       // first retry of a failed delivery; doubles
  DurationMs retry_max_delay = 3'600'000;
  DurationMs give_up_after = 3LL * 24 * 3600 * 1000;  // then it is dropped with an error
  int digest_after = 10;          // more mails due at once for the same recipients: one digest
};

// Validates and converts the [notify] keys; errors are "file:line: [notify] key 'k': why".
// smtp_ca_file gets "~" expanded, is taken relative to its config file's directory and
// must be a readable file holding a PEM certificate.
Result<NotifySettings> ParseNotifySettings(const std::map<std::string, Setting>& keys);

// Syslog facility names (kern user mail daemon auth syslog lpr news uucp cron authpriv
// ftp local0..local7) to their codes.
std::optional<int> SyslogFacility(std::string_view name);

}  // namespace torque
