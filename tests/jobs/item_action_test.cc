// The item_action handler against an in-memory rTorrent that keeps its items' state, with
// real data in temp dirs: each action, one request per item, moves (and their failures),
// dry runs, runs over a matcher, programs run with item fields, configuration errors.
#include "jobs/item_action.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "core/utf8.h"
#include "jobs/rtorrent/xmlrpc.h"
#include "tests/jobs/handler_fakes.h"
#include "tests/test_env.h"

namespace torque::jobs {
namespace {

using rtorrent::Array;
using rtorrent::Struct;
using rtorrent::Value;
using testing::FakeConnections;
using testing::FixedClock;
using testing::TempDir;
using testing::TestType;
using Kind = RunResult::Kind;
using Settings = std::vector<std::pair<std::string, std::string>>;
using Methods = std::vector<std::string>;

const std::string kA = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
const std::string kB = "BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB";
const std::string kC = "CCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCC";

// One download as rTorrent 0.9.8 keeps it: `directory` is the file's folder for a single
// file, the item's own folder (its name included) for a multi-file item.
struct RtItem {
  std::string name;
  std::string directory;
  bool multi = false;
  bool started = false;
  bool open = false;
  int prio = 2;
  std::map<std::string, std::string> custom;  // "1".."5" and keys
  std::vector<std::string> files;             // multi-file: paths below directory
  bool saved = false;                         // d.save_resume was called
};

// rTorrent in memory: d.multicall2 / d.multicall.filtered over all items (the expression is
// not evaluated: a pre-filter may return more), system.multicall of the item commands,
// which change the items as rTorrent does (d.directory_base.set refuses an open item).
class FakeRtorrent : public rtorrent::Rpc {
 public:
  Result<Value> Call(const std::string& method, const Array& params) override {
    std::lock_guard lock(mu);
    if (fail) return *fail;
    if (method == "d.multicall2" || method == "d.multicall.filtered") {
      ++fetches;
      Array rows;
      for (const auto& [hash, item] : items) {
        Array row;
        for (size_t i = method == "d.multicall2" ? 2 : 3; i < params.size(); ++i) {
          row.push_back(Column(hash, item, params[i].AsString()));
        }
        rows.emplace_back(std::move(row));
      }
      return Value(std::move(rows));
    }
    if (method != "system.multicall") return rtorrent::Fault{-506, "no " + method}.ToStatus();
    Array answers;
    Methods inner;
    for (const Value& entry : params.at(0).AsArray()) {
      const Struct& call = std::get<Struct>(entry.v);
      const std::string name = call.at("methodName").AsString();
      const Array& args = call.at("params").AsArray();
      inner.push_back(name);
      std::string fault = Apply(name, args);
      if (fault.empty()) {
        answers.emplace_back(Array{Value(0)});
      } else {
        answers.emplace_back(Struct{{"faultCode", Value(-501)}, {"faultString", Value(fault)}});
      }
    }
    requests.push_back(inner);
    return Value(std::move(answers));
  }

  std::mutex mu;
  std::map<std::string, RtItem> items;  // by hash
  std::optional<Status> fail;
  std::set<std::string> refuse;   // "METHOD:HASH" answered with a fault
  std::vector<Methods> requests;  // the methods of each system.multicall
  int fetches = 0;

 private:
  static Value Column(const std::string& hash, const RtItem& item, const std::string& command) {
    const std::string path = item.multi ? item.directory : item.directory + "/" + item.name;
    if (command == "d.hash=") return Value(hash);
    if (command == "d.name=") return Value(item.name);
    if (command == "d.directory=") return Value(item.directory);
    if (command == "d.base_path=") return Value(item.open ? path : "");
    if (command == "d.is_multi_file=") return Value(int64_t{item.multi});
    if (command == "d.state=") return Value(int64_t{item.started});
    if (command == "d.is_open=") return Value(int64_t{item.open});
    if (command == "d.priority=") return Value(int64_t{item.prio});
    if (command == "f.multicall=,f.path=,f.size_bytes=") {
      Array files;
      for (const std::string& f : item.multi ? item.files : std::vector{item.name}) {
        files.emplace_back(Array{Value(f), Value(int64_t{1})});
      }
      return Value(std::move(files));
    }
    std::string key;
    if (command.size() == 10 && command.substr(0, 8) == "d.custom") key = command.substr(8, 1);
    if (command.substr(0, 9) == "d.custom=") key = command.substr(9);
    auto it = item.custom.find(key);
    return Value(it == item.custom.end() ? "" : it->second);
  }

