#include "bench/queues.h"

#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <initializer_list>
#include <cstdlib>
#include <thread>

#include "bench/bench_util.h"
#include "core/embedded.h"
#include "torque/client.h"

namespace torque::bench {
namespace {

// ---- torque -------------------------------------------------------------------------------

// Submits `<type> <payload>` lines through the client library; ACK means committed.
class TorqueProducer : public Producer {
 public:
  TorqueProducer(client::Client c, std::string type)
      : client_(std::move(c)), type_(std::move(type)) {}

  Result<int64_t> Put(const std::vector<std::string>& payloads) override {
    lines_.clear();
    for (const auto& p : payloads) lines_.push_back(type_ + " " + p);
    if (lines_.size() == 1) {
      auto reply = client_.Call(lines_.front());
      if (!reply.ok()) return reply.status();
      return Check(*reply);
    }
    auto replies = client_.CallMany(lines_);
    if (!replies.ok()) return replies.status();
    int64_t last = 0;
    for (const auto& r : *replies) {
      auto id = Check(r);
      if (!id.ok()) return id;
      last = *id;
    }
    return last;
  }

 private:
  static Result<int64_t> Check(const protocol::Reply& r) {
    if (r.kind != protocol::Reply::Kind::kAck) {
      return Status::Internal("torqued did not ACK: " + client::StatusFromReply(r).message());
    }
    return static_cast<int64_t>(r.id);
  }

  client::Client client_;
  std::string type_;
  std::vector<std::string> lines_;
};

// ---- beanstalkd ---------------------------------------------------------------------------

// Sends `command` and checks that the reply line starts with `expect`.
Status Expect(Conn& c, const std::string& command, std::string_view expect) {
  if (Status s = c.Send(command); !s.ok()) return s;
  auto line = c.Line();
  if (!line.ok()) return line.status();
  if (line->compare(0, expect.size(), expect) != 0) {
    return Status::Internal("beanstalkd answered '" + *line + "' to " + command);
  }
  return Status::Ok();
}

// `put`s into the tube chosen with `use` at connect; INSERTED comes after the binlog write.
class BeanstalkProducer : public Producer {
 public:
  explicit BeanstalkProducer(Conn c) : conn_(std::move(c)) {}

  Result<int64_t> Put(const std::vector<std::string>& payloads) override {
    out_.clear();
    for (const auto& p : payloads) {
      // put <pri> <delay> <ttr> <bytes>
      out_ += "put 0 0 60 " + std::to_string(p.size()) + "\r\n" + p + "\r\n";
    }
    if (Status s = conn_.Send(out_); !s.ok()) return s;
    int64_t last = 0;
    for (size_t i = 0; i < payloads.size(); ++i) {
      auto line = conn_.Line();
      if (!line.ok()) return line.status();
      if (line->rfind("INSERTED ", 0) != 0) {
        return Status::Internal("beanstalkd answered '" + *line + "' to put");
      }
      last = std::strtoll(line->c_str() + 9, nullptr, 10);
    }
    return last;
  }

 private:
  Conn conn_;
  std::string out_;
};

// `reserve`s from the watched tube and `delete`s each job.
class BeanstalkConsumer : public Consumer {
 public:
  explicit BeanstalkConsumer(Conn c) : conn_(std::move(c)) {}

  Result<Taken> Take() override {
    if (Status s = conn_.Send("reserve\r\n"); !s.ok()) return s;
    auto line = conn_.Line();
    if (!line.ok()) return line.status();
    const int64_t received = NowNs();
    // RESERVED <id> <bytes>
    if (line->rfind("RESERVED ", 0) != 0) {
      return Status::Internal("beanstalkd answered '" + *line + "' to reserve");
    }
    char* end = nullptr;
    const long long id = std::strtoll(line->c_str() + 9, &end, 10);
    const size_t bytes = std::strtoull(end, nullptr, 10);
    auto body = conn_.Bytes(bytes + 2);
    if (!body.ok()) return body.status();
    body->resize(bytes);
    if (Status s = Expect(conn_, "delete " + std::to_string(id) + "\r\n", "DELETED"); !s.ok()) {
      return s;
    }
    return Taken{std::move(*body), received};
  }

