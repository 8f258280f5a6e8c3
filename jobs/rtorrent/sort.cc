#include "jobs/rtorrent/sort.h"

#include <algorithm>
#include <numeric>

namespace torque::rtorrent {
namespace {

// Ranks of the value kinds when two values of one field differ in kind (only
// monostate vs. a duration in practice): unset first.
int Rank(const FieldValue& v) {
  if (std::holds_alternative<std::monostate>(v)) return 0;
  if (std::holds_alternative<bool>(v) || std::holds_alternative<int64_t>(v) ||
      std::holds_alternative<double>(v)) {
    return 1;
  }
  if (std::holds_alternative<std::string>(v)) return 2;
  if (std::holds_alternative<std::vector<std::string>>(v)) return 3;
  return 4;
}

double Number(const FieldValue& v) {
  if (const auto* b = std::get_if<bool>(&v)) return *b ? 1 : 0;
  if (const auto* i = std::get_if<int64_t>(&v)) return static_cast<double>(*i);
  return std::get<double>(v);
}

template <typename T>
int Sign(const T& a, const T& b) {
  return a < b ? -1 : (b < a ? 1 : 0);
}

}  // namespace

int SortOrder::CompareValues(const FieldValue& a, const FieldValue& b) {
  const int ra = Rank(a), rb = Rank(b);
  if (ra != rb) return ra < rb ? -1 : 1;
  switch (ra) {
    case 0:
      return 0;
    case 1: {
      const auto* ia = std::get_if<int64_t>(&a);
      const auto* ib = std::get_if<int64_t>(&b);
      if (ia && ib) return Sign(*ia, *ib);
      return Sign(Number(a), Number(b));
    }
    case 2:
      return Sign(std::get<std::string>(a), std::get<std::string>(b));
    case 3:
      return Sign(std::get<std::vector<std::string>>(a), std::get<std::vector<std::string>>(b));
    default: {
      const auto& fa = std::get<std::vector<FileInfo>>(a);
      const auto& fb = std::get<std::vector<FileInfo>>(b);
      return std::lexicographical_compare(fa.begin(), fa.end(), fb.begin(), fb.end(),
                                          [](const FileInfo& x, const FileInfo& y) {
                                            return x.path != y.path ? x.path < y.path
                                                                    : x.size < y.size;
                                          })
                 ? -1
                 : (fa == fb ? 0 : 1);
    }
  }
}

std::vector<std::string> SortOrder::Fields() const {
  std::vector<std::string> names;
  for (const auto& key : keys_) {
    if (std::find(names.begin(), names.end(), key.field.name) == names.end()) {
      names.push_back(key.field.name);
    }
  }
  return names;
}

void SortOrder::Sort(std::vector<const Item*>& items) const {
  if (keys_.empty() || items.size() < 2) return;
  // Each value is computed once per item, not once per comparison.
  std::vector<std::vector<FieldValue>> values(items.size());
  for (size_t i = 0; i < items.size(); ++i) {
    for (const auto& key : keys_) values[i].push_back(items[i]->Get(key.field));
  }
  std::vector<size_t> order(items.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t x, size_t y) {
    for (size_t k = 0; k < keys_.size(); ++k) {
      const int c = CompareValues(values[x][k], values[y][k]);
      if (c != 0) return keys_[k].descending ? c > 0 : c < 0;
    }
    return false;
  });
  std::vector<const Item*> sorted;
  sorted.reserve(items.size());
  for (const size_t i : order) sorted.push_back(items[i]);
  items = std::move(sorted);
}

void SortOrder::Sort(std::vector<Item>& items) const {
  if (keys_.empty() || items.size() < 2) return;
  std::vector<const Item*> pointers;
  for (const auto& item : items) pointers.push_back(&item);
  Sort(pointers);
  std::vector<Item> sorted;
  sorted.reserve(items.size());
  for (const Item* item : pointers) sorted.push_back(*item);
  items = std::move(sorted);
}

Result<SortOrder> ParseSortFields(std::string_view text) {
  SortOrder order;
  std::string word;
  auto flush = [&]() -> Status {
    if (word.empty()) return Status::Ok();
    SortOrder::Key key;
    std::string_view name = word;
    if (name.front() == '-') {
      key.descending = true;
      name.remove_prefix(1);
    }
    auto field = LookupField(name);
    if (!field.ok()) return field.status();
    key.field = std::move(*field);
    order.keys_.push_back(std::move(key));
    word.clear();
    return Status::Ok();
  };
  for (const char c : text) {
    if (c == ',' || c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      if (Status s = flush(); !s.ok()) return s;
    } else {
      word += c;
    }
  }
  if (Status s = flush(); !s.ok()) return s;
  return order;
}

}  // namespace torque::rtorrent
