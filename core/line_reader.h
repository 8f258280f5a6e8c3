// LineReader: splits a byte stream into request lines with a hard length limit.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace torque::protocol {

// One line taken from the stream.
struct Line {
  std::string text;       // without LF / CRLF; empty when too_long
  bool too_long = false;  // the line exceeded the limit and was discarded
};

// Incremental, I/O-free line splitter. Buffers at most max_line + 1 bytes of an
// unfinished line; the rest of an overlong line is dropped up to its LF.
// Not thread-safe.
class LineReader {
 public:
  explicit LineReader(std::size_t max_line);
  // Appends received bytes.
  void Feed(std::string_view bytes);
  // The next complete line, or nullopt until more bytes arrive.
  std::optional<Line> Next();
  // Bytes held for the unfinished line.
  std::size_t buffered() const;
  // Bytes dropped so far of an overlong line whose LF has not arrived; 0 otherwise.
  std::size_t dropping() const { return discarding_ ? dropped_ : 0; }

 private:
  std::size_t max_line_;
  std::string buf_;        // unparsed bytes
  std::size_t scan_ = 0;   // buf_[0, scan_) holds no LF
  bool discarding_ = false;  // inside an overlong line
  std::size_t dropped_ = 0;  // bytes of it dropped so far
};

}  // namespace torque::protocol
