#include "jobs/rtorrent/value.h"

#include <charconv>

namespace torque::rtorrent {

int64_t Value::AsInt(int64_t fallback) const {
  if (const auto* i = std::get_if<int64_t>(&v)) return *i;
  if (const auto* b = std::get_if<bool>(&v)) return *b ? 1 : 0;
  if (const auto* d = std::get_if<double>(&v)) return static_cast<int64_t>(*d);
  if (const auto* s = std::get_if<std::string>(&v)) {
    int64_t out = 0;
    const char* end = s->data() + s->size();
    auto [ptr, ec] = std::from_chars(s->data(), end, out);
    if (ec == std::errc() && ptr == end && !s->empty()) return out;
  }
  return fallback;
}

std::string Value::AsString() const {
  if (const auto* s = std::get_if<std::string>(&v)) return *s;
  if (const auto* i = std::get_if<int64_t>(&v)) return std::to_string(*i);
  if (const auto* b = std::get_if<Binary>(&v)) return b->bytes;
  return {};
}

const Array& Value::AsArray() const {
  static const Array kEmpty;
  if (const auto* a = std::get_if<Array>(&v)) return *a;
  return kEmpty;
}

}  // namespace torque::rtorrent
