// SyslogSender: writes one notification line to syslog (local socket, unix path or UDP).
#pragma once

#include <string>

#include "core/notify_config.h"
#include "core/status.h"

namespace torque::server {

// Thread-compatible. Uses [notify] syslog_address, syslog_facility, syslog_ident.
class SyslogSender {
 public:
  enum class Severity { kError = 3, kWarning = 4, kNotice = 5, kInfo = 6 };

  explicit SyslogSender(NotifySettings settings);
  ~SyslogSender();
  SyslogSender(const SyslogSender&) = delete;
  SyslogSender& operator=(const SyslogSender&) = delete;

  // Sends one RFC 3164 datagram "<PRI>Mmm dd hh:mm:ss [HOST ]IDENT[PID]: MESSAGE"
  // (HOST only over UDP). `ident` empty: settings.syslog_ident. Newlines in `message`
  // become spaces. kUnavailable when the target cannot be reached.
  Status Send(Severity severity, const std::string& ident, const std::string& message);

 private:
  NotifySettings settings_;
};

}  // namespace torque::server
