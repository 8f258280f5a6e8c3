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

std::ostream& operator<<(std::ostream& os, const Value& value) {
  struct Printer {
    std::ostream& os;
    void operator()(std::monostate) const { os << "nil"; }
    void operator()(int64_t i) const { os << i; }
    void operator()(bool b) const { os << (b ? "true" : "false"); }
    void operator()(double d) const { os << d; }
    void operator()(const std::string& s) const { os << '"' << s << '"'; }
    void operator()(const Binary& b) const { os << "base64(" << b.bytes.size() << " bytes)"; }
    void operator()(const Array& a) const {
      os << '[';
      for (size_t i = 0; i < a.size(); ++i) os << (i ? ", " : "") << a[i];
      os << ']';
    }
    void operator()(const Struct& s) const {
      os << '{';
      const char* sep = "";
      for (const auto& [name, member] : s) {
        os << sep << name << ": " << member;
        sep = ", ";
      }
      os << '}';
    }
  };
  std::visit(Printer{os}, value.v);
  return os;
}

}  // namespace torque::rtorrent
