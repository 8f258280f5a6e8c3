// Integration tests of Query against a real rTorrent 0.9.8 holding 200 items with known
// priorities, labels, tags, load times, sizes, names, file lists and states (complete,
// open, started), started by the ctest fixture from the ../shared/rtorrent kit.
// TORQUE_RT_SOCKET names its socket; the tests skip themselves when it is unset or when
// rtorrent is not installed. ctest runs each test in its own process: the first one loads
// the items, the others find them in place (SetUp compares rTorrent's state with the
// spec and reloads everything when anything differs). They run one at a time
// (RESOURCE_LOCK).
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "jobs/rtorrent/condition.h"
#include "jobs/rtorrent/endpoint.h"
#include "jobs/rtorrent/query.h"
#include "jobs/rtorrent/rpc_client.h"
#include "jobs/rtorrent/sort.h"
#include "tests/rtorrent/test_support.h"

namespace torque::rtorrent {
namespace {

namespace fs = std::filesystem;
using Code = Status::Code;

constexpr int kItems = 200;
// The `now` of every query: items were loaded 30 s, 90 s, ... before it.
constexpr TimeSec kT0 = 1700000000;
constexpr int kDeadlineSeconds = 120;

enum class RunState { kClosed, kOpen, kStarted };

// What one test item is, derived from its number alone.
struct Spec {
  int i = 0;
  std::string name;
  bool multi = false;  // a directory "PackNNN" with part.bin (75 %) and info.txt (25 %)
  bool complete = false;
  int prio = 0;
  std::string label;  // custom1
  std::string tags;   // d.custom=tags as stored
  TimeSec loaded = 0;
  int64_t size = 0;
  RunState state = RunState::kClosed;
  std::string kind;    // the kind cache the query engine computes
  std::string traits;  // the first trait
  std::string hash;    // from the metafile
};

std::string Num(int i) {
  char buffer[8];
  std::snprintf(buffer, sizeof buffer, "%03d", i);
  return buffer;
}

Spec SpecOf(int i) {
  static const char* const kTags[] = {"a b", "a", "", "B c", "A", "ab"};
  Spec s;
  s.i = i;
  s.multi = i % 10 == 9;
  if (s.multi) {
    s.name = "Pack" + Num(i);
    s.size = 4 * (100 + i);
    s.kind = "75%_bin 25%_txt";
    s.traits = "misc";
  } else if (i % 3 == 2) {
    s.name = "Movie" + Num(i) + ".2010.BDRip.x264-GRP.bin";
    s.size = 200 + 11 * i;
    s.kind = "100%_bin";
    s.traits = "movie";
  } else {
    s.name = "Show" + Num(i) + (i % 3 == 0 ? ".S01E02.720p.mkv" : ".S02E05.1080p.mkv");
    s.size = 200 + 11 * i;
    s.kind = "100%_mkv";
    s.traits = "tv";
  }
  s.complete = i % 5 == 0;  // never a pack: 40 items
  s.prio = i % 4;
  s.label = "label" + std::to_string(i % 10);
  s.tags = kTags[i % 6];
  s.loaded = kT0 - 60 * i - 30;
  if (i % 20 == 0 || i % 20 == 3) {
    s.state = RunState::kStarted;  // seeding (complete) or downloading from nobody
  } else if (i % 20 == 7) {
    s.state = RunState::kOpen;
  }
  return s;
}

std::vector<std::string> TagSet(const Spec& s) {
  std::vector<std::string> tags;
  std::istringstream words(s.tags);
  for (std::string word; words >> word;) {
    std::transform(word.begin(), word.end(), word.begin(), ::tolower);
    tags.push_back(word);
  }
  std::sort(tags.begin(), tags.end());
  return tags;
}

bool HasTag(const Spec& s, const std::string& tag) {
  const auto tags = TagSet(s);
  return std::find(tags.begin(), tags.end(), tag) != tags.end();
}

// rTorrent's pre-filter for tagged=X: the tags text contains X, ignoring case.
bool TagsContain(const Spec& s, char c) {
  for (const char t : s.tags) {
    if (std::tolower(static_cast<unsigned char>(t)) == c) return true;
  }
  return false;
}

using testing::OnPath;
using testing::ReadFile;

void WriteData(const fs::path& path, int64_t size, int i) {
  const std::string line = "item " + std::to_string(i) + " payload\n";
  std::string data;
  while (static_cast<int64_t>(data.size()) < size) data += line;
  data.resize(static_cast<size_t>(size));
  std::ofstream(path, std::ios::binary) << data;
}

// Polls `done` every 20 ms for kDeadlineSeconds at most; true when it became true.
bool PollUntil(const std::function<bool()>& done) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(kDeadlineSeconds);
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    usleep(20 * 1000);
  }
  return true;
}

class QueryItTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* socket = std::getenv("TORQUE_RT_SOCKET");
    if (socket == nullptr || *socket == '\0') {
      GTEST_SKIP() << "TORQUE_RT_SOCKET is not set (run through ctest with the rTorrent kit)";
    }
    if (!OnPath("rtorrent")) GTEST_SKIP() << "rtorrent is not installed";
    Result<Endpoint> endpoint = ParseEndpoint(socket);
    ASSERT_TRUE(endpoint.ok()) << endpoint.status().ToString();
    rpc_ = std::make_unique<ScgiRpc>(*endpoint);
    client_ = std::make_unique<RtorrentClient>(*rpc_);
    base_ = fs::path(socket).parent_path() / "query-it";
    ASSERT_NO_FATAL_FAILURE(MakeTorrents());
    if (!StateDiffers().empty()) {
      ASSERT_NO_FATAL_FAILURE(Reload());
    }
  }

  // The data files and metafiles under base_ (made once per fixture: kept between the
  // test processes), and specs_ with their hashes.
  void MakeTorrents() {
    for (int i = 0; i < kItems; ++i) specs_.push_back(SpecOf(i));
    const fs::path hashes_file = base_ / "hashes.txt";
    if (!fs::exists(hashes_file)) {
      fs::remove_all(base_);
      fs::create_directories(base_ / "src");
      fs::create_directories(base_ / "empty");
      fs::create_directories(base_ / "torrents");
      std::ofstream list(base_ / "list.txt");
      for (const Spec& s : specs_) {
        const fs::path data = base_ / "src" / s.name;
        if (s.multi) {
          fs::create_directories(data);
          WriteData(data / "part.bin", 3 * (100 + s.i), s.i);
          WriteData(data / "info.txt", 100 + s.i, s.i);
        } else {
          WriteData(data, s.size, s.i);
        }
        list << data.string() << "\t" << (base_ / "torrents" / (Num(s.i) + ".torrent")).string()
             << "\n";
      }
      list.close();
      std::ofstream(base_ / "make.py") << "import sys\n"
                                          "sys.path.insert(0, sys.argv[1])\n"
                                          "from torrent_tool import make_torrent\n"
                                          "for line in open(sys.argv[2]):\n"
                                          "    src, out = line.rstrip('\\n').split('\\t')\n"
                                          "    data, ih = make_torrent(src)\n"
                                          "    open(out, 'wb').write(data)\n"
                                          "    print(ih)\n";
      const std::string python =
          access("/usr/bin/python3", X_OK) == 0 ? "/usr/bin/python3" : "python3";
      const std::string command = python + " '" + (base_ / "make.py").string() +
                                  "' '" TORQUE_RT_KIT "' '" + (base_ / "list.txt").string() +
                                  "' > '" + (base_ / "hashes.tmp").string() + "'";
      ASSERT_EQ(std::system(command.c_str()), 0) << command;
      fs::rename(base_ / "hashes.tmp", hashes_file);
    }
    std::istringstream hashes(ReadFile(hashes_file));
    for (Spec& s : specs_) {
      ASSERT_TRUE(static_cast<bool>(hashes >> s.hash)) << hashes_file;
      ASSERT_EQ(s.hash.size(), 40u);
    }
  }

  // How rTorrent's items differ from the specs ("" for none): the first difference.
  std::string StateDiffers() {
    Result<std::vector<Array>> rows = client_->MultiCall2(
        "main",
        {"d.hash=", "d.name=", "d.priority=", "d.custom1=", "d.custom=tags", "d.custom=tm_loaded",
         "d.size_bytes=", "d.is_multi_file=", "d.complete=", "d.is_open=", "d.is_active="});
    if (!rows.ok()) return rows.status().ToString();
    if (rows->size() != specs_.size()) return std::to_string(rows->size()) + " items";
    std::map<std::string, const Spec*> by_hash;
    for (const Spec& s : specs_) by_hash[s.hash] = &s;
    for (const Array& row : *rows) {
      auto it = by_hash.find(row[0].AsString());
      if (it == by_hash.end()) return "unexpected item " + row[0].AsString();
      const Spec& s = *it->second;
      const Array expected = {Value(s.hash),
                              Value(s.name),
                              Value(s.prio),
                              Value(s.label),
                              Value(s.tags),
                              Value(std::to_string(s.loaded)),
                              Value(s.size),
                              Value(s.multi ? 1 : 0),
                              Value(s.complete ? 1 : 0),
                              Value(s.state == RunState::kClosed ? 0 : 1),
                              Value(s.state == RunState::kStarted ? 1 : 0)};
      if (row != expected) {
        std::ostringstream out;
        out << "item " << s.i << ": " << Value(row) << " instead of " << Value(expected);
        return out.str();
      }
    }
    return "";
  }

  // Erases everything, loads the 200 items in one request, checks/starts/opens them and
  // waits until rTorrent's state is the spec.
  void Reload() {
    Result<std::vector<Array>> rows = client_->MultiCall2("main", {"d.hash="});
    ASSERT_TRUE(rows.ok()) << rows.status().ToString();
    std::vector<MethodCall> calls;
    for (const Array& row : *rows) calls.push_back({"d.erase", {row[0]}});
    ASSERT_TRUE(client_->SystemMultiCall(calls).ok());
    ASSERT_TRUE(PollUntil([&] { return Count() == 0; }));

    calls.clear();
    for (const Spec& s : specs_) {
      Array params = {Value(""),
                      Value(Binary{ReadFile(base_ / "torrents" / (Num(s.i) + ".torrent"))}),
                      Value("d.directory.set=" + (base_ / (s.complete ? "src" : "empty")).string()),
                      Value("d.priority.set=" + std::to_string(s.prio)),
                      Value("d.custom1.set=" + s.label),
                      Value("d.custom.set=tm_loaded," + std::to_string(s.loaded))};
      if (!s.tags.empty()) params.emplace_back("d.custom.set=tags," + QuoteCommandArg(s.tags));
      calls.push_back({"load.raw", std::move(params)});
    }
    Result<std::vector<Result<Value>>> loaded = client_->SystemMultiCall(calls);
    ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
    ASSERT_TRUE(PollUntil([&] { return Count() == kItems; })) << Count() << " items loaded";

    // Complete data is hashed (d.start hashes too); d.check_hash leaves the item open.
    calls.clear();
    for (const Spec& s : specs_) {
      if (s.state == RunState::kStarted) {
        calls.push_back({"d.start", {s.hash}});
      } else if (s.state == RunState::kOpen) {
        calls.push_back({"d.open", {s.hash}});
      } else if (s.complete) {
        calls.push_back({"d.check_hash", {s.hash}});
      }
    }
    ASSERT_TRUE(client_->SystemMultiCall(calls).ok());
    ASSERT_TRUE(PollUntil([&] { return CompleteCount() == 40; })) << CompleteCount();
    calls.clear();
    for (const Spec& s : specs_) {
      if (s.complete && s.state == RunState::kClosed) calls.push_back({"d.close", {s.hash}});
    }
    ASSERT_TRUE(client_->SystemMultiCall(calls).ok());
    std::string differs;
    ASSERT_TRUE(PollUntil([&] { return (differs = StateDiffers()).empty(); })) << differs;
  }

  int64_t Count() {
    Result<std::vector<Array>> rows = client_->MultiCall2("main", {"d.hash="});
    return rows.ok() ? static_cast<int64_t>(rows->size()) : -1;
  }

  int64_t CompleteCount() {
    Result<std::vector<Array>> rows = client_->MultiCall2("main", {"d.complete=", "d.hashing="});
    if (!rows.ok()) return -1;
    return std::count_if(rows->begin(), rows->end(), [](const Array& row) {
      return row[0].AsInt() == 1 && row[1].AsInt() == 0;
    });
  }

  std::vector<std::string> Expected(const std::function<bool(const Spec&)>& match) const {
    std::vector<std::string> hashes;
    for (const Spec& s : specs_) {
      if (match(s)) hashes.push_back(s.hash);
    }
    std::sort(hashes.begin(), hashes.end());
    return hashes;
  }

  static std::vector<std::string> Hashes(const QueryResult& result, bool sorted = true) {
    std::vector<std::string> hashes;
    for (const Item& item : result.items) hashes.push_back(item.hash());
    if (sorted) std::sort(hashes.begin(), hashes.end());
    return hashes;
  }

  // Query at kT0; checks that it took exactly `round_trips` requests as counted by the
  // transport.
  Result<QueryResult> Run(const std::string& condition_text, const std::string& sort_text,
                          bool prefilter, int round_trips = 1) {
    std::optional<Condition> condition;
    if (!condition_text.empty()) {
      Result<Condition> parsed = ParseCondition(condition_text);
      EXPECT_TRUE(parsed.ok()) << condition_text << ": " << parsed.status().ToString();
      if (!parsed.ok()) return parsed.status();
      condition = *parsed;
    }
    std::optional<SortOrder> sort;
    if (!sort_text.empty()) {
      Result<SortOrder> parsed = ParseSortFields(sort_text);
      EXPECT_TRUE(parsed.ok()) << sort_text << ": " << parsed.status().ToString();
      if (!parsed.ok()) return parsed.status();
      sort = *parsed;
    }
    QueryOptions options;
    options.prefilter = prefilter;
    options.now = kT0;
    const int64_t before = rpc_->RoundTrips();
    Result<QueryResult> result =
        Query(*client_, condition ? &*condition : nullptr, sort ? &*sort : nullptr, options);
    EXPECT_EQ(rpc_->RoundTrips() - before, round_trips) << condition_text;
    if (result.ok()) {
      EXPECT_EQ(result->round_trips, round_trips) << condition_text;
    }
    return result;
  }

  fs::path base_;
  std::vector<Spec> specs_;
  std::unique_ptr<ScgiRpc> rpc_;
  std::unique_ptr<RtorrentClient> client_;
};

