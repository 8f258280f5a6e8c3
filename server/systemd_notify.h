// SystemdNotifier: systemd's readiness protocol (sd_notify(3)) for a Type=notify unit.
// systemd considers the service started only when it says READY=1, and holds `systemctl
// reload` (SIGHUP) until then; RELOADING=1 and STOPPING=1 show in `systemctl status`.
#pragma once

#include <string>
#include <string_view>

#include "core/status.h"

namespace torque::server {

class SystemdNotifier {
 public:
  // The socket named by $NOTIFY_SOCKET (a path, or "@name" in the abstract namespace),
  // which it removes from the environment so that no job inherits it. Call before any
  // thread exists (unsetenv). Inactive when the variable is unset or empty.
  static SystemdNotifier FromEnvironment();
  explicit SystemdNotifier(std::string socket) : socket_(std::move(socket)) {}
  SystemdNotifier() = default;

  bool active() const { return !socket_.empty(); }
  // Start-up done (also after a reload): READY=1, this process's pid, a status line.
  Status Ready(std::string_view status) const;
  // A reload begins (SIGHUP); READY=1 follows when it ended, either way.
  Status Reloading() const;
  // Draining before exit.
  Status Stopping(std::string_view status) const;
  // Start-up failed: the reason as the status line, before the process exits.
  Status Failed(std::string_view why) const;

  // Sends one datagram of newline-separated KEY=VALUE assignments. OK when inactive.
  Status Send(std::string_view message) const;

 private:
  std::string socket_;
};

}  // namespace torque::server
