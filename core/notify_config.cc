#include "core/notify_config.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <utility>

#include "core/config_values.h"
#include "core/duration.h"
#include "core/utf8.h"
#include "core/words.h"

namespace torque {
namespace {

constexpr std::string_view kForms =
    "expected syslog [IDENT], syslog:IDENT, mail ADDR[,ADDR...] or mail:ADDR[,ADDR...]";

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

// A word that starts a new target (so it cannot be an address or an ident).
bool IsTargetWord(std::string_view w) {
  return w == "mail" || w == "syslog" || StartsWith(w, "mail:") || StartsWith(w, "syslog:") ||
         StartsWith(w, "retry:") || StartsWith(w, "retrywait:");
}

// Adds the comma-separated addresses of `list` to `to`; fails for an empty or bad one.
Status AddAddresses(std::string_view list, std::vector<std::string>& to) {
  size_t start = 0;
  while (start <= list.size()) {
    size_t comma = std::min(list.find(',', start), list.size());
    std::string_view addr = list.substr(start, comma - start);
    if (addr.empty()) {
      return Status::InvalidArgument("empty mail address in '" + std::string(list) + "'");
    }
    if (addr.find_first_of("<>\"\\ \t\r\n") != std::string_view::npos) {
      return Status::InvalidArgument("invalid mail address '" + std::string(addr) + "'");
    }
    if (std::find(to.begin(), to.end(), addr) == to.end()) to.emplace_back(addr);
    start = comma + 1;
  }
  return Status::Ok();
}

Status CheckIdent(std::string_view ident) {
  for (unsigned char c : ident) {
    if (c <= ' ' || c == ':' || c == '[' || c == ']' || c == 0x7f) {
      return Status::InvalidArgument("invalid syslog ident '" + std::string(ident) +
                                     "' (no blanks, ':' or brackets)");
    }
  }
  return Status::Ok();
}

std::optional<int> ToCount(std::string_view s) {
  int n = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
  if (ec != std::errc() || p != s.data() + s.size() || n < 0 || n > 1000) return std::nullopt;
  return n;
}

// retry:N or retrywait:N|T into `rule`.
Status ParseRetryToken(std::string_view word, NotifyRule& rule) {
  bool wait = StartsWith(word, "retrywait:");
  std::string_view v = word.substr(wait ? 10 : 6);
  std::string_view count = v;
  if (wait) {
    size_t bar = v.find('|');
    if (bar == std::string_view::npos) {
      return Status::InvalidArgument("'" + std::string(word) + "': expected retrywait:N|DELAY");
    }
    count = v.substr(0, bar);
    Result<DurationMs> d = ParseDuration(v.substr(bar + 1));
    if (!d.ok()) return Status::InvalidArgument("'" + std::string(word) + "': " + d.status().message());
    rule.retry_delay = *d;
  }
  std::optional<int> n = ToCount(count);
  if (!n) {
    return Status::InvalidArgument("'" + std::string(word) + "': expected a retry count 0..1000");
  }
  rule.retries = *n;
  return Status::Ok();
}

// smtp_ca_file: "~" expanded, relative to the directory of the file that sets it. The file
// must be readable and hold a PEM certificate; libcurl would only fail at each delivery.
Status ToCaFile(const config::Item& item, std::string& out) {
  const std::string& v = item.setting.value;
  if (v.empty()) {
    out.clear();
    return Status::Ok();
  }
  std::error_code ec;
  std::filesystem::path file = std::filesystem::absolute(item.setting.where.file, ec);
  std::string path = config::ToPath(v, ec ? std::string() : file.parent_path().string());
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return config::Fail(item, "cannot read " + path + ": " + std::strerror(errno));
  constexpr std::string_view kBegin = "-----BEGIN CERTIFICATE-----";
  struct stat st {};
  std::string why;
  std::string text;  // the unsearched tail and the last block read
  if (fstat(fd, &st) != 0) {
    why = std::strerror(errno);
  } else if (!S_ISREG(st.st_mode)) {
    why = S_ISDIR(st.st_mode) ? std::strerror(EISDIR) : "not a regular file";
  }
  char buf[16384];
  bool found = false;
  while (why.empty() && !found) {
    ssize_t n = read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) why = std::strerror(errno);
    if (n <= 0) break;
    text.append(buf, static_cast<size_t>(n));
    found = text.find(kBegin) != std::string::npos;
    text.erase(0, text.size() - std::min(text.size(), kBegin.size()));  // keep a tail only
  }
  close(fd);
  if (!why.empty()) return config::Fail(item, "cannot read " + path + ": " + why);
  if (!found) {
    return config::Fail(item, "no PEM certificate (" + std::string(kBegin) + ") in " + path);
  }
  out = path;
  return Status::Ok();
}

}  // namespace

std::string NotifyTarget::Key() const {
  if (kind == Kind::kSyslog) return "syslog:" + ident;
  std::string key = "mail:";
  for (size_t i = 0; i < to.size(); ++i) key += (i ? "," : "") + to[i];
  return key;
}

Result<NotifyTarget> NotifyTarget::FromKey(std::string_view key) {
  NotifyTarget t;
  if (StartsWith(key, "syslog:")) {
    t.kind = Kind::kSyslog;
    t.ident = key.substr(7);
    if (Status s = CheckIdent(t.ident); !s.ok()) return s;
    return t;
  }
  if (StartsWith(key, "mail:")) {
    t.kind = Kind::kMail;
    if (Status s = AddAddresses(key.substr(5), t.to); !s.ok()) return s;
    return t;
  }
  return Status::InvalidArgument("invalid notification target '" + std::string(key) + "'");
}

