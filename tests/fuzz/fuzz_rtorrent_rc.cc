// rtorrent.rc discovery: the SCGI URL an rtorrent.rc opens, from any file content.
#include "jobs/rtorrent/endpoint.h"
#include "tests/fuzz/fuzz.h"

using namespace torque;

TORQUE_FUZZ_TARGET {
  auto url = rtorrent::ScgiUrlFromRtorrentRcText(fuzz::Text(data, size), "rtorrent.rc", "/home/u");
  if (url.ok()) fuzz::Require(rtorrent::ParseEndpoint(*url, "/home/u").ok(), "a found URL parses");
  (void)rtorrent::ParseEndpoint(fuzz::Text(data, size), "/home/u");
  return 0;
}
