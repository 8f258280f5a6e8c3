// SCGI response framing: whatever rTorrent (or anything on its socket) answers.
#include "jobs/rtorrent/scgi.h"
#include "tests/fuzz/fuzz.h"

using namespace torque;

TORQUE_FUZZ_TARGET {
  auto body = rtorrent::ScgiUnframe(fuzz::Text(data, size));
  if (body.ok()) fuzz::Require(body->size() <= size, "the body is part of the response");
  return 0;
}
