// Query against a fake rTorrent: the exact requests a query sends (one d.multicall2 or
// d.multicall.filtered, one batch of file lists, one batch of cache write-backs), their
// round-trip counts, and how rTorrent's faults and bad answers come back; FetchItems, the
// same fetch without the match, the sort and the sending of write-backs.
#include "jobs/rtorrent/query.h"

#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "jobs/rtorrent/condition.h"
#include "jobs/rtorrent/rpc_client.h"
#include "jobs/rtorrent/sort.h"
#include "tests/rtorrent/query_test_util.h"

namespace torque::rtorrent {
namespace {

using Code = Status::Code;
using testing::kNow;

// One download of the fake: command → value ("d.name=" → "x"), and its files.
struct FakeItem {
  std::map<std::string, Value> values;
  std::vector<FileInfo> files;

  std::string hash() const { return values.at("d.hash=").AsString(); }
};

Value FaultValue(int code, const std::string& text) {
  return Struct{{"faultCode", Value(code)}, {"faultString", Value(text)}};
}

// A stateful stand-in for rTorrent's XMLRPC: answers d.multicall2, d.multicall.filtered
// (keeping the items `filter` accepts; it does not evaluate the expression) and
// system.multicall of f.multicall and d.custom.set, which changes the item. Records
// every request; `fail` makes a method (or "system.multicall:<inner method>") answer a
// given Status instead.
class FakeRtorrent : public Rpc {
 public:
  Result<Value> Call(const std::string& method, const Array& params) override {
    calls.push_back({method, params});
    if (auto it = fail.find(FailKey(method, params)); it != fail.end()) return it->second;
    if (auto it = answer.find(method); it != answer.end()) return it->second;
    if (method == "d.multicall2") return Rows(params, 2, nullptr);
    if (method == "d.multicall.filtered") return Rows(params, 3, &filter);
    if (method == "system.multicall") return Multi(params[0].AsArray());
    return Fault{-506, "method '" + method + "' not defined"}.ToStatus();
  }

  FakeItem* Find(const std::string& hash) {
    for (FakeItem& item : items) {
      if (item.hash() == hash) return &item;
    }
    return nullptr;
  }

  // The inner method names of every system.multicall sent, in order.
  std::vector<std::vector<std::string>> MultiCallMethods() const {
    std::vector<std::vector<std::string>> out;
    for (const MethodCall& call : calls) {
      if (call.method != "system.multicall") continue;
      out.emplace_back();
      for (const Value& entry : call.params[0].AsArray()) {
        out.back().push_back(std::get<Struct>(entry.v).at("methodName").AsString());
      }
    }
    return out;
  }

  std::vector<FakeItem> items;  // the view "main", in rTorrent's order
  std::function<bool(const FakeItem&)> filter = [](const FakeItem&) { return true; };
  std::map<std::string, Status> fail;
  std::map<std::string, Value> answer;  // a fixed answer for a method
  std::vector<MethodCall> calls;
  std::set<std::string> gone;  // hashes erased after the multicall (f.multicall faults)

 private:
  static std::string FailKey(const std::string& method, const Array& params) {
    if (method != "system.multicall" || params.empty() || params[0].AsArray().empty()) {
      return method;
    }
    const Value& first = params[0].AsArray().front();
    return method + ":" + std::get<Struct>(first.v).at("methodName").AsString();
  }

  Result<Value> Column(const FakeItem& item, const std::string& command) const {
    if (auto it = item.values.find(command); it != item.values.end()) return it->second;
    if (command == kFilesCommand) return FilesOf(item);
    if (command.rfind("d.custom", 0) == 0) return Value("");
    const std::string name = command.substr(0, command.find('='));
    return Fault{-503, "Command \"" + name + "\" does not exist."}.ToStatus();
  }

  static Value FilesOf(const FakeItem& item) {
    Array files;
    for (const FileInfo& f : item.files) files.push_back(Array{Value(f.path), Value(f.size)});
    return files;
  }