  std::string Apply(const std::string& name, const Array& args) {
    const std::string hash = args.empty() ? "" : args[0].AsString();
    if (refuse.count(name + ":" + hash)) return "refused " + name;
    auto it = items.find(hash);
    if (it == items.end()) return "Could not find info-hash.";
    RtItem& item = it->second;
    auto arg = [&](size_t i) { return args.at(i).AsString(); };
    if (name == "d.start") item.started = item.open = true;
    if (name == "d.stop") item.started = false;
    if (name == "d.open") item.open = true;
    if (name == "d.close") item.open = false;
    if (name == "d.priority.set") item.prio = static_cast<int>(args.at(1).AsInt());
    if (name == "d.custom.set") item.custom[arg(1)] = arg(2);
    if (name.size() == 13 && name.substr(0, 8) == "d.custom" && name.substr(9) == ".set") {
      item.custom[name.substr(8, 1)] = arg(1);
    }
    if (name == "d.directory_base.set") {
      if (item.open) return "Cannot change the directory of an open download.";
      item.directory = arg(1);
    }
    if (name == "d.save_resume") item.saved = true;
    if (name == "d.erase") items.erase(it);
    return "";
  }
};

// A disk whose moves fail with `move_error` (the real ItemDisk otherwise).
class FailingDisk : public ItemDisk {
 public:
  Status Move(const std::string& source, const std::string& dest,
              std::vector<std::string>* created) override {
    if (move_error) return *move_error;
    return ItemDisk::Move(source, dest, created);
  }
  std::optional<Status> move_error;
};

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

bool Exists(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0;
}

class ItemActionTest : public ::testing::Test {
 protected:
  Result<std::unique_ptr<ItemAction>> Make(const Settings& settings,
                                           const std::string& schedule = "") {
    HandlerEnv env;
    env.config = std::make_shared<const Config>();
    env.clock = &clock_;
    env.rtorrent = connections_;
    JobTypeConfig type = TestType(settings, "act");
    type.handler = "item_action";
    type.schedule = schedule;
    return ItemAction::Create(type, env, disk_);
  }
  std::unique_ptr<ItemAction> MakeOk(const Settings& settings) {
    auto made = Make(settings);
    EXPECT_TRUE(made.ok()) << made.status().message();
    return made.ok() ? std::move(*made) : nullptr;
  }
  RunResult Run(ItemAction& h, const std::string& args = "", bool dry = false) {
    JobContext ctx;
    ctx.id = 7;
    ctx.type = "act";
    ctx.args = args;
    ctx.dry_run = dry;
    ctx.cancel = &cancel_;
    ctx.clock = &clock_;
    return h.Run(ctx);
  }
  // A single-file item with 5 bytes of data in dir_/from, started.
  void SingleFile(const std::string& hash, const std::string& name, bool started = true) {
    std::filesystem::create_directories(dir_.File("from"));
    dir_.Write("from/" + name, "hello");
    RtItem item;
    item.name = name;
    item.directory = dir_.File("from");
    item.started = item.open = started;
    rt_.items[hash] = item;
  }
  // A multi-file item in dir_/from/NAME with two files, stopped and closed.
  void MultiFile(const std::string& hash, const std::string& name) {
    std::filesystem::create_directories(dir_.File("from/" + name + "/sub"));
    dir_.Write("from/" + name + "/a.bin", "a");
    dir_.Write("from/" + name + "/sub/b.bin", "b");
    RtItem item;
    item.name = name;
    item.directory = dir_.File("from/" + name);
    item.multi = true;
    item.files = {"a.bin", "sub/b.bin"};
    rt_.items[hash] = item;
  }