struct Case {
  Case(std::string condition, std::function<bool(const Spec&)> match,
       std::function<bool(const Spec&)> prefetched = nullptr, bool untranslated = false)
      : condition(std::move(condition)),
        match(std::move(match)),
        prefetched(std::move(prefetched)),
        untranslated(untranslated) {}

  std::string condition;
  std::function<bool(const Spec&)> match;
  // What rTorrent's pre-filter lets through: nullptr for exactly the matches; `untranslated`
  // when the condition has no pre-filter (every item is fetched).
  std::function<bool(const Spec&)> prefetched;
  bool untranslated = false;
};

TEST_F(QueryItTest, ConditionsSelectExactlyTheExpectedItems) {
  const Spec& fifth = specs_[5];
  std::string hash_prefix = fifth.hash.substr(0, 6);
  std::transform(hash_prefix.begin(), hash_prefix.end(), hash_prefix.begin(), ::tolower);
  const std::vector<Case> cases = {
      {"is_complete=no prio>0", [](const Spec& s) { return !s.complete && s.prio > 0; }},
      {"is_complete=yes", [](const Spec& s) { return s.complete; }},
      {"prio=2,3", [](const Spec& s) { return s.prio >= 2; }},
      {"prio>=2", [](const Spec& s) { return s.prio >= 2; }},
      {"prio!=0", [](const Spec& s) { return s.prio != 0; }},
      {"custom_1=label7", [](const Spec& s) { return s.label == "label7"; }, nullptr, true},
      {"custom_1=LABEL[12]",
       [](const Spec& s) { return s.label == "label1" || s.label == "label2"; }, nullptr, true},
      {"name=*S01E*", [](const Spec& s) { return s.name.find("S01E") != std::string::npos; }},
      {"name=*s01e*", [](const Spec& s) { return s.name.find("S01E") != std::string::npos; }},
      {"Show0*", [](const Spec& s) { return s.name.rfind("Show0", 0) == 0; }},
      {"name=/bdrip/", [](const Spec& s) { return s.name.find("BDRip") != std::string::npos; }},
      {"hash=" + hash_prefix + "*",
       [&](const Spec& s) { return s.hash.rfind(fifth.hash.substr(0, 6), 0) == 0; }},
      {"NOT [ prio=0 OR is_complete=yes ]",
       [](const Spec& s) { return !(s.prio == 0 || s.complete); }},
      {"[ NOT prio=0 OR is_complete=yes ] tagged=a",
       [](const Spec& s) { return !(s.prio == 0 || s.complete) && HasTag(s, "a"); },
       [](const Spec& s) { return !(s.prio == 0 || s.complete) && TagsContain(s, 'a'); }},
      {"prio=3 OR is_multi_file=yes", [](const Spec& s) { return s.prio == 3 || s.multi; }},
      {"prio>=2 OR custom_1=label1",
       [](const Spec& s) { return s.prio >= 2 || s.label == "label1"; }, nullptr, true},
      {"tagged=a", [](const Spec& s) { return HasTag(s, "a"); },
       [](const Spec& s) { return TagsContain(s, 'a'); }},
      {"tagged==a", [](const Spec& s) { return TagSet(s) == std::vector<std::string>{"a"}; },
       [](const Spec& s) { return TagsContain(s, 'a'); }},
      {"tagged=b", [](const Spec& s) { return HasTag(s, "b"); },
       [](const Spec& s) { return TagsContain(s, 'b'); }},
      {"tagged=", [](const Spec& s) { return s.tags.empty(); }, nullptr, true},
      {"tagged=!a", [](const Spec& s) { return !HasTag(s, "a"); }, nullptr, true},
      {"size>1k", [](const Spec& s) { return s.size > 1024; }},
      {"size<=500", [](const Spec& s) { return s.size <= 500; }},
      {"loaded<1h", [](const Spec& s) { return s.loaded > kT0 - 3600; }},
      {"loaded>2h", [](const Spec& s) { return s.loaded < kT0 - 7200; }},
      {"is_multi_file=yes", [](const Spec& s) { return s.multi; }},
      {"is_open=yes is_active=no", [](const Spec& s) { return s.state == RunState::kOpen; }},
      {"is_active=yes", [](const Spec& s) { return s.state == RunState::kStarted; }},
      // pyrotorque's queue: startable_base, and with its default prio>0.
      {"is_open=no is_active=no is_complete=no",
       [](const Spec& s) { return s.state == RunState::kClosed && !s.complete; }},
      {"is_open=no is_active=no is_complete=no prio>0",
       [](const Spec& s) { return s.state == RunState::kClosed && !s.complete && s.prio > 0; }},
  };
  for (const Case& c : cases) {
    const std::vector<std::string> expected = Expected(c.match);
    EXPECT_GT(expected.size(), 0u) << c.condition;
    EXPECT_LT(expected.size(), static_cast<size_t>(kItems)) << c.condition;
    for (const bool prefilter : {false, true}) {
      SCOPED_TRACE(c.condition + (prefilter ? " (pre-filtered)" : ""));
      const int64_t multicall2 = rpc_->CallCount("d.multicall2");
      const int64_t filtered = rpc_->CallCount("d.multicall.filtered");
      Result<QueryResult> result = Run(c.condition, "", prefilter);
      ASSERT_TRUE(result.ok()) << result.status().ToString();
      EXPECT_EQ(Hashes(*result), expected);
      const bool used_prefilter = prefilter && !c.untranslated;
      EXPECT_EQ(!result->prefilter.empty(), used_prefilter) << result->prefilter;
      EXPECT_EQ(rpc_->CallCount("d.multicall2") - multicall2, used_prefilter ? 0 : 1);
      EXPECT_EQ(rpc_->CallCount("d.multicall.filtered") - filtered, used_prefilter ? 1 : 0);
      const int64_t fetched =
          used_prefilter
              ? static_cast<int64_t>(Expected(c.prefetched ? c.prefetched : c.match).size())
              : kItems;
      EXPECT_EQ(result->fetched, fetched) << result->prefilter;
    }
  }
}

