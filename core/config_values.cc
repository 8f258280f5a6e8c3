#include "core/config_values.h"

#include <arpa/inet.h>
#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <climits>
#include <cstdlib>
#include <filesystem>
#include <set>
#include <sstream>

#include "core/duration.h"
#include "core/protocol.h"
#include "core/utf8.h"

namespace torque::config {
namespace {

constexpr int kMaxInterpolationDepth = 10;  // as Python's ConfigParser

Result<std::string> ExpandAt(const std::map<std::string, Item>& items, const std::string& key,
                             int depth) {
  const Item& item = items.at(key);
  const std::string& v = item.setting.value;
  if (depth > kMaxInterpolationDepth) {
    return Fail(item, "%(...)s references nested more than " +
                          std::to_string(kMaxInterpolationDepth) + " deep (a loop?)");
  }
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) {
    if (v[i] != '%') {
      out += v[i];
    } else if (i + 1 < v.size() && v[i + 1] == '%') {
      out += '%';
      ++i;
    } else if (i + 1 < v.size() && v[i + 1] == '(') {
      size_t close = v.find(')', i + 2);
      if (close == std::string::npos || close + 1 >= v.size() || v[close + 1] != 's') {
        return Fail(item, "bad reference in '" + v + "': write %(name)s, or %% for a '%'");
      }
      std::string ref = v.substr(i + 2, close - i - 2);
      if (!items.count(ref)) return Fail(item, "unknown key '" + ref + "' in %(" + ref + ")s");
      Result<std::string> sub = ExpandAt(items, ref, depth + 1);
      if (!sub.ok()) return sub.status();
      out += *sub;
      i = close + 1;
    } else {
      return Fail(item, "'%' must be followed by '%' or '(' in '" + v + "' (write %% for a '%')");
    }
  }
  return out;
}

}  // namespace

Status Fail(const Item& item, const std::string& why) {
  return Status::InvalidArgument(item.setting.where.ToString() + ": " + item.label + ": " + why);
}

Status Fail(const Item& item, const std::string& expected, const std::string& got) {
  return Fail(item, "expected " + expected + ", got '" + got + "'");
}

Status ToBool(const Item& item, bool& out) {
  static const std::set<std::string> kTrue = {"true", "t", "yes", "y", "1", "+", "on"};
  static const std::set<std::string> kFalse = {"false", "f", "no", "n", "0", "-", "off"};
  std::string l = AsciiLower(item.setting.value);
  if (!kTrue.count(l) && !kFalse.count(l)) {
    return Fail(item, "a boolean (true/false, yes/no, on/off, 1/0)", item.setting.value);
  }
  out = kTrue.count(l) > 0;
  return Status::Ok();
}

Status ToInt(const Item& item, int min, int max, int& out) {
  std::string s = item.setting.value;
  if (!s.empty() && s[0] == '+') s.erase(0, 1);
  long long n = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size() || n < min || n > max) {
    std::string range = std::to_string(min) + ".." + std::to_string(max);
    return Fail(item, min == INT_MIN ? "an integer" : "an integer " + range, item.setting.value);
  }
  out = static_cast<int>(n);
  return Status::Ok();
}

Status ToDuration(const Item& item, DurationMs& out) {
  Result<DurationMs> d = ParseDuration(item.setting.value);
  if (!d.ok()) return Fail(item, d.status().message());
  out = *d;
  return Status::Ok();
}

Status ToNotifyRule(const Item& item, std::vector<NotifyTarget>& targets, JobTypeConfig& type) {
  Result<NotifyRule> rule = ParseNotifyRule(item.setting.value);
  if (!rule.ok()) return Fail(item, rule.status().message());
  targets = std::move(rule->targets);
  if (rule->retries) type.retries = *rule->retries;
  if (rule->retry_delay) type.retry_delay = *rule->retry_delay;
  return Status::Ok();
}

Status ToLogLevel(const Item& item, bool allow_empty, std::string& out) {
  std::string l = AsciiLower(item.setting.value);
  if (l == "warning") l = "warn";
  for (const char* level : {"trace", "debug", "info", "warn", "error", "critical", "off"}) {
    if (l == level || (allow_empty && l.empty())) {
      out = l;
      return Status::Ok();
    }
  }
  return Fail(item, "trace, debug, info, warn, error, critical or off", item.setting.value);
}

