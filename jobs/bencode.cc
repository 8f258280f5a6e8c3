#include "jobs/bencode.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <utility>

#include "core/utf8.h"

namespace torque::jobs {
namespace {

Status Invalid(std::string why) { return Status::InvalidArgument(std::move(why)); }

// One pass over bencoded bytes that checks them, with an explicit stack of the open lists
// and dicts instead of recursion.
class Scanner {
 public:
  explicit Scanner(std::string_view in) : in_(in) {}

  // The length of the value at the start, or why there is none; bytes after it are not read.
  Result<size_t> Value();
  // Value(), and then nothing but ASCII white space.
  Result<size_t> Run();
  bool truncated() const { return truncated_; }

 private:
  // Left uninitialized until pushed: the Scanner runs once per item a BencodeValue lists.
  struct Frame {
    bool dict;
    size_t first_key;  // index in keys_ of this dict's first key
    bool want_key;     // a dict's next item is a key
  };
  struct Key {
    std::string_view text;
    size_t offset = 0;
  };

  Status Truncated() {
    truncated_ = true;
    return Invalid("truncated at byte " + std::to_string(in_.size()) +
                   " (is it still being written?)");
  }
  Status Bad(const std::string& why, size_t at) const {
    return Invalid("not bencoded: " + why + " at byte " + std::to_string(at));
  }
  std::string ByteAt(size_t at) const { return "'" + PrintableBytes(in_.substr(at, 1)) + "'"; }
  // The integer at pos_; moves pos_ past it.
  Status Integer();
  // The string at pos_ (its bytes in *text if given); moves pos_ past it.
  Status String(std::string_view* text);
  // Checks the keys of the dict that ends at pos_ for duplicates and forgets them.
  Status CloseDict(size_t first_key);

