// Schema migrations of a PostgreSQL database shared by several torqued.
#pragma once

#include <span>

#include "core/embedded.h"
#include "core/status.h"
#include "server/pg_connection.h"

namespace torque::server::pg {

// Applies the migrations of `files` (named NNNN_*.sql, in order) that the database has not
// seen, all in one transaction under an advisory lock: nodes starting together apply each
// migration once (the others wait, then find nothing to do), and a failure part way leaves
// the database at its old version (PostgreSQL's DDL is transactional). The version is kept
// in the one-row table torque_schema_version. kFailedPrecondition for a database newer than
// `files`; kInternal for a misnamed file; the connection's errors otherwise, naming the
// migration that failed.
Status Migrate(Connection& db, std::span<const EmbeddedFile> files);

}  // namespace torque::server::pg
