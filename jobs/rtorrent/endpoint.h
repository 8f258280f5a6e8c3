// Endpoint: where rTorrent's SCGI listener is, parsed from a URL or found in rtorrent.rc.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/status.h"

namespace torque::rtorrent {

// The address of an rTorrent SCGI listener: a unix socket path, or a TCP host and port.
struct Endpoint {
  // The longest unix socket path the kernel takes (sockaddr_un.sun_path minus its NUL).
  static constexpr size_t kMaxUnixPath = 107;

  std::string path;   // absolute unix socket path; empty for TCP
  std::string host;   // TCP host name or address (IPv6 without brackets)
  uint16_t port = 0;  // TCP port

  bool IsUnix() const { return !path.empty(); }
  // "scgi:///path/to/socket", "scgi://host:port" or "scgi://[::1]:port".
  std::string ToString() const;

  bool operator==(const Endpoint&) const = default;
};

// Parses the URL forms pyrocore takes: "scgi:///abs/path", a bare "/abs/path", "~/path"
// ("~" is `home`), "scgi+unix:///abs/path" (pyrosimple), "scgi://host:port" and a bare
// "host:port" (an IPv6 host in brackets). kInvalidArgument with the URL quoted for
// anything else, e.g. "scgi+ssh://..." (unsupported) or a relative path.
Result<Endpoint> ParseEndpoint(std::string_view url, const std::string& home);
// As above, with `home` from $HOME (else the password database).
Result<Endpoint> ParseEndpoint(std::string_view url);

// The SCGI URL an rtorrent.rc opens, as pyrocore detects it: the last
// network.scgi.open_local (or scgi_local) value as "scgi:///path" ("~" expanded), else
// the last network.scgi.open_port (or scgi_port) value as "scgi://host:port" (an empty
// host is 127.0.0.1); the unix socket is preferred. Understands "key = value" and
// "key=value", double quotes, '#' comments and '\' continuation lines (joined).
// `path` may start with "~/". kNotFound when the file cannot be read or opens no
// listener; kInvalidArgument ("<path>:<line>: ...") for a value that is an rTorrent
// expression such as (cat,...) or a relative socket path.
Result<std::string> ScgiUrlFromRtorrentRc(const std::string& path, const std::string& home);
// The same for the text of `file`, already read.
Result<std::string> ScgiUrlFromRtorrentRcText(std::string_view content, const std::string& file,
                                              const std::string& home);
// As above, with `home` from $HOME (else the password database).
Result<std::string> ScgiUrlFromRtorrentRc(const std::string& path);

}  // namespace torque::rtorrent
