// SortOrder: pyrocore's sort_fields ("-prio,loaded,name"): items ordered by typed field
// values, the first field that differs deciding, ties kept in their original order.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "jobs/rtorrent/fields.h"
#include "jobs/rtorrent/item.h"

namespace torque::rtorrent {

// A parsed sort specification. Immutable, copyable; Sort is thread-safe on distinct items.
class SortOrder {
 public:
  struct Key {
    Field field;
    bool descending = false;
  };

  // The names of the fields the order reads, in order, each once (for Projection::Add).
  std::vector<std::string> Fields() const;
  const std::vector<Key>& keys() const { return keys_; }
  bool empty() const { return keys_.empty(); }

  // Stable sort: by each key in turn (unset values first when ascending; numbers by value,
  // strings bytewise, sets and file lists element by element).
  void Sort(std::vector<Item>& items) const;
  void Sort(std::vector<const Item*>& items) const;

  // Compares two values of one field: <0, 0 or >0.
  static int CompareValues(const FieldValue& a, const FieldValue& b);

 private:
  friend Result<SortOrder> ParseSortFields(std::string_view text);
  std::vector<Key> keys_;
};

// Parses field names separated by commas and/or blanks, each optionally prefixed by '-'
// for descending order. "" gives an empty order (Sort keeps the order). kInvalidArgument
// "Unknown field 'x'" (LookupField's message) for a bad name.
Result<SortOrder> ParseSortFields(std::string_view text);

}  // namespace torque::rtorrent
