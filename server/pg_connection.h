// PgConnection: one libpq connection to PostgreSQL, parameterised statements, and errors as
// Status. The PostgreSQL store's building block: small RAII owners of libpq's PGconn and
// PGresult, nothing more (no pool, no retry: the store decides those).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

struct pg_conn;
struct pg_result;

namespace torque::server::pg {

// A statement parameter as text (PostgreSQL casts it to the column's type), or SQL NULL.
using Param = std::optional<std::string>;

// The rows a statement returned (none for most writes) and how many rows it changed.
class Rows {
 public:
  explicit Rows(pg_result* result);

  int size() const;
  int columns() const;
  bool IsNull(int row, int column) const;
  // The value as PostgreSQL's text form ("" for NULL).
  std::string Text(int row, int column) const;
  // The value of an integer column; 0 for NULL. Throws std::logic_error for a value that
  // is not an integer (a bug in the statement).
  int64_t Int(int row, int column) const;
  // Rows an INSERT, UPDATE or DELETE changed (PQcmdTuples); 0 for other statements.
  int64_t affected() const;

 private:
  friend class Connection;
  struct Free {
    void operator()(pg_result* r) const;
  };
  std::unique_ptr<pg_result, Free> result_;
};

class Connection {
 public:
  // Connects to `uri` (a libpq connection URI or keyword string). Unless the URI says
  // otherwise, a connection attempt gives up after 10 s and is named "torqued" in
  // pg_stat_activity. kUnavailable (with libpq's reason) when it cannot connect.
  static Result<Connection> Open(const std::string& uri);

  Connection(Connection&&) noexcept;
  Connection& operator=(Connection&&) noexcept;
  ~Connection();

  // Runs one statement (no `;`-separated lists) with $1, $2, … bound to `params`.
  // kUnavailable when the connection is lost (also marks it broken()), kIoError for an error
  // the server reported, with its SQLSTATE in the message and in last_sqlstate().
  Result<Rows> Exec(std::string_view sql, const std::vector<Param>& params = {});

  // One statement of a Pipeline.
  struct Statement {
    std::string sql;
    std::vector<Param> params;
  };
  // Sends `statements` at once and reads their results after: one round trip to the server
  // instead of one each (libpq's pipeline mode). The rows of each, in order; on the first
  // failure its error, as for Exec (the statements after it did not run).
  Result<std::vector<Rows>> Pipeline(const std::vector<Statement>& statements);

  // Runs `sql`, which may hold several `;`-separated statements and no parameters (a
  // migration file), as one simple query. Errors as for Exec.
  Status ExecScript(const std::string& sql);

  // A NOTIFY this connection LISTENs to.
  struct Notification {
    std::string channel;
    std::string payload;
  };
  // Waits up to `timeout_ms` for notifications (returns at once when some arrived earlier)
  // and returns those received, possibly none. kUnavailable when the connection is lost.
  Result<std::vector<Notification>> Wait(int timeout_ms);

  // Reads what the server sent while the connection was idle, without waiting: false when
  // it was closed meanwhile (a server restart terminates every connection).
  bool StillOpen();

  // The connection is gone (server restart, network): drop it and open a new one.
  bool broken() const;
  // The SQLSTATE of the last failed Exec ("" after a success or a lost connection), e.g.
  // "23505" for a unique violation.
  const std::string& last_sqlstate() const { return last_sqlstate_; }

 private:
  struct Free {
    void operator()(pg_conn* c) const;
  };
  explicit Connection(pg_conn* conn);
  // Exec's and ExecScript's verdict on a result.
  Result<Rows> Check(Rows rows);

  std::unique_ptr<pg_conn, Free> conn_;
  std::string last_sqlstate_;
};

}  // namespace torque::server::pg
