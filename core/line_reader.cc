#include "core/line_reader.h"

namespace torque::protocol {

// buf_ holds complete lines (each ending in LF) followed by the unfinished tail.
// An overlong line is cut to max_line_ + 1 bytes that cannot end in CR, terminated
// with LF at once (so Next() reports it in order, as too_long), and the rest of it
// is dropped in Feed() up to and including its LF (discarding_).

LineReader::LineReader(std::size_t max_line) : max_line_(max_line) {}

void LineReader::Feed(std::string_view bytes) {
  while (!bytes.empty()) {
    if (discarding_) {
      auto lf = bytes.find('\n');
      if (lf == std::string_view::npos) {
        dropped_ += bytes.size();
        return;
      }
      dropped_ += lf;
      bytes.remove_prefix(lf + 1);
      discarding_ = false;
      continue;
    }
    // Length of the unfinished tail: all of buf_ if it holds no LF (the usual
    // case after Next() returned nullopt), else what follows its last LF.
    std::size_t tail = buf_.size();
    if (scan_ != buf_.size()) {
      auto last_lf = buf_.rfind('\n');
      if (last_lf != std::string::npos) tail = buf_.size() - last_lf - 1;
    }
    const bool tail_had_no_lf = scan_ == buf_.size();
    std::size_t room = max_line_ + 1 - tail;  // tail <= max_line_ + 1 always holds
    auto lf = bytes.find('\n');
    std::size_t take = lf == std::string_view::npos ? bytes.size() : lf + 1;
    std::size_t content = lf == std::string_view::npos ? bytes.size() : lf;
    if (content <= room) {
      buf_.append(bytes.substr(0, take));
      bytes.remove_prefix(take);
      if (tail_had_no_lf && lf == std::string_view::npos) scan_ = buf_.size();
      continue;
    }
    // Overlong: keep max_line_ + 1 bytes as the marker line, drop the rest.
    buf_.append(bytes.substr(0, room));
    buf_.back() = '!';  // a trailing CR would make the marker look like a valid line
    buf_.push_back('\n');
    bytes.remove_prefix(room);
    discarding_ = true;
    dropped_ = 0;
  }
}

std::optional<Line> LineReader::Next() {
  auto lf = buf_.find('\n', scan_);
  if (lf == std::string::npos) {
    scan_ = buf_.size();
    return std::nullopt;
  }
  std::size_t end = lf;
  if (end > 0 && buf_[end - 1] == '\r') --end;
  Line line;
  if (end > max_line_) {
    line.too_long = true;
  } else {
    line.text.assign(buf_, 0, end);
  }
  buf_.erase(0, lf + 1);
  scan_ = 0;
  return line;
}

std::size_t LineReader::buffered() const {
  auto last_lf = buf_.rfind('\n');
  return last_lf == std::string::npos ? buf_.size() : buf_.size() - last_lf - 1;
}

}  // namespace torque::protocol