TEST_F(QueryItTest, SortOrders) {
  auto by_prio_name = [](const Spec* a, const Spec* b) {
    return a->prio != b->prio ? a->prio > b->prio : a->name < b->name;
  };
  std::vector<const Spec*> all;
  for (const Spec& s : specs_) all.push_back(&s);
  std::sort(all.begin(), all.end(), by_prio_name);
  std::vector<std::string> expected;
  for (const Spec* s : all) expected.push_back(s->hash);

  for (const bool prefilter : {false, true}) {
    Result<QueryResult> result = Run("", "-prio,name", prefilter);
    ASSERT_TRUE(result.ok()) << result.status().ToString();
    EXPECT_EQ(Hashes(*result, /*sorted=*/false), expected);
  }

  // pyrotorque's startable queue in its default order: -prio, then oldest first.
  std::vector<const Spec*> startable;
  for (const Spec& s : specs_) {
    if (s.state == RunState::kClosed && !s.complete && s.prio > 0) startable.push_back(&s);
  }
  std::sort(startable.begin(), startable.end(), [](const Spec* a, const Spec* b) {
    return a->prio != b->prio ? a->prio > b->prio : a->loaded < b->loaded;
  });
  expected.clear();
  for (const Spec* s : startable) expected.push_back(s->hash);
  for (const bool prefilter : {false, true}) {
    Result<QueryResult> result =
        Run("is_open=no is_active=no is_complete=no prio>0", "-prio,loaded,name", prefilter);
    ASSERT_TRUE(result.ok()) << result.status().ToString();
    EXPECT_EQ(Hashes(*result, /*sorted=*/false), expected);
  }
}

