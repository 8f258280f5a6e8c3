// DbCheck: looks at an existing database file before torqued opens it for writing, so a
// damaged file is refused with the reason instead of being written to or started afresh.
#pragma once

#include <cstdint>
#include <string>

#include "core/status.h"

namespace torque::server {

// How much checking a start can afford.
struct DbCheckOptions {
  // PRAGMA quick_check reads every page: measured at 1 000 000 jobs (119 MB) on the 2-core
  // VM it takes 2.8 s with the file cached and 12.5 s cold, too long for every start. It
  // runs on files up to this size (about 250 000 jobs); larger ones get the cheap checks.
  int64_t quick_check_max_bytes = int64_t{32} << 20;
  // PRAGMA integrity_check (indexes against tables too) whatever the size, and a file
  // that is missing or cannot be read is an error too: torqued --check-db.
  bool full = false;
};

// Checks the database file at `path` without writing to it (only SQLite's empty -wal and
// -shm companions may appear): the 100-byte header (magic, page size), the file size
// against the page size and the header's page count, that the schema parses, that every
// table's first and last rows read, then quick_check or integrity_check as `options` say.
// Returns kIoError "database P is damaged: <why>; it was left as it is (...)" when it is;
// otherwise Ok, also when the file does not exist or is empty (a new database) and when it
// cannot be read (permissions, read-only file system: the store's open reports those),
// unless options.full: then kNotFound "P does not exist" or kIoError "cannot check P: ...".
// Any thread.
Status CheckDatabaseFile(const std::string& path, const DbCheckOptions& options = {});

}  // namespace torque::server
