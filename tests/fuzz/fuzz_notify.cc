// Notification targets and rules (`mail:a@b.c retries=3`, `syslog:ident`).
#include "core/notify_config.h"
#include "tests/fuzz/fuzz.h"

using namespace torque;

TORQUE_FUZZ_TARGET {
  (void)ParseNotifyRule(fuzz::Text(data, size));
  (void)SyslogFacility(fuzz::Text(data, size));
  return 0;
}