TEST_F(QueryItTest, EveryFieldInOneRoundTripWithTheLoadedValues) {
  // Every field that needs no cache write-back (alias, kind and traits do), fetched for
  // all items in one d.multicall2.
  QueryOptions options;
  options.now = kT0;
  for (const std::string& name : FixedFieldNames()) {
    if (name != "alias" && name != "kind" && name != "traits") options.extra_fields.push_back(name);
  }
  for (const char* name : {"custom_1", "custom_tm_loaded", "d_state"}) {
    options.extra_fields.push_back(name);
  }
  const int64_t before = rpc_->RoundTrips();
  const int64_t multicall2 = rpc_->CallCount("d.multicall2");
  Result<QueryResult> full = Query(*client_, nullptr, nullptr, options);
  ASSERT_TRUE(full.ok()) << full.status().ToString();
  EXPECT_EQ(rpc_->RoundTrips() - before, 1);
  EXPECT_EQ(rpc_->CallCount("d.multicall2") - multicall2, 1);
  EXPECT_EQ(full->round_trips, 1);
  ASSERT_EQ(full->items.size(), static_cast<size_t>(kItems));

  std::map<std::string, const Spec*> by_hash;
  for (const Spec& s : specs_) by_hash[s.hash] = &s;
  auto get = [](const Item& item, const char* name) { return item.Get(*LookupField(name)); };
  for (const Item& item : full->items) {
    ASSERT_EQ(by_hash.count(item.hash()), 1u);
    const Spec& s = *by_hash[item.hash()];
    SCOPED_TRACE(s.name);
    EXPECT_EQ(get(item, "name"), FieldValue(s.name));
    EXPECT_EQ(get(item, "prio"), FieldValue(int64_t{s.prio}));
    EXPECT_EQ(get(item, "custom_1"), FieldValue(s.label));
    EXPECT_EQ(get(item, "custom_tm_loaded"), FieldValue(std::to_string(s.loaded)));
    EXPECT_EQ(get(item, "tagged"), FieldValue(TagSet(s)));
    EXPECT_EQ(get(item, "loaded"), FieldValue(int64_t{s.loaded}));
    EXPECT_EQ(get(item, "size"), FieldValue(s.size));
    EXPECT_EQ(get(item, "is_complete"), FieldValue(s.complete));
    EXPECT_EQ(get(item, "is_open"), FieldValue(s.state != RunState::kClosed));
    EXPECT_EQ(get(item, "is_active"), FieldValue(s.state == RunState::kStarted));
    EXPECT_EQ(get(item, "d_state"),
              FieldValue(std::string(s.state == RunState::kStarted ? "1" : "0")));
    EXPECT_EQ(get(item, "is_multi_file"), FieldValue(s.multi));
    EXPECT_EQ(get(item, "fno"), FieldValue(int64_t{s.multi ? 2 : 1}));
    EXPECT_EQ(get(item, "done"), FieldValue(s.complete ? 100.0 : 0.0));
    EXPECT_EQ(get(item, "tracker"), FieldValue(std::string("http://127.0.0.1:1/announce")));
    EXPECT_EQ(get(item, "views"), FieldValue(std::vector<std::string>{}));
    const fs::path dir = base_ / (s.complete ? "src" : "empty");
    EXPECT_EQ(get(item, "path"), FieldValue((dir / s.name).string()));
    std::vector<FileInfo> files = {{s.name, s.size}};
    if (s.multi) files = {{"info.txt", 100 + s.i}, {"part.bin", 3 * (100 + s.i)}};
    EXPECT_EQ(get(item, "files"), FieldValue(files));
  }
}

