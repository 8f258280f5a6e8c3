// The tree watch's settings: pyrocore's keys and defaults, pyrosimple's names, torque's
// own keys, and each bad value as a config error with file:line.
#include "jobs/tree_watch_settings.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "tests/jobs/job_type.h"
#include "tests/test_env.h"

namespace torque::jobs {
namespace {

namespace fs = std::filesystem;
using testing::TestType;

class TreeWatchSettingsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fs::create_directories(dir_ + "/a");
    fs::create_directories(dir_ + "/b");
  }

  Result<TreeWatchSettings> Read(std::vector<std::pair<std::string, std::string>> keys) {
    return ReadTreeWatchSettings(TestType(keys, "treewatch"));
  }
  testing::TempDir temp_{"torque-tw-settings"};
  const std::string dir_ = temp_.path();
};

TEST_F(TreeWatchSettingsTest, Defaults) {
  auto s = Read({{"path", dir_ + "/a/"}});
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_EQ(s->roots, std::vector<std::string>{dir_ + "/a"});
  EXPECT_FALSE(s->start);
  EXPECT_FALSE(s->queued);
  EXPECT_FALSE(s->quiet);
  EXPECT_FALSE(s->label_from_path);
  EXPECT_FALSE(s->load_raw);
  EXPECT_EQ(s->after_load, AfterLoad::kLeave);
  EXPECT_EQ(s->settle, 250);
  EXPECT_EQ(s->poll_interval, 0);
  EXPECT_EQ(s->QuarantineFor(dir_ + "/a"), dir_ + "/a/.invalid");
  EXPECT_EQ(s->QuarantinesInside(), std::vector<std::string>{dir_ + "/a/.invalid"});
  EXPECT_TRUE(s->commands.empty());
}

TEST_F(TreeWatchSettingsTest, EveryKey) {
  auto s = Read({{"path", " " + dir_ + "/a : " + dir_ + "/b:" + dir_ + "/a"},
                 {"load_mode", "Started"},
                 {"queued", "yes"},
                 {"quiet", "true"},
                 {"trace_inotify", "1"},
                 {"label_from_path", "on"},
                 {"load_raw", "true"},
                 {"remove_already_added", "true"},
                 {"after_load", "rename"},
                 {"quarantine", "/srv/bad/"},
                 {"settle", "1s"},
                 {"poll_interval", "30s"},
                 {"cmd.b", "d.custom.set=b,1"},
                 {"cmd.a", "d.custom1.set={{relpath}}"}});
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_EQ(s->roots, (std::vector<std::string>{dir_ + "/a", dir_ + "/b"}));
  EXPECT_TRUE(s->start && s->queued && s->quiet && s->trace && s->label_from_path && s->load_raw &&
              s->remove_already_added);
  EXPECT_EQ(s->after_load, AfterLoad::kRename);
  EXPECT_EQ(s->QuarantineFor(dir_ + "/a"), "/srv/bad");
  EXPECT_TRUE(s->QuarantinesInside().empty());
  EXPECT_EQ(s->settle, 1000);
  EXPECT_EQ(s->poll_interval, 30'000);
  ASSERT_EQ(s->commands.size(), 2u);
  EXPECT_EQ(s->commands[0].name, "a");
  EXPECT_EQ(s->commands[1].name, "b");
}

TEST_F(TreeWatchSettingsTest, PyrosimpleNames) {
  auto s = Read({{"path", dir_ + "/a"}, {"print_to_client", "false"}, {"remove_unhandled", "yes"}});
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_TRUE(s->quiet);
  EXPECT_EQ(s->after_load, AfterLoad::kDelete);
}

TEST_F(TreeWatchSettingsTest, BadValuesAreConfigErrors) {
  const std::vector<std::pair<std::vector<std::pair<std::string, std::string>>, std::string>>
      cases = {
          {{{"path", ""}}, "torque.ini:2: job type 'treewatch': key 'path': no folder to watch"},
          {{{"path", dir_ + "/nope"}},
           "torque.ini:2: job type 'treewatch': key 'path': '" + dir_ + "/nope' is not a folder"},
          {{{"path", dir_ + "/a"}, {"load_mode", "sometimes"}},
           "torque.ini:3: job type 'treewatch': key 'load_mode': expected start, started or "
           "normal, got 'sometimes'"},
          {{{"path", dir_ + "/a"}, {"after_load", "shred"}},
           "torque.ini:3: job type 'treewatch': key 'after_load': expected leave, delete or "
           "rename, got 'shred'"},
          {{{"path", dir_ + "/a"}, {"poll_interval", "10ms"}},
           "torque.ini:3: job type 'treewatch': key 'poll_interval': must be 0 (off) or at "
           "least 100ms"},
          {{{"path", dir_ + "/a"}, {"queued", "perhaps"}},
           "torque.ini:3: job type 'treewatch': key 'queued': expected"},
          {{{"path", dir_ + "/a"}, {"cmd.x", "d.custom1.set={{nope}}"}},
           "torque.ini:3: job type 'treewatch': key 'cmd.x': unknown variable 'nope'"},
          {{{"path", dir_ + "/a"}, {"cmd.y", "d.custom1.set=50%"}},
           "torque.ini:3: job type 'treewatch': key 'cmd.y': bad '%'"},
      };
  for (const auto& [keys, want] : cases) {
    auto s = Read(keys);
    ASSERT_FALSE(s.ok()) << want;
    EXPECT_EQ(s.status().message().substr(0, want.size()), want);
  }
}

TEST_F(TreeWatchSettingsTest, AnInactiveTypeMayLackAPath) {
  JobTypeConfig type = TestType({{"path", ""}}, "treewatch");
  type.active = false;
  EXPECT_TRUE(ReadTreeWatchSettings(type).ok());
}

}  // namespace
}  // namespace torque::jobs
