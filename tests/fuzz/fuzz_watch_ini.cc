// A watched folder's watch.ini (load_mode, queued, label, cmd.NAME templates).
#include "jobs/watch_folders.h"
#include "tests/fuzz/fuzz.h"

using namespace torque;

TORQUE_FUZZ_TARGET {
  (void)jobs::ParseWatchIni("watch.ini", fuzz::Text(data, size));
  return 0;
}
