#include "jobs/rtorrent/endpoint.h"

#include <optional>
#include <vector>

#include "core/config_values.h"
#include "core/file_read.h"

namespace torque::rtorrent {
namespace {

constexpr std::string_view kForms =
    "expected scgi:///path/to/socket, /path/to/socket, ~/path, scgi://host:port or host:port";

Status Bad(std::string_view url, std::string_view why) {
  return Status::InvalidArgument("bad rTorrent URL '" + std::string(url) +
                                 "': " + std::string(why));
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

// "~" and "~/x" with `home`; other paths unchanged.
std::string ExpandHome(std::string_view path, std::string_view home) {
  if (path != "~" && !path.starts_with("~/")) return std::string(path);
  std::string out(home);
  if (out.size() > 1 && out.back() == '/') out.pop_back();
  if (out == "/" && path.size() > 1) out.clear();
  out.append(path.substr(1));
  return out;
}

Result<Endpoint> UnixEndpoint(std::string_view url, std::string path) {
  if (path.size() > Endpoint::kMaxUnixPath) {
    return Bad(url, "socket path is " + std::to_string(path.size()) + " bytes long, at most " +
                        std::to_string(Endpoint::kMaxUnixPath) + " are possible");
  }
  Endpoint ep;
  ep.path = std::move(path);
  return ep;
}

// "host:port" or "[v6]:port".
Result<Endpoint> TcpEndpoint(std::string_view url, std::string_view hostport) {
  if (hostport.find('/') != std::string_view::npos) {
    return Bad(url, "unexpected path after host:port");
  }
  std::string_view host;
  std::string_view port;
  if (hostport.starts_with('[')) {
    size_t close = hostport.find(']');
    if (close == std::string_view::npos) return Bad(url, "missing ']' after the IPv6 address");
    host = hostport.substr(1, close - 1);
    std::string_view rest = hostport.substr(close + 1);
    if (!rest.starts_with(':')) return Bad(url, "missing port");
    port = rest.substr(1);
  } else {
    size_t colon = hostport.rfind(':');
    if (colon == std::string_view::npos) return Bad(url, "missing port");
    host = hostport.substr(0, colon);
    port = hostport.substr(colon + 1);
    if (host.find(':') != std::string_view::npos) {
      return Bad(url, "put an IPv6 address in brackets, e.g. [::1]:5000");
    }
  }
  if (host.empty()) return Bad(url, "missing host");
  if (port.empty()) return Bad(url, "missing port");
  uint32_t number = 0;
  for (char c : port) {
    if (c < '0' || c > '9' || number > 65535) return Bad(url, "port must be 1-65535");
    number = number * 10 + static_cast<uint32_t>(c - '0');
  }
  if (number == 0 || number > 65535) return Bad(url, "port must be 1-65535");
  Endpoint ep;
  ep.host = std::string(host);
  ep.port = static_cast<uint16_t>(number);
  return ep;
}

// One logical line of an rtorrent.rc ('\' continuations joined) and where it starts.
struct RcLine {
  std::string text;
  int number = 0;
};

std::vector<RcLine> LogicalLines(std::string_view content) {
  std::vector<RcLine> lines;
  bool continued = false;
  int number = 0;
  size_t pos = 0;
  while (pos < content.size()) {
    size_t end = content.find('\n', pos);
    if (end == std::string_view::npos) end = content.size();
    std::string_view line = Trim(content.substr(pos, end - pos));
    pos = end + 1;
    ++number;
    bool continues = line.ends_with('\\');
    if (continues) line.remove_suffix(1);
    if (continued) {
      lines.back().text.append(line);
    } else {
      lines.push_back({std::string(line), number});
    }
    continued = continues;
  }
  return lines;
}

// A key's last value and its line.
struct RcValue {
  std::string value;
  int line = 0;
};

}  // namespace

std::string Endpoint::ToString() const {
  if (IsUnix()) return "scgi://" + path;
  if (host.find(':') != std::string::npos) {
    return "scgi://[" + host + "]:" + std::to_string(port);
  }
  return "scgi://" + host + ":" + std::to_string(port);
}

Result<Endpoint> ParseEndpoint(std::string_view url, const std::string& home) {
  if (url.empty()) return Status::InvalidArgument("rTorrent URL is empty");
  if (url.starts_with("scgi+ssh:")) {
    return Status::InvalidArgument(
        "unsupported rTorrent URL '" + std::string(url) +
        "': scgi+ssh (an SSH tunnel) is not supported; use scgi:///path/to/socket or "
        "scgi://host:port");
  }
  if (url.starts_with("scgi+unix://")) {
    std::string_view path = url.substr(12);
    if (!path.starts_with('/') || path.size() < 2) {
      return Bad(url, "expected scgi+unix:///path/to/socket");
    }
    return UnixEndpoint(url, std::string(path));
  }
  if (url.starts_with("scgi://")) {
    std::string_view rest = url.substr(7);
    if (rest.empty() || rest == "/") return Bad(url, "missing socket path or host:port");
    if (rest.starts_with('/')) return UnixEndpoint(url, std::string(rest));
    return TcpEndpoint(url, rest);
  }
  size_t scheme = url.find("://");
  if (scheme != std::string_view::npos) {
    return Status::InvalidArgument("unsupported rTorrent URL '" + std::string(url) +
                                   "': use scgi:///path/to/socket or scgi://host:port");
  }
  if (url.starts_with('/')) return UnixEndpoint(url, std::string(url));
  if (url == "~" || url.starts_with("~/")) return UnixEndpoint(url, ExpandHome(url, home));
  if (url.starts_with('~')) return Bad(url, "only '~/' is expanded, not '~user/'");
  if (url.find(':') == std::string_view::npos) return Bad(url, kForms);
  return TcpEndpoint(url, url);
}

Result<Endpoint> ParseEndpoint(std::string_view url) {
  return ParseEndpoint(url, config::HomeDir());
}

Result<std::string> ScgiUrlFromRtorrentRc(const std::string& path, const std::string& home) {
  const std::string file = ExpandHome(path, home);
  Result<std::string> content = ReadWholeFile(file);
  if (!content.ok()) return Status::NotFound(content.status().message());
  return ScgiUrlFromRtorrentRcText(*content, file, home);
}

Result<std::string> ScgiUrlFromRtorrentRcText(std::string_view content, const std::string& file,
                                              const std::string& home) {
  std::optional<RcValue> local;
  std::optional<RcValue> port;
  for (const RcLine& line : LogicalLines(content)) {
    if (line.text.empty() || line.text.starts_with('#')) continue;
    size_t eq = line.text.find('=');
    if (eq == std::string::npos) continue;
    std::string_view key = Trim(std::string_view(line.text).substr(0, eq));
    std::string_view value = Trim(std::string_view(line.text).substr(eq + 1));
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
      value = value.substr(1, value.size() - 2);
    }
    if (key == "network.scgi.open_local" || key == "scgi_local") {
      local = RcValue{std::string(value), line.number};
    } else if (key == "network.scgi.open_port" || key == "scgi_port") {
      port = RcValue{std::string(value), line.number};
    }
  }

