// JobTypes: the handlers of the active job types — built from a configuration, started with
// a host once the database is open, kept across reloads unless their type changed.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/config.h"
#include "core/status.h"
#include "jobs/handler.h"
#include "jobs/handler_env.h"
#include "server/dispatcher.h"
#include "server/intake.h"
#include "server/store.h"

namespace torque::server {

// The active job types that a new configuration adds, removes or changes. A type changes
// when its own settings do, or when what every handler may read does ([rtorrent], the
// [TORQUE] globals).
struct TypeChanges {
  std::vector<std::string> added, removed, changed, kept;
};
TypeChanges CompareTypes(const Config& before, const Config& after);

// Owns the handlers in effect and their hosts. Apply and StopAll are called from one
// thread at a time (the runtime's); handlers run on the dispatcher's workers.
class JobTypes {
 public:
  // Handlers built for one configuration, validated and not started.
  struct Plan {
    std::shared_ptr<const Config> config;
    std::map<std::string, std::shared_ptr<jobs::Handler>> handlers;  // active types
  };

  // Builds the handler of every active type of `env.config`; construction has no side
  // effects, so a plan may be dropped (a rejected reload, --check-config). The first
  // error (with the setting's file:line) when a handler cannot be made.
  static Result<Plan> Prepare(const jobs::HandlerEnv& env);

  // `store`, `intake` and the executor's context must outlive this.
  JobTypes(Store& store, Intake& intake, boost::asio::any_io_executor executor);
  ~JobTypes();  // StopAll()
  JobTypes(const JobTypes&) = delete;
  JobTypes& operator=(const JobTypes&) = delete;

  // Installs `plan`: the handler of a type that CompareTypes keeps goes on running (with
  // its state); handlers of removed and changed types are stopped, then those of added and
  // changed types started (a failed Start is logged; the type still takes jobs). Returns
  // the handlers in effect, for Dispatcher::Configure; `changes` (if given) gets what
  // CompareTypes said about the previous and the new configuration.
  Dispatcher::Handlers Apply(Plan plan, TypeChanges* changes = nullptr);

  // Stops every handler (at shutdown). Idempotent.
  void StopAll();

 private:
  struct Entry;
  class Sink;

  Store& store_;
  Intake& intake_;
  boost::asio::any_io_executor executor_;
  std::shared_ptr<const Config> config_;  // of the handlers in effect
  std::map<std::string, std::unique_ptr<Entry>> entries_;
};

}  // namespace torque::server
