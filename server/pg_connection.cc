#include "server/pg_connection.h"

#include <libpq-fe.h>
#include <poll.h>

#include <algorithm>
#include <charconv>
#include <stdexcept>

namespace torque::server::pg {

namespace {

// libpq's messages end in a newline (and may hold several lines): one line for logs.
std::string OneLine(const char* message) {
  std::string text = message ? message : "";
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  for (char& c : text) {
    if (c == '\n') c = ' ';
  }
  return text.empty() ? "unknown error" : text;
}

}  // namespace

Rows::Rows(pg_result* result) : result_(result) {}

void Rows::Free::operator()(pg_result* r) const { PQclear(r); }

int Rows::size() const { return PQntuples(result_.get()); }

int Rows::columns() const { return PQnfields(result_.get()); }

bool Rows::IsNull(int row, int column) const {
  return PQgetisnull(result_.get(), row, column) != 0;
}

std::string Rows::Text(int row, int column) const {
  return std::string(PQgetvalue(result_.get(), row, column),
                     static_cast<size_t>(PQgetlength(result_.get(), row, column)));
}

int64_t Rows::Int(int row, int column) const {
  if (IsNull(row, column)) return 0;
  const char* text = PQgetvalue(result_.get(), row, column);
  const char* end = text + PQgetlength(result_.get(), row, column);
  int64_t value = 0;
  auto [ptr, ec] = std::from_chars(text, end, value);
  if (ec != std::errc() || ptr != end) {
    throw std::logic_error("column " + std::string(PQfname(result_.get(), column)) +
                           " is not an integer: '" + std::string(text, end) + "'");
  }
  return value;
}

int64_t Rows::affected() const {
  const char* n = PQcmdTuples(result_.get());
  int64_t value = 0;
  std::from_chars(n, n + std::char_traits<char>::length(n), value);
  return value;
}

void Connection::Free::operator()(pg_conn* c) const { PQfinish(c); }

Connection::Connection(pg_conn* conn) : conn_(conn) {}
Connection::Connection(Connection&&) noexcept = default;
Connection& Connection::operator=(Connection&&) noexcept = default;
Connection::~Connection() = default;

Result<Connection> Connection::Open(const std::string& uri) {
  // Defaults first: the URI (expanded from dbname) overrides what comes before it.
  const char* keywords[] = {"connect_timeout", "application_name", "dbname", nullptr};
  const char* values[] = {"10", "torqued", uri.c_str(), nullptr};
  pg_conn* conn = PQconnectdbParams(keywords, values, /*expand_dbname=*/1);
  if (!conn) return Status::Unavailable("database unreachable: out of memory");
  Connection c(conn);
  // Notices ("relation … already exists, skipping") are not errors: not for stderr.
  PQsetNoticeProcessor(
      conn, [](void*, const char*) {}, nullptr);
  if (PQstatus(conn) != CONNECTION_OK) {
    return Status::Unavailable("database unreachable: " + OneLine(PQerrorMessage(conn)));
  }
  return c;
}

bool Connection::StillOpen() {
  // libpq's socket is non-blocking: each read takes what is there and returns. A closed
  // connection holds the server's last words, then the end: two reads see both.
  for (int i = 0; i < 2; ++i) {
    if (PQconsumeInput(conn_.get()) != 1) return false;
  }
  return !broken();
}

bool Connection::broken() const { return PQstatus(conn_.get()) != CONNECTION_OK; }

Result<Rows> Connection::Exec(std::string_view sql, const std::vector<Param>& params) {
  last_sqlstate_.clear();
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const Param& p : params) values.push_back(p ? p->c_str() : nullptr);
  const std::string statement(sql);
  Rows rows(PQexecParams(conn_.get(), statement.c_str(), static_cast<int>(values.size()),
                         /*paramTypes=*/nullptr, values.data(), /*paramLengths=*/nullptr,
                         /*paramFormats=*/nullptr, /*resultFormat=*/0));
  return Check(std::move(rows));
}