 private:
  Conn conn_;
};

// ---- Redis --------------------------------------------------------------------------------

std::string Resp(std::initializer_list<std::string_view> args) {
  std::string out = "*";
  out += std::to_string(args.size());
  out += "\r\n";
  for (auto a : args) {
    out += '$';
    out += std::to_string(a.size());
    out += "\r\n";
    out += a;
    out += "\r\n";
  }
  return out;
}

// One RESP reply, flattened: the texts of its scalar parts in order.
Result<std::vector<std::string>> ReadResp(Conn& c) {
  std::vector<std::string> out;
  int64_t pending = 1;  // values still to read (arrays add their elements)
  while (pending-- > 0) {
    auto line = c.Line();
    if (!line.ok()) return line.status();
    if (line->empty()) return Status::Internal("empty RESP line");
    const char kind = (*line)[0];
    std::string rest = line->substr(1);
    switch (kind) {
      case '+':
      case ':':
        out.push_back(std::move(rest));
        break;
      case '-':
        return Status::Internal("redis error: " + rest);
      case '$': {
        const long long n = std::strtoll(rest.c_str(), nullptr, 10);
        if (n < 0) {
          out.emplace_back();
          break;
        }
        auto bulk = c.Bytes(static_cast<size_t>(n) + 2);
        if (!bulk.ok()) return bulk.status();
        bulk->resize(static_cast<size_t>(n));
        out.push_back(std::move(*bulk));
        break;
      }
      case '*':
        pending += std::max(0LL, std::strtoll(rest.c_str(), nullptr, 10));
        break;
      default:
        return Status::Internal("unexpected RESP line '" + *line + "'");
    }
  }
  return out;
}

// LPUSHes onto a list; with appendfsync always the reply comes after the AOF fsync.
class RedisProducer : public Producer {
 public:
  RedisProducer(Conn c, std::string key) : conn_(std::move(c)), key_(std::move(key)) {}

  Result<int64_t> Put(const std::vector<std::string>& payloads) override {
    out_.clear();
    for (const auto& p : payloads) out_ += Resp({"LPUSH", key_, p});
    if (Status s = conn_.Send(out_); !s.ok()) return s;
    for (size_t i = 0; i < payloads.size(); ++i) {
      auto reply = ReadResp(conn_);
      if (!reply.ok()) return reply.status();
    }
    return int64_t{0};
  }

 private:
  Conn conn_;
  std::string key_;
  std::string out_;
};

// BRPOPs from a list (FIFO with LPUSH); popping is the acknowledgement.
class RedisConsumer : public Consumer {
 public:
  RedisConsumer(Conn c, std::string key)
      : conn_(std::move(c)), request_(Resp({"BRPOP", key, "0"})) {}

  Result<Taken> Take() override {
    if (Status s = conn_.Send(request_); !s.ok()) return s;
    auto reply = ReadResp(conn_);
    const int64_t received = NowNs();
    if (!reply.ok()) return reply.status();
    if (reply->size() != 2) return Status::Internal("unexpected BRPOP reply");
    return Taken{std::move((*reply)[1]), received};
  }

 private:
  Conn conn_;
  std::string request_;
};

// ---- raw SQLite ---------------------------------------------------------------------------

// Inserts rows the way torqued's store does, without a daemon: one transaction per Put.
class SqliteProducer : public Producer {
 public:
  ~SqliteProducer() override {
    sqlite3_finalize(insert_);
    sqlite3_finalize(begin_);
    sqlite3_finalize(commit_);
    sqlite3_close(db_);
  }