Status ToMode(const Item& item, unsigned& out) {
  std::string s = item.setting.value;
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'o' || s[1] == 'O')) s.erase(0, 2);
  unsigned mode = 0;
  bool ok = !s.empty() && s.size() <= 4;
  for (char c : s) {
    ok = ok && c >= '0' && c <= '7';
    mode = mode * 8 + static_cast<unsigned>(c - '0');
  }
  if (!ok || mode > 0777) {
    return Fail(item, "an octal file mode such as 0600 or 660", item.setting.value);
  }
  out = mode;
  return Status::Ok();
}

Status ToListenAddress(const Item& item, std::string& host, int& port) {
  const std::string& v = item.setting.value;
  const std::string expected = "host:port, e.g. 127.0.0.1:9100 or [::1]:9100";
  std::string h;
  std::string p;
  if (!v.empty() && v[0] == '[') {
    size_t close = v.find(']');
    if (close == std::string::npos || close + 1 >= v.size() || v[close + 1] != ':') {
      return Fail(item, expected, v);
    }
    h = v.substr(1, close - 1);
    p = v.substr(close + 2);
  } else {
    size_t colon = v.rfind(':');
    if (colon == std::string::npos || v.find(':') != colon) return Fail(item, expected, v);
    h = v.substr(0, colon);
    p = v.substr(colon + 1);
  }
  if (AsciiLower(h) == "localhost") h = "127.0.0.1";
  unsigned char addr[16];
  if (h.empty() ||
      (inet_pton(AF_INET, h.c_str(), addr) != 1 && inet_pton(AF_INET6, h.c_str(), addr) != 1)) {
    return Fail(item, "'" + h + "' is not an IP address (" + expected + ")");
  }
  int n = -1;
  auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), n);
  if (p.empty() || ec != std::errc() || end != p.data() + p.size() || n < 0 || n > 65535) {
    return Fail(item, "port '" + p + "' is not a number 0..65535 (" + expected + ")");
  }
  host = std::move(h);
  port = n;
  return Status::Ok();
}

Status ToSqlitePath(const Item& item, std::string& out) {
  const std::string& url = item.setting.value;
  if (url.rfind("sqlite://", 0) != 0) {
    return Fail(item, "only sqlite:// databases are supported, got '" + url + "'");
  }
  std::string path = url.substr(9);
  size_t slashes = path.find_first_not_of('/');
  if (path.empty() || path[0] != '/' || slashes == std::string::npos) {
    return Fail(item, "sqlite:///absolute/path", url);
  }
  out = path.substr(slashes - 1);
  return Status::Ok();
}

Status ToAliases(const Item& item, const std::string& name, std::vector<std::string>& out) {
  std::string word;
  std::string spaced = item.setting.value;
  for (char& c : spaced) c = c == ',' ? ' ' : c;
  std::istringstream words(spaced);
  while (words >> word) {
    std::string why = NameError("alias", word);
    if (!why.empty()) return Fail(item, why);
    if (word != name && std::find(out.begin(), out.end(), word) == out.end()) {
      out.push_back(word);
    }
  }
  return Status::Ok();
}

std::string ToPath(const std::string& value, const std::string& base_dir) {
  std::string v = value;
  if (v.empty()) return v;
  if (v == "~" || v.rfind("~/", 0) == 0) v = HomeDir() + v.substr(1);
  std::filesystem::path p(v);
  if (p.is_relative()) p = std::filesystem::path(base_dir) / p;
  return p.lexically_normal().string();
}

Result<std::string> Expand(const std::map<std::string, Item>& items, const std::string& key) {
  return ExpandAt(items, key, 0);
}

std::string NameError(const std::string& what, const std::string& word) {
  if (!protocol::IsTypeName(word)) {
    return "invalid " + what + " '" + word + "': use a-z, 0-9 and '_', starting with a letter";
  }
  if (IsReservedName(word)) return what + " '" + word + "' is reserved (a torque-cli command)";
  return "";
}

std::string HomeDir() {
  const char* home = std::getenv("HOME");
  if (home && *home) return home;
  const passwd* pw = getpwuid(getuid());
  return pw && pw->pw_dir ? pw->pw_dir : "/";
}

}  // namespace torque::config
