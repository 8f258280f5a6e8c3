// The request line reader and parser, and the reply parser: any bytes a client or a server
// sends. A parsed request formats back to a line that parses to the same request.
#include <variant>

#include "core/line_reader.h"
#include "core/protocol.h"
#include "tests/fuzz/fuzz.h"

using namespace torque;

TORQUE_FUZZ_TARGET {
  const std::string_view bytes = fuzz::Text(data, size);
  // A small limit so that overlong lines are exercised too; fed in two pieces.
  protocol::LineReader reader(256);
  reader.Feed(bytes.substr(0, bytes.size() / 2));
  reader.Feed(bytes.substr(bytes.size() / 2));
  while (auto line = reader.Next()) {
    fuzz::Require(line->text.size() <= 256, "a line within the limit");
    fuzz::Require(!line->too_long || line->text.empty(), "an overlong line is dropped");
    auto parsed = protocol::ParseRequest(line->text);
    if (auto* request = std::get_if<protocol::Request>(&parsed)) {
      const std::string again = protocol::FormatRequest(*request);
      auto reparsed = protocol::ParseRequest(again);
      auto* second = std::get_if<protocol::Request>(&reparsed);
      fuzz::Require(second != nullptr, "a formatted request parses");
      fuzz::Require(protocol::FormatRequest(*second) == again, "format/parse round trip");
    }
    (void)protocol::ParseReply(line->text);
  }
  fuzz::Require(reader.buffered() <= 257, "the reader buffers at most a line");
  return 0;
}