Result<std::vector<Connection::Notification>> Connection::Wait(int timeout_ms) {
  std::vector<Notification> out;
  const auto take = [&] {
    while (PGnotify* n = PQnotifies(conn_.get())) {
      out.push_back({n->relname, n->extra ? n->extra : ""});
      PQfreemem(n);
    }
  };
  const auto lost = [&] {
    return Status::Unavailable("database connection lost: " + OneLine(PQerrorMessage(conn_.get())));
  };
  take();  // those that arrived with an earlier statement's result
  if (!out.empty()) return out;
  pollfd pfd{PQsocket(conn_.get()), POLLIN, 0};
  if (pfd.fd < 0) return lost();
  if (::poll(&pfd, 1, timeout_ms) > 0) {
    if (PQconsumeInput(conn_.get()) == 0) return lost();
    take();
  }
  if (broken()) return lost();
  return out;
}

Result<std::vector<Rows>> Connection::Pipeline(const std::vector<Statement>& statements) {
  // A sync after every chunk: neither side's socket buffer fills up while the other one
  // waits for it to read (a deadlock in blocking mode).
  constexpr size_t kChunk = 256;
  last_sqlstate_.clear();
  pg_conn* conn = conn_.get();
  if (PQenterPipelineMode(conn) != 1) {
    return Status::Unavailable("database connection lost: " + OneLine(PQerrorMessage(conn)));
  }
  std::vector<Rows> out;
  Status failure;
  bool sent = true;
  for (size_t at = 0; at < statements.size() && sent && failure.ok(); at += kChunk) {
    const size_t end = std::min(statements.size(), at + kChunk);
    for (size_t i = at; i < end && sent; ++i) {
      const Statement& s = statements[i];
      std::vector<const char*> values;
      values.reserve(s.params.size());
      for (const Param& p : s.params) values.push_back(p ? p->c_str() : nullptr);
      sent = PQsendQueryParams(conn, s.sql.c_str(), static_cast<int>(values.size()), nullptr,
                               values.data(), nullptr, nullptr, 0) == 1;
    }
    if (sent) sent = PQpipelineSync(conn) == 1;
    // Every result up to the sync is read, also after a failure, so that the connection is
    // ready for the next statement. PQgetResult gives NULL after each statement's result.
    for (bool synced = !sent; !synced && !broken();) {
      PGresult* r = PQgetResult(conn);
      if (!r) continue;
      Rows rows(r);
      const ExecStatusType status = PQresultStatus(r);
      if (status == PGRES_PIPELINE_SYNC) {
        synced = true;
      } else if (status != PGRES_PIPELINE_ABORTED) {  // aborted: after a failure, not run
        Result<Rows> checked = Check(std::move(rows));
        if (checked.ok()) {
          out.push_back(std::move(*checked));
        } else if (failure.ok()) {
          failure = checked.status();
        }
      }
    }
  }
  PQexitPipelineMode(conn);
  if (!sent || broken()) {
    return Status::Unavailable("database connection lost: " + OneLine(PQerrorMessage(conn)));
  }
  if (!failure.ok()) return failure;
  return out;
}

Status Connection::ExecScript(const std::string& sql) {
  last_sqlstate_.clear();
  return Check(Rows(PQexec(conn_.get(), sql.c_str()))).status();
}

Result<Rows> Connection::Check(Rows rows) {
  const pg_result* result = rows.result_.get();
  const ExecStatusType status = result ? PQresultStatus(result) : PGRES_FATAL_ERROR;
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return rows;
  if (broken()) {
    return Status::Unavailable("database connection lost: " + OneLine(PQerrorMessage(conn_.get())));
  }
  const char* state = result ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
  last_sqlstate_ = state ? state : "";
  const char* message = result ? PQresultErrorField(result, PG_DIAG_MESSAGE_PRIMARY) : nullptr;
  return Status::IoError("PostgreSQL error " + (state ? last_sqlstate_ + ": " : std::string()) +
                         OneLine(message ? message : PQerrorMessage(conn_.get())));
}

}  // namespace torque::server::pg
