// The machine's host name, as notifications, mail greetings and node names give it.
#pragma once

#include <string>

namespace torque {

// gethostname(), or "localhost" when it fails or is empty.
std::string HostName();

}  // namespace torque
