// The queue pass over in-memory items and fixed times: every branch of pyrocore's
// algorithm, the optional limits and the report's texts.
#include "jobs/queue_pass.h"

#include <gtest/gtest.h>

#include <deque>

#include "tests/jobs/job_type.h"
#include "tests/jobs/queue_test_items.h"

namespace torque::jobs {
namespace {

using rtorrent::Item;
using rtorrent::testing::kNow;
using testing::MakeQueueItem;
using testing::QueueItem;
using testing::TestType;

constexpr TimeMs kNowMs = kNow * 1000;

QueueSettings Settings(const std::vector<std::pair<std::string, std::string>>& keys = {},
                       const Config& config = {}) {
  auto s = ReadQueueSettings(TestType(keys, "queue"), config);
  EXPECT_TRUE(s.ok()) << s.status().message();
  return std::move(s).value();  // throws (and fails the test) when not ok
}

// Stopped, incomplete, normal priority: startable by the default conditions.
QueueItem Stopped(const std::string& hash, int prio = 2, int64_t loaded = 1000) {
  QueueItem q;
  q.hash = hash;
  q.name = "item " + hash;
  q.prio = prio;
  q.loaded = loaded;
  return q;
}

QueueItem Downloading(const std::string& hash) {
  QueueItem q = Stopped(hash);
  q.open = q.active = true;
  q.done_chunks = 10;
  q.down = 1000;
  return q;
}

// Items kept until the test program ends: plans point into them.
const std::vector<Item>& Items(const std::vector<QueueItem>& specs) {
  static auto* kept = new std::deque<std::vector<Item>>();
  kept->emplace_back();
  for (const QueueItem& q : specs) kept->back().push_back(MakeQueueItem(q));
  return kept->back();
}

std::vector<std::string> Started(const QueuePlan& plan) {
  std::vector<std::string> hashes;
  for (const Item* item : plan.start) hashes.push_back(item->hash());
  return hashes;
}

// "HASH verdict: detail" for every decision that is not a start.
std::vector<std::string> NotStarted(const QueuePlan& plan) {
  std::vector<std::string> out;
  for (const QueueDecision& d : plan.decisions) out.push_back(d.item->hash() + ": " + d.detail);
  return out;
}

TEST(QueuePassTest, StartsOnePerPassInSortOrder) {
  const QueueSettings s = Settings();
  // -prio, loaded, name: C (prio 3) first; then A and B by load time; D has prio 0.
  const auto items = Items({Stopped("A", 2, 200), Stopped("B", 2, 100), Stopped("C", 3, 300),
                            Stopped("D", 0, 50), Downloading("X")});
  QueuePlan plan = PlanQueuePass(s, items, kNowMs, 0);
  EXPECT_EQ(Started(plan), std::vector<std::string>{"C"});
  EXPECT_EQ(plan.last_start, kNowMs);
  EXPECT_EQ(plan.downloading, 1);
  EXPECT_EQ(plan.startable, 3);
  EXPECT_EQ(NotStarted(plan),
            (std::vector<std::string>{"B: only 1 start per pass (start_at_once = 1)",
                                      "A: only 1 start per pass (start_at_once = 1)",
                                      "D: prio>0 (prio=0)"}));
}

TEST(QueuePassTest, MinimumCatchesUpRegardlessOfMaximum) {
  const QueueSettings s = Settings({{"downloading_min", "3"}, {"downloading_max", "1"}});
  const auto items = Items({Stopped("A"), Stopped("B"), Stopped("C"), Stopped("D")});
  QueuePlan plan = PlanQueuePass(s, items, kNowMs, 0);
  EXPECT_EQ(Started(plan), (std::vector<std::string>{"A", "B", "C"}));
  EXPECT_EQ(
      NotStarted(plan),
      std::vector<std::string>{"D: only 3 starts per pass (catching up to downloading_min = 3)"});
}

TEST(QueuePassTest, MaximumStopsThePass) {
  const QueueSettings s = Settings({{"downloading_max", "2"}});
  const auto items = Items({Downloading("X"), Downloading("Y"), Stopped("A"), Stopped("B")});
  QueuePlan plan = PlanQueuePass(s, items, kNowMs, 1234);
  EXPECT_TRUE(plan.start.empty());
  EXPECT_EQ(plan.last_start, 1234);
  EXPECT_EQ(plan.blocked, "downloading_max reached (2 of 2 downloading)");
  EXPECT_EQ(NotStarted(plan),
            (std::vector<std::string>{"A: downloading_max reached (2 of 2 downloading)",
                                      "B: downloading_max reached (2 of 2 downloading)"}));
  // With room for one and start_at_once 5, the maximum ends the pass after one start.
  const QueueSettings wide = Settings({{"downloading_max", "3"}, {"start_at_once", "5"}});
  QueuePlan one = PlanQueuePass(wide, items, kNowMs, 0);
  EXPECT_EQ(Started(one), std::vector<std::string>{"A"});
  EXPECT_EQ(NotStarted(one),
            std::vector<std::string>{"B: downloading_max reached (3 of 3 downloading)"});
}

TEST(QueuePassTest, IntermissionWithTimeLeft) {
  const QueueSettings s = Settings({{"intermission", "120"}});
  const auto items = Items({Stopped("A")});
  QueuePlan plan = PlanQueuePass(s, items, kNowMs, kNowMs - 30'000);
  EXPECT_TRUE(plan.start.empty());
  EXPECT_EQ(plan.blocked, "intermission: 90 s left of 120 s");
  EXPECT_EQ(NotStarted(plan), std::vector<std::string>{"A: intermission: 90 s left of 120 s"});
  EXPECT_EQ(plan.last_start, kNowMs - 30'000);
  // pyrocore truncates the seconds left: under one second left is no delay.
  EXPECT_EQ(Started(PlanQueuePass(s, items, kNowMs, kNowMs - 119'001)),
            std::vector<std::string>{"A"});
  EXPECT_TRUE(PlanQueuePass(s, items, kNowMs, kNowMs - 119'000).start.empty());
}

TEST(QueuePassTest, ClockBackwardsRestartsTheIntermission) {
  const auto items = Items({Stopped("A")});
  const QueueSettings s = Settings({{"intermission", "60"}});
  QueuePlan plan = PlanQueuePass(s, items, kNowMs, kNowMs + 3'600'000);
  EXPECT_TRUE(plan.clock_went_back);
  EXPECT_EQ(plan.last_start, kNowMs);
  EXPECT_EQ(plan.blocked, "intermission: 60 s left of 60 s");
  QueuePlan no_wait = PlanQueuePass(Settings(), items, kNowMs, kNowMs + 3'600'000);
  EXPECT_TRUE(no_wait.clock_went_back);
  EXPECT_EQ(Started(no_wait), std::vector<std::string>{"A"});
  // The guard applies only when something is startable, as in pyrocore.
  QueuePlan idle = PlanQueuePass(s, Items({Stopped("Z", 0)}), kNowMs, kNowMs + 5000);
  EXPECT_FALSE(idle.clock_went_back);
  EXPECT_EQ(idle.last_start, kNowMs + 5000);
}

TEST(QueuePassTest, NothingStartableLeavesTheLastStartAlone) {
  QueueItem message = Stopped("M");
  message.message = "Tracker: timeout";
  QueueItem ghost = Stopped("G");
  ghost.message = "Ghost of a tracker";
  QueueItem partial = Stopped("P");
  partial.done_chunks = 40;
  QueueItem ignored = Stopped("I");
  ignored.ignored = true;
  QueueItem open = Stopped("O");
  open.open = true;
  QueueItem complete = Stopped("C");
  complete.complete = true;
  const auto items = Items({message, partial, ignored, open, complete, Stopped("Z", 0)});
  QueuePlan plan = PlanQueuePass(Settings(), items, kNowMs, 77);
  EXPECT_TRUE(plan.start.empty());
  EXPECT_EQ(plan.last_start, 77);
  EXPECT_EQ(plan.blocked, "");
  // Complete items are no candidates; the rest, in sort order, say which clause failed.
  EXPECT_EQ(
      NotStarted(plan),
      (std::vector<std::string>{
          "I: is_ignored=no (is_ignored=yes)", "M: message=/^$|ghost/ (message='Tracker: timeout')",
          "O: is_open=no (is_open=yes)", "P: done=0 (done=40.0)", "Z: prio>0 (prio=0)"}));
  // "ghost" in the message is allowed, as in pyrocore's default.
  EXPECT_EQ(Started(PlanQueuePass(Settings(), Items({ghost}), kNowMs, 0)),
            std::vector<std::string>{"G"});
}

TEST(QueuePassTest, SortTiesKeepTheViewOrder) {
  // Same prio and load time: by name; items without tm_loaded come first in their class.
  QueueItem a = Stopped("A", 2, 500);
  a.name = "same";
  QueueItem b = Stopped("B", 2, 500);
  b.name = "same";
  QueueItem c = Stopped("C", 2, 500);
  c.name = "alpha";
  QueueItem unloaded = Stopped("U", 2, 0);
  const QueueSettings s = Settings({{"start_at_once", "10"}, {"downloading_max", "10"}});
  QueuePlan plan = PlanQueuePass(s, Items({a, b, c, unloaded}), kNowMs, 0);
  EXPECT_EQ(Started(plan), (std::vector<std::string>{"U", "C", "A", "B"}));
  QueuePlan reversed = PlanQueuePass(s, Items({b, a, c, unloaded}), kNowMs, 0);
  EXPECT_EQ(Started(reversed), (std::vector<std::string>{"U", "C", "B", "A"}));
}

TEST(QueuePassTest, TrafficLimitBlocksEveryStart) {
  QueueItem fast = Downloading("X");
  fast.down = 6 * 1024 * 1024;
  const QueueSettings s = Settings({{"downloading_traffic_max", "5m"}, {"downloading_min", "3"}});
  QueuePlan plan = PlanQueuePass(s, Items({fast, Stopped("A")}), kNowMs, 0);
  EXPECT_TRUE(plan.start.empty());
  EXPECT_EQ(plan.traffic, 6 * 1024 * 1024);
  EXPECT_EQ(plan.blocked,
            "the downloading items receive 6.0 MiB/s, over downloading_traffic_max 5.0 MiB/s");
  fast.down = 4 * 1024 * 1024;
  EXPECT_EQ(Started(PlanQueuePass(s, Items({fast, Stopped("A")}), kNowMs, 0)),
            std::vector<std::string>{"A"});
}

TEST(QueuePassTest, LabelAndTrackerLimitsSkipToTheNextItem) {
  QueueItem tv = Downloading("X");
  tv.label = "TV";
  QueueItem a = Stopped("A");
  a.label = "TV";
  QueueItem b = Stopped("B");
  b.label = "Movies";
  b.tracker = "http://tracker.other.org/announce";
  QueueItem c = Stopped("C");
  c.label = "Movies";
  const QueueSettings s = Settings({{"start_at_once", "5"},
                                    {"max_per_label", "1"},
                                    {"max_per_label.Movies", "5"},
                                    {"max_per_tracker.example.com", "2"}});
  QueuePlan plan = PlanQueuePass(s, Items({tv, a, b, c}), kNowMs, 0);
  EXPECT_EQ(Started(plan), (std::vector<std::string>{"B", "C"}));
  EXPECT_EQ(NotStarted(plan),
            std::vector<std::string>{"A: max_per_label reached for label 'TV' (1 of 1)"});
  QueueItem d = Stopped("D");
  QueuePlan by_tracker = PlanQueuePass(s, Items({tv, c, d}), kNowMs, 0);
  EXPECT_EQ(Started(by_tracker), std::vector<std::string>{"C"});
  EXPECT_EQ(
      NotStarted(by_tracker),
      std::vector<std::string>{"D: max_per_tracker reached for tracker 'example.com' (2 of 2)"});
}

TEST(QueuePassTest, PyrotorqueManualSamplesBehaveAsDescribed) {
  // "audio downloads that don't stay below a 25% threshold regarding contained images are
  // not started automatically, unless you raise the priority to 3 (high)".
  const QueueSettings s = Settings({{"startable",
                                     "is_ignored=0 message= prio>0\n[ prio>2 OR [ NOT [ "
                                     "traits=audio kind_25=jpg,png,tif,bmp ] ] ]"},
                                    {"downloading", "[ prio>1 [ down>3 OR started<2i ] ]"},
                                    {"start_at_once", "10"},
                                    {"downloading_max", "3"}});
  QueueItem covers = Stopped("A");
  covers.name = "Artist - Album (2020) [FLAC]";
  covers.kind = "70%_flac 30%_jpg";
  QueueItem high = covers;
  high.hash = "H";
  high.prio = 3;
  QueueItem few = covers;
  few.hash = "F";
  few.kind = "90%_flac 10%_jpg";
  QueueItem video = Stopped("V");
  video.kind = "100%_mkv";
  QueuePlan plan = PlanQueuePass(s, Items({covers, high, few, video}), kNowMs, 0);
  EXPECT_EQ(Started(plan), (std::vector<std::string>{"H", "F", "V"}));
  EXPECT_EQ(NotStarted(plan), std::vector<std::string>{
                                  "A: [ prio>2 OR [ NOT traits=audio kind_25=jpg,png,tif,bmp ] ] "
                                  "(kind_25=flac,jpg, prio=2, traits=audio,flac)"});

  // "we only count items that have a normal or high priority, and transfer data or were
  // started in the last 2 minutes".
  QueueItem moving = Downloading("M");
  QueueItem low = Downloading("L");
  low.prio = 1;
  QueueItem young = Downloading("Y");
  young.down = 0;
  young.started = kNow - 60;
  QueueItem stalled = Downloading("S");
  stalled.down = 0;
  stalled.started = kNow - 600;
  QueuePlan counted = PlanQueuePass(s, Items({moving, low, young, stalled, video}), kNowMs, 0);
  EXPECT_EQ(counted.downloading, 2);  // M and Y
  EXPECT_EQ(Started(counted), std::vector<std::string>{"V"});
}

TEST(QueuePassTest, ReportGolden) {
  const QueueSettings s = Settings({{"downloading_max", "2"}});
  QueueItem zero = Stopped("D", 0);
  zero.name = "Zero Prio";
  const auto items = Items({Downloading("X"), Stopped("A"), Stopped("B"), zero});
  QueuePlan plan = PlanQueuePass(s, items, kNowMs, 0);
  EXPECT_EQ(QueueReport(s, plan, false, {"took 5.0 ms"}),
            "queue pass: 4 items in view 'main', 1 downloading (min 1, max 2), 2 startable\n"
            "started 'item A' [example.com, #A]\n"
            "took 5.0 ms\n"
            "not started:\n"
            "  'item B' #B: only 1 start per pass (start_at_once = 1)\n"
            "  'Zero Prio' #D: not startable: prio>0 (prio=0)");
  QueuePlan short_plan = PlanQueuePass(s, items, kNowMs, 0, /*max_decisions=*/1);
  EXPECT_EQ(QueueReport(s, short_plan, true, {}),
            "queue pass (dry run): 4 items in view 'main', 1 downloading (min 1, max 2), 2 "
            "startable\n"
            "would start 'item A' [example.com, #A]\n"
            "not started:\n"
            "  'item B' #B: only 1 start per pass (start_at_once = 1)\n"
            "  ... and 1 more (1 not startable)");
  QueuePlan none = PlanQueuePass(s, Items({zero}), kNowMs, 0);
  EXPECT_EQ(QueueReport(s, none, false, {}),
            "queue pass: 1 item in view 'main', 0 downloading (min 1, max 2), 0 startable\n"
            "nothing started: nothing is startable\n"
            "not started:\n"
            "  'Zero Prio' #D: not startable: prio>0 (prio=0)");
  const QueueSettings wait = Settings({{"intermission", "1m"}});
  QueuePlan waiting = PlanQueuePass(wait, Items({Stopped("A")}), kNowMs, kNowMs + 1000);
  EXPECT_EQ(QueueReport(wait, waiting, false, {}),
            "queue pass: 1 item in view 'main', 0 downloading (min 1, max 9), 1 startable\n"
            "the clock went back: the intermission counts from now\n"
            "nothing started: intermission: 60 s left of 60 s\n"
            "not started:\n"
            "  'item A' #A: intermission: 60 s left of 60 s");
}

}  // namespace
}  // namespace torque::jobs