  TempDir dir_;
  FakeRtorrent rt_;
  std::shared_ptr<FakeConnections> connections_ = std::make_shared<FakeConnections>(rt_);
  std::shared_ptr<FailingDisk> disk_ = std::make_shared<FailingDisk>();
  FixedClock clock_{1'700'000'000'000};
  CancelSignal cancel_;
};

// ---- Configuration ----

TEST_F(ItemActionTest, ConfigurationErrorsNameTheKeyAndLine) {
  const std::string at = "torque.ini:2: job type 'act': key ";
  struct Case {
    Settings settings;
    std::string error;
  };
  const Case cases[] = {
      {{{"action", "strat"}},
       at + "'action': unknown action 'strat' in 'strat' (known: start stop prio label custom "
            "tag untag move erase erase_data run, and pyrosimple's set_prio set_custom delete "
            "purge cull)"},
      {{{"action", "stop; custom note={{d.nmae}}"}},
       at + "'action': action 'custom note={{d.nmae}}': unknown variable 'd.nmae' in "
            "'{{d.nmae}}' (known: d.FIELD or item.FIELD, FIELD one of `torque-cli rt "
            "--help-fields` (e.g. d.name d.hash d.directory d.path d.custom_1 d.custom_KEY), "
            "or d.label d.custom1..d.custom5 d.base_path)"},
      {{{"action", "move /x/{{d.name|lower}}"}},
       at + "'action': action 'move /x/{{d.name|lower}}': unsupported template expression "
            "'d.name|lower' at column 4 (supported: {{var}}, {{# comment}}, "
            "{{if}}/{{elif}}/{{else}}/{{endif}} with var, not var, ==, !=, in)"},
      {{{"action", "erase\nstart"}},
       at + "'action': action 'erase' must be the last action (nothing is left to act on)"},
      {{{"action", "prio 7"}},
       at + "'action': action 'prio 7': expected a priority 0..3 or off, low, normal, high, "
            "got '7'"},
      {{{"action", "label a b"}},
       at + "'action': action 'label a b': expected 'label VALUE' (quote a value that has "
            "blanks)"},
      {{{"action", "custom x-y=1"}},
       at + "'action': action 'custom x-y=1': 'x-y' is not a custom key (letters, digits, '_'; "
            "1..5 for d.custom1..d.custom5)"},
      {{{"action", "tag"}}, at + "'action': action 'tag': expected 'tag WORD...'"},
      {{{"action", "run 'oops"}},
       at + "'action': action 'run 'oops': unterminated single quote at column 5"},
      {{{"action", "stop start"}}, at + "'action': action 'stop start': expected 'stop' alone"},
      {{{"action", "stop; start"}, {"args", "x"}},
       "torque.ini:3: job type 'act': key 'args': args go with a one-word action (pyrosimple's "
       "Action, e.g. action = "
       "set_custom), or alone as the program to run"},
      {{{"matcher", "nmae=x"}, {"action", "stop"}},
       at + "'matcher': unknown field 'nmae' at column 1\n  nmae=x\n  ^"},
      {{{"action", "stop"}, {"sort", "nmae"}},
       "torque.ini:3: job type 'act': key 'sort': "
       "Unknown field 'nmae'"},
      {{{"view", "main"}},
       "torque.ini:1: job type 'act': key 'action': no action: set action (e.g. action = "
       "stop), target (move the data there) or args (a program to run)"},
  };
  for (const Case& c : cases) {
    auto made = Make(c.settings);
    ASSERT_FALSE(made.ok()) << c.error;
    EXPECT_EQ(made.status().message(), c.error);
  }
  auto scheduled = Make({{"action", "stop"}}, "minute=*");
  ASSERT_FALSE(scheduled.ok());
  EXPECT_EQ(scheduled.status().message(),
            "torque.ini:1: job type 'act': key 'matcher': a scheduled item_action needs a "
            "matcher (the items to act on)");
}

TEST_F(ItemActionTest, PyrosimpleKeysMakeTheSameSteps) {
  using K = ItemStep::Kind;
  auto action = MakeOk({{"action", "set_custom"}, {"args", "note '{{d.name}} done'"}});
  ASSERT_EQ(action->steps().size(), 1u);
  EXPECT_EQ(action->steps()[0].kind, K::kCustom);
  EXPECT_EQ(action->steps()[0].key, "note");
  EXPECT_EQ(action->steps()[0].value.text(), "{{d.name}} done");
  auto command = MakeOk({{"args", "/bin/echo {{d.hash}}"}});  // ItemCommand
  ASSERT_EQ(command->steps().size(), 1u);
  EXPECT_EQ(command->steps()[0].kind, K::kRun);
  auto mover = MakeOk({{"target", "/data/{{d.label}}"}});  // PathMover
  ASSERT_EQ(mover->steps().size(), 1u);
  EXPECT_EQ(mover->steps()[0].kind, K::kMove);
  EXPECT_EQ(mover->steps()[0].value.Fields(), std::vector<std::string>{"custom_1"});
}

// ---- Runs by hash ----

TEST_F(ItemActionTest, AHashRunSendsAllOfTheItemsCallsInOneRequest) {
  SingleFile(kA, "a.bin", false);
  rt_.items[kA].custom["tags"] = "Old keep";
  auto h = MakeOk({{"action",
                    "stop; prio high; label done; custom note='{{d.name}} at {{d.prio}}'\n"
                    "tag new -old; untag nothere; start"}});
  RunResult r = Run(*h, AsciiLower(kA));  // any case
  EXPECT_EQ(r.kind, Kind::kSucceeded) << r.error;
  EXPECT_EQ(r.result,
            "'a.bin' #" + kA +
                ": stop, prio 3, custom 1=done, custom note='a.bin at 2', tags 'keep new', "
                "tags unchanged, start\n1 item: 1 done, 0 failed");
  ASSERT_EQ(rt_.requests.size(), 1u);
  EXPECT_EQ(rt_.requests[0],
            (Methods{"d.stop", "d.close", "d.priority.set", "d.update_priorities", "d.custom1.set",
                     "d.custom.set", "d.custom.set", "d.open", "d.start"}));
  const RtItem& item = rt_.items[kA];
  EXPECT_EQ(item.prio, 3);
  EXPECT_EQ(item.custom.at("1"), "done");
  EXPECT_EQ(item.custom.at("note"), "a.bin at 2");
  EXPECT_EQ(item.custom.at("tags"), "keep new");
  EXPECT_TRUE(item.started);
}

TEST_F(ItemActionTest, BadArgsAndUnknownItemsFailFinally) {
  auto h = MakeOk({{"action", "stop"}});
  RunResult bad = Run(*h, "not-a-hash");
  EXPECT_EQ(bad.kind, Kind::kFailed);
  EXPECT_TRUE(bad.final);
  EXPECT_EQ(bad.error,
            "bad args 'not-a-hash': an item_action job takes an info hash (40 hex digits), or "
            "nothing to act on the items its matcher selects");
  RunResult missing = Run(*h, kB);
  EXPECT_TRUE(missing.final);
  EXPECT_EQ(missing.error, "rTorrent has no item #" + kB);
  RunResult none = Run(*h);
  EXPECT_TRUE(none.final);
  EXPECT_EQ(none.error,
            "no item to act on: give an info hash (torque-cli act HASH), or set the type's "
            "matcher");
  EXPECT_TRUE(rt_.requests.empty());
}

TEST_F(ItemActionTest, AHashRunLeavesAnItemTheMatcherRefusesAlone) {
  SingleFile(kA, "a.bin");
  auto h = MakeOk({{"action", "stop"}, {"matcher", "custom_1=tv"}});
  RunResult r = Run(*h, kA);
  EXPECT_EQ(r.kind, Kind::kSucceeded);
  EXPECT_EQ(r.result, "'a.bin' #" + kA +
                          ": left alone, it does not match: custom_1=tv "
                          "(custom_1='')");
  EXPECT_TRUE(rt_.requests.empty());
}

TEST_F(ItemActionTest, RtorrentDownFailsTheRunForARetry) {
  auto h = MakeOk({{"action", "stop"}});
  connections_->connect_error = Status::Unavailable("cannot connect to rTorrent at fake");
  RunResult r = Run(*h, kA);
  EXPECT_EQ(r.kind, Kind::kFailed);
  EXPECT_FALSE(r.final);
  EXPECT_EQ(r.error, "cannot reach rTorrent: cannot connect to rTorrent at fake");
}

// ---- Scheduled runs ----

TEST_F(ItemActionTest, AScheduledRunActsOnEveryMatchInSortOrderAndNamesTheFailures) {
  SingleFile(kA, "zeta");
  SingleFile(kB, "alpha");
  SingleFile(kC, "mid");
  rt_.items[kC].custom["1"] = "keep";
  rt_.refuse.insert("d.custom.set:" + kA);
  auto h = MakeOk({{"matcher", "custom_1!=keep"}, {"action", "custom seen={{d.hash}}"}});
  RunResult r = Run(*h);
  EXPECT_EQ(r.kind, Kind::kFailed);
  EXPECT_TRUE(r.final);  // rTorrent refused it: another try gets the same answer
  EXPECT_EQ(r.result, "'alpha' #" + kB + ": custom seen=" + kB + "\n'zeta' #" + kA +
                          ": FAILED: d.custom.set: rTorrent fault -501: refused d.custom.set\n"
                          "2 items: 1 done, 1 failed");
  EXPECT_EQ(r.error, "1 of 2 items failed: 'zeta' #" + kA +
                         ": d.custom.set: rTorrent fault -501: refused "
                         "d.custom.set");
  EXPECT_EQ(rt_.items[kB].custom["seen"], kB);
  EXPECT_EQ(rt_.items[kC].custom.count("seen"), 0u);
  EXPECT_EQ(rt_.requests.size(), 2u);  // one per item
}

TEST_F(ItemActionTest, DryRunSaysWhatItWouldDoAndChangesNothing) {
  SingleFile(kA, "a.bin");
  MultiFile(kB, "multi");
  auto h = MakeOk({{"matcher", "name=*"},
                   {"action", "label x; move " + dir_.File("to") + "; run /bin/echo {{d.name}}"}});
  RunResult r = Run(*h, "", /*dry=*/true);
  EXPECT_EQ(r.kind, Kind::kSucceeded) << r.error;
  EXPECT_EQ(r.result, "'a.bin' #" + kA + ": would custom 1=x, would move " +
                          dir_.File("from/a.bin") + " to " + dir_.File("to") +
                          "/ (stop, then start), would run /bin/echo a.bin\n'multi' #" + kB +
                          ": would custom 1=x, would move " + dir_.File("from/multi") + " to " +
                          dir_.File("to") +
                          "/, would run /bin/echo multi\n"
                          "2 items (dry run): 2 done, 0 failed");
  EXPECT_TRUE(rt_.requests.empty());
  EXPECT_TRUE(Exists(dir_.File("from/a.bin")));
  EXPECT_FALSE(Exists(dir_.File("to")));
}

// ---- Moving data ----

TEST_F(ItemActionTest, MovingASingleFileItemRepointsAndRestartsIt) {
  SingleFile(kA, "a.bin");
  rt_.items[kA].custom["1"] = "tv";
  auto h = MakeOk({{"action", "move " + dir_.File("to/{{d.label}}")}});
  RunResult r = Run(*h, kA);
  ASSERT_EQ(r.kind, Kind::kSucceeded) << r.error;
  EXPECT_EQ(r.result, "'a.bin' #" + kA + ": move " + dir_.File("from/a.bin") + " to " +
                          dir_.File("to/tv") + "/ (restarted)\n1 item: 1 done, 0 failed");
  EXPECT_EQ(ReadFile(dir_.File("to/tv/a.bin")), "hello");
  EXPECT_FALSE(Exists(dir_.File("from/a.bin")));
  const RtItem& item = rt_.items[kA];
  EXPECT_EQ(item.directory, dir_.File("to/tv"));
  EXPECT_TRUE(item.started);
  EXPECT_TRUE(item.saved);
  EXPECT_EQ(rt_.requests, (std::vector<Methods>{{"d.stop", "d.close"},
                                                {"d.directory_base.set", "d.save_resume"},
                                                {"d.open", "d.start"}}));
  // Again: it is already there.
  RunResult again = Run(*h, kA);
  EXPECT_EQ(again.result,
            "'a.bin' #" + kA + ": already in " + dir_.File("to/tv") + "\n1 item: 1 done, 0 failed");
}

TEST_F(ItemActionTest, MovingAMultiFileItemKeepsItStopped) {
  MultiFile(kB, "multi");
  auto h = MakeOk({{"target", dir_.File("to")}});
  RunResult r = Run(*h, kB);
  ASSERT_EQ(r.kind, Kind::kSucceeded) << r.error;
  EXPECT_EQ(ReadFile(dir_.File("to/multi/sub/b.bin")), "b");
  EXPECT_FALSE(Exists(dir_.File("from/multi")));
  const RtItem& item = rt_.items[kB];
  EXPECT_EQ(item.directory, dir_.File("to/multi"));  // d.directory_base: the item's folder
  EXPECT_FALSE(item.started);
  EXPECT_FALSE(item.open);
  EXPECT_EQ(rt_.requests.back(), (Methods{"d.directory_base.set", "d.save_resume"}));
}

TEST_F(ItemActionTest, AnEmptyTargetSkipsTheMove) {
  SingleFile(kA, "a.bin");
  auto h = MakeOk({{"target", "{{d.custom_dest}}"}});
  RunResult r = Run(*h, kA);
  EXPECT_EQ(r.result, "'a.bin' #" + kA + ": not moved (empty target)\n1 item: 1 done, 0 failed");
  EXPECT_TRUE(rt_.requests.empty());
}

TEST_F(ItemActionTest, AnExistingTargetLeavesDataAndItemUntouched) {
  SingleFile(kA, "a.bin");
  dir_.Write("a.bin", "other");  // dir_/a.bin is in the way
  auto h = MakeOk({{"action", "move " + dir_.path()}});
  RunResult r = Run(*h, kA);
  EXPECT_EQ(r.kind, Kind::kFailed);
  EXPECT_TRUE(r.final);
  EXPECT_EQ(r.error, "1 of 1 item failed: 'a.bin' #" + kA + ": cannot move to " + dir_.path() +
                         ": " + dir_.File("a.bin") + " exists");
  EXPECT_EQ(ReadFile(dir_.File("a.bin")), "other");
  EXPECT_EQ(ReadFile(dir_.File("from/a.bin")), "hello");
  EXPECT_TRUE(rt_.requests.empty());  // not even stopped
  EXPECT_TRUE(rt_.items[kA].started);
}

TEST_F(ItemActionTest, AFailedRenameRestoresTheItemsState) {
  SingleFile(kA, "a.bin");
  disk_->move_error = Status::IoError("cannot move X to Y: No space left on device");
  auto h = MakeOk({{"action", "move " + dir_.File("to")}});
  RunResult r = Run(*h, kA);
  EXPECT_EQ(r.kind, Kind::kFailed);
  EXPECT_FALSE(r.final);  // space may come back
  EXPECT_EQ(r.error, "1 of 1 item failed: 'a.bin' #" + kA +
                         ": data left in place: cannot move X to Y: No space left on device");
  EXPECT_EQ(rt_.requests, (std::vector<Methods>{{"d.stop", "d.close"}, {"d.open", "d.start"}}));
  EXPECT_TRUE(rt_.items[kA].started);
  EXPECT_EQ(rt_.items[kA].directory, dir_.File("from"));
  EXPECT_TRUE(Exists(dir_.File("from/a.bin")));
}

TEST_F(ItemActionTest, ARefusedNewDirectoryMovesTheDataBack) {
  MultiFile(kB, "multi");
  rt_.items[kB].started = rt_.items[kB].open = true;
  rt_.refuse.insert("d.directory_base.set:" + kB);
  auto h = MakeOk({{"action", "move " + dir_.File("to")}});
  RunResult r = Run(*h, kB);
  EXPECT_EQ(r.kind, Kind::kFailed);
  EXPECT_EQ(r.error, "1 of 1 item failed: 'multi' #" + kB +
                         ": data left in place: d.directory_base.set: rTorrent fault -501: "
                         "refused d.directory_base.set");
  EXPECT_EQ(rt_.requests.back(), (Methods{"d.open", "d.start"}));
  EXPECT_TRUE(Exists(dir_.File("from/multi/sub/b.bin")));
  EXPECT_FALSE(Exists(dir_.File("to/multi")));
  EXPECT_FALSE(Exists(dir_.File("to")));  // the directory it made is gone again
  EXPECT_TRUE(rt_.items[kB].started);
  EXPECT_EQ(rt_.items[kB].directory, dir_.File("from/multi"));
}

// ---- Erasing and running ----

TEST_F(ItemActionTest, EraseDataDeletesOnlyTheItemsOwnFiles) {
  MultiFile(kB, "multi");
  dir_.Write("from/multi/mine.txt", "not the item's");
  auto h = MakeOk({{"action", "erase_data"}});
  RunResult r = Run(*h, kB);
  ASSERT_EQ(r.kind, Kind::kSucceeded) << r.error;
  EXPECT_EQ(r.result, "'multi' #" + kB + ": erase, delete 2 file(s) of " + dir_.File("from/multi") +
                          " (kept " + dir_.File("from/multi") +
                          ": not its own)\n1 item: 1 done, 0 failed");
  EXPECT_EQ(rt_.items.count(kB), 0u);
  EXPECT_EQ(rt_.requests, (std::vector<Methods>{{"d.stop", "d.close", "d.erase"}}));
  EXPECT_TRUE(Exists(dir_.File("from/multi/mine.txt")));
  EXPECT_FALSE(Exists(dir_.File("from/multi/sub")));
  EXPECT_FALSE(Exists(dir_.File("from/multi/a.bin")));
}

TEST_F(ItemActionTest, EraseOfASingleFileItem) {
  SingleFile(kA, "a.bin");
  auto h = MakeOk({{"action", "purge"}});
  RunResult r = Run(*h, kA);
  ASSERT_EQ(r.kind, Kind::kSucceeded) << r.error;
  EXPECT_FALSE(Exists(dir_.File("from/a.bin")));
  EXPECT_TRUE(Exists(dir_.File("from")));
  EXPECT_EQ(rt_.items.count(kA), 0u);
}

TEST_F(ItemActionTest, RunGivesTheProgramTheItemsFieldsWithoutAShell) {
  SingleFile(kA, "it's $HOME");
  const std::string out = dir_.File("out.txt");
  auto h = MakeOk({{"action",
                    "stop; run /bin/sh -c 'printf \"%s|%s|%s\" \"$1\" \"$2\" "
                    "\"$TORQUE_ITEM_HASH\" > \"$3\"' sh {{d.name}} {{d.directory}} " +
                        out + "; start"}});
  RunResult r = Run(*h, kA);
  ASSERT_EQ(r.kind, Kind::kSucceeded) << r.error;
  EXPECT_EQ(ReadFile(out), "it's $HOME|" + dir_.File("from") + "|" + kA);
  EXPECT_EQ(rt_.requests, (std::vector<Methods>{{"d.stop", "d.close"}, {"d.open", "d.start"}}));
}

TEST_F(ItemActionTest, AFailingProgramFailsTheItemForARetry) {
  SingleFile(kA, "a.bin");
  auto h = MakeOk({{"action", "run /bin/sh -c 'echo broken >&2; exit 3'"}});
  RunResult r = Run(*h, kA);
  EXPECT_EQ(r.kind, Kind::kFailed);
  EXPECT_FALSE(r.final);
  EXPECT_EQ(r.error, "1 of 1 item failed: 'a.bin' #" + kA +
                         ": run /bin/sh -c 'echo broken >&2; exit 3': exit status 3: broken");
  auto missing = MakeOk({{"action", "run /no/such/program"}});
  RunResult m = Run(*missing, kA);
  EXPECT_TRUE(m.final);
  EXPECT_NE(m.error.find("run /no/such/program: cannot run /no/such/program"), std::string::npos)
      << m.error;
}

}  // namespace
}  // namespace torque::jobs