TEST_F(QueryItTest, AliasIsWrittenBackOnce) {
  std::vector<MethodCall> clear;
  for (const Spec& s : specs_) clear.push_back({"d.custom.set", {s.hash, "m_alias", ""}});
  ASSERT_TRUE(client_->SystemMultiCall(clear).ok());
  // The kit's dead announce URL http://127.0.0.1:1/announce: pyrocore's "last two labels".
  Result<QueryResult> result = Run("alias=0.1 prio=3", "", true, 2);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(Hashes(*result), Expected([](const Spec& s) { return s.prio == 3; }));
  EXPECT_EQ(*client_->GetCustom(specs_[3].hash, "m_alias"), "http://127.0.0.1:1/announce");
  result = Run("alias=0.1 prio=3", "", true, 1);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(Hashes(*result), Expected([](const Spec& s) { return s.prio == 3; }));
}

TEST_F(QueryItTest, KindNeedsOneBatchOfFileListsThenComesFromTheCache) {
  // Empty every kind and alias cache first (earlier tests filled them).
  std::vector<MethodCall> clear;
  for (const Spec& s : specs_) {
    clear.push_back({"d.custom.set", {s.hash, "kind", ""}});
    clear.push_back({"d.custom.set", {s.hash, "m_alias", ""}});
  }
  ASSERT_TRUE(client_->SystemMultiCall(clear).ok());

  auto is_bin = [](const Spec& s) { return s.kind != "100%_mkv"; };
  const int64_t multicalls = rpc_->CallCount("system.multicall");
  // The d.multicall2, one system.multicall of 200 f.multicall, one of 200 write-backs.
  Result<QueryResult> result = Run("kind_50=bin", "", true, 3);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(Hashes(*result), Expected(is_bin));
  EXPECT_EQ(result->prefilter, "");
  EXPECT_EQ(rpc_->CallCount("system.multicall") - multicalls, 2);
  EXPECT_EQ(rpc_->CallCount("f.multicall"), 0);
  EXPECT_EQ(rpc_->CallCount("d.custom.set"), 0);

  // The caches are in rTorrent now, in pyrocore's format.
  Result<std::vector<Array>> rows = client_->MultiCall2("main", {"d.hash=", "d.custom=kind"});
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  std::map<std::string, std::string> kinds;
  for (const Array& row : *rows) kinds[row[0].AsString()] = row[1].AsString();
  for (const Spec& s : specs_) EXPECT_EQ(kinds[s.hash], s.kind) << s.name;

  // Served from the caches: one round trip each.
  result = Run("kind_50=bin", "", true);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(Hashes(*result), Expected(is_bin));
  const std::vector<Case> cases = {
      {"kind_80=bin", [](const Spec& s) { return s.kind == "100%_bin"; }},
      {"kind_25=txt", [](const Spec& s) { return s.multi; }},
      {"kind=txt,mkv", [](const Spec& s) { return s.kind != "100%_bin"; }},
      {"kind_26=txt", [](const Spec&) { return false; }},
      {"kind_50=bin is_complete=yes",
       [](const Spec& s) { return s.complete && s.kind == "100%_bin"; }},
  };
  for (const Case& c : cases) {
    result = Run(c.condition, "", true);
    ASSERT_TRUE(result.ok()) << result.status().ToString();
    EXPECT_EQ(Hashes(*result), Expected(c.match)) << c.condition;
  }

  // traits also read the alias: its cache (emptied above) is written back the first time.
  const std::vector<Case> traits = {
      {"traits=tv", [](const Spec& s) { return s.traits == "tv"; }},
      {"traits=movie", [](const Spec& s) { return s.traits == "movie"; }},
      {"traits=misc", [](const Spec& s) { return s.traits == "misc"; }},
  };
  int round_trips = 2;
  for (const Case& c : traits) {
    result = Run(c.condition, "", true, round_trips);
    ASSERT_TRUE(result.ok()) << result.status().ToString();
    EXPECT_EQ(Hashes(*result), Expected(c.match)) << c.condition;
    round_trips = 1;
  }
}