  Result<Value> Rows(const Array& params, size_t first_command,
                     const std::function<bool(const FakeItem&)>* keep) const {
    if (params.size() < first_command || params[1].AsString() != "main") {
      // rTorrent 0.9.8's words: d.multicall.filtered names the view, d.multicall2 not.
      return Fault{-503, keep ? "Could not find view '" + params[1].AsString() + "'."
                              : std::string("Could not find view.")}
          .ToStatus();
    }
    Array rows;
    for (const FakeItem& item : items) {
      if (keep && !(*keep)(item)) continue;
      Array row;
      for (size_t i = first_command; i < params.size(); ++i) {
        Result<Value> value = Column(item, params[i].AsString());
        if (!value.ok()) return value.status();
        row.push_back(*value);
      }
      rows.push_back(std::move(row));
    }
    return Value(std::move(rows));
  }

  Result<Value> Multi(const Array& entries) {
    Array results;
    for (const Value& entry : entries) {
      const Struct& call = std::get<Struct>(entry.v);
      const std::string method = call.at("methodName").AsString();
      const Array& args = call.at("params").AsArray();
      FakeItem* item =
          args.empty() || gone.count(args[0].AsString()) ? nullptr : Find(args[0].AsString());
      if (!item) {
        results.push_back(FaultValue(-501, "Unsupported target type found."));
      } else if (method == "f.multicall") {
        results.push_back(Array{FilesOf(*item)});
      } else if (method == "d.custom.set") {
        item->values["d.custom=" + args[1].AsString()] = args[2];
        results.push_back(Array{Value(0)});
      } else {
        results.push_back(FaultValue(-506, "method '" + method + "' not defined"));
      }
    }
    return Value(std::move(results));
  }
};

FakeItem Download(const std::string& hash, const std::string& name, int prio, bool complete,
                  TimeSec loaded = 0) {
  FakeItem item;
  item.values = {{"d.hash=", hash},
                 {"d.name=", name},
                 {"d.priority=", prio},
                 {"d.complete=", complete ? 1 : 0},
                 {"d.custom=tm_loaded", loaded ? std::to_string(loaded) : ""}};
  return item;
}

Condition Parse(const std::string& text) {
  Result<Condition> condition = ParseCondition(text);
  EXPECT_TRUE(condition.ok()) << text << ": " << condition.status().ToString();
  return condition.ok() ? *condition : *ParseCondition("hash=*");
}

SortOrder Order(const std::string& text) {
  Result<SortOrder> order = ParseSortFields(text);
  EXPECT_TRUE(order.ok()) << text << ": " << order.status().ToString();
  return order.ok() ? *order : SortOrder();
}

std::vector<std::string> Hashes(const QueryResult& result) {
  std::vector<std::string> hashes;
  for (const Item& item : result.items) hashes.push_back(item.hash());
  return hashes;
}

Array Params(std::initializer_list<Value> head, const std::vector<std::string>& commands) {
  Array params(head);
  for (const std::string& c : commands) params.emplace_back(c);
  return params;
}

QueryOptions Options(bool prefilter) {
  QueryOptions options;
  options.prefilter = prefilter;
  options.now = kNow;
  return options;
}

class QueryTest : public ::testing::Test {
 protected:
  QueryTest() : client_(rtorrent_) {
    rtorrent_.items = {
        Download("H1", "beta", 1, false, kNow - 100),
        Download("H2", "alpha", 3, false, kNow - 7200), Download("H3", "gamma", 0, false),
        Download("H4", "delta", 3, true, kNow - 50), Download("H5", "Alpha", 3, false, kNow - 10)};
  }

