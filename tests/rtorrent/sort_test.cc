#include "jobs/rtorrent/sort.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/rtorrent/query_test_util.h"

namespace torque::rtorrent {
namespace {

using testing::MakeItem;
using Strings = std::vector<std::string>;

TEST(ParseSortFieldsTest, NamesAndDirections) {
  auto order = ParseSortFields("-prio,loaded, name");
  ASSERT_TRUE(order.ok());
  EXPECT_EQ(order->Fields(), (Strings{"prio", "loaded", "name"}));
  ASSERT_EQ(order->keys().size(), 3u);
  EXPECT_TRUE(order->keys()[0].descending);
  EXPECT_FALSE(order->keys()[1].descending);
  EXPECT_EQ(order->keys()[2].field.name, "name");

  auto spaced = ParseSortFields("  -prio \t loaded,,name ");
  ASSERT_TRUE(spaced.ok());
  EXPECT_EQ(spaced->Fields(), (Strings{"prio", "loaded", "name"}));

  auto repeated = ParseSortFields("kind_50,-kind_50,custom_1");
  ASSERT_TRUE(repeated.ok());
  EXPECT_EQ(repeated->Fields(), (Strings{"kind_50", "custom_1"}));

  for (const char* blank : {"", " ", " , "}) {
    auto empty = ParseSortFields(blank);
    ASSERT_TRUE(empty.ok());
    EXPECT_TRUE(empty->empty());
  }
}

TEST(ParseSortFieldsTest, Errors) {
  EXPECT_EQ(ParseSortFields("prio,sise").status().message(), "Unknown field 'sise'");
  EXPECT_EQ(ParseSortFields("-").status().message(), "Unknown field ''");
  EXPECT_EQ(ParseSortFields("--prio").status().message(), "Unknown field '-prio'");
  EXPECT_EQ(ParseSortFields("prio").status().code(), Status::Code::kOk);
}

std::vector<Item> QueueItems() {
  // Name, priority, loaded: input order matters for the stability check.
  const struct {
    const char* name;
    int prio;
    const char* loaded;
  } rows[] = {
      {"b", 2, "300"}, {"a", 2, "300"}, {"c", 3, "500"}, {"d", 2, ""},
      {"e", 1, "100"}, {"f", 3, "400"}, {"a", 2, "300"},
  };
  std::vector<Item> items;
  int n = 0;
  for (const auto& r : rows) {
    items.push_back(MakeItem({{"d.hash=", "H" + std::to_string(n++)},
                              {"d.name=", r.name},
                              {"d.priority=", r.prio},
                              {"d.custom=tm_loaded", r.loaded}}));
  }
  return items;
}

Strings Hashes(const std::vector<Item>& items) {
  Strings out;
  for (const auto& item : items) out.push_back(item.hash());
  return out;
}

TEST(SortOrderTest, PyrocoreQueueDefaultOrder) {
  auto order = ParseSortFields("-prio,loaded,name");
  ASSERT_TRUE(order.ok());
  std::vector<Item> items = QueueItems();
  order->Sort(items);
  // prio 3 (loaded 400 f, 500 c), prio 2 (unset loaded first: d; then loaded 300 by name:
  // a (H1), a (H6) in input order, b), prio 1.
  EXPECT_EQ(Hashes(items), (Strings{"H5", "H2", "H3", "H1", "H6", "H0", "H4"}));
}

TEST(SortOrderTest, StableAndDescending) {
  std::vector<Item> items = QueueItems();
  auto by_name_desc = ParseSortFields("-name");
  ASSERT_TRUE(by_name_desc.ok());
  by_name_desc->Sort(items);
  EXPECT_EQ(Hashes(items), (Strings{"H5", "H4", "H3", "H2", "H0", "H1", "H6"}));

  // An empty order keeps the input order.
  std::vector<Item> same = QueueItems();
  ParseSortFields("")->Sort(same);
  EXPECT_EQ(Hashes(same), (Strings{"H0", "H1", "H2", "H3", "H4", "H5", "H6"}));

  // Sorting pointers leaves the items where they are.
  const std::vector<Item> fixed = QueueItems();
  std::vector<const Item*> pointers;
  for (const auto& item : fixed) pointers.push_back(&item);
  ParseSortFields("prio")->Sort(pointers);
  Strings sorted;
  for (const Item* item : pointers) sorted.push_back(item->hash());
  EXPECT_EQ(sorted, (Strings{"H4", "H0", "H1", "H3", "H6", "H2", "H5"}));
  EXPECT_EQ(Hashes(fixed), (Strings{"H0", "H1", "H2", "H3", "H4", "H5", "H6"}));
}

TEST(SortOrderTest, CompareValues) {
  using V = FieldValue;
  const struct {
    V a, b;
    int expected;
  } cases[] = {
      {V{}, V{int64_t{0}}, -1},  // unset (a duration) first
      {V{}, V{}, 0},
      {V{int64_t{2}}, V{int64_t{10}}, -1},
      {V{2.5}, V{int64_t{2}}, 1},
      {V{true}, V{false}, 1},
      {V{std::string("B")}, V{std::string("a")}, -1},  // bytewise
      {V{std::string("a")}, V{std::string("a")}, 0},
      {V{Strings{"a", "b"}}, V{Strings{"a"}}, 1},
      {V{std::vector<FileInfo>{{"a", 1}}}, V{std::vector<FileInfo>{{"a", 2}}}, -1},
      {V{std::vector<FileInfo>{{"a", 1}}}, V{std::vector<FileInfo>{{"a", 1}}}, 0},
  };
  for (size_t i = 0; i < std::size(cases); ++i) {
    EXPECT_EQ(SortOrder::CompareValues(cases[i].a, cases[i].b), cases[i].expected) << i;
    EXPECT_EQ(SortOrder::CompareValues(cases[i].b, cases[i].a), -cases[i].expected) << i;
  }
}

TEST(SortOrderTest, DurationsUnsetFirst) {
  std::vector<Item> items;
  items.push_back(MakeItem(
      {{"d.hash=", "long"}, {"d.custom=tm_started", "1000"}, {"d.custom=tm_completed", "5000"}}));
  items.push_back(MakeItem({{"d.hash=", "unknown"}}));
  items.push_back(MakeItem(
      {{"d.hash=", "short"}, {"d.custom=tm_started", "1000"}, {"d.custom=tm_completed", "2000"}}));
  ParseSortFields("leechtime")->Sort(items);
  EXPECT_EQ(Hashes(items), (Strings{"unknown", "short", "long"}));
}

}  // namespace
}  // namespace torque::rtorrent