  const bool use_local = local.has_value();
  if (!use_local && !port) {
    return Status::NotFound(file +
                            " opens no SCGI listener (no network.scgi.open_local or "
                            "network.scgi.open_port)");
  }
  const RcValue& found = use_local ? *local : *port;
  const std::string where = file + ":" + std::to_string(found.line) + ": ";
  const char* key = use_local ? "network.scgi.open_local" : "network.scgi.open_port";
  if (found.value.starts_with('(') || found.value.starts_with('$')) {
    return Status::InvalidArgument(where + "cannot evaluate the rTorrent expression " + key +
                                   " = " + found.value + "; set the SCGI URL in torque.ini");
  }
  std::string url;
  if (use_local) {
    std::string socket = ExpandHome(found.value, home);
    if (!socket.starts_with('/')) {
      return Status::InvalidArgument(where + key + " '" + found.value +
                                     "' is not an absolute path");
    }
    url = "scgi://" + socket;
  } else {
    url = "scgi://" + (found.value.starts_with(':') ? "127.0.0.1" + found.value : found.value);
  }
  Result<Endpoint> endpoint = ParseEndpoint(url, home);
  if (!endpoint.ok()) return Status::InvalidArgument(where + endpoint.status().message());
  return url;
}

Result<std::string> ScgiUrlFromRtorrentRc(const std::string& path) {
  return ScgiUrlFromRtorrentRc(path, config::HomeDir());
}

}  // namespace torque::rtorrent
