// The condition language (queue `startable`/`downloading`, item_action `matcher`,
// torque-cli rt): parse, the canonical form parses back to itself, match and explain
// against a synthetic item, and the rTorrent pre-filter.
#include "jobs/rtorrent/condition.h"
#include "tests/fuzz/fuzz.h"
#include "tests/rtorrent/query_test_util.h"

using namespace torque;
using namespace torque::rtorrent;

TORQUE_FUZZ_TARGET {
  auto condition = ParseCondition(fuzz::Text(data, size));
  if (!condition.ok()) return 0;
  const std::string canonical = condition->ToString();
  auto again = ParseCondition(canonical);
  fuzz::Require(again.ok(), "the canonical form parses");
  fuzz::Require(again->ToString() == canonical, "the canonical form is stable");

  static const Item item =
      testing::MakeItem({{"d.name=", Value("Über Motörhead [2024] S01E02.mkv")},
                         {"d.size_bytes=", Value(int64_t{3} << 30)},
                         {"d.priority=", Value(int64_t{2})},
                         {"d.ratio=", Value(int64_t{1500})},
                         {"d.complete=", Value(int64_t{1})},
                         {"d.custom1=", Value("tv")},
                         {"d.custom=tags", Value("keep new")},
                         {"d.message=", Value("Tracker: [Failure reason \"unregistered\"]")},
                         {"d.tracker_domain=", Value("tracker.example.org")},
                         {"d.timestamp.finished=", Value(testing::kNow - 3 * testing::kDay)}});
  const bool match = condition->Match(item, testing::kNow);
  fuzz::Require(match == again->Match(item, testing::kNow), "the canonical form matches alike");
  fuzz::Require(match == condition->Explain(item, testing::kNow).empty(),
                "explain is empty exactly for a match");
  (void)condition->RtorrentPrefilter(testing::kNow);
  return 0;
}
