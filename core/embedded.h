// Text files compiled into the binaries (see cmake/Embed.cmake).
#pragma once

#include <span>
#include <string_view>

namespace torque {

// One embedded file: its base name and its whole text.
struct EmbeddedFile {
  std::string_view name;
  std::string_view text;
};

namespace embedded {
// schema/NNNN_*.sql in migration order (library torque_schema).
std::span<const EmbeddedFile> schema_sql();
// schema_pg/NNNN_*.sql, the PostgreSQL store's migrations (library torque_schema_pg).
std::span<const EmbeddedFile> schema_pg_sql();
// etc/torque.ini, the compiled-in defaults (library torque_default_config).
std::span<const EmbeddedFile> default_config();
}  // namespace embedded

}  // namespace torque
