// The machine's host name, as notifications, mail greetings and node names give it.
#pragma once

#include <string>

namespace torque {

// gethostname(), or "localhost" when it fails or is empty.
std::string HostName();

// This process as a node of a shared database: "host:pid".
std::string NodeName();

}  // namespace torque