TEST_F(QueryItTest, ItemsWithoutKindCacheOnlyAreFetchedForFiles) {
  // Two items lose their cache (the others keep or get one): still one batch, of two.
  std::vector<MethodCall> fill;
  for (const Spec& s : specs_) fill.push_back({"d.custom.set", {s.hash, "kind", s.kind}});
  fill[10] = {"d.custom.set", {specs_[10].hash, "kind", ""}};
  fill[19] = {"d.custom.set", {specs_[19].hash, "kind", "not a cache"}};
  ASSERT_TRUE(client_->SystemMultiCall(fill).ok());
  Result<QueryResult> result = Run("kind_25=txt", "", true, 3);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(Hashes(*result), Expected([](const Spec& s) { return s.multi; }));
  EXPECT_EQ(*client_->GetCustom(specs_[10].hash, "kind"), specs_[10].kind);
  EXPECT_EQ(*client_->GetCustom(specs_[19].hash, "kind"), specs_[19].kind);
  result = Run("kind_25=txt", "", true, 1);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
}

TEST_F(QueryItTest, UnknownViewIsRtorrentsFault) {
  // rTorrent words the fault differently for the two multicalls.
  for (const bool prefilter : {false, true}) {
    QueryOptions options;
    options.view = "no_such_view";
    options.prefilter = prefilter;
    Result<Condition> condition = ParseCondition("prio>0");
    ASSERT_TRUE(condition.ok());
    Result<QueryResult> result = Query(*client_, &*condition, nullptr, options);
    EXPECT_EQ(result.status().code(), Code::kInvalidArgument);
    EXPECT_EQ(result.status().message(),
              prefilter ? "rTorrent fault -503: Could not find view 'no_such_view'."
                        : "rTorrent fault -503: Could not find view.");
  }
}

}  // namespace
}  // namespace torque::rtorrent
