// TypeState: one job type's durable handler state, as a StateStore over the Store.
#pragma once

#include <map>
#include <string>

#include "jobs/handler_host.h"
#include "server/store.h"

namespace torque::server {

// Reads and writes the handler_state rows of one type. Thread-safe; `store` must outlive it.
class TypeState : public jobs::StateStore {
 public:
  TypeState(Store& store, std::string type) : store_(store), type_(std::move(type)) {}

  Result<std::map<std::string, std::string>> Load() override { return store_.HandlerState(type_); }
  Status Save(const std::map<std::string, std::string>& values) override {
    return store_.SetHandlerState(type_, values);
  }

 private:
  Store& store_;
  const std::string type_;
};

}  // namespace torque::server
