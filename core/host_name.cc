#include "core/host_name.h"

#include <unistd.h>

#include <string>

namespace torque {

std::string HostName() {
  char buf[256] = {};
  if (gethostname(buf, sizeof(buf) - 1) != 0 || buf[0] == '\0') return "localhost";
  return buf;
}

std::string NodeName() { return HostName() + ":" + std::to_string(::getpid()); }

}  // namespace torque
