#include "server/mail_sender.h"

#include <curl/curl.h>
#include <openssl/evp.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <memory>
#include <mutex>
#include <random>
#include <utility>

#include "core/host_name.h"

namespace torque::server {
namespace {

// RFC 5322 caps a line at 998 octets; a longer body line forces base64.
constexpr size_t kMaxLineOctets = 998;
// Header lines are folded near this width (RFC 5322 "SHOULD" limit).
constexpr size_t kFoldWidth = 78;
// Bytes of subject per RFC 2047 encoded word: 52 base64 chars, so a folded line
// " =?UTF-8?B?...?=" stays within 76 characters.
constexpr size_t kEncodedWordBytes = 39;
// Base64 body lines (RFC 2045): 76 characters = 57 input bytes.
constexpr size_t kBase64LineBytes = 57;
constexpr char kWeekdays[7][4] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
constexpr char kMonths[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                 "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

// libcurl's process-wide setup, done once by whichever thread sends first.
CURLcode InitCurlOnce() {
  static std::once_flag once;
  static CURLcode result = CURLE_OK;
  std::call_once(once, [] { result = curl_global_init(CURL_GLOBAL_DEFAULT); });
  return result;
}

std::string Base64(std::string_view in) {
  std::string out(4 * ((in.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(in.data()),
                          static_cast<int>(in.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

// Header text on one line: every run of CR/LF (and other control characters but TAB)
// becomes one space, so nothing the caller passes can start a new header.
std::string OneLine(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  bool in_break = false;
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if ((u < 0x20 && c != '\t') || u == 0x7f) {
      if (!in_break) out += ' ';
      in_break = true;
      continue;
    }
    in_break = false;
    out += c;
  }
  return out;
}

bool IsPrintableAscii(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c >= 0x20 && c < 0x7f; });
}

bool IsUtf8Continuation(char c) { return (static_cast<unsigned char>(c) & 0xc0) == 0x80; }

// "Subject: ..." with the value as-is when printable ASCII, else as RFC 2047 B-words
// split on UTF-8 character boundaries, one per folded line.
std::string SubjectHeader(std::string_view raw) {
  std::string subject = OneLine(raw);
  if (IsPrintableAscii(subject) && subject.size() + 9 <= kMaxLineOctets) {
    return "Subject: " + subject + "\r\n";
  }
  std::string out = "Subject:";
  std::string_view rest = subject;
  while (!rest.empty()) {
    size_t n = std::min(kEncodedWordBytes, rest.size());
    size_t cut = n;
    while (cut > 0 && n - cut < 3 && cut < rest.size() && IsUtf8Continuation(rest[cut])) --cut;
    if (cut > 0) n = cut;
    out += (out.size() == 8 ? " " : "\r\n ");
    out += "=?UTF-8?B?" + Base64(rest.substr(0, n)) + "?=";
    rest.remove_prefix(n);
  }
  return out + "\r\n";
}

// "To: a, b, ..." folded after a comma before a line grows past kFoldWidth.
std::string ToHeader(const std::vector<std::string>& to) {
  std::string out = "To:";
  size_t line = out.size();
  for (size_t i = 0; i < to.size(); ++i) {
    std::string addr = OneLine(to[i]) + (i + 1 < to.size() ? "," : "");
    if (i > 0 && line + 1 + addr.size() > kFoldWidth) {
      out += "\r\n";
      line = 0;
    }
    out += " " + addr;
    line += 1 + addr.size();
  }
  return out + "\r\n";
}

// RFC 5322 date in local time: "Wed, 15 Nov 2023 03:43:20 +0530".
std::string Rfc5322Date(TimeMs now) {
  time_t t = static_cast<time_t>(now / 1000);
  struct tm tm {};
  localtime_r(&t, &tm);
  long offset_min = tm.tm_gmtoff / 60;
  char sign = offset_min < 0 ? '-' : '+';
  offset_min = std::labs(offset_min);
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%s, %02d %s %04d %02d:%02d:%02d %c%02ld%02ld",
                kWeekdays[tm.tm_wday % 7], tm.tm_mday, kMonths[tm.tm_mon % 12], tm.tm_year + 1900,
                tm.tm_hour, tm.tm_min, tm.tm_sec, sign, offset_min / 60, offset_min % 60);
  return buf;
}

// The body with every line end (CRLF, lone CR, lone LF) as CRLF, ending in CRLF.
std::string CrlfBody(std::string_view body) {
  std::string out;
  out.reserve(body.size() + body.size() / 32 + 2);
  for (size_t i = 0; i < body.size(); ++i) {
    char c = body[i];
    if (c == '\r') {
      if (i + 1 < body.size() && body[i + 1] == '\n') ++i;
      out += "\r\n";
    } else if (c == '\n') {
      out += "\r\n";
    } else {
      out += c;
    }
  }
  if (!out.empty() && !out.ends_with("\r\n")) out += "\r\n";
  return out;
}

bool Needs8bitFallback(std::string_view crlf_body) {
  if (crlf_body.find('\0') != std::string_view::npos) return true;
  size_t start = 0;
  while (start < crlf_body.size()) {
    size_t end = crlf_body.find("\r\n", start);
    if (end == std::string_view::npos) end = crlf_body.size();
    if (end - start > kMaxLineOctets) return true;
    start = end + 2;
  }
  return false;
}

std::string Base64Body(std::string_view body) {
  std::string out;
  for (size_t i = 0; i < body.size(); i += kBase64LineBytes) {
    out += Base64(body.substr(i, kBase64LineBytes)) + "\r\n";
  }
  return out;
}

// smtp_url without "user:password@", for messages.
std::string RedactUrl(const std::string& url) {
  size_t scheme = url.find("://");
  if (scheme == std::string::npos) return url;
  size_t host = scheme + 3;
  size_t end = url.find_first_of("/?#", host);
  size_t at = url.rfind('@', end == std::string::npos ? url.size() : end);
  if (at == std::string::npos || at < host) return url;
  return url.substr(0, host) + url.substr(at + 1);
}

// An address for the envelope and headers: no whitespace, controls, brackets or commas.
bool IsPlainAddress(const std::string& a) {
  if (a.empty()) return false;
  return std::none_of(a.begin(), a.end(), [](char c) {
    auto u = static_cast<unsigned char>(c);
    return u <= 0x20 || u == 0x7f || c == '<' || c == '>' || c == ',' || c == ';';
  });
}

// For error texts: the address with control characters shown as '?'.
std::string Printable(const std::string& s) {
  std::string out = s;
  for (char& c : out) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
  }
  return out;
}

std::string NewMessageId(const std::string& host) {
  std::random_device rd;
  uint64_t r = (static_cast<uint64_t>(rd()) << 32) ^ rd();
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%lld.%d.%016llx", static_cast<long long>(SystemClock().Now()),
                static_cast<int>(getpid()), static_cast<unsigned long long>(r));
  return std::string(buf) + "@" + host;
}

// What RecordReply learns of the SMTP dialogue.
struct Dialogue {
  std::string last_reply;      // the server's last 4xx/5xx reply line
  bool authenticated = false;  // the server accepted AUTH (235)
  bool mail_started = false;   // MAIL FROM was sent
};

struct Upload {
  std::string_view data;
  size_t pos = 0;
  const Dialogue* dialogue = nullptr;
  bool require_login = false;  // smtp_user set: never send without logging in
};

// libcurl skips AUTH silently when the server offers none; then the message is stopped
// here, before its first byte (the server discards a DATA that never ends).
size_t ReadUpload(char* buffer, size_t size, size_t nitems, void* userdata) {
  auto* up = static_cast<Upload*>(userdata);
  if (up->require_login && !up->dialogue->authenticated) return CURL_READFUNC_ABORT;
  size_t n = std::min(size * nitems, up->data.size() - up->pos);
  std::memcpy(buffer, up->data.data() + up->pos, n);
  up->pos += n;
  return n;
}

// Keeps the server's last 4xx/5xx reply line (CURLINFO_HEADER_IN) for error texts (the
// replies after it, QUIT's 221, do not hide it), whether AUTH succeeded and whether MAIL
// FROM was sent. Never looks at what the client sends beyond that (AUTH carries secrets).
int RecordReply(CURL*, curl_infotype type, char* data, size_t size, void* userdata) {
  auto* d = static_cast<Dialogue*>(userdata);
  std::string_view text(data, size);
  if (type == CURLINFO_HEADER_OUT && text.starts_with("MAIL FROM:")) d->mail_started = true;
  if (type != CURLINFO_HEADER_IN || size == 0) return 0;
  if (text.starts_with("235")) d->authenticated = true;
  if (data[0] != '4' && data[0] != '5') return 0;
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.remove_suffix(1);
  d->last_reply = OneLine(text);
  return 0;
}

struct CurlDeleter {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};

Status MapCurlError(CURLcode rc, long response_code, const char* errbuf, const Dialogue& dialogue,
                    const std::string& url, const NotifySettings& settings) {
  std::string detail = errbuf[0] != '\0' ? errbuf : curl_easy_strerror(rc);
  const std::string& last_reply = dialogue.last_reply;
  const std::string user = "user '" + Printable(settings.smtp_user) + "'";
  if (!settings.smtp_user.empty() && !dialogue.authenticated && dialogue.mail_started) {
    // libcurl went on without AUTH: the server offered none.
    std::string hint = settings.starttls || url.starts_with("smtps://")
                           ? ""
                           : " (servers often offer AUTH only after STARTTLS: set starttls)";
    return Status::IoError("SMTP server " + url + " does not offer a login (AUTH) for " + user +
                           "; nothing was sent" + (last_reply.empty() ? "" : ": " + last_reply) +
                           hint);
  }
  switch (rc) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_CONNECT:
      return Status::Unavailable("cannot connect to SMTP server " + url + ": " + detail);
    case CURLE_OPERATION_TIMEDOUT:
      return Status::Timeout("SMTP server " + url + " did not finish within " +
                             std::to_string(settings.timeout) + " ms: " + detail);
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL:
      return Status::InvalidArgument("bad smtp_url '" + url + "': " + detail);
    case CURLE_USE_SSL_FAILED:
      return Status::IoError("SMTP server " + url +
                             " does not offer STARTTLS, which starttls requires: " + detail);
    case CURLE_PEER_FAILED_VERIFICATION: {
      std::string trusted =
          settings.smtp_ca_file.empty() ? "the system's CA certificates" : settings.smtp_ca_file;
      return Status::IoError("cannot verify the TLS certificate of SMTP server " + url + ": " +
                             detail + " (trusted: " + trusted + "; see [notify] smtp_ca_file)");
    }
    case CURLE_SSL_CACERT_BADFILE:
      return Status::IoError("cannot load the CA certificates in smtp_ca_file " +
                             settings.smtp_ca_file + ": " + detail);
    case CURLE_LOGIN_DENIED:
      return Status::IoError("SMTP server " + url + " refused the login of " + user + ": " +
                             (last_reply.empty() ? detail : last_reply + " (" + detail + ")"));
    default:
      break;
  }
  if (response_code >= 400) {
    std::string reply = last_reply.empty() || !last_reply.starts_with(std::to_string(response_code))
                            ? std::to_string(response_code)
                            : last_reply;
    return Status::IoError("SMTP server " + url + " refused the mail: " + reply + " (" + detail +
                           ")");
  }
  return Status::IoError("sending mail via " + url + " failed: " + detail);
}

}  // namespace