  static Result<std::unique_ptr<Producer>> Open(const std::string& path, std::string type) {
    auto p = std::unique_ptr<SqliteProducer>(new SqliteProducer(std::move(type)));
    if (sqlite3_open_v2(path.c_str(), &p->db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                        nullptr) != SQLITE_OK) {
      return p->Error("open " + path);
    }
    sqlite3_busy_timeout(p->db_, 10'000);
    if (Status s = p->Exec("PRAGMA journal_mode = WAL"); !s.ok()) return s;
    if (Status s = p->Exec("PRAGMA synchronous = FULL"); !s.ok()) return s;
    // The schema torqued creates (same table, same indexes), applied once.
    sqlite3_stmt* version = nullptr;
    sqlite3_prepare_v2(p->db_, "PRAGMA user_version", -1, &version, nullptr);
    const bool fresh = sqlite3_step(version) == SQLITE_ROW && sqlite3_column_int(version, 0) == 0;
    sqlite3_finalize(version);
    if (fresh) {
      for (const auto& file : embedded::schema_sql()) {
        if (Status s = p->Exec(std::string(file.text)); !s.ok()) return s;
      }
      if (Status s = p->Exec("PRAGMA user_version = 1"); !s.ok()) return s;
    }
    // The statement torqued's store runs per submission.
    if (sqlite3_prepare_v2(p->db_,
                           "INSERT INTO jobs (type, args, priority, run_at, max_attempts, "
                           "timeout_ms, unique_key, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, "
                           "?7, ?8)",
                           -1, &p->insert_, nullptr) != SQLITE_OK ||
        sqlite3_prepare_v2(p->db_, "BEGIN IMMEDIATE", -1, &p->begin_, nullptr) != SQLITE_OK ||
        sqlite3_prepare_v2(p->db_, "COMMIT", -1, &p->commit_, nullptr) != SQLITE_OK) {
      return p->Error("prepare");
    }
    return std::unique_ptr<Producer>(std::move(p));
  }

  Result<int64_t> Put(const std::vector<std::string>& payloads) override {
    if (Step(begin_) != SQLITE_DONE) return Error("BEGIN");
    const int64_t now_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(
            std::chrono::system_clock::now().time_since_epoch())
            .count();
    for (const auto& payload : payloads) {
      sqlite3_bind_text(insert_, 1, type_.data(), static_cast<int>(type_.size()), SQLITE_STATIC);
      sqlite3_bind_text(insert_, 2, payload.data(), static_cast<int>(payload.size()),
                        SQLITE_STATIC);
      sqlite3_bind_int64(insert_, 3, 0);
      sqlite3_bind_int64(insert_, 4, now_ms);
      sqlite3_bind_int64(insert_, 5, 1);
      sqlite3_bind_int64(insert_, 6, 0);
      sqlite3_bind_null(insert_, 7);
      sqlite3_bind_int64(insert_, 8, now_ms);
      if (Step(insert_) != SQLITE_DONE) {
        Status s = Error("INSERT");
        Exec("ROLLBACK");
        return s;
      }
    }
    if (Step(commit_) != SQLITE_DONE) {
      Status s = Error("COMMIT");
      Exec("ROLLBACK");
      return s;
    }
    return static_cast<int64_t>(sqlite3_last_insert_rowid(db_));
  }

 private:
  explicit SqliteProducer(std::string type) : type_(std::move(type)) {}

  static int Step(sqlite3_stmt* stmt) {
    const int rc = sqlite3_step(stmt);
    sqlite3_reset(stmt);
    return rc;
  }
  Status Exec(const std::string& sql) {
    char* message = nullptr;
    if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &message) == SQLITE_OK) {
      return Status::Ok();
    }
    std::string text = message ? message : "?";
    sqlite3_free(message);
    return Status::IoError("sqlite: " + text);
  }
  Status Error(const std::string& what) const {
    return Status::IoError("sqlite " + what + ": " + (db_ ? sqlite3_errmsg(db_) : "no memory"));
  }

  std::string type_;
  sqlite3* db_ = nullptr;
  sqlite3_stmt* insert_ = nullptr;
  sqlite3_stmt* begin_ = nullptr;
  sqlite3_stmt* commit_ = nullptr;
};

}  // namespace

