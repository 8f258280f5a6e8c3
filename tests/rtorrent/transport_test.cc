#include <gtest/gtest.h>

#include "jobs/rtorrent/value.h"

namespace torque::rtorrent {
namespace {

TEST(ValueTest, LenientReaders) {
  EXPECT_EQ(Value("42").AsInt(), 42);
  EXPECT_EQ(Value("x").AsInt(-1), -1);
  EXPECT_EQ(Value(int64_t{7}).AsString(), "7");
  EXPECT_TRUE(Value(3).AsArray().empty());
}

}  // namespace
}  // namespace torque::rtorrent
