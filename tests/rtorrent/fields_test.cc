#include "jobs/rtorrent/fields.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "jobs/rtorrent/item.h"
#include "tests/rtorrent/query_test_util.h"

namespace torque::rtorrent {
namespace {

using testing::kDay;
using testing::kNow;
using testing::MakeItem;

using M = MatcherType;
using Strings = std::vector<std::string>;

constexpr const char* kTrackers = "t.multicall=,t.url=,t.is_enabled=";
constexpr const char* kFiles = "f.multicall=,f.path=,f.size_bytes=";

struct FieldCase {
  const char* name;
  MatcherType matcher;
  Strings commands;
};

TEST(LookupFieldTest, EveryFixedFieldWithItsCommands) {
  const Strings path = {"d.base_path=", "d.directory=", "d.is_multi_file=", "d.name="};
  const FieldCase cases[] = {
      {"hash", M::kPattern, {"d.hash="}},
      {"name", M::kPattern, {"d.name="}},
      {"alias", M::kPattern, {"d.custom=m_alias", kTrackers}},
      {"tracker", M::kPattern, {kTrackers}},
      {"message", M::kPattern, {"d.message="}},
      {"size", M::kByteSize, {"d.size_bytes="}},
      {"prio", M::kFloat, {"d.priority="}},
      {"is_private", M::kBool, {"d.is_private="}},
      {"is_open", M::kBool, {"d.is_open="}},
      {"is_active", M::kBool, {"d.is_active="}},
      {"is_complete", M::kBool, {"d.complete="}},
      {"is_multi_file", M::kBool, {"d.is_multi_file="}},
      {"is_ignored", M::kBool, {"d.ignore_commands="}},
      {"is_ghost", M::kBool, path},
      {"directory", M::kPattern, {"d.directory="}},
      {"path", M::kPattern, path},
      {"realpath", M::kPattern, path},
      {"metafile", M::kPattern, {"d.tied_to_file="}},
      {"sessionfile", M::kPattern, {"cat=$session.path=,$d.hash=,.torrent"}},
      {"files", M::kFiles, {kFiles}},
      {"fno", M::kFloat, {"d.size_files="}},
      {"done", M::kFloat, {"d.completed_chunks=", "d.size_chunks="}},
      {"ratio", M::kFloat, {"d.ratio="}},
      {"uploaded", M::kByteSize, {"d.up.total="}},
      {"down", M::kByteSize, {"d.down.rate="}},
      {"up", M::kByteSize, {"d.up.rate="}},
      {"xfer", M::kByteSize, {"d.up.rate=", "d.down.rate="}},
      {"throttle", M::kPattern, {"d.throttle_name="}},
      {"loaded", M::kTimeNotNull, {"d.custom=tm_loaded"}},
      {"started", M::kTimeNotNull, {"d.custom=tm_started"}},
      {"completed", M::kTimeNotNull, {"d.custom=tm_completed"}},
      {"leechtime",
       M::kDuration,
       {"d.custom=activations", "d.custom=tm_started", "d.custom=tm_completed"}},
      {"seedtime", M::kDuration, {"d.custom=activations", "d.custom=tm_completed", "d.complete="}},
      {"active", M::kTime, {"d.peers_connected=", "d.custom=last_active"}},
      {"last_xfer", M::kTime, {"d.up.rate=", "d.down.rate=", "d.custom=last_xfer"}},
      {"stopped", M::kTimeNotNull, {"d.custom=activations"}},
      {"tagged", M::kTagged, {"d.custom=tags"}},
      {"views", M::kTagged, {"d.views="}},
      {"kind", M::kTagged, {"d.custom=kind"}},
      {"traits", M::kTagged, {"d.name=", "d.custom=m_alias", kTrackers, "d.custom=kind"}},
  };
  EXPECT_EQ(FixedFieldNames().size(), std::size(cases));
  for (const auto& c : cases) {
    auto field = LookupField(c.name);
    ASSERT_TRUE(field.ok()) << c.name;
    EXPECT_EQ(field->name, c.name);
    EXPECT_EQ(field->matcher, c.matcher) << c.name;
    EXPECT_EQ(field->commands, c.commands) << c.name;
    EXPECT_FALSE(field->help.empty()) << c.name;
  }
}

TEST(LookupFieldTest, DynamicFields) {
  struct Case {
    const char* name;
    FieldId id;
    MatcherType matcher;
    std::string arg;
    int kind_limit;
    Strings commands;
  } cases[] = {
      {"kind_0", FieldId::kKind, M::kTagged, "", 0, {"d.custom=kind"}},
      {"kind_25", FieldId::kKind, M::kTagged, "", 25, {"d.custom=kind"}},
      {"kind_007", FieldId::kKind, M::kTagged, "", 7, {"d.custom=kind"}},
      {"kind_100", FieldId::kKind, M::kTagged, "", 100, {"d.custom=kind"}},
      {"custom_1", FieldId::kCustom, M::kPattern, "1", 0, {"d.custom1="}},
      {"custom_5", FieldId::kCustom, M::kPattern, "5", 0, {"d.custom5="}},
      {"custom_6", FieldId::kCustom, M::kPattern, "6", 0, {"d.custom=6"}},
      {"custom_tm_loaded", FieldId::kCustom, M::kPattern, "tm_loaded", 0, {"d.custom=tm_loaded"}},
      {"d_down.rate", FieldId::kDMethod, M::kPattern, "down.rate", 0, {"d.down.rate="}},
      {"d_is_pex_active", FieldId::kDMethod, M::kPattern, "is_pex_active", 0, {"d.is_pex_active="}},
  };
  for (const auto& c : cases) {
    auto field = LookupField(c.name);
    ASSERT_TRUE(field.ok()) << c.name;
    EXPECT_EQ(field->name, c.name);
    EXPECT_EQ(field->id, c.id) << c.name;
    EXPECT_EQ(field->matcher, c.matcher) << c.name;
    EXPECT_EQ(field->arg, c.arg) << c.name;
    EXPECT_EQ(field->kind_limit, c.kind_limit) << c.name;
    EXPECT_EQ(field->commands, c.commands) << c.name;
  }
}

TEST(LookupFieldTest, UnknownNames) {
  const std::pair<const char*, const char*> cases[] = {
      {"sise", "Unknown field 'sise'"},
      {"", "Unknown field ''"},
      {"Name", "Unknown field 'Name'"},
      {"kind_", "Unknown field 'kind_'"},
      {"kind_x", "Unknown field 'kind_x'"},
      {"kind_101", "Unknown field 'kind_101' (N of kind_N must be 0..100)"},
      {"kind_99999999999", "Unknown field 'kind_99999999999' (N of kind_N must be 0..100)"},
      {"custom_", "Unknown field 'custom_'"},
      {"custom_a,b", "Unknown field 'custom_a,b'"},
      {"d_", "Unknown field 'd_'"},
      {"d_x=y", "Unknown field 'd_x=y'"},
  };
  for (const auto& [name, message] : cases) {
    auto field = LookupField(name);
    ASSERT_FALSE(field.ok()) << name;
    EXPECT_EQ(field.status().code(), Status::Code::kInvalidArgument);
    EXPECT_EQ(field.status().message(), message);
  }
}

TEST(ProjectionTest, HashFirstThenEachCommandOnce) {
  Projection p;
  EXPECT_EQ(p.commands(), Strings{"d.hash="});
  ASSERT_TRUE(p.Add("xfer").ok());
  ASSERT_TRUE(p.Add("up").ok());
  ASSERT_TRUE(p.Add("hash").ok());
  ASSERT_TRUE(p.Add("last_xfer").ok());
  EXPECT_EQ(p.commands(), (Strings{"d.hash=", "d.up.rate=", "d.down.rate=", "d.custom=last_xfer"}));
  EXPECT_EQ(p.Column("d.hash="), 0);
  EXPECT_EQ(p.Column("d.down.rate="), 2);
  EXPECT_EQ(p.Column("d.name="), -1);
  EXPECT_TRUE(p.Has("d.custom=last_xfer"));
  EXPECT_EQ(p.Add("nope").message(), "Unknown field 'nope'");
}

// ---------------------------------------------------------------------------------------
// Item: every field's value from a hand-built row.

template <typename T>
T ValueOf(const Item& item, const std::string& name) {
  auto field = LookupField(name);
  EXPECT_TRUE(field.ok()) << name;
  const FieldValue v = item.Get(*field);
  EXPECT_TRUE(std::holds_alternative<T>(v)) << name << " holds index " << v.index();
  return std::holds_alternative<T>(v) ? std::get<T>(v) : T{};
}

bool IsUnset(const Item& item, const std::string& name) {
  return std::holds_alternative<std::monostate>(item.Get(*LookupField(name)));
}

TEST(ItemTest, PlainFields) {
  const Item item = MakeItem(
      {
          {"d.hash=", "0123ABCD"},
          {"d.name=", "Some.Name"},
          {"d.message=", "Tracker: ok"},
          {"d.size_bytes=", int64_t{5} << 30},
          {"d.priority=", 3},
          {"d.is_private=", 1},
          {"d.is_open=", 1},
          {"d.is_active=", 0},
          {"d.complete=", true},
          {"d.is_multi_file=", 1},
          {"d.ignore_commands=", 1},
          {"d.directory=", "/data/Some.Name"},
          {"d.tied_to_file=", "/watch/x.torrent"},
          {"cat=$session.path=,$d.hash=,.torrent", "/session/0123ABCD.torrent"},
          {"d.size_files=", 7},
          {"d.completed_chunks=", 1},
          {"d.size_chunks=", 8},
          {"d.ratio=", 1250},
          {"d.up.total=", 999},
          {"d.down.rate=", 10},
          {"d.up.rate=", 20},
          {"d.throttle_name=", "slow"},
          {"d.custom=tm_loaded", "1700000000"},
          {"d.custom=tm_started", "1700000100"},
          {"d.custom=tm_completed", "1700000200"},
          {"d.custom=tags", "  New  FOO\tbar new "},
          {"d.views=", Array{"seeding", "main"}},
          {"d.custom1=", "label"},
          {"d.custom=foo", "bar"},
          {"d.down.rate=", 10},
      },
      {"custom_1", "custom_foo", "d_down.rate"});
  EXPECT_EQ(item.hash(), "0123ABCD");
  EXPECT_EQ(ValueOf<std::string>(item, "hash"), "0123ABCD");
  EXPECT_EQ(ValueOf<std::string>(item, "name"), "Some.Name");
  EXPECT_EQ(ValueOf<std::string>(item, "message"), "Tracker: ok");
  EXPECT_EQ(ValueOf<int64_t>(item, "size"), int64_t{5} << 30);
  EXPECT_EQ(ValueOf<int64_t>(item, "prio"), 3);
  EXPECT_TRUE(ValueOf<bool>(item, "is_private"));
  EXPECT_TRUE(ValueOf<bool>(item, "is_open"));
  EXPECT_FALSE(ValueOf<bool>(item, "is_active"));
  EXPECT_TRUE(ValueOf<bool>(item, "is_complete"));
  EXPECT_TRUE(ValueOf<bool>(item, "is_multi_file"));
  EXPECT_TRUE(ValueOf<bool>(item, "is_ignored"));
  EXPECT_EQ(ValueOf<std::string>(item, "directory"), "/data/Some.Name");
  EXPECT_EQ(ValueOf<std::string>(item, "metafile"), "/watch/x.torrent");
  EXPECT_EQ(ValueOf<std::string>(item, "sessionfile"), "/session/0123ABCD.torrent");
  EXPECT_EQ(ValueOf<int64_t>(item, "fno"), 7);
  EXPECT_DOUBLE_EQ(ValueOf<double>(item, "done"), 12.5);
  EXPECT_DOUBLE_EQ(ValueOf<double>(item, "ratio"), 1.25);
  EXPECT_EQ(ValueOf<int64_t>(item, "uploaded"), 999);
  EXPECT_EQ(ValueOf<int64_t>(item, "down"), 10);
  EXPECT_EQ(ValueOf<int64_t>(item, "up"), 20);
  EXPECT_EQ(ValueOf<int64_t>(item, "xfer"), 30);
  EXPECT_EQ(ValueOf<std::string>(item, "throttle"), "slow");
  EXPECT_EQ(ValueOf<int64_t>(item, "loaded"), 1700000000);
  EXPECT_EQ(ValueOf<int64_t>(item, "started"), 1700000100);
  EXPECT_EQ(ValueOf<int64_t>(item, "completed"), 1700000200);
  EXPECT_EQ(ValueOf<Strings>(item, "tagged"), (Strings{"bar", "foo", "new"}));
  EXPECT_EQ(ValueOf<Strings>(item, "views"), (Strings{"main", "seeding"}));
  EXPECT_EQ(ValueOf<std::string>(item, "custom_1"), "label");
  EXPECT_EQ(ValueOf<std::string>(item, "custom_foo"), "bar");
  EXPECT_EQ(ValueOf<std::string>(item, "d_down.rate"), "10");
}

TEST(ItemTest, MissingValuesReadAsEmpty) {
  const Item item = MakeItem({});
  EXPECT_EQ(ValueOf<std::string>(item, "name"), "");
  EXPECT_EQ(ValueOf<std::string>(item, "throttle"), "NONE");
  EXPECT_EQ(ValueOf<int64_t>(item, "size"), 0);
  EXPECT_DOUBLE_EQ(ValueOf<double>(item, "done"), 0.0);  // no chunks: 0, not a division by 0
  EXPECT_FALSE(ValueOf<bool>(item, "is_open"));
  EXPECT_EQ(ValueOf<int64_t>(item, "loaded"), 0);
  EXPECT_TRUE(ValueOf<Strings>(item, "tagged").empty());
  EXPECT_TRUE(ValueOf<Strings>(item, "kind").empty());
  EXPECT_TRUE(ValueOf<Strings>(item, "traits").empty());
  EXPECT_TRUE(ValueOf<std::vector<FileInfo>>(item, "files").empty());
  EXPECT_EQ(ValueOf<std::string>(item, "path"), "");
  EXPECT_EQ(ValueOf<std::string>(item, "realpath"), "");
  EXPECT_FALSE(ValueOf<bool>(item, "is_ghost"));
  EXPECT_TRUE(IsUnset(item, "leechtime"));
  EXPECT_TRUE(IsUnset(item, "seedtime"));
  // Custom times that are not integers read as 0, as rTorrent's value= does.
  EXPECT_EQ(ValueOf<int64_t>(MakeItem({{"d.custom=tm_loaded", "17e8"}}), "loaded"), 0);
  EXPECT_EQ(ValueOf<int64_t>(MakeItem({{"d.custom=tm_loaded", "1700000000.5"}}), "loaded"), 0);
  // A short row is padded with nil.
  auto projection = testing::FullProjection();
  const Item short_row(projection, Array{"HASH"}, testing::Context());
  EXPECT_EQ(short_row.hash(), "HASH");
  EXPECT_EQ(ValueOf<std::string>(short_row, "name"), "");
}

TEST(ItemTest, PathsFollowPyrocoresDatapath) {
  // base_path wins; else directory, plus the name for a single-file item.
  EXPECT_EQ(
      ValueOf<std::string>(MakeItem({{"d.base_path=", "/a/b"}, {"d.directory=", "/x"}}), "path"),
      "/a/b");
  EXPECT_EQ(ValueOf<std::string>(
                MakeItem({{"d.directory=", "/dl"}, {"d.name=", "f.iso"}, {"d.is_multi_file=", 0}}),
                "path"),
            "/dl/f.iso");
  EXPECT_EQ(
      ValueOf<std::string>(
          MakeItem({{"d.directory=", "/dl/Dir"}, {"d.name=", "Dir"}, {"d.is_multi_file=", 1}}),
          "path"),
      "/dl/Dir");
  setenv("HOME", "/home/tester", 1);
  EXPECT_EQ(ValueOf<std::string>(MakeItem({{"d.base_path=", "~/dl/x"}}), "path"),
            "/home/tester/dl/x");
  EXPECT_EQ(ValueOf<std::string>(MakeItem({{"d.tied_to_file=", "~/w/x.torrent"}}), "metafile"),
            "/home/tester/w/x.torrent");
  // realpath resolves symlinks on this machine; is_ghost checks existence.
  const std::filesystem::path dir = std::filesystem::path(::testing::TempDir()) / "rtq_realpath";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir / "data");
  std::filesystem::create_directory_symlink(dir / "data", dir / "link");
  const Item linked = MakeItem({{"d.base_path=", (dir / "link").string()}});
  EXPECT_EQ(ValueOf<std::string>(linked, "realpath"),
            std::filesystem::canonical(dir / "data").string());
  EXPECT_FALSE(ValueOf<bool>(linked, "is_ghost"));
  std::filesystem::remove(dir / "data");
  EXPECT_TRUE(ValueOf<bool>(linked, "is_ghost"));  // a dangling link is a ghost
  std::filesystem::remove_all(dir);
}

TEST(ItemTest, TrackerAndAliasWithWriteBack) {
  AliasConfig aliases;
  aliases.announce = {
      {"EX", {"http://tracker.example.com/announce", "http://tracker.example.com:6969/other"}}};
  const Array trackers{Array{"udp://off.example.org:80", 0},
                       Array{"http://tracker.example.com:6969/announce", 1},
                       Array{"http://second.example.net/a", 1}};
  // No cache: the first enabled tracker, mapped (same host prefix) and written back.
  const Item fresh = MakeItem({{kTrackers, trackers}}, {}, kNow, aliases);
  EXPECT_EQ(ValueOf<std::string>(fresh, "tracker"), "http://tracker.example.com:6969/announce");
  EXPECT_EQ(ValueOf<std::string>(fresh, "alias"), "EX");
  EXPECT_EQ(
      fresh.PendingWrites(),
      (std::vector<PendingCall>{
          {"d.custom.set", Array{"ABC", "m_alias", "http://tracker.example.com:6969/announce"}}}));
  // The cache (pyrocore stores the URL) wins and nothing is written.
  const Item cached =
      MakeItem({{kTrackers, trackers}, {"d.custom=m_alias", "http://tracker.example.com/announce"}},
               {}, kNow, aliases);
  EXPECT_EQ(ValueOf<std::string>(cached, "alias"), "EX");
  EXPECT_TRUE(cached.PendingWrites().empty());
  // Without a configured alias: the domain.
  EXPECT_EQ(ValueOf<std::string>(MakeItem({{kTrackers, trackers}}), "alias"), "example.com");
  // A plain alias stored by another tool is used as it is.
  EXPECT_EQ(ValueOf<std::string>(MakeItem({{"d.custom=m_alias", "MyTracker"}}), "alias"),
            "MyTracker");
  // No enabled tracker: no alias, no write.
  const Item none = MakeItem({{kTrackers, Array{Value(Array{"http://x.org/a", 0})}}});
  EXPECT_EQ(ValueOf<std::string>(none, "alias"), "");
  EXPECT_EQ(ValueOf<std::string>(none, "tracker"), "");
  EXPECT_TRUE(none.PendingWrites().empty());
}

TEST(ItemTest, KindFromCache) {
  const Item item = MakeItem({{"d.custom=kind", "80%_mkv 15%_nfo 5%_jpg 1%_"}},
                             {"kind_5", "kind_15", "kind_16", "kind_100"});
  EXPECT_EQ(ValueOf<Strings>(item, "kind"), (Strings{"jpg", "mkv", "nfo"}));
  EXPECT_EQ(ValueOf<Strings>(item, "kind_5"), (Strings{"jpg", "mkv", "nfo"}));
  EXPECT_EQ(ValueOf<Strings>(item, "kind_15"), (Strings{"mkv", "nfo"}));
  EXPECT_EQ(ValueOf<Strings>(item, "kind_16"), (Strings{"mkv"}));
  EXPECT_TRUE(ValueOf<Strings>(item, "kind_100").empty());
  EXPECT_FALSE(item.NeedsFiles());
  EXPECT_TRUE(item.PendingWrites().empty());
}

TEST(ItemTest, KindFromFilesInTheRowIsWrittenBack) {
  const Item item = MakeItem({{"d.hash=", "H1"},
                              {kFiles, Array{Array{"Show/ep1.MKV", 800}, Array{"Show/ep.nfo", 150},
                                             Array{"Show/cover.jpeg", 50}}}});
  EXPECT_FALSE(item.NeedsFiles());
  EXPECT_EQ(ValueOf<Strings>(item, "kind"), (Strings{"jpg", "mkv", "nfo"}));
  EXPECT_EQ(
      item.PendingWrites(),
      (std::vector<PendingCall>{{"d.custom.set", Array{"H1", "kind", "80%_mkv 15%_nfo 5%_jpg"}}}));
}

TEST(ItemTest, KindNeedsFilesWhenTheCacheIsEmptyOrBroken) {
  auto projection = std::make_shared<Projection>();
  ASSERT_TRUE(projection->Add("kind_51").ok());
  ASSERT_TRUE(projection->Add("name").ok());
  ASSERT_EQ(projection->commands(), (Strings{"d.hash=", "d.custom=kind", "d.name="}));
  for (const char* cache : {"", "garbage", "80%mkv"}) {
    Item item(projection, Array{"H2", cache, "Album"}, testing::Context());
    EXPECT_TRUE(item.NeedsFiles()) << cache;
    EXPECT_EQ(item.FilesCall(),
              (PendingCall{"f.multicall", Array{"H2", "", "f.path=", "f.size_bytes="}}));
    EXPECT_TRUE(item.PendingWrites().empty());
    EXPECT_EQ(item.SetFiles(Value("nonsense")).message(),
              "f.multicall answer for H2 is not a list of [path, size]");
    EXPECT_TRUE(item.NeedsFiles());
    ASSERT_TRUE(item.SetFiles(Value(Array{Array{"a.flac", 90}, Array{"b.r01", 10}})).ok());
    EXPECT_FALSE(item.NeedsFiles());
    EXPECT_EQ(ValueOf<Strings>(item, "kind_51"), Strings{"flac"});
    EXPECT_EQ(
        item.PendingWrites(),
        (std::vector<PendingCall>{{"d.custom.set", Array{"H2", "kind", "90%_flac 10%_rar"}}}));
  }
  // No kind field fetched: no files needed.
  auto plain = std::make_shared<Projection>();
  ASSERT_TRUE(plain->Add("name").ok());
  EXPECT_FALSE(Item(plain, Array{"H3", "x"}, testing::Context()).NeedsFiles());
}

TEST(ItemTest, Traits) {
  const std::map<std::string, Value> tv = {{"d.name=", "Show.S01E02.720p.HDTV.x264-GRP"},
                                           {"d.custom=kind", "90%_mkv 10%_nfo"}};
  EXPECT_EQ(ValueOf<Strings>(MakeItem(tv), "traits"), (Strings{"tv", "mkv"}));
  EXPECT_EQ(ValueOf<Strings>(
                MakeItem({{"d.name=", "Album"}, {"d.custom=kind", "50%_flac 50%_jpg"}}), "traits"),
            Strings{});  // nothing over 50%
  // A themed tracker decides.
  AliasConfig aliases;
  aliases.announce = {{"Debian", {"http://bttracker.debian.org:6969/announce"}}};
  const Item debian = MakeItem({{"d.name=", "debian-12.iso"},
                                {"d.custom=kind", "100%_iso"},
                                {"d.custom=m_alias", "http://bttracker.debian.org:6969/announce"}},
                               {}, kNow, aliases);
  EXPECT_EQ(ValueOf<Strings>(debian, "traits"), (Strings{"linux", "iso"}));
}

TEST(ItemTest, LeechAndSeedTimesFromActivations) {
  const int64_t t0 = 1700000000;
  auto events = [&](std::initializer_list<std::pair<char, int64_t>> list) {
    std::string s;
    for (const auto& [kind, offset] : list) s += kind + std::to_string(t0 + offset);
    return s;
  };
  struct Case {
    std::map<std::string, Value> values;
    std::optional<int64_t> leech, seed;
    int64_t stopped;
  } cases[] = {
      // Leeched 100 + 50 s before completion at +300, then seeded from +400 to +1000 and
      // again from +2000 until now.
      {{{"d.custom=activations", events({{'R', 0},
                                         {'P', 100},
                                         {'R', 250},
                                         {'P', 280},
                                         {'R', 290},
                                         {'P', 310},
                                         {'R', 400},
                                         {'P', 1000},
                                         {'R', 2000}})},
        {"d.custom=tm_completed", std::to_string(t0 + 300)},
        {"d.complete=", 1}},
       100 + 30 + 10,
       // Clipped to start at completion: R290..P310 gives 10, R400..P1000 600, R2000..now.
       10 + 600 + (kNow - (t0 + 2000)),
       t0 + 1000},
      // No activations: started → completed.
      {{{"d.custom=tm_started", std::to_string(t0)},
        {"d.custom=tm_completed", std::to_string(t0 + 500)},
        {"d.complete=", 1}},
       500,
       std::nullopt,
       0},
      // Still leeching: started → now.
      {{{"d.custom=tm_started", std::to_string(kNow - 60)}}, 60, std::nullopt, 0},
      // Completion before start: unknown.
      {{{"d.custom=tm_started", std::to_string(t0 + 10)},
        {"d.custom=tm_completed", std::to_string(t0)}},
       std::nullopt,
       std::nullopt,
       0},
      // An R not followed by P is skipped, the next R counts.
      {{{"d.custom=activations", events({{'R', 0}, {'R', 10}, {'P', 30}})},
        {"d.custom=tm_completed", std::to_string(t0 + 100)}},
       20,
       std::nullopt,
       t0 + 30},
  };
  for (size_t i = 0; i < std::size(cases); ++i) {
    const Item item = MakeItem(cases[i].values);
    const FieldValue leech = item.Get(*LookupField("leechtime"));
    const FieldValue seed = item.Get(*LookupField("seedtime"));
    if (cases[i].leech) {
      EXPECT_EQ(std::get<int64_t>(leech), *cases[i].leech) << i;
    } else {
      EXPECT_TRUE(std::holds_alternative<std::monostate>(leech)) << i;
    }
    if (cases[i].seed) {
      EXPECT_EQ(std::get<int64_t>(seed), *cases[i].seed) << i;
    } else {
      EXPECT_TRUE(std::holds_alternative<std::monostate>(seed)) << i;
    }
    EXPECT_EQ(ValueOf<int64_t>(item, "stopped"), cases[i].stopped) << i;
  }
}

TEST(ItemTest, ActiveAndLastXferFromPlainRtorrent) {
  EXPECT_EQ(ValueOf<int64_t>(MakeItem({{"d.peers_connected=", 1}}), "active"), kNow);
  EXPECT_EQ(ValueOf<int64_t>(MakeItem({{"d.custom=last_active", "1700000000"}}), "active"),
            1700000000);
  EXPECT_EQ(ValueOf<int64_t>(MakeItem({{"d.up.rate=", 3000}, {"d.down.rate=", 2001}}), "last_xfer"),
            kNow);
  EXPECT_EQ(
      ValueOf<int64_t>(
          MakeItem({{"d.up.rate=", 3000}, {"d.down.rate=", 2000}, {"d.custom=last_xfer", "17"}}),
          "last_xfer"),
      17);
  (void)kDay;
}

}  // namespace
}  // namespace torque::rtorrent
