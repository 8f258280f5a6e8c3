// Scheduler on a real SQLite store with a fake clock: fire times, coalescing, restarts,
// misfires and store errors.
#include "server/scheduler.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <ctime>
#include <map>
#include <mutex>
#include <set>
#include <vector>

#include "server/sqlite_store.h"
#include "tests/server/failing_store.h"
#include "tests/server/test_support.h"

namespace torque::server {
namespace {

using testing::FailingStore;
using testing::FakeClock;
using testing::TempDir;

// 2023-11-14T22:13:20Z: an even second, so `second=*/2` fires at +2 s, +4 s, ...
constexpr TimeMs kStart = 1'700'000'000'000;

// One committed fire as on_fired reported it.
struct Fired {
  std::string type;
  JobId id = 0;
  bool existing = false;
};

class SchedulerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // The schedules use local time; UTC keeps the expected fire times obvious.
    setenv("TZ", "UTC", 1);
    tzset();
    auto opened = SqliteStore::Open(SqliteStoreOptions{dir_.File("torque.db")});
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    store_ = std::move(*opened);
  }
  void TearDown() override { scheduler_.reset(); }

  // Starts a scheduler (replacing any earlier one, as a restart does) with type `tick`
  // on `schedule`.
  void Start(const std::string& schedule = "second=*/2", DurationMs grace = 7000,
             Store* store = nullptr) {
    scheduler_.reset();
    Config config;
    JobTypeConfig type;
    type.name = "tick";
    type.schedule = schedule;
    type.retries = 2;
    type.priority = 5;
    type.timeout = 60'000;
    config.types["tick"] = type;
    JobTypeConfig plain;
    plain.name = "plain";
    config.types["plain"] = plain;
    JobTypeConfig off;
    off.name = "off";
    off.active = false;
    off.schedule = "second=*";
    config.types["off"] = off;
    SchedulerOptions options;
    options.misfire_grace = grace;
    options.on_fired = [this](const std::string& t, JobId id, bool existing) {
      std::lock_guard lock(mu_);
      fired_.push_back({t, id, existing});
    };
    scheduler_ = std::make_unique<Scheduler>(store ? *store : *store_, clock_, options);
    ASSERT_TRUE(scheduler_->Configure(config).ok());
    scheduler_->Start();
    scheduler_->Sync();
  }

  // Moves the clock by `ms` and lets the scheduler look at it.
  void Tick(DurationMs ms = 1000) {
    clock_.Advance(ms);
    scheduler_->Sync();
  }

  std::vector<Fired> fired() {
    std::lock_guard lock(mu_);
    return fired_;
  }

  // Runs every queued `tick` job to done, as a dispatcher would.
  void Consume() {
    auto claimed = store_->Claim("tick", 100, clock_.Now());
    ASSERT_TRUE(claimed.ok());
    for (const Job& j : *claimed) {
      Outcome o;
      o.state = JobState::kDone;
      o.finished_at = clock_.Now();
      ASSERT_TRUE(store_->Finish(j.id, o).ok());
    }
  }

  std::vector<Job> Jobs() {
    ListFilter f;
    f.type = "tick";
    auto jobs = store_->List(f);
    EXPECT_TRUE(jobs.ok());
    return jobs.ok() ? *jobs : std::vector<Job>{};
  }

  std::optional<TimeMs> LastFire() {
    auto fires = store_->ScheduleFires();
    EXPECT_TRUE(fires.ok());
    auto it = fires->find("tick");
    if (it == fires->end()) return std::nullopt;
    return it->second;
  }

  TempDir dir_;
  FakeClock clock_{kStart};
  std::unique_ptr<SqliteStore> store_;
  std::unique_ptr<Scheduler> scheduler_;
  std::mutex mu_;
  std::vector<Fired> fired_;
};

