#include "server/pg_migrate.h"

#include <string>

#include "core/migrations.h"

namespace torque::server::pg {

namespace {

// pg_advisory_xact_lock's key for migrations: "torque" in ASCII.
constexpr const char* kMigrationLock = "127970698868325";

Status Apply(Connection& db, std::span<const EmbeddedFile> files) {
  if (auto st = db.Exec("SELECT pg_advisory_xact_lock($1::bigint)", {kMigrationLock}); !st.ok()) {
    return st.status();
  }
  if (Status st = db.ExecScript(
          "CREATE TABLE IF NOT EXISTS torque_schema_version (version integer NOT NULL);"
          "INSERT INTO torque_schema_version SELECT 0"
          " WHERE NOT EXISTS (SELECT 1 FROM torque_schema_version)");
      !st.ok()) {
    return st;
  }
  auto row = db.Exec("SELECT version FROM torque_schema_version");
  if (!row.ok()) return row.status();
  const int version = static_cast<int>(row->Int(0, 0));
  auto pending = PendingMigrations(files, version, "the database");
  if (!pending.ok()) return pending.status();
  if (pending->empty()) return Status::Ok();
  for (const EmbeddedFile& file : *pending) {
    if (Status st = db.ExecScript(std::string(file.text)); !st.ok()) {
      const std::string what = "migration " + std::string(file.name) + " failed: " + st.message();
      return st.code() == Status::Code::kUnavailable ? Status::Unavailable(what)
                                                     : Status::IoError(what);
    }
  }
  auto set = db.Exec("UPDATE torque_schema_version SET version = $1::int",
                     {std::to_string(files.size())});
  return set.status();
}

}  // namespace

Status Migrate(Connection& db, std::span<const EmbeddedFile> files) {
  if (Status st = db.ExecScript("BEGIN"); !st.ok()) return st;
  Status st = Apply(db, files);
  if (st.ok()) st = db.ExecScript("COMMIT");
  if (!st.ok() && !db.broken()) (void)db.ExecScript("ROLLBACK");
  return st;
}

}  // namespace torque::server::pg
