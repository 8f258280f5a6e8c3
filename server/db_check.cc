#include "server/db_check.h"

#include <SQLiteCpp/SQLiteCpp.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cstring>
#include <optional>
#include <vector>

namespace torque::server {
namespace {

// The file format: https://www.sqlite.org/fileformat2.html#database_header
constexpr size_t kHeaderSize = 100;
constexpr char kMagic[] = "SQLite format 3";  // and its NUL: 16 bytes

uint32_t Be32(const unsigned char* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}

Status Damaged(const std::string& path, const std::string& why) {
  return Status::IoError("database " + path + " is damaged: " + why +
                         "; it was left as it is (restore a backup, or salvage what is left "
                         "with: sqlite3 " +
                         path + " .recover | sqlite3 NEW.db)");
}

// Size of `path`, or nullopt when it is not a regular file that can be looked at.
std::optional<int64_t> FileSize(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return std::optional<int64_t>();
  return std::optional<int64_t>(st.st_size);
}

// The header and the file size, read without SQLite: a damaged header is reported by
// what is wrong with it, not as SQLite's "file is not a database".
Status CheckHeader(const std::string& path, int64_t size, bool wal_pending) {
  if (size < static_cast<int64_t>(kHeaderSize)) {
    return Damaged(path, "it is " + std::to_string(size) + " bytes, shorter than the " +
                             std::to_string(kHeaderSize) + "-byte header");
  }
  std::array<unsigned char, kHeaderSize> h{};
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::Ok();  // left to the store's open to report
  const ssize_t n = ::pread(fd, h.data(), h.size(), 0);
  ::close(fd);
  if (n != static_cast<ssize_t>(h.size())) return Status::Ok();
  if (std::memcmp(h.data(), kMagic, sizeof kMagic) != 0) {
    return Damaged(path, "it does not start with the SQLite header");
  }
  const uint32_t raw_page = (uint32_t{h[16]} << 8) | h[17];
  const int64_t page = raw_page == 1 ? 65536 : raw_page;
  if (page < 512 || (page & (page - 1)) != 0) {
    return Damaged(path, "the header's page size " + std::to_string(raw_page) + " is invalid");
  }
  if (h[21] != 64 || h[22] != 32 || h[23] != 32) {
    return Damaged(path, "the header's payload fractions are invalid");
  }
  // SQLite writes whole pages only, and a checkpoint that empties the WAL truncates the
  // file to the page count it writes into the header.
  if (size % page != 0) {
    return Damaged(path, "its size " + std::to_string(size) + " is not a whole number of " +
                             std::to_string(page) + "-byte pages (truncated?)");
  }
  const uint32_t pages = Be32(&h[28]);
  const bool count_valid = Be32(&h[24]) == Be32(&h[92]) && pages > 0;
  // With WAL frames not yet checkpointed the file may lag behind the header.
  if (count_valid && !wal_pending && static_cast<int64_t>(pages) * page > size) {
    return Damaged(path, "the header counts " + std::to_string(pages) + " pages but the file " +
                             "holds " + std::to_string(size / page) + " (truncated)");
  }
  return Status::Ok();
}

// Reads the first and the last row of every table: cheap (a root-to-leaf path each), and
// it finds a damaged root or end page, and a schema that does not parse. `step` says what
// it is doing, for the message should SQLite throw.
void ReadTableEnds(SQLite::Database& db, std::string& step) {
  struct Table {
    std::string name;
    bool rowid;
  };
  std::vector<Table> tables;
  SQLite::Statement q(db,
                      "SELECT name, upper(sql) FROM sqlite_schema "
                      "WHERE type = 'table' AND rootpage > 0");
  while (q.executeStep()) {
    const std::string sql = q.getColumn(1).getString();
    tables.push_back({q.getColumn(0).getString(), sql.find("WITHOUT ROWID") == std::string::npos});
  }
  for (const Table& t : tables) {
    step = "reading table " + t.name;
    std::string quoted = "\"";
    for (char c : t.name) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
    quoted += "\"";
    if (t.rowid) {
      db.exec("SELECT * FROM " + quoted + " ORDER BY rowid LIMIT 1");
      db.exec("SELECT * FROM " + quoted + " ORDER BY rowid DESC LIMIT 1");
    } else {
      db.exec("SELECT * FROM " + quoted + " LIMIT 1");
    }
  }
}

// PRAGMA quick_check or integrity_check: "" when ok, else the first problems.
std::string RunCheck(SQLite::Database& db, bool full) {
  SQLite::Statement q(db, full ? "PRAGMA integrity_check(3)" : "PRAGMA quick_check(3)");
  std::string problems;
  while (q.executeStep()) {
    const std::string line = q.getColumn(0).getString();
    if (line == "ok") continue;
    problems += (problems.empty() ? "" : "; ") + line;
  }
  return problems;
}

}  // namespace

Status CheckDatabaseFile(const std::string& path, const DbCheckOptions& options) {
  const std::optional<int64_t> size = FileSize(path);
  if (!size && options.full) return Status::NotFound(path + " does not exist");
  if (!size) return Status::Ok();  // a new database (or not a file: the open says so)
  const std::optional<int64_t> wal = FileSize(path + "-wal");
  const bool wal_pending = wal && *wal > 0;
  // An empty file is what SQLite itself makes of a new database: nothing in it to lose.
  if (*size == 0 && !wal_pending) return Status::Ok();
  if (*size > 0) {
    if (Status s = CheckHeader(path, *size, wal_pending); !s.ok()) return s;
  }
  std::string step = "reading the schema";
  try {
    // Read-only: it never writes the file, nor checkpoints a WAL left by a crash into it.
    SQLite::Database db(path, SQLite::OPEN_READONLY);
    ReadTableEnds(db, step);
    if (options.full || *size <= options.quick_check_max_bytes) {
      step = options.full ? "integrity_check" : "quick_check";
      std::string problems = RunCheck(db, options.full);
      if (!problems.empty()) return Damaged(path, problems);
    }
  } catch (const SQLite::Exception& e) {
    const int code = e.getErrorCode() & 0xff;
    if (code == SQLITE_CORRUPT || code == SQLITE_NOTADB) {
      return Damaged(path, step + ": " + e.what());
    }
    // Unreadable (permissions, a read-only file system, I/O): not a verdict on the
    // contents; opening it for writing reports that with the reason.
    if (options.full) return Status::IoError("cannot check " + path + ": " + e.what());
  }
  return Status::Ok();
}

}  // namespace torque::server
