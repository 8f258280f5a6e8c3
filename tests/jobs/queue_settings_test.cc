#include "jobs/queue_settings.h"

#include <gtest/gtest.h>

#include "jobs/handler_table.h"
#include "tests/jobs/job_type.h"

namespace torque::jobs {
namespace {

using testing::TestType;

Result<QueueSettings> Read(const std::vector<std::pair<std::string, std::string>>& keys,
                           const Config& config = {}) {
  return ReadQueueSettings(TestType(keys, "queue"), config);
}

TEST(QueueSettingsTest, PyrocoreDefaults) {
  auto s = Read({});
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_EQ(s->startable_text,
            "[ is_open=no is_active=no is_complete=no ] "
            "[ is_ignored=no done=0 message=/^$|ghost/ prio>0 ]");
  EXPECT_EQ(s->startable.ToString(),
            "is_open=no is_active=no is_complete=no is_ignored=no done=0 message=/^$|ghost/ "
            "prio=+0");
  EXPECT_EQ(s->downloading_text, "is_active=1 is_complete=0");
  EXPECT_EQ(s->view, "main");
  EXPECT_EQ(s->downloading_min, 1);
  EXPECT_EQ(s->downloading_max, 9);
  EXPECT_EQ(s->start_at_once, 1);
  EXPECT_EQ(s->intermission, 0);
  EXPECT_FALSE(s->quiet);
  EXPECT_TRUE(s->prefilter);
  EXPECT_EQ(s->downloading_traffic_max, 0);
  EXPECT_FALSE(s->HasLabelLimits());
  EXPECT_FALSE(s->HasTrackerLimits());
  std::vector<std::string> sorted;
  for (const auto& k : s->sort.keys()) sorted.push_back((k.descending ? "-" : "") + k.field.name);
  EXPECT_EQ(sorted, (std::vector<std::string>{"-prio", "loaded", "name"}));
  // Exactly what a pass reads: the conditions, the sort and the report.
  EXPECT_EQ(s->fields,
            (std::vector<std::string>{"done", "is_active", "is_complete", "is_ignored", "is_open",
                                      "message", "prio", "loaded", "name", "alias"}));
}

TEST(QueueSettingsTest, ConditionsAsPyrocoreBuildsThem) {
  Config config;
  config.torque_globals["queue_startable_base"] = {"is_active=no is_complete=no", {"t.ini", 4}};
  auto s = Read({{"startable", "prio>1"}, {"downloading", "down>0"}}, config);
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_EQ(s->startable_text, "[ is_active=no is_complete=no ] [ prio>1 ]");
  EXPECT_EQ(s->downloading_text, "is_active=1 is_complete=0 [ down>0 ]");
  EXPECT_EQ(s->downloading.ToString(), "is_active=yes is_complete=no down=+0");
  // pyrosimple's names.
  auto ps = Read({{"matcher", "prio>2"}, {"sort", "name"}, {"max_downloading_traffic", "1m"}});
  ASSERT_TRUE(ps.ok()) << ps.status().message();
  EXPECT_EQ(ps->startable_text, "[ is_open=no is_active=no is_complete=no ] [ prio>2 ]");
  EXPECT_EQ(ps->sort.keys().size(), 1u);
  EXPECT_EQ(ps->downloading_traffic_max, 1024 * 1024);
  auto limits = Read(
      {{"max_per_label", "2"}, {"max_per_label.TV", "1"}, {"max_per_tracker.example.org", "3"}});
  ASSERT_TRUE(limits.ok());
  EXPECT_EQ(limits->LabelLimit("TV"), 1);
  EXPECT_EQ(limits->LabelLimit("Other"), 2);
  EXPECT_EQ(limits->LabelLimit(""), 0);
  EXPECT_EQ(limits->TrackerLimit("example.org"), 3);
  EXPECT_EQ(limits->TrackerLimit("other.org"), 0);
}

TEST(QueueSettingsTest, ErrorsNameTheSetting) {
  const std::pair<std::vector<std::pair<std::string, std::string>>, std::string> cases[] = {
      {{{"startable", "prio>"}},
       "torque.ini:2: job type 'queue': key 'startable': bad number '' for field 'prio' at column "
       "6"},
      {{{"downloading", "[ down>0"}},
       "torque.ini:2: job type 'queue': key 'downloading': '[' without a matching ']' at column 1"},
      {{{"sort_fields", "-prio,sise"}},
       "torque.ini:2: job type 'queue': key 'sort_fields': Unknown field 'sise'"},
      {{{"downloading_max", "many"}},
       "torque.ini:2: job type 'queue': key 'downloading_max': expected an integer 0..1000000, "
       "got 'many'"},
      {{{"intermission", "soon"}}, "torque.ini:2: job type 'queue': key 'intermission': "},
      {{{"quiet", "maybe"}}, "torque.ini:2: job type 'queue': key 'quiet': expected a boolean"},
      {{{"max_per_label.TV", "-1"}},
       "torque.ini:2: job type 'queue': key 'max_per_label.TV': expected an integer 0..1000000, "
       "got '-1'"},
      {{{"view", ""}}, "torque.ini:2: job type 'queue': key 'view': expected a view name, got ''"},
  };
  for (const auto& [keys, prefix] : cases) {
    auto s = Read(keys);
    ASSERT_FALSE(s.ok()) << prefix;
    EXPECT_EQ(s.status().message().substr(0, prefix.size()), prefix) << s.status().message();
  }
  Config config;
  config.torque_globals["queue_startable_base"] = {"message=", {"t.ini", 4}};
  auto base = Read({}, config);
  ASSERT_TRUE(base.ok()) << "an empty value is a valid condition";
  config.torque_globals["queue_startable_base"] = {"OR", {"t.ini", 4}};
  base = Read({}, config);
  ASSERT_FALSE(base.ok());
  EXPECT_EQ(base.status().message().rfind("t.ini:4: [TORQUE] key 'queue_startable_base': ", 0), 0u)
      << base.status().message();
}

TEST(QueueSettingsTest, PyrotorqueTorqueIniLoadsUnchanged) {
  // The queue part of pyrotorque's manual example, as a user's torque.ini.
  ConfigOptions options;
  options.handlers = &HandlerSpecs();
  options.state_dir = "/state";
  auto config = LoadConfigFromTexts(
      {{"torque.ini",
        "# \"pyrotorque\" configuration file\n"
        "[TORQUE]\n"
        "job.queue.active = True\n"
        "job.queue.schedule = second=*/5\n"
        "job.queue.intermission = 60\n"
        "job.queue.downloading_max = 3\n"
        "job.queue.startable = is_ignored=0 message= prio>0\n"
        "        [ prio>2 OR [ NOT [ traits=audio kind_25=jpg,png,tif,bmp ] ] ]\n"
        "job.queue.downloading = [ prio>1 [ down>3 OR started<2i ] ]\n"}},
      options);
  ASSERT_TRUE(config.ok()) << config.status().message();
  EXPECT_TRUE(config->warnings.empty()) << config->warnings.front().ToString();
  const JobTypeConfig& queue = config->types.at("queue");
  EXPECT_EQ(queue.handler, "queue_manager");
  EXPECT_TRUE(queue.active);
  EXPECT_EQ(config->FindType("queue_pass"), &queue);
  auto s = ReadQueueSettings(queue, *config);
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_EQ(s->intermission, 60'000);
  EXPECT_EQ(s->downloading_max, 3);
  EXPECT_EQ(s->downloading_min, 1);  // still the packaged default
  EXPECT_EQ(s->startable.ToString(),
            "is_open=no is_active=no is_complete=no is_ignored=no message= prio=+0 "
            "[ prio=+2 OR [ NOT traits=audio kind_25=jpg,png,tif,bmp ] ]");
  EXPECT_EQ(s->downloading.ToString(),
            "is_active=yes is_complete=no prio=+1 [ down=+3 OR started=-2i ]");
}

}  // namespace
}  // namespace torque::jobs
