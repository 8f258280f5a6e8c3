// Bencode: the strict scanner a .torrent file's bytes go through first, and a view that reads
// values out of bytes the scanner accepted.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace torque::jobs {

// Lists and dicts nested deeper than this are rejected (no metafile needs more than 5).
inline constexpr int kMaxBencodeDepth = 64;

// Checks that `bytes` hold one strictly bencoded value followed by nothing but ASCII white
// space, and returns the value's length. Integers have no leading zeros and no "-0" and
// fit in int64; string lengths have no leading zeros; dict keys are strings without
// duplicates (in any order); nesting is at most kMaxBencodeDepth. Failure is
// kInvalidArgument: "not bencoded: <why> at byte N", "trailing data after the metafile at
// byte N", or, when the bytes end inside the value, "truncated at byte N (is it still
// being written?)". `*truncated` (if given) tells the last case apart. Uses no recursion
// and allocates only for the keys of the dicts open at a time.
Result<size_t> ScanBencode(std::string_view bytes, bool* truncated = nullptr);

// One value inside bytes ScanBencode accepted, as its raw encoding. A view: whoever made it
// keeps the bytes alive. On bytes ScanBencode did not accept its answers are wrong but
// never out of range.
class BencodeValue {
 public:
  explicit BencodeValue(std::string_view raw) : raw_(raw) {}

  // The value's bytes exactly as they appear in the input (never re-encoded).
  std::string_view raw() const { return raw_; }
  bool IsString() const;
  bool IsList() const;
  bool IsDict() const;
  // A string's bytes ("" for other kinds).
  std::string_view Text() const;
  // An integer's value; nullopt for other kinds.
  std::optional<int64_t> Int() const;
  // The items of a list, or the keys and values (alternating) of a dict; none for other
  // kinds. Each item is found by the same strict walk ScanBencode does.
  std::vector<BencodeValue> Items() const;

 private:
  std::string_view raw_;
};

// A dict's entries, looked up by key.
class BencodeDict {
 public:
  explicit BencodeDict(const BencodeValue& dict) : items_(dict.Items()) {}

  // The value of `key`, or nullptr; points into this object.
  const BencodeValue* Get(std::string_view key) const;

 private:
  std::vector<BencodeValue> items_;
};

}  // namespace torque::jobs
