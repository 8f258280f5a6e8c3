// XMLRPC responses (xmlrpc-c decodes, torque maps values and faults).
#include "jobs/rtorrent/xmlrpc.h"
#include "tests/fuzz/fuzz.h"

using namespace torque;

TORQUE_FUZZ_TARGET {
  auto value = rtorrent::DecodeResponse(fuzz::Text(data, size));
  if (value.ok()) {
    (void)rtorrent::FaultFromValue(*value);
  } else {
    (void)rtorrent::FaultOf(value.status());
  }
  return 0;
}