  FakeRtorrent rtorrent_;
  RtorrentClient client_;
};

TEST_F(QueryTest, OneMultiCall2ForConditionAndSortFields) {
  const Condition condition = Parse("is_complete=no prio>0");
  const SortOrder sort = Order("-prio,loaded,name");
  Result<QueryResult> result = Query(client_, &condition, &sort, Options(false));
  ASSERT_TRUE(result.ok()) << result.status().ToString();

  // Always hash and name, then the condition's fields (sorted), then the sort's new ones.
  ASSERT_EQ(rtorrent_.calls.size(), 1u);
  EXPECT_EQ(
      rtorrent_.calls[0],
      (MethodCall{"d.multicall2", Params({"", "main"}, {"d.hash=", "d.name=", "d.complete=",
                                                        "d.priority=", "d.custom=tm_loaded"})}));
  EXPECT_EQ(result->round_trips, 1);
  EXPECT_EQ(result->fetched, 5);
  EXPECT_EQ(result->prefilter, "");
  // -prio, then loaded ascending: H2 (kNow-7200) before H5 (kNow-10), then H1 (prio 1).
  EXPECT_EQ(Hashes(*result), (std::vector<std::string>{"H2", "H5", "H1"}));
  // The items carry the values they were fetched with.
  Result<Field> name = LookupField("name");
  ASSERT_TRUE(name.ok());
  EXPECT_EQ(result->items[0].Get(*name), FieldValue(std::string("alpha")));
}

TEST_F(QueryTest, PrefilterSendsOneMultiCallFilteredAndStillMatchesHere) {
  const Condition condition = Parse("is_complete=no prio>0");
  // rTorrent's filter may let more through than matches (here: H3 with prio 0).
  rtorrent_.filter = [](const FakeItem& item) { return item.hash() != "H4"; };
  Result<QueryResult> result = Query(client_, &condition, nullptr, Options(true));
  ASSERT_TRUE(result.ok()) << result.status().ToString();

  const std::string expression =
      "and={\"equal=d.complete=,value=0\",\"greater=value=$d.priority=,value=0\"}";
  ASSERT_EQ(rtorrent_.calls.size(), 1u);
  EXPECT_EQ(rtorrent_.calls[0],
            (MethodCall{"d.multicall.filtered",
                        Params({"", "main", expression},
                               {"d.hash=", "d.name=", "d.complete=", "d.priority="})}));
  EXPECT_EQ(result->prefilter, expression);
  EXPECT_EQ(result->prefilter, condition.RtorrentPrefilter(kNow));
  EXPECT_EQ(result->round_trips, 1);
  EXPECT_EQ(result->fetched, 4);
  EXPECT_EQ(Hashes(*result), (std::vector<std::string>{"H1", "H2", "H5"}));  // rTorrent's order
}

TEST_F(QueryTest, UntranslatableConditionUsesMultiCall2EvenWithPrefilter) {
  rtorrent_.items[1].values["d.custom1="] = "tv";
  const Condition condition = Parse("custom_1=tv");
  Result<QueryResult> result = Query(client_, &condition, nullptr, Options(true));
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  ASSERT_EQ(rtorrent_.calls.size(), 1u);
  EXPECT_EQ(
      rtorrent_.calls[0],
      (MethodCall{"d.multicall2", Params({"", "main"}, {"d.hash=", "d.name=", "d.custom1="})}));
  EXPECT_EQ(result->prefilter, "");
  EXPECT_EQ(result->fetched, 5);
  EXPECT_EQ(Hashes(*result), std::vector<std::string>{"H2"});
}

TEST_F(QueryTest, NoConditionNoSortIsEveryItemInRtorrentsOrder) {
  Result<QueryResult> result = Query(client_, nullptr, nullptr, Options(true));
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  ASSERT_EQ(rtorrent_.calls.size(), 1u);
  EXPECT_EQ(rtorrent_.calls[0],
            (MethodCall{"d.multicall2", Params({"", "main"}, {"d.hash=", "d.name="})}));
  EXPECT_EQ(Hashes(*result), (std::vector<std::string>{"H1", "H2", "H3", "H4", "H5"}));
  EXPECT_EQ(result->round_trips, 1);
}

TEST_F(QueryTest, SortIsStableAndBytewise) {
  const SortOrder sort = Order("-prio,name");
  Result<QueryResult> result = Query(client_, nullptr, &sort, Options(true));
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  // prio 3: "Alpha" < "alpha" < "delta" (bytewise), then prio 1, then prio 0.
  EXPECT_EQ(Hashes(*result), (std::vector<std::string>{"H5", "H2", "H4", "H1", "H3"}));

  // Equal keys keep rTorrent's order.
  const SortOrder by_prio = Order("-prio");
  result = Query(client_, nullptr, &by_prio, Options(true));
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(Hashes(*result), (std::vector<std::string>{"H2", "H4", "H5", "H1", "H3"}));
}

TEST_F(QueryTest, ExtraFieldsAndViewAreSent) {
  for (FakeItem& item : rtorrent_.items) {
    item.values["d.size_bytes="] = 10;
    item.values["d.custom=foo"] = "bar";
  }
  QueryOptions options = Options(false);
  options.extra_fields = {"size", "custom_foo", "name"};
  const Condition condition = Parse("prio=3");
  Result<QueryResult> result = Query(client_, &condition, nullptr, options);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(rtorrent_.calls.back(),
            (MethodCall{"d.multicall2", Params({"", "main"}, {"d.hash=", "d.name=", "d.size_bytes=",
                                                              "d.custom=foo", "d.priority="})}));
  EXPECT_EQ(Hashes(*result), (std::vector<std::string>{"H2", "H4", "H5"}));

  options.view = "seeding";
  result = Query(client_, &condition, nullptr, options);
  EXPECT_EQ(rtorrent_.calls.back().params[1], Value("seeding"));
  // rTorrent's fault for an unknown view comes back as it is.
  EXPECT_EQ(result.status().code(), Code::kInvalidArgument);
  EXPECT_EQ(result.status().message(), "rTorrent fault -503: Could not find view.");
  ASSERT_TRUE(FaultOf(result.status()).has_value());
  EXPECT_EQ(FaultOf(result.status())->code, -503);

  options.prefilter = true;
  result = Query(client_, &condition, nullptr, options);
  EXPECT_EQ(rtorrent_.calls.back().method, "d.multicall.filtered");
  EXPECT_EQ(rtorrent_.calls.back().params[1], Value("seeding"));
  EXPECT_EQ(result.status().message(), "rTorrent fault -503: Could not find view 'seeding'.");
}

TEST_F(QueryTest, UnknownFieldFailsBeforeAnyRequest) {
  QueryOptions options = Options(true);
  options.extra_fields = {"sise"};
  Result<QueryResult> result = Query(client_, nullptr, nullptr, options);
  EXPECT_EQ(result.status().code(), Code::kInvalidArgument);
  EXPECT_EQ(result.status().message(), "Unknown field 'sise'");
  EXPECT_TRUE(rtorrent_.calls.empty());
}

TEST_F(QueryTest, TimeConditionsAreEvaluatedAtOptionsNow) {
  const Condition condition = Parse("loaded<1h");
  for (bool prefilter : {false, true}) {
    Result<QueryResult> result = Query(client_, &condition, nullptr, Options(prefilter));
    ASSERT_TRUE(result.ok()) << result.status().ToString();
    // H3 was never loaded (NotNull: an unset time never matches); H2 is two hours old.
    EXPECT_EQ(Hashes(*result), (std::vector<std::string>{"H1", "H4", "H5"}));
  }
  EXPECT_EQ(rtorrent_.calls.back().params[2],
            Value("greater=value=$d.custom=tm_loaded,value=" + std::to_string(kNow - 3600)));

  // Another `now` moves the window: H1 (kNow - 100) and then H4 (kNow - 50) fall out.
  QueryOptions later = Options(false);
  later.now = kNow + 3520;
  Result<QueryResult> result = Query(client_, &condition, nullptr, later);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(Hashes(*result), (std::vector<std::string>{"H4", "H5"}));
  later.now = kNow + 3560;
  result = Query(client_, &condition, nullptr, later);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(Hashes(*result), std::vector<std::string>{"H5"});
}

// Items for the kind tests: a valid cache, two empty ones, a malformed one.
void AddKindItems(FakeRtorrent& rtorrent) {
  rtorrent.items = {Download("K1", "cached", 2, false), Download("K2", "pack", 2, false),
                    Download("K3", "single.bin", 2, false), Download("K4", "bad", 2, false)};
  rtorrent.items[0].values["d.custom=kind"] = "100%_bin";
  rtorrent.items[0].files = {{"never.fetched", 1}};
  rtorrent.items[1].files = {{"pack/a.BIN", 300}, {"pack/b.txt", 100}};
  rtorrent.items[2].files = {{"single.bin", 50}};
  rtorrent.items[3].values["d.custom=kind"] = "garbage";
  rtorrent.items[3].files = {{"x.mkv", 10}};
}

MethodCall FilesCall(const std::string& hash) {
  return {"f.multicall", Array{hash, "", "f.path=", "f.size_bytes="}};
}

MethodCall Write(const std::string& hash, const std::string& key, const std::string& value) {
  return {"d.custom.set", Array{hash, key, value}};
}

Value MultiCallParams(const std::vector<MethodCall>& calls) {
  Array list;
  for (const MethodCall& c : calls) {
    list.push_back(Struct{{"methodName", Value(c.method)}, {"params", Value(c.params)}});
  }
  return list;
}

TEST_F(QueryTest, KindFilesInOneBatchThenCachesWrittenBackInOne) {
  AddKindItems(rtorrent_);
  const Condition condition = Parse("kind_50=bin");
  Result<QueryResult> result = Query(client_, &condition, nullptr, Options(true));
  ASSERT_TRUE(result.ok()) << result.status().ToString();

  ASSERT_EQ(rtorrent_.calls.size(), 3u);
  EXPECT_EQ(
      rtorrent_.calls[0],
      (MethodCall{"d.multicall2", Params({"", "main"}, {"d.hash=", "d.name=", "d.custom=kind"})}));
  // Only the items without a usable cache, in one request.
  EXPECT_EQ(rtorrent_.calls[1],
            (MethodCall{"system.multicall",
                        {MultiCallParams({FilesCall("K2"), FilesCall("K3"), FilesCall("K4")})}}));
  // Every recomputed cache, matching item or not, in one request.
  EXPECT_EQ(rtorrent_.calls[2],
            (MethodCall{"system.multicall",
                        {MultiCallParams({Write("K2", "kind", "75%_bin 25%_txt"),
                                          Write("K3", "kind", "100%_bin"),
                                          Write("K4", "kind", "100%_mkv")})}}));
  EXPECT_EQ(result->round_trips, 3);
  EXPECT_EQ(result->fetched, 4);
  EXPECT_EQ(result->prefilter, "");  // kind cannot be pre-filtered
  EXPECT_EQ(Hashes(*result), (std::vector<std::string>{"K1", "K2", "K3"}));

  // The caches now hold: the next query is one request and finds the same items.
  rtorrent_.calls.clear();
  result = Query(client_, &condition, nullptr, Options(true));
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(rtorrent_.calls.size(), 1u);
  EXPECT_EQ(result->round_trips, 1);
  EXPECT_EQ(Hashes(*result), (std::vector<std::string>{"K1", "K2", "K3"}));

  const Condition over = Parse("kind_80=bin");
  result = Query(client_, &over, nullptr, Options(true));
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(Hashes(*result), (std::vector<std::string>{"K1", "K3"}));
  EXPECT_EQ(result->round_trips, 1);
}

TEST_F(QueryTest, WriteCachesOffSendsNoWrites) {
  AddKindItems(rtorrent_);
  QueryOptions options = Options(true);
  options.write_caches = false;
  const Condition condition = Parse("kind=mkv");
  for (int i = 0; i < 2; ++i) {  // nothing is stored, so the second query fetches again
    Result<QueryResult> result = Query(client_, &condition, nullptr, options);
    ASSERT_TRUE(result.ok()) << result.status().ToString();
    EXPECT_EQ(result->round_trips, 2);
    EXPECT_EQ(Hashes(*result), std::vector<std::string>{"K4"});
  }
  EXPECT_EQ(rtorrent_.MultiCallMethods(),
            (std::vector<std::vector<std::string>>{{"f.multicall", "f.multicall", "f.multicall"},
                                                   {"f.multicall", "f.multicall", "f.multicall"}}));
  EXPECT_EQ(rtorrent_.items[1].values.count("d.custom=kind"), 0u);
}

TEST_F(QueryTest, ItemGoneBeforeItsFileListIsSkipped) {
  AddKindItems(rtorrent_);
  rtorrent_.gone = {"K3"};  // erased between the multicall and the file lists
  const Condition condition = Parse("kind_50=bin");
  Result<QueryResult> result = Query(client_, &condition, nullptr, Options(true));
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(Hashes(*result), (std::vector<std::string>{"K1", "K2"}));
  ASSERT_EQ(rtorrent_.calls.size(), 3u);
  EXPECT_EQ(rtorrent_.calls[2],
            (MethodCall{"system.multicall",
                        {MultiCallParams({Write("K2", "kind", "75%_bin 25%_txt"),
                                          Write("K4", "kind", "100%_mkv")})}}));
}

TEST_F(QueryTest, FailedWriteBackIsIgnored) {
  AddKindItems(rtorrent_);
  rtorrent_.fail["system.multicall:d.custom.set"] = Status::Unavailable("cannot connect");
  const Condition condition = Parse("kind_50=bin");
  Result<QueryResult> result = Query(client_, &condition, nullptr, Options(true));
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->round_trips, 3);
  EXPECT_EQ(Hashes(*result), (std::vector<std::string>{"K1", "K2", "K3"}));
}

TEST_F(QueryTest, FailedFileListsFailTheQuery) {
  AddKindItems(rtorrent_);
  rtorrent_.fail["system.multicall:f.multicall"] =
      Status::Timeout("rTorrent did not answer within 30000 ms");
  const Condition condition = Parse("kind_50=bin");
  Result<QueryResult> result = Query(client_, &condition, nullptr, Options(true));
  EXPECT_EQ(result.status().code(), Code::kTimeout);
  EXPECT_EQ(result.status().message(), "rTorrent did not answer within 30000 ms");
  EXPECT_EQ(rtorrent_.calls.size(), 2u);  // no write-backs after a failure
}

TEST_F(QueryTest, AliasCacheIsWrittenBack) {
  rtorrent_.items.resize(2);
  rtorrent_.items[0].values[std::string(kTrackersCommand)] =
      Array{Array{"http://old.example.net/announce", 0},
            Array{"http://tracker.example.org:6969/announce", 1}};
  rtorrent_.items[1].values[std::string(kTrackersCommand)] =
      Array{Value(Array{"http://tracker.other.com/announce", 1})};
  rtorrent_.items[1].values["d.custom=m_alias"] = "http://tracker.other.com/announce";
  QueryOptions options = Options(true);
  options.aliases.announce = {{"EX", {"http://tracker.example.org:6969/announce"}}};
  const Condition condition = Parse("alias=ex");
  Result<QueryResult> result = Query(client_, &condition, nullptr, options);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(Hashes(*result), std::vector<std::string>{"H1"});
  ASSERT_EQ(rtorrent_.calls.size(), 2u);
  EXPECT_EQ(
      rtorrent_.calls[0],
      (MethodCall{"d.multicall2", Params({"", "main"}, {"d.hash=", "d.name=", "d.custom=m_alias",
                                                        std::string(kTrackersCommand)})}));
  EXPECT_EQ(rtorrent_.calls[1],
            (MethodCall{"system.multicall",
                        {MultiCallParams({Write("H1", "m_alias",
                                                "http://tracker.example.org:6969/announce")})}}));
  EXPECT_EQ(result->round_trips, 2);
}

// ---- FetchItems: the fetch without the match, the write-backs and the sort ----

FetchOptions Fetch(std::vector<std::string> fields, bool prefilter = true) {
  FetchOptions options;
  options.fields = std::move(fields);
  options.prefilter = prefilter;
  options.now = kNow;
  return options;
}

std::vector<std::string> Hashes(const FetchResult& result) {
  std::vector<std::string> hashes;
  for (const Item& item : result.items) hashes.push_back(item.hash());
  return hashes;
}

TEST_F(QueryTest, FetchItemsPrefiltersButDoesNotMatch) {
  const Condition filter = Parse("is_complete=no prio>0");
  rtorrent_.filter = [](const FakeItem& item) { return item.hash() != "H4"; };
  Result<FetchResult> result = FetchItems(client_, &filter, Fetch({"prio", "is_complete"}));
  ASSERT_TRUE(result.ok()) << result.status().ToString();

  const std::string expression =
      "and={\"equal=d.complete=,value=0\",\"greater=value=$d.priority=,value=0\"}";
  // The fields in the order asked for, after hash and name.
  ASSERT_EQ(rtorrent_.calls.size(), 1u);
  EXPECT_EQ(rtorrent_.calls[0],
            (MethodCall{"d.multicall.filtered",
                        Params({"", "main", expression},
                               {"d.hash=", "d.name=", "d.priority=", "d.complete="})}));
  EXPECT_EQ(result->prefilter, expression);
  EXPECT_EQ(result->round_trips, 1);
  EXPECT_EQ(result->fetched, 4);
  // H3 (prio 0) got through rTorrent's filter and is not dropped here.
  EXPECT_EQ(Hashes(*result), (std::vector<std::string>{"H1", "H2", "H3", "H5"}));
  EXPECT_TRUE(CacheWrites(result->items).empty());
}

TEST_F(QueryTest, FetchItemsWithoutFilterOrPrefilterUsesMultiCall2) {
  const Condition filter = Parse("prio>0");
  for (const Condition* f : {static_cast<const Condition*>(nullptr), &filter}) {
    rtorrent_.calls.clear();
    Result<FetchResult> result = FetchItems(client_, f, Fetch({"prio"}, f == nullptr));
    ASSERT_TRUE(result.ok()) << result.status().ToString();
    ASSERT_EQ(rtorrent_.calls.size(), 1u);
    EXPECT_EQ(
        rtorrent_.calls[0],
        (MethodCall{"d.multicall2", Params({"", "main"}, {"d.hash=", "d.name=", "d.priority="})}));
    EXPECT_EQ(result->prefilter, "");
    EXPECT_EQ(result->fetched, 5);
    EXPECT_EQ(Hashes(*result), (std::vector<std::string>{"H1", "H2", "H3", "H4", "H5"}));
  }
}

TEST_F(QueryTest, FetchItemsReturnsTheWriteBacksWithoutSendingThem) {
  AddKindItems(rtorrent_);
  Result<FetchResult> result = FetchItems(client_, nullptr, Fetch({"kind_50"}));
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  ASSERT_EQ(rtorrent_.calls.size(), 2u);
  EXPECT_EQ(
      rtorrent_.calls[0],
      (MethodCall{"d.multicall2", Params({"", "main"}, {"d.hash=", "d.name=", "d.custom=kind"})}));
  EXPECT_EQ(rtorrent_.calls[1],
            (MethodCall{"system.multicall",
                        {MultiCallParams({FilesCall("K2"), FilesCall("K3"), FilesCall("K4")})}}));
  EXPECT_EQ(result->round_trips, 2);
  EXPECT_EQ(CacheWrites(result->items), (std::vector<MethodCall>{Write("K2", "kind", "75%_bin 25%_txt"),
                                                           Write("K3", "kind", "100%_bin"),
                                                           Write("K4", "kind", "100%_mkv")}));
  EXPECT_EQ(rtorrent_.items[1].values.count("d.custom=kind"), 0u);
  // The items know their kinds from the file lists fetched.
  EXPECT_EQ(Hashes(*result), (std::vector<std::string>{"K1", "K2", "K3", "K4"}));
  Result<Field> kind = LookupField("kind_50");
  ASSERT_TRUE(kind.ok());
  EXPECT_EQ(result->items[1].Get(*kind), FieldValue(std::vector<std::string>{"bin"}));

  // Sent by the caller, the write-backs make the next fetch one request.
  ASSERT_TRUE(client_.SystemMultiCall(CacheWrites(result->items)).ok());
  rtorrent_.calls.clear();
  result = FetchItems(client_, nullptr, Fetch({"kind_50"}));
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(rtorrent_.calls.size(), 1u);
  EXPECT_TRUE(CacheWrites(result->items).empty());
}

TEST_F(QueryTest, FetchItemsFailures) {
  Result<FetchResult> result = FetchItems(client_, nullptr, Fetch({"name", "sise"}));
  EXPECT_EQ(result.status().code(), Code::kInvalidArgument);
  EXPECT_EQ(result.status().message(), "Unknown field 'sise'");
  EXPECT_TRUE(rtorrent_.calls.empty());

  AddKindItems(rtorrent_);
  rtorrent_.fail["system.multicall:f.multicall"] = Status::Unavailable("cannot connect");
  result = FetchItems(client_, nullptr, Fetch({"kind"}));
  EXPECT_EQ(result.status().code(), Code::kUnavailable);
  EXPECT_EQ(result.status().message(), "cannot connect");
  EXPECT_EQ(rtorrent_.calls.size(), 2u);
}

TEST_F(QueryTest, RtorrentFaultsAndTransportErrorsComeBackAsTheyAre) {
  QueryOptions options = Options(false);
  options.extra_fields = {"d_nosuch"};
  Result<QueryResult> result = Query(client_, nullptr, nullptr, options);
  EXPECT_EQ(result.status().code(), Code::kInvalidArgument);
  EXPECT_EQ(result.status().message(), "rTorrent fault -503: Command \"d.nosuch\" does not exist.");

  rtorrent_.fail["d.multicall.filtered"] = Status::Unavailable("cannot connect to rTorrent");
  const Condition condition = Parse("prio>1");
  result = Query(client_, &condition, nullptr, Options(true));
  EXPECT_EQ(result.status().code(), Code::kUnavailable);
  EXPECT_EQ(result.status().message(), "cannot connect to rTorrent");

  rtorrent_.fail["d.multicall2"] = Fault{-501, "Could not find info-hash."}.ToStatus();
  result = Query(client_, &condition, nullptr, Options(false));
  EXPECT_EQ(result.status().code(), Code::kNotFound);
  EXPECT_EQ(result.status().message(), "rTorrent fault -501: Could not find info-hash.");
}

TEST_F(QueryTest, MalformedAnswersAreIoErrors) {
  const Condition condition = Parse("prio>1");
  rtorrent_.answer["d.multicall.filtered"] = Value("no rows");
  Result<QueryResult> result = Query(client_, &condition, nullptr, Options(true));
  EXPECT_EQ(result.status().code(), Code::kIoError);
  EXPECT_EQ(result.status().message(), "rTorrent answered a multicall with no list");

  rtorrent_.answer["d.multicall.filtered"] = Value(Array{Value(Array{"H1", "x"})});
  result = Query(client_, &condition, nullptr, Options(true));
  EXPECT_EQ(result.status().code(), Code::kIoError);
  EXPECT_EQ(result.status().message(), "rTorrent answered a multicall row with the wrong shape");

  rtorrent_.answer["d.multicall2"] = Value(Array{Value(Array{"H1"})});
  result = Query(client_, &condition, nullptr, Options(false));
  EXPECT_EQ(result.status().code(), Code::kIoError);
  EXPECT_EQ(result.status().message(), "d.multicall2 answered a row of 1 values for 3 commands");

  // An empty view is no error.
  rtorrent_.answer["d.multicall2"] = Value(Array{});
  result = Query(client_, &condition, nullptr, Options(false));
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_TRUE(result->items.empty());
  EXPECT_EQ(result->fetched, 0);
}

}  // namespace
}  // namespace torque::rtorrent
