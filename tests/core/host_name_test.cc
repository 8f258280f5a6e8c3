#include "core/host_name.h"

#include <gtest/gtest.h>
#include <unistd.h>

namespace torque {
namespace {

TEST(HostNameTest, IsTheMachinesName) {
  char buf[256] = {};
  ASSERT_EQ(gethostname(buf, sizeof(buf) - 1), 0);
  EXPECT_EQ(HostName(), buf[0] != '\0' ? std::string(buf) : "localhost");
  EXPECT_FALSE(HostName().empty());
}

}  // namespace
}  // namespace torque
