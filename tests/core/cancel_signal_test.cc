#include "core/cancel_signal.h"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

namespace torque {
namespace {

using std::chrono::steady_clock;

TEST(CancelSignalTest, WaitForTimesOutUnraised) {
  CancelSignal cancel;
  EXPECT_FALSE(cancel.WaitFor(0));
  const auto start = steady_clock::now();
  EXPECT_FALSE(cancel.WaitFor(30));
  EXPECT_GE(steady_clock::now() - start, std::chrono::milliseconds(30));
  EXPECT_FALSE(cancel.raised());
}

TEST(CancelSignalTest, RaiseWakesAWaiterAndStaysRaised) {
  CancelSignal cancel;
  const auto start = steady_clock::now();
  std::thread raiser([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    cancel.Raise();
  });
  // Far below the 10 minutes it would wait unraised, whatever the machine's speed.
  EXPECT_TRUE(cancel.WaitFor(600'000));
  EXPECT_LT(steady_clock::now() - start, std::chrono::minutes(5));
  raiser.join();
  cancel.Raise();  // a second raise changes nothing
  EXPECT_TRUE(cancel.raised());
  EXPECT_TRUE(cancel.WaitFor(0));
  EXPECT_TRUE(cancel.WaitFor(600'000));
}

}  // namespace
}  // namespace torque
