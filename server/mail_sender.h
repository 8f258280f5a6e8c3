// MailSender: delivers one notification mail over SMTP with libcurl.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/notify_config.h"
#include "core/status.h"

namespace torque::server {

// A plain-text UTF-8 mail.
struct MailMessage {
  std::vector<std::string> to;
  std::string subject;  // may hold any UTF-8; encoded per RFC 2047 when not ASCII
  std::string body;     // '\n' line ends; sent as CRLF, dot-stuffed by libcurl
};

// Thread-compatible: one Send at a time per instance. Uses [notify] smtp_url, mail_from,
// smtp_user/smtp_password, starttls, smtp_ca_file and timeout.
class MailSender {
 public:
  explicit MailSender(NotifySettings settings);
  ~MailSender();
  MailSender(const MailSender&) = delete;
  MailSender& operator=(const MailSender&) = delete;

  // One delivery attempt. kUnavailable (cannot connect), kTimeout, kIoError (the server
  // refused the mail or the login: the SMTP reply in the message; STARTTLS required but
  // not offered; the TLS certificate not trusted; smtp_user set but the server offers no
  // AUTH, then nothing is sent), kInvalidArgument (bad address or URL). Blocks for at
  // most about settings.timeout.
  Status Send(const MailMessage& message);

 private:
  NotifySettings settings_;
};

// The RFC 5322 text Send transmits for `message` (CRLF line ends, not yet dot-stuffed):
// Date (local time of `now`), From, To, Subject (RFC 2047 words unless printable ASCII),
// Message-ID (`message_id` given without <>), MIME and Auto-Submitted headers, then the
// body (8bit; base64 when a line is longer than SMTP allows or it holds NUL). CR and LF
// never reach a header. Pure but for the local time zone; exposed for tests.
std::string FormatMail(const MailMessage& message, std::string_view from, TimeMs now,
                       std::string_view message_id);

}  // namespace torque::server
