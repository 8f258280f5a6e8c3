// HandlerEnv: what a handler is made from besides its own job type.
#pragma once

#include <memory>

#include "core/clock.h"
#include "core/config.h"

namespace torque::rtorrent {
class ConnectorFactory;
}

namespace torque::jobs {

// The whole effective configuration (the [rtorrent] section, [TORQUE] globals such as
// queue_startable_base), the clock and a way to reach rTorrent. Cheap to copy; what it
// points to is immutable and shared by every handler built from one configuration.
struct HandlerEnv {
  std::shared_ptr<const Config> config;
  const Clock* clock = nullptr;
  std::shared_ptr<const rtorrent::ConnectorFactory> rtorrent;
};

}  // namespace torque::jobs
