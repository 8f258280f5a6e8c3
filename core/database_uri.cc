#include "core/database_uri.h"

namespace torque {

bool IsPostgresqlUri(std::string_view database) {
  return database.starts_with("postgresql://") || database.starts_with("postgres://");
}

std::string RedactedDatabase(std::string_view database) {
  std::string out(database);
  if (!IsPostgresqlUri(database)) return out;
  // user:password@ in the authority (before the first '/', '?' or '#' after "://").
  const size_t start = out.find("://") + 3;
  const size_t end = out.find_first_of("/?#", start);
  const size_t at = out.rfind('@', end == std::string::npos ? out.size() : end);
  if (at != std::string::npos && at >= start) {
    const size_t colon = out.find(':', start);
    if (colon != std::string::npos && colon < at) out.replace(colon + 1, at - colon - 1, "***");
  }
  // password=… among the query parameters.
  for (size_t p = out.find("password="); p != std::string::npos; p = out.find("password=", p + 1)) {
    if (p == 0 || (out[p - 1] != '?' && out[p - 1] != '&')) continue;
    const size_t value = p + 9;
    const size_t stop = out.find('&', value);
    out.replace(value, (stop == std::string::npos ? out.size() : stop) - value, "***");
  }
  return out;
}

}  // namespace torque