Result<NotifyRule> ParseNotifyRule(std::string_view value) {
  auto words = SplitWords(value);
  if (!words.ok()) return words.status();
  NotifyRule rule;
  const std::vector<std::string>& w = *words;
  for (size_t i = 0; i < w.size(); ++i) {
    NotifyTarget t;
    if (w[i] == "syslog" || StartsWith(w[i], "syslog:")) {
      t.kind = NotifyTarget::Kind::kSyslog;
      if (w[i] != "syslog") {
        t.ident = w[i].substr(7);
      } else if (i + 1 < w.size() && !IsTargetWord(w[i + 1])) {
        t.ident = w[++i];
      }
      if (Status s = CheckIdent(t.ident); !s.ok()) return s;
    } else if (w[i] == "mail" || StartsWith(w[i], "mail:")) {
      t.kind = NotifyTarget::Kind::kMail;
      if (w[i] != "mail") {
        if (Status s = AddAddresses(w[i].substr(5), t.to); !s.ok()) return s;
      } else {
        while (i + 1 < w.size() && !IsTargetWord(w[i + 1])) {
          if (Status s = AddAddresses(w[++i], t.to); !s.ok()) return s;
        }
        if (t.to.empty()) return Status::InvalidArgument("'mail' needs at least one address");
      }
    } else if (StartsWith(w[i], "retry:") || StartsWith(w[i], "retrywait:")) {
      if (Status s = ParseRetryToken(w[i], rule); !s.ok()) return s;
      continue;
    } else {
      return Status::InvalidArgument("unknown notification target '" + w[i] + "' (" +
                                     std::string(kForms) + ")");
    }
    if (std::find(rule.targets.begin(), rule.targets.end(), t) == rule.targets.end()) {
      rule.targets.push_back(std::move(t));
    }
  }
  return rule;
}

std::optional<int> SyslogFacility(std::string_view name) {
  static const std::pair<std::string_view, int> kFacilities[] = {
      {"kern", 0},    {"user", 1},    {"mail", 2},     {"daemon", 3},  {"auth", 4},
      {"syslog", 5},  {"lpr", 6},     {"news", 7},     {"uucp", 8},    {"cron", 9},
      {"authpriv", 10}, {"ftp", 11},  {"local0", 16},  {"local1", 17}, {"local2", 18},
      {"local3", 19}, {"local4", 20}, {"local5", 21},  {"local6", 22}, {"local7", 23}};
  std::string lower = AsciiLower(std::string(name));
  if (StartsWith(lower, "log_")) lower = lower.substr(4);  // Python's LOG_LOCAL0 spelling
  for (const auto& [n, code] : kFacilities) {
    if (lower == n) return code;
  }
  return std::nullopt;
}

Result<NotifySettings> ParseNotifySettings(const std::map<std::string, Setting>& keys) {
  NotifySettings out;
  char host[256] = "localhost";
  if (gethostname(host, sizeof host - 1) != 0) host[0] = '\0';
  out.mail_from = std::string("torqued@") + (host[0] ? host : "localhost");
  for (const auto& [key, setting] : keys) {
    config::Item item{setting, 0, "[notify] key '" + key + "'"};
    const std::string& v = setting.value;
    Status s;
    if (key == "smtp_url") {
      if (!StartsWith(v, "smtp://") && !StartsWith(v, "smtps://")) {
        s = config::Fail(item, "an smtp:// or smtps:// URL", v);
      }
      out.smtp_url = v;
    } else if (key == "mail_from") {
      std::vector<std::string> one;
      if (!v.empty()) s = AddAddresses(v, one);
      if (!s.ok()) s = config::Fail(item, s.message());
      if (!v.empty()) out.mail_from = v;
    } else if (key == "smtp_user") {
      out.smtp_user = v;
    } else if (key == "smtp_password") {
      out.smtp_password = v;
    } else if (key == "starttls") {
      s = config::ToBool(item, out.starttls);
    } else if (key == "smtp_ca_file") {
      s = ToCaFile(item, out.smtp_ca_file);
    } else if (key == "syslog_address") {
      out.syslog_address = v;
    } else if (key == "syslog_facility") {
      std::optional<int> f = SyslogFacility(v);
      if (!f) s = config::Fail(item, "a syslog facility (user, daemon, local0..local7, ...)", v);
      out.syslog_facility = f.value_or(1);
    } else if (key == "syslog_ident") {
      s = CheckIdent(v);
      if (s.ok() && v.empty()) s = Status::InvalidArgument("empty syslog ident");
      if (!s.ok()) s = config::Fail(item, s.message());
      out.syslog_ident = v;
    } else if (key == "timeout") {
      s = config::ToDuration(item, out.timeout);
    } else if (key == "retry_delay") {
      s = config::ToDuration(item, out.retry_delay);
    } else if (key == "retry_max_delay") {
      s = config::ToDuration(item, out.retry_max_delay);
    } else if (key == "give_up_after") {
      s = config::ToDuration(item, out.give_up_after);
    } else if (key == "digest_after") {
      s = config::ToInt(item, 0, 1000, out.digest_after);
    }
    if (!s.ok()) return s;
  }
  if (out.retry_delay <= 0) out.retry_delay = 1000;
  if (out.retry_max_delay < out.retry_delay) out.retry_max_delay = out.retry_delay;
  return out;
}

}  // namespace torque
