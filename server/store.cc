#include "server/store.h"

#include <future>
#include <memory>
#include <utility>

namespace torque::server {

Result<std::vector<InsertResult>> Store::Insert(std::vector<NewJob> jobs) {
  using Inserted = Result<std::vector<InsertResult>>;
  // Shared with the callback, which may still be returning from set_value when get() does.
  auto done = std::make_shared<std::promise<Inserted>>();
  std::future<Inserted> result = done->get_future();
  InsertAsync(std::move(jobs), [done](Inserted r) { done->set_value(std::move(r)); });
  return result.get();
}

}  // namespace torque::server