TEST_F(SchedulerTest, FiresAtTheScheduledTimesWithAConsumer) {
  Start();
  EXPECT_EQ(scheduler_->NextFire("tick"), kStart + 2000);
  EXPECT_EQ(scheduler_->NextFire("plain"), std::nullopt);
  EXPECT_EQ(scheduler_->NextFire("off"), std::nullopt);
  std::vector<TimeMs> fire_times;
  for (int i = 1; i <= 10; ++i) {
    const size_t before = fired().size();
    Tick();
    if (fired().size() > before) fire_times.push_back(clock_.Now());
    Consume();
  }
  EXPECT_EQ(fire_times, (std::vector<TimeMs>{kStart + 2000, kStart + 4000, kStart + 6000,
                                             kStart + 8000, kStart + 10000}));
  std::set<JobId> ids;
  for (const Fired& f : fired()) {
    EXPECT_EQ(f.type, "tick");
    EXPECT_FALSE(f.existing);
    ids.insert(f.id);
  }
  EXPECT_EQ(ids.size(), 5u);
  std::vector<Job> jobs = Jobs();
  ASSERT_EQ(jobs.size(), 5u);
  const Job& last = jobs.front();
  EXPECT_EQ(last.args, "");
  EXPECT_EQ(last.unique_key, "schedule");
  EXPECT_EQ(last.priority, 5);
  EXPECT_EQ(last.max_attempts, 3);
  EXPECT_EQ(last.timeout, 60'000);
  EXPECT_EQ(last.created_at, kStart + 10000);
  EXPECT_EQ(LastFire(), kStart + 10000);
  EXPECT_EQ(scheduler_->NextFire("tick"), kStart + 12000);
}

TEST_F(SchedulerTest, CoalescesWhileTheRunIsStillQueued) {
  Start();
  for (int i = 0; i < 10; ++i) Tick();
  std::vector<Fired> f = fired();
  ASSERT_EQ(f.size(), 5u);
  EXPECT_FALSE(f[0].existing);
  for (size_t i = 1; i < f.size(); ++i) {
    EXPECT_TRUE(f[i].existing);
    EXPECT_EQ(f[i].id, f[0].id);
  }
  EXPECT_EQ(Jobs().size(), 1u);
  EXPECT_EQ(LastFire(), kStart + 10000);
}

TEST_F(SchedulerTest, ANewScheduleDoesNotFireForThePast) {
  clock_.Advance(1000);  // kStart + 1 s: the fire at kStart is in the past
  Start();
  EXPECT_TRUE(fired().empty());
  EXPECT_EQ(LastFire(), std::nullopt);
  EXPECT_EQ(scheduler_->NextFire("tick"), kStart + 2000);
  Tick(500);
  EXPECT_TRUE(fired().empty());
  Tick(500);
  EXPECT_EQ(fired().size(), 1u);
}

TEST_F(SchedulerTest, RestartNeitherDoubleFiresNorSkips) {
  Start();
  Tick(2000);
  ASSERT_EQ(fired().size(), 1u);
  Consume();
  // Restart at the very time of the fire: it is not repeated.
  Start();
  EXPECT_EQ(fired().size(), 1u);
  EXPECT_EQ(scheduler_->NextFire("tick"), kStart + 4000);
  Tick(1000);
  EXPECT_EQ(fired().size(), 1u);
  // Down across the next fire time (1 s late, within grace): it runs once on start.
  scheduler_.reset();
  clock_.Advance(2000);  // kStart + 5 s
  Start();
  ASSERT_EQ(fired().size(), 2u);
  EXPECT_FALSE(fired()[1].existing);
  EXPECT_EQ(LastFire(), kStart + 4000);
  EXPECT_EQ(scheduler_->NextFire("tick"), kStart + 6000);
  Consume();
  Tick(1000);
  EXPECT_EQ(fired().size(), 3u);
  EXPECT_EQ(Jobs().size(), 3u);
}

TEST_F(SchedulerTest, MissedFiresWithinGraceRunOnceAfterRestart) {
  Start();
  Tick(2000);
  Consume();
  scheduler_.reset();
  clock_.Advance(5000);  // kStart + 7 s: the fires at +4 and +6 were missed
  Start();
  ASSERT_EQ(fired().size(), 2u);
  EXPECT_EQ(LastFire(), kStart + 6000);  // the latest missed fire; +4 coalesced into it
  EXPECT_EQ(scheduler_->NextFire("tick"), kStart + 8000);
  EXPECT_EQ(Jobs().size(), 2u);
  Tick(500);
  EXPECT_EQ(fired().size(), 2u);
}

TEST_F(SchedulerTest, MissedFiresBeyondGraceAreSkippedAndRecorded) {
  Start("second=*/2", /*grace=*/500);
  Tick(2000);
  Consume();
  scheduler_.reset();
  clock_.Advance(97'000 + 700);  // kStart + 99.7 s: the latest fire, +98, is 1.7 s late
  Start("second=*/2", 500);
  EXPECT_EQ(fired().size(), 1u);
  EXPECT_EQ(Jobs().size(), 1u);
  EXPECT_EQ(LastFire(), kStart + 98'000);
  EXPECT_EQ(scheduler_->NextFire("tick"), kStart + 100'000);
  Tick(300);  // kStart + 100 s
  EXPECT_EQ(fired().size(), 2u);
  EXPECT_EQ(Jobs().size(), 2u);
}

TEST_F(SchedulerTest, AClockJumpingForwardFiresOnce) {
  Start();
  Tick(2000);
  Consume();
  Tick(3'600'000);  // an hour of fire times passed in an instant
  EXPECT_EQ(fired().size(), 2u);
  EXPECT_EQ(Jobs().size(), 2u);
  EXPECT_EQ(LastFire(), kStart + 3'602'000);
  EXPECT_EQ(scheduler_->NextFire("tick"), kStart + 3'604'000);
}

TEST_F(SchedulerTest, AClockJumpingBackWithinAnIntervalRepeatsNoFire) {
  Start();
  Tick(2000);
  Consume();
  ASSERT_EQ(fired().size(), 1u);
  Tick(-1500);  // kStart + 0.5 s, behind the fire at +2 s
  EXPECT_EQ(scheduler_->NextFire("tick"), kStart + 4000);
  Tick(1500);  // +2 s again: already fired
  EXPECT_EQ(fired().size(), 1u);
  Tick(2000);
  EXPECT_EQ(fired().size(), 2u);
  EXPECT_EQ(LastFire(), kStart + 4000);
}

TEST_F(SchedulerTest, AClockJumpingFarBackContinuesFromTheNewTime) {
  Start();
  Tick(2000);
  Consume();
  Tick(-3'600'000);  // an hour back: waiting for +4 s would stall the schedule an hour
  const TimeMs back = kStart + 2000 - 3'600'000;
  EXPECT_EQ(scheduler_->NextFire("tick"), back + 2000);
  Tick(2000);
  EXPECT_EQ(fired().size(), 2u);
  EXPECT_EQ(LastFire(), back + 2000);
  // Started while the clock is an hour behind the stored fire: no stall either.
  scheduler_.reset();
  clock_.Advance(-3'600'000);
  Start();
  EXPECT_EQ(scheduler_->NextFire("tick"), back + 4000 - 3'600'000);
}

TEST_F(SchedulerTest, StoreErrorsAreRetried) {
  FailingStore failing(*store_);
  failing.Fail(FailingStore::Kind::kFire, Status::IoError("disk full"), 1);
  Start("second=*/2", 7000, &failing);
  Tick(2000);
  EXPECT_TRUE(fired().empty());
  EXPECT_EQ(failing.failures(), 1);
  EXPECT_EQ(LastFire(), std::nullopt);
  EXPECT_EQ(scheduler_->NextFire("tick"), kStart + 2000);  // still due
  Tick(Scheduler::kRetryMs);
  ASSERT_EQ(fired().size(), 1u);
  EXPECT_EQ(LastFire(), kStart + 2000);
  EXPECT_EQ(scheduler_->NextFire("tick"), kStart + 4000);
}

TEST_F(SchedulerTest, UnreadableFiresAreRetried) {
  FailingStore failing(*store_);
  failing.Fail(FailingStore::Kind::kRead, Status::IoError("locked"));  // until healed
  Start("second=*/2", 7000, &failing);
  EXPECT_EQ(scheduler_->NextFire("tick"), std::nullopt);
  failing.Heal();
  Tick(Scheduler::kRetryMs);
  EXPECT_EQ(scheduler_->NextFire("tick"), kStart + 2000);
}

TEST_F(SchedulerTest, ConfigureRejectsABadSchedule) {
  Scheduler scheduler(*store_, clock_, {});
  Config config;
  JobTypeConfig type;
  type.name = "bad";
  type.schedule = "hour=25";
  config.types["bad"] = type;
  Status st = scheduler.Configure(config);
  EXPECT_EQ(st.code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(st.message(), "job type bad: schedule: hour='25': 25 is out of range 0-23");
}

}  // namespace
}  // namespace torque::server
