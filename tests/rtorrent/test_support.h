// Helpers shared by the rTorrent tests (and the tests of torque-cli rt): files, programs
// on PATH, and the server side of one SCGI request.
#pragma once

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>

namespace torque::testing {

// Whether `program` is an executable in one of $PATH's directories.
inline bool OnPath(const std::string& program) {
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path ? path : "");
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    if (!dir.empty() && access((dir + "/" + program).c_str(), X_OK) == 0) return true;
  }
  return false;
}

// The whole file ("" when it cannot be read).
inline std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// One SCGI request as a server reads it from a connection.
struct ScgiRequest {
  std::string raw;     // what arrived, the whole request when `complete`
  bool complete = false;
  size_t body_at = 0;  // where the body starts (when complete)
  std::string body() const { return complete ? raw.substr(body_at) : std::string(); }
};

// Reads one SCGI request (netstring headers, then CONTENT_LENGTH body bytes) from `fd`,
// up to the end of its body or of the connection.
inline ScgiRequest ReadScgiRequest(int fd) {
  ScgiRequest request;
  std::string& data = request.raw;
  char buffer[4096];
  size_t need = std::string::npos;
  while (need == std::string::npos || data.size() < need) {
    ssize_t n = read(fd, buffer, sizeof buffer);
    if (n <= 0) return request;
    data.append(buffer, static_cast<size_t>(n));
    size_t colon = data.find(':');
    if (need == std::string::npos && colon != std::string::npos) {
      size_t header_len = std::stoul(data.substr(0, colon));
      if (data.size() < colon + 1 + header_len) continue;
      std::string headers = data.substr(colon + 1, header_len);
      size_t body_len = std::stoul(headers.substr(headers.find('\0') + 1));
      request.body_at = colon + 1 + header_len + 1;
      need = request.body_at + body_len;
    }
  }
  request.complete = true;
  return request;
}

}  // namespace torque::testing
