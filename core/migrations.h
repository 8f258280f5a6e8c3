// Which schema migrations a database still needs: shared by the SQLite and PostgreSQL stores.
#pragma once

#include <span>
#include <string>

#include "core/embedded.h"
#include "core/status.h"

namespace torque {

// The migrations of `files` (named NNNN_*.sql, numbered from 1, in order) after `version`,
// the last one the database has seen. kFailedPrecondition for a database newer than
// `files` (`database` names it in the message: "database /var/lib/torque.db", "the
// database"); kInternal for a file not named after its number.
Result<std::span<const EmbeddedFile>> PendingMigrations(std::span<const EmbeddedFile> files,
                                                        int version, const std::string& database);

}  // namespace torque