Result<Target> Target::Parse(const std::string& text) {
  auto pair = SplitPair(text, "target");
  if (!pair.ok()) return pair.status();
  Target t;
  t.name = pair->first;
  const std::string& where = pair->second;
  if (t.name == "torque" || t.name == "sqlite") {
    t.system = t.name == "torque" ? System::kTorque : System::kSqlite;
    t.path = where;
    if (where.empty()) return Status::InvalidArgument("target " + t.name + " needs a path");
    return t;
  }
  if (t.name == "beanstalkd" || t.name == "redis") {
    t.system = t.name == "redis" ? System::kRedis : System::kBeanstalkd;
    char* end = nullptr;
    const long port = std::strtol(where.c_str(), &end, 10);
    if (where.empty() || *end != '\0' || port < 1 || port > 65535) {
      return Status::InvalidArgument("invalid port '" + where + "' for " + t.name);
    }
    t.port = static_cast<int>(port);
    return t;
  }
  return Status::InvalidArgument("unknown system '" + t.name +
                                 "' (expected torque, beanstalkd, redis or sqlite)");
}

Result<std::unique_ptr<Producer>> ConnectProducer(const Target& target, const std::string& queue) {
  switch (target.system) {
    case System::kTorque: {
      auto c = client::Client::Connect(target.path);
      if (!c.ok()) return c.status();
      return std::unique_ptr<Producer>(new TorqueProducer(std::move(*c), queue));
    }
    case System::kBeanstalkd: {
      auto c = Conn::Tcp(target.port);
      if (!c.ok()) return c.status();
      if (Status s = Expect(*c, "use " + queue + "\r\n", "USING"); !s.ok()) return s;
      return std::unique_ptr<Producer>(new BeanstalkProducer(std::move(*c)));
    }
    case System::kRedis: {
      auto c = Conn::Tcp(target.port);
      if (!c.ok()) return c.status();
      return std::unique_ptr<Producer>(new RedisProducer(std::move(*c), queue));
    }
    case System::kSqlite:
      return SqliteProducer::Open(target.path, queue);
  }
  return Status::Internal("unknown system");
}

Result<std::unique_ptr<Consumer>> ConnectConsumer(const Target& target, const std::string& queue) {
  switch (target.system) {
    case System::kBeanstalkd: {
      auto c = Conn::Tcp(target.port);
      if (!c.ok()) return c.status();
      if (Status s = Expect(*c, "watch " + queue + "\r\n", "WATCHING"); !s.ok()) return s;
      if (Status s = Expect(*c, "ignore default\r\n", "WATCHING"); !s.ok()) return s;
      return std::unique_ptr<Consumer>(new BeanstalkConsumer(std::move(*c)));
    }
    case System::kRedis: {
      auto c = Conn::Tcp(target.port);
      if (!c.ok()) return c.status();
      return std::unique_ptr<Consumer>(new RedisConsumer(std::move(*c), queue));
    }
    default:
      return Status::InvalidArgument(target.name + " has no consumer in this benchmark");
  }
}

Status WaitReady(const Target& target, int64_t timeout_ms) {
  const int64_t deadline = NowNs() + timeout_ms * 1'000'000;
  Status last;
  for (;;) {
    last = [&]() -> Status {
      switch (target.system) {
        case System::kTorque: {
          auto c = client::Client::Connect(target.path, 2'000);
          if (!c.ok()) return c.status();
          auto r = c->Call("PING");
          if (!r.ok()) return r.status();
          return r->payload == "pong" ? Status::Ok() : Status::Internal("PING: no pong");
        }
        case System::kBeanstalkd: {
          auto c = Conn::Tcp(target.port);
          if (!c.ok()) return c.status();
          return Expect(*c, "use default\r\n", "USING");
        }
        case System::kRedis: {
          auto c = Conn::Tcp(target.port);
          if (!c.ok()) return c.status();
          if (Status s = c->Send(Resp({"PING"})); !s.ok()) return s;
          auto r = ReadResp(*c);
          if (!r.ok()) return r.status();  // e.g. "-LOADING": not ready yet
          return Status::Ok();
        }
        case System::kSqlite:
          return Status::Ok();
      }
      return Status::Internal("unknown system");
    }();
    if (last.ok()) return last;
    if (NowNs() > deadline) {
      return Status::Unavailable(target.name + " not ready after " + std::to_string(timeout_ms) +
                                 " ms: " + last.message());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

}  // namespace torque::bench