  std::string_view in_;
  size_t pos_ = 0;
  bool truncated_ = false;
  std::array<Frame, kMaxBencodeDepth> stack_;
  int depth_ = 0;
  std::vector<Key> keys_;  // the keys of the open dicts, innermost last
};

Result<size_t> Scanner::Value() {
  while (true) {
    if (pos_ >= in_.size()) return Truncated();
    const char c = in_[pos_];
    Frame* top = depth_ > 0 ? &stack_[depth_ - 1] : nullptr;
    if (top && top->want_key && c != 'e') {
      if (!IsAsciiDigit(c)) return Bad("dict key is not a string", pos_);
      const size_t at = pos_;
      std::string_view key;
      if (Status s = String(&key); !s.ok()) return s;
      keys_.push_back({key, at});
      top->want_key = false;
      continue;
    }
    if (c == 'e') {
      if (!top) return Bad("unexpected 'e'", pos_);
      if (top->dict && !top->want_key) {
        return Bad("key '" + PrintableBytes(keys_.back().text) + "' has no value", pos_);
      }
      if (top->dict) {
        if (Status s = CloseDict(top->first_key); !s.ok()) return s;
      }
      --depth_;
      ++pos_;
    } else if (c == 'i') {
      if (Status s = Integer(); !s.ok()) return s;
    } else if (IsAsciiDigit(c)) {
      if (Status s = String(nullptr); !s.ok()) return s;
    } else if (c == 'l' || c == 'd') {
      if (depth_ == kMaxBencodeDepth) {
        return Bad("nested deeper than " + std::to_string(kMaxBencodeDepth) + " levels", pos_);
      }
      stack_[depth_++] = Frame{c == 'd', keys_.size(), c == 'd'};
      ++pos_;
      continue;
    } else {
      return Bad("unexpected " + ByteAt(pos_), pos_);
    }
    // A value ended: the top one, or an item of the innermost list or dict.
    if (depth_ == 0) break;
    if (stack_[depth_ - 1].dict) stack_[depth_ - 1].want_key = true;
  }
  return pos_;
}

Result<size_t> Scanner::Run() {
  Result<size_t> length = Value();
  if (!length.ok()) return length;
  for (size_t p = *length; p < in_.size(); ++p) {
    if (!IsAsciiSpace(in_[p])) {
      return Invalid("trailing data after the metafile at byte " + std::to_string(p));
    }
  }
  return length;
}

Status Scanner::Integer() {
  const size_t start = pos_;
  size_t p = start + 1;
  const bool negative = p < in_.size() && in_[p] == '-';
  if (negative) ++p;
  const size_t digits = p;
  while (p < in_.size() && IsAsciiDigit(in_[p])) ++p;
  // What the digits so far rule out holds whatever bytes come next.
  if (p > digits) {
    if (in_[digits] == '0' && p - digits > 1) return Bad("leading zero in integer", start);
    if (in_[digits] == '0' && negative) return Bad("negative zero in integer", start);
    int64_t value = 0;
    if (std::from_chars(in_.data() + start + 1, in_.data() + p, value).ec != std::errc()) {
      return Bad("integer out of range", start);
    }
  }
  if (p >= in_.size()) return Truncated();
  if (in_[p] != 'e') return Bad("unexpected " + ByteAt(p) + " in integer", p);
  if (p == digits) return Bad("empty integer", start);
  pos_ = p + 1;
  return Status::Ok();
}

Status Scanner::String(std::string_view* text) {
  const size_t start = pos_;
  size_t p = start;
  while (p < in_.size() && IsAsciiDigit(in_[p])) ++p;
  if (in_[start] == '0' && p - start > 1) return Bad("leading zero in string length", start);
  if (p >= in_.size()) return Truncated();
  if (in_[p] != ':') return Bad("unexpected " + ByteAt(p) + " in string length", p);
  // A length beyond the end (however many digits it has) is a string still being written.
  uint64_t length = 0;
  const size_t left = in_.size() - (p + 1);
  if (std::from_chars(in_.data() + start, in_.data() + p, length).ec != std::errc() ||
      length > left) {
    return Truncated();
  }
  if (text) *text = in_.substr(p + 1, length);
  pos_ = p + 1 + length;
  return Status::Ok();
}

Status Scanner::CloseDict(size_t first_key) {
  const auto begin = keys_.begin() + static_cast<std::ptrdiff_t>(first_key);
  const auto by_text = [](const Key& a, const Key& b) {
    return a.text != b.text ? a.text < b.text : a.offset < b.offset;
  };
  if (!std::is_sorted(begin, keys_.end(), by_text)) std::sort(begin, keys_.end(), by_text);
  // Of the keys seen before, the one that comes first in the file.
  const Key* duplicate = nullptr;
  for (auto it = begin; it != keys_.end() && it + 1 != keys_.end(); ++it) {
    const Key& next = *(it + 1);
    if (it->text == next.text && (!duplicate || next.offset < duplicate->offset)) {
      duplicate = &next;
    }
  }
  if (duplicate) {
    return Bad("duplicate key '" + PrintableBytes(duplicate->text) + "'", duplicate->offset);
  }
  keys_.erase(begin, keys_.end());
  return Status::Ok();
}

// The end of the value that starts at `pos` of `in`, found by the Scanner; in.size() when
// no valid value starts there.
size_t ValueEnd(std::string_view in, size_t pos) {
  Result<size_t> length = Scanner(in.substr(pos)).Value();
  return length.ok() ? pos + *length : in.size();
}

}  // namespace

Result<size_t> ScanBencode(std::string_view bytes, bool* truncated) {
  Scanner scanner(bytes);
  Result<size_t> length = scanner.Run();
  if (truncated) *truncated = scanner.truncated();
  return length;
}

bool BencodeValue::IsString() const { return !raw_.empty() && IsAsciiDigit(raw_[0]); }
bool BencodeValue::IsList() const { return !raw_.empty() && raw_[0] == 'l'; }
bool BencodeValue::IsDict() const { return !raw_.empty() && raw_[0] == 'd'; }

std::string_view BencodeValue::Text() const {
  const size_t colon = raw_.find(':');
  return IsString() && colon != std::string_view::npos ? raw_.substr(colon + 1) : "";
}

std::optional<int64_t> BencodeValue::Int() const {
  int64_t value = 0;
  if (raw_.size() < 3 || raw_[0] != 'i' ||
      std::from_chars(raw_.data() + 1, raw_.data() + raw_.size() - 1, value).ec != std::errc()) {
    return std::nullopt;
  }
  return value;
}

std::vector<BencodeValue> BencodeValue::Items() const {
  std::vector<BencodeValue> out;
  if (!IsList() && !IsDict()) return out;
  size_t pos = 1;
  while (pos < raw_.size() && raw_[pos] != 'e') {
    const size_t end = ValueEnd(raw_, pos);
    out.emplace_back(raw_.substr(pos, end - pos));
    pos = end;
  }
  return out;
}

const BencodeValue* BencodeDict::Get(std::string_view key) const {
  for (size_t i = 0; i + 1 < items_.size(); i += 2) {
    if (items_[i].Text() == key) return &items_[i + 1];
  }
  return nullptr;
}

}  // namespace torque::jobs
