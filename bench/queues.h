// The systems under test behind one interface: torque (its client library), beanstalkd (its
// text protocol), Redis (RESP lists) and raw SQLite (torque's own jobs table, no daemon).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/status.h"

namespace torque::bench {

enum class System { kTorque, kBeanstalkd, kRedis, kSqlite };

// Where a system listens: "torque=SOCKET", "beanstalkd=PORT", "redis=PORT", "sqlite=DBFILE".
struct Target {
  System system = System::kTorque;
  std::string name;     // "torque", "beanstalkd", "redis", "sqlite"
  std::string path;     // torque: socket; sqlite: database file
  int port = 0;         // beanstalkd, redis (always on 127.0.0.1)

  // kInvalidArgument for an unknown system or a bad port.
  static Result<Target> Parse(const std::string& text);
};

// One connection that enqueues durable jobs. Used by one thread.
class Producer {
 public:
  virtual ~Producer() = default;
  // Enqueues one job per payload into the queue given at Connect. With several payloads all
  // requests are sent before any reply is read (pipelining; raw SQLite: one transaction).
  // Returns the id of the last job (0 where a system has no ids); an error on any failure.
  virtual Result<int64_t> Put(const std::vector<std::string>& payloads) = 0;
};

// One connection that takes jobs off a queue and acknowledges them (beanstalkd: reserve then
// delete; Redis: BRPOP). Used by one thread. Not available for torque and raw SQLite (torque
// runs its jobs itself).
class Consumer {
 public:
  struct Taken {
    std::string payload;
    int64_t received_ns = 0;  // NowNs() when the job arrived, before it was acknowledged
  };
  virtual ~Consumer() = default;
  // Blocks until a job arrives, acknowledges it and returns it.
  virtual Result<Taken> Take() = 0;
};

// Connects a producer to `queue` (torque: a job type; beanstalkd: a tube; Redis: a list key;
// raw SQLite: the type column, the schema is created when missing).
Result<std::unique_ptr<Producer>> ConnectProducer(const Target& target, const std::string& queue);

// Connects a consumer to `queue`. kInvalidArgument for torque and raw SQLite.
Result<std::unique_ptr<Consumer>> ConnectConsumer(const Target& target, const std::string& queue);

// Waits up to timeout_ms until the system answers (torque: PING; beanstalkd: stats;
// Redis: PING). kUnavailable when it never does.
Status WaitReady(const Target& target, int64_t timeout_ms);

}  // namespace torque::bench