std::string FormatMail(const MailMessage& message, std::string_view from, TimeMs now,
                       std::string_view message_id) {
  std::string body = CrlfBody(message.body);
  bool base64 = Needs8bitFallback(body);
  std::string out;
  out.reserve(body.size() + 512);
  out += "Date: " + Rfc5322Date(now) + "\r\n";
  out += "From: " + OneLine(from) + "\r\n";
  out += ToHeader(message.to);
  out += SubjectHeader(message.subject);
  out += "Message-ID: <" + OneLine(message_id) + ">\r\n";
  out += "MIME-Version: 1.0\r\n";
  out += "Content-Type: text/plain; charset=UTF-8\r\n";
  out += std::string("Content-Transfer-Encoding: ") + (base64 ? "base64" : "8bit") + "\r\n";
  out += "Auto-Submitted: auto-generated\r\n";
  out += "X-Mailer: torqued " TORQUE_VERSION "\r\n";
  out += "\r\n";
  out += base64 ? Base64Body(body) : body;
  return out;
}

MailSender::MailSender(NotifySettings settings) : settings_(std::move(settings)) {}
MailSender::~MailSender() = default;

Status MailSender::Send(const MailMessage& message) {
  const std::string url = RedactUrl(settings_.smtp_url);
  if (!settings_.smtp_url.starts_with("smtp://") && !settings_.smtp_url.starts_with("smtps://")) {
    return Status::InvalidArgument("bad smtp_url '" + url + "': not smtp:// or smtps://");
  }
  if (message.to.empty()) return Status::InvalidArgument("mail without recipients");
  for (const std::string& a : message.to) {
    if (!IsPlainAddress(a))
      return Status::InvalidArgument("bad mail address '" + Printable(a) + "'");
  }
  const std::string host = HostName();
  const std::string from = settings_.mail_from.empty() ? "torqued@" + host : settings_.mail_from;
  if (!IsPlainAddress(from)) {
    return Status::InvalidArgument("bad mail_from address '" + Printable(from) + "'");
  }
  if (CURLcode rc = InitCurlOnce(); rc != CURLE_OK) {
    return Status::Internal(std::string("curl_global_init: ") + curl_easy_strerror(rc));
  }
  std::unique_ptr<CURL, CurlDeleter> curl(curl_easy_init());
  if (!curl) return Status::Internal("curl_easy_init failed");

  const std::string text = FormatMail(message, from, SystemClock().Now(), NewMessageId(host));
  Dialogue dialogue;
  Upload upload{text, 0, &dialogue, !settings_.smtp_user.empty()};
  curl_slist* list = nullptr;
  for (const std::string& a : message.to) {
    curl_slist* next = curl_slist_append(list, a.c_str());
    if (next == nullptr) {
      curl_slist_free_all(list);
      return Status::Internal("curl_slist_append failed");
    }
    list = next;
  }
  std::unique_ptr<curl_slist, CurlDeleter> rcpt(list);
  char errbuf[CURL_ERROR_SIZE] = {};
  CURL* c = curl.get();
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_URL, settings_.smtp_url.c_str());
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
  curl_easy_setopt(c, CURLOPT_MAIL_FROM, from.c_str());
  curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpt.get());
  curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
  curl_easy_setopt(c, CURLOPT_READFUNCTION, ReadUpload);
  curl_easy_setopt(c, CURLOPT_READDATA, &upload);
  curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(text.size()));
  curl_easy_setopt(c, CURLOPT_VERBOSE, 1L);  // only to feed RecordReply
  curl_easy_setopt(c, CURLOPT_DEBUGFUNCTION, RecordReply);
  curl_easy_setopt(c, CURLOPT_DEBUGDATA, &dialogue);
  if (settings_.starttls) curl_easy_setopt(c, CURLOPT_USE_SSL, static_cast<long>(CURLUSESSL_ALL));
  if (!settings_.smtp_ca_file.empty()) {  // these CAs only, not also the system's directory
    curl_easy_setopt(c, CURLOPT_CAINFO, settings_.smtp_ca_file.c_str());
    curl_easy_setopt(c, CURLOPT_CAPATH, nullptr);
  }
  if (!settings_.smtp_user.empty()) {
    curl_easy_setopt(c, CURLOPT_USERNAME, settings_.smtp_user.c_str());
    curl_easy_setopt(c, CURLOPT_PASSWORD, settings_.smtp_password.c_str());
  }
  if (settings_.timeout > 0) {
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(settings_.timeout));
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(settings_.timeout));
  }
  CURLcode rc = curl_easy_perform(c);
  if (rc == CURLE_OK) return Status::Ok();
  long response_code = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &response_code);
  return MapCurlError(rc, response_code, errbuf, dialogue, url, settings_);
}

}  // namespace torque::server
