// [server] database: a SQLite file, or a PostgreSQL connection URI shared by several nodes.
#pragma once

#include <string>
#include <string_view>

namespace torque {

// postgresql://… or postgres://… (libpq's URI schemes).
bool IsPostgresqlUri(std::string_view database);

// `database` fit for logs and STATS: a URI's password (user:PASSWORD@ or password=…) shown
// as ***; a file path as it is.
std::string RedactedDatabase(std::string_view database);

}  // namespace torque
