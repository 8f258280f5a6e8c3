// `torque-cli rt` through RunCli, against a fake rTorrent that speaks real SCGI + XMLRPC on a
// unix socket (so the transport and the codec run as they do against rTorrent).
#include "client/rt_command.h"

#include <gtest/gtest.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "client/cli.h"
#include "jobs/rtorrent/value.h"
#include "tests/rtorrent/test_support.h"
#include "tests/test_env.h"

namespace torque::client {
namespace {

namespace fs = std::filesystem;

using torque::testing::ScopedEnv;
class TempDir : public torque::testing::TempDir {
 public:
  TempDir() : torque::testing::TempDir("torque-rt-test") {}
};
using rtorrent::Array;
using rtorrent::Value;

std::string Escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '<') {
      out += "&lt;";
    } else if (c == '&') {
      out += "&amp;";
    } else if (c == '>') {
      out += "&gt;";
    } else {
      out += c;
    }
  }
  return out;
}

std::string Unescape(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    bool replaced = false;
    for (auto [entity, c] : {std::pair{"&lt;", '<'},
                             {"&gt;", '>'},
                             {"&amp;", '&'},
                             {"&quot;", '"'},
                             {"&apos;", '\''}}) {
      if (s.compare(i, std::strlen(entity), entity) == 0) {
        out += c;
        i += std::strlen(entity) - 1;
        replaced = true;
        break;
      }
    }
    if (!replaced) out += s[i];
  }
  return out;
}

// A value as XMLRPC, integers as <i8> like rTorrent sends them.
std::string Xml(const Value& v) {
  if (v.IsInt()) return "<value><i8>" + std::to_string(v.AsInt()) + "</i8></value>";
  if (v.IsString()) return "<value><string>" + Escape(v.AsString()) + "</string></value>";
  if (const auto* b = std::get_if<bool>(&v.v)) {
    return std::string("<value><boolean>") + (*b ? "1" : "0") + "</boolean></value>";
  }
  std::string out = "<value><array><data>";
  for (const Value& e : v.AsArray()) out += Xml(e);
  return out + "</data></array></value>";
}

std::string Response(const Value& v) {
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<methodResponse><params><param>" + Xml(v) +
         "</param></params></methodResponse>\n";
}

std::string FaultResponse(int code, const std::string& text) {
  return "<?xml version=\"1.0\"?>\n<methodResponse><fault><value><struct><member><name>"
         "faultCode</name><value><i4>" +
         std::to_string(code) +
         "</i4></value></member><member><name>faultString</name><value><string>" + Escape(text) +
         "</string></value></member></struct></value></fault></methodResponse>\n";
}

// One XMLRPC call as the fake received it: the method and its parameters as text.
struct Call {
  std::string method;
  std::vector<std::string> params;
};

// The method and the scalar parameters of a methodCall (the shapes EncodeCall writes).
Call ParseCall(const std::string& xml) {
  Call call;
  auto between = [&xml](const std::string& open, const std::string& close, size_t& pos) {
    size_t a = xml.find(open, pos);
    if (a == std::string::npos) return std::optional<std::string>();
    size_t b = xml.find(close, a + open.size());
    pos = b + close.size();
    return std::optional(xml.substr(a + open.size(), b - a - open.size()));
  };
  size_t pos = 0;
  call.method = between("<methodName>", "</methodName>", pos).value_or("");
  while (auto param = between("<param>", "</param>", pos)) {
    std::string p = *param;
    for (const char* tag : {"string", "i4", "i8"}) {
      const std::string open = std::string("<") + tag + ">";
      const std::string close = std::string("</") + tag + ">";
      const size_t a = p.find(open);
      if (a == std::string::npos) continue;
      p = Unescape(p.substr(a + open.size(), p.find(close) - a - open.size()));
      break;
    }
    call.params.push_back(p);
  }
  return call;
}

// Items as {command: value}; a missing command reads as "" (as rTorrent answers d.custom).
using FakeItem = std::map<std::string, Value>;

// A stand-in for rTorrent on a unix socket: one XMLRPC request per connection, answered
// from its items (d.multicall2, d.multicall.filtered; any view but "main" is a fault).
// d.multicall.filtered returns every item: a pre-filter may return a superset. A
// system.multicall (the actions) is kept as its XML and every call in it answers 0.
class FakeRtorrent {
 public:
  explicit FakeRtorrent(std::vector<FakeItem> items) : items_(std::move(items)) {
    path_ = dir_.path() + "/rtorrent.sock";
    listen_fd_ = socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strcpy(addr.sun_path, path_.c_str());
    if (bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
        listen(listen_fd_, 16) != 0 || pipe(stop_) != 0) {
      ADD_FAILURE() << "fake rTorrent: " << std::strerror(errno);
    }
    thread_ = std::thread([this] { Loop(); });
  }
  ~FakeRtorrent() {
    (void)!write(stop_[1], "x", 1);
    thread_.join();
    close(listen_fd_);
    close(stop_[0]);
    close(stop_[1]);
  }

  const std::string& path() const { return path_; }
  std::string url() const { return "scgi://" + path_; }
  std::vector<Call> calls() const {
    std::lock_guard lock(mu_);
    return calls_;
  }
  // The XML of each system.multicall request.
  std::vector<std::string> multicalls() const {
    std::lock_guard lock(mu_);
    return multicalls_;
  }
  std::vector<std::string> methods() const {
    std::vector<std::string> out;
    for (const Call& c : calls()) out.push_back(c.method);
    return out;
  }

 private:
  void Loop() {
    while (true) {
      pollfd p[2] = {{listen_fd_, POLLIN, 0}, {stop_[0], POLLIN, 0}};
      while (poll(p, 2, -1) < 0) {
      }
      if (p[1].revents & POLLIN) return;
      int fd = accept(listen_fd_, nullptr, nullptr);
      if (fd < 0) continue;
      std::string body = Answer(testing::ReadScgiRequest(fd).body());
      std::string reply = "Status: 200 OK\r\nContent-Type: text/xml\r\nContent-Length: " +
                          std::to_string(body.size()) + "\r\n\r\n" + body;
      (void)!send(fd, reply.data(), reply.size(), MSG_NOSIGNAL);
      close(fd);
    }
  }

  std::string Answer(const std::string& request) {
    Call call = ParseCall(request);
    {
      std::lock_guard lock(mu_);
      calls_.push_back(call);
    }
    if (call.method == "system.multicall") {
      std::lock_guard lock(mu_);
      multicalls_.push_back(request);
      Array answers;
      for (size_t at = request.find(">methodName<"); at != std::string::npos;
           at = request.find(">methodName<", at + 1)) {
        answers.emplace_back(Array{Value(0)});
      }
      return Response(Value(std::move(answers)));
    }
    const bool filtered = call.method == "d.multicall.filtered";
    if (call.method != "d.multicall2" && !filtered)
      return FaultResponse(-506, "Method not defined");
    if (call.params.size() < 2 || call.params[1] != "main") {
      return FaultResponse(-503, "Could not find view.");
    }
    Array rows;
    for (const FakeItem& item : items_) {
      Array row;
      for (size_t i = filtered ? 3 : 2; i < call.params.size(); ++i) {
        auto it = item.find(call.params[i]);
        row.push_back(it == item.end() ? Value("") : it->second);
      }
      rows.emplace_back(std::move(row));
    }
    return Response(Value(std::move(rows)));
  }

  TempDir dir_;
  std::string path_;
  std::vector<FakeItem> items_;
  int listen_fd_ = -1;
  int stop_[2] = {-1, -1};
  std::thread thread_;
  mutable std::mutex mu_;
  std::vector<Call> calls_;
  std::vector<std::string> multicalls_;
};

const std::string kHashA = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
const std::string kHashB = "BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB";
const std::string kHashC = "CCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCC";

// Three items in rTorrent's (hash) order, deliberately not in name order.
std::vector<FakeItem> ThreeItems() {
  return {
      {{"d.hash=", kHashC},
       {"d.name=", "gamma ray"},
       {"d.priority=", 3},
       {"d.size_bytes=", int64_t{3} << 20},
       {"d.complete=", 0},
       {"d.ratio=", 0},
       {"d.custom=tm_loaded", "1710417600"}},
      {{"d.hash=", kHashA},
       {"d.name=", "alpha"},
       {"d.priority=", 2},
       {"d.size_bytes=", int64_t{3} << 29},
       {"d.complete=", 1},
       {"d.ratio=", 1500},
       {"d.custom=tm_loaded", "1710504000"},
       {"d.custom=tags", "Foo bar"}},
      {{"d.hash=", kHashB},
       {"d.name=", "beta"},
       {"d.priority=", 0},
       {"d.size_bytes=", 512},
       {"d.complete=", 0},
       {"d.ratio=", 0}},
  };
}

struct Outcome {
  int code = 0;
  std::string out, err;
};

Outcome Cli(const std::vector<std::string>& args) {
  std::ostringstream out, err;
  Outcome r;
  r.code = RunCli(args, out, err);
  r.out = out.str();
  r.err = err.str();
  return r;
}

// Runs `rt --url <fake> args...`.
Outcome Rt(const FakeRtorrent& fake, std::vector<std::string> args) {
  args.insert(args.begin(), {"rt", "--url", fake.url()});
  return Cli(args);
}

// A config without url and an rtorrent_rc that does not exist, so nothing else is found.
class RtTest : public ::testing::Test {
 protected:
  RtTest()
      : home_("HOME", dir_.path().c_str()),
        tz_("TZ", "UTC"),
        config_("TORQUE_CONFIG", dir_.Write("empty.ini", "").c_str()) {}

  TempDir dir_;
  ScopedEnv home_, tz_, config_;
};

// ---- Output ----

TEST_F(RtTest, DefaultColumnsAreNameAndTheConditionFieldsSortedByName) {
  FakeRtorrent fake(ThreeItems());
  Outcome r = Rt(fake, {"prio>0"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out,
            "NAME       PRIO\n"
            "alpha         2\n"
            "gamma ray     3\n");
  EXPECT_EQ(r.err, "");
  // One request: the translatable condition went to rTorrent as a pre-filter, and only the
  // fields needed were fetched.
  std::vector<Call> calls = fake.calls();
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].method, "d.multicall.filtered");
  EXPECT_EQ(calls[0].params, (std::vector<std::string>{"", "main", calls[0].params[2],
                                                       "d.hash=", "d.name=", "d.priority="}));
}

TEST_F(RtTest, FieldsAndDescendingSort) {
  FakeRtorrent fake(ThreeItems());
  Outcome r = Rt(fake, {"-o", "name,prio", "-s", "-prio"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out,
            "NAME       PRIO\n"
            "gamma ray     3\n"
            "alpha         2\n"
            "beta          0\n");
  EXPECT_EQ(fake.methods(), std::vector<std::string>{"d.multicall2"});
}

TEST_F(RtTest, ValuesAreFormattedByType) {
  FakeRtorrent fake(ThreeItems());
  Outcome r = Rt(fake, {"--fields=hash name,size is_complete,ratio,loaded,tagged", "--sort=-size"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out,
            "HASH                                      NAME          SIZE  IS_COMPLETE  RATIO"
            "  LOADED            TAGGED\n"
            "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA  alpha      1.5 GiB  yes           1.50"
            "  2024-03-15 12:00  bar,foo\n"
            "CCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCC  gamma ray  3.0 MiB  no            0.00"
            "  2024-03-14 12:00  -\n"
            "BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB  beta         512 B  no            0.00"
            "  -                 -\n");
}

TEST_F(RtTest, ConditionWordsKeepTheirBlanks) {
  FakeRtorrent fake(ThreeItems());
  Outcome r = Rt(fake, {"name=*a r*", "is_complete=no"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out,
            "NAME       IS_COMPLETE\n"
            "gamma ray  no\n");
  // Options may follow condition words; "--" ends the options.
  r = Rt(fake, {"-o", "name", "--", "-s"});
  EXPECT_EQ(r.code, 1) << r.err;
  r = Rt(fake, {"[", "prio=3", "OR", "prio=0", "]", "-o", "name"});
  EXPECT_EQ(r.out, "NAME\nbeta\ngamma ray\n");
}

TEST_F(RtTest, JsonHasTheRawValues) {
  FakeRtorrent fake(ThreeItems());
  Outcome r =
      Rt(fake, {"--json", "-o", "hash,name,size,is_complete,ratio,loaded,tagged", "prio>0"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out,
            "[{\"hash\":\"" + kHashA +
                "\",\"name\":\"alpha\",\"size\":1610612736,\"is_complete\":true,\"ratio\":1.5,"
                "\"loaded\":1710504000,\"tagged\":[\"bar\",\"foo\"]},\n"
                "{\"hash\":\"" +
                kHashC +
                "\",\"name\":\"gamma ray\",\"size\":3145728,\"is_complete\":false,"
                "\"ratio\":0.0,\"loaded\":1710417600,\"tagged\":[]}]\n");
  // --json before "rt" works too; no match is an empty array.
  r = Cli({"--json", "rt", "--url", fake.url(), "prio=1"});
  EXPECT_EQ(r.code, 1) << r.err;
  EXPECT_EQ(r.out, "[]\n");
  EXPECT_EQ(r.err, "");
}

TEST_F(RtTest, NoMatchExitsOne) {
  FakeRtorrent fake(ThreeItems());
  Outcome r = Rt(fake, {"prio=1"});
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, "no items match\n");
  r = Rt(fake, {"-q", "prio=1"});
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.out + r.err, "");
  r = Rt(fake, {"--quiet", "prio=2"});
  EXPECT_EQ(r.code, 0);
  EXPECT_EQ(r.out + r.err, "");
}

TEST_F(RtTest, StatsOnStderr) {
  FakeRtorrent fake(ThreeItems());
  Outcome r = Rt(fake, {"--stats", "prio>0"});
  EXPECT_EQ(r.code, 0);
  EXPECT_EQ(r.out, "NAME       PRIO\nalpha         2\ngamma ray     3\n");
  // The fake returns every item for the pre-filter: 3 fetched, 2 matched.
  EXPECT_TRUE(::testing::internal::RE::FullMatch(
      r.err,
      "2 of 3 items matched in [0-9]+\\.[0-9] ms, 1 round trip, rTorrent pre-filter: \\S+\n"))
      << r.err;
  r = Rt(fake, {"--stats", "--no-prefilter", "prio>0"});
  EXPECT_TRUE(::testing::internal::RE::FullMatch(
      r.err, "2 of 3 items matched in [0-9]+\\.[0-9] ms, 1 round trip\n"))
      << r.err;
  EXPECT_EQ(fake.methods().back(), "d.multicall2");
}

TEST_F(RtTest, HelpNeedsNoRtorrent) {
  Outcome r = Cli({"rt", "--help-fields"});
  EXPECT_EQ(r.code, 0);
  EXPECT_EQ(r.out.substr(0, r.out.find('\n')), "FIELD          TYPE      MEANING");
  EXPECT_NE(r.out.find("\nprio           number    priority (0=off, 1=low, 2=normal, 3=high)\n"),
            std::string::npos);
  EXPECT_NE(r.out.find("\nkind_N         set       "), std::string::npos);
  r = Cli({"rt", "-h"});
  EXPECT_EQ(r.code, 0);
  EXPECT_NE(r.out.find("\n  rt [RT-OPTIONS] CONDITION... "), std::string::npos) << r.out;
}

// ---- Errors ----

TEST_F(RtTest, CommandLineErrors) {
  FakeRtorrent fake(ThreeItems());
  const std::string url = fake.url();
  const std::string hint = "\nTry 'torque-cli --help' for more information.\n";
  struct Case {
    std::vector<std::string> args;
    std::string err;
  };
  const std::vector<Case> cases = {
      {{"rt", "--sort"}, "torque-cli: option --sort needs a value" + hint},
      {{"rt", "--bogus"}, "torque-cli: unknown option '--bogus' for rt" + hint},
      {{"rt", "--stats=1"}, "torque-cli: option --stats takes no value" + hint},
      {{"rt", "--url", ""}, "torque-cli: option --url needs a value" + hint},
      {{"rt", "--url", "http://h/x"},
       "torque-cli: --url: unsupported rTorrent URL 'http://h/x': use scgi:///path/to/socket "
       "or scgi://host:port" +
           hint},
      {{"rt", "--url", url, "-s", "-sise"}, "torque-cli: --sort: unknown field 'sise'" + hint},
      {{"rt", "--url", url, "-o", "name,kind_101"},
       "torque-cli: --fields: unknown field 'kind_101' (N of kind_N must be 0..100)" + hint},
      {{"rt", "--url", url, "-o", ", "}, "torque-cli: --fields: no field name given" + hint},
      {{"rt", "--url", url, "sise>1"},
       "torque-cli: unknown field 'sise' at column 2\n"
       "  'sise>1'\n"
       "   ^\n"},
      {{"rt", "--url", url, "--prio", "7", "name=*"},
       "torque-cli: --prio: expected 0 (off), 1 (low), 2 (normal) or 3 (high), got '7'" + hint},
      {{"rt", "--url", url, "--custom", "x", "name=*"},
       "torque-cli: --custom: expected KEY=VALUE, got 'x'" + hint},
      {{"rt", "--url", url, "--start", "--stop", "name=*"},
       "torque-cli: --start and --stop do not go together" + hint},
      {{"rt", "--url", url, "--erase", "--prio", "1", "name=*"},
       "torque-cli: --erase goes alone" + hint},
      {{"rt", "--url", url, "--erase", "--untag", "x", "name=*"},
       "torque-cli: --erase goes alone" + hint},
      {{"rt", "--url", url, "--tag", " , ", "name=*"},
       "torque-cli: --tag: expected a tag word, got ' , '" + hint},
      {{"rt", "--url", url, "--erase"},
       "torque-cli: an action needs a condition (give 'name=*' to act on every item)" + hint},
      {{"rt", "--url", url, "is_complete=no", "name=*foo bar*", "is_open=maybe"},
       "torque-cli: bad boolean value 'maybe' for field 'is_open' (expected one of true t yes "
       "y 1 + or false f no n 0 -) at column 41\n"
       "  is_complete=no 'name=*foo bar*' is_open=maybe\n"
       "                                          ^\n"},
  };
  for (const Case& c : cases) {
    Outcome r = Cli(c.args);
    EXPECT_EQ(r.code, kExitUsage) << c.args.back();
    EXPECT_EQ(r.out, "") << c.args.back();
    EXPECT_EQ(r.err, c.err) << c.args.back();
  }
  EXPECT_TRUE(fake.calls().empty()) << "a bad command line must not reach rTorrent";
}

TEST_F(RtTest, UnreachableRtorrentExits69) {
  const std::string sock = dir_.path() + "/missing.sock";
  Outcome r = Cli({"rt", "--url", sock, "prio=2"});
  EXPECT_EQ(r.code, kExitUnavailable);
  EXPECT_EQ(r.err, "torque-cli: cannot connect to rTorrent at scgi://" + sock +
                       ": No such file or directory\n");
}

TEST_F(RtTest, ConfiguredTimeoutApplies) {
  // Listens but never accepts: the request is written, no answer ever comes.
  const std::string sock = dir_.path() + "/silent.sock";
  int fd = socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strcpy(addr.sun_path, sock.c_str());
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(listen(fd, 4), 0);
  const std::string ini = dir_.Write("t.ini", "[rtorrent]\ntimeout = 200ms\n");
  Outcome r = Cli({"rt", "-c", ini, "--url", sock});
  close(fd);
  EXPECT_EQ(r.code, kExitUnavailable);
  EXPECT_EQ(r.err, "torque-cli: rTorrent at scgi://" + sock + " did not answer within 200 ms\n");
}

// ---- Actions ----

TEST_F(RtTest, TagAndUntagEditTheTagsOfEveryMatchInOneRequest) {
  FakeRtorrent fake(ThreeItems());  // alpha has "Foo bar", the others none
  Outcome r = Rt(fake, {"--tag", "New,other", "--untag", "foo", "name=alpha,beta"});
  EXPECT_EQ(r.code, kExitOk) << r.err;
  EXPECT_EQ(r.err, "tag new other, untag foo: 2 of 2 items in 1 request\n");
  ASSERT_EQ(fake.multicalls().size(), 1u);
  const std::string request = fake.multicalls()[0];
  auto set = [](const std::string& hash, const std::string& tags) {
    return "<value><string>" + hash +
           "</string></value>\r\n<value><string>tags</string></value>\r\n" + "<value><string>" +
           tags + "</string></value>";
  };

  EXPECT_NE(request.find(set(kHashA, "bar new other")), std::string::npos) << request;
  EXPECT_NE(request.find(set(kHashB, "new other")), std::string::npos) << request;
  EXPECT_EQ(request.find(kHashC), std::string::npos) << "gamma does not match";
}

TEST_F(RtTest, TagsThatDoNotChangeAreNotWritten) {
  FakeRtorrent fake(ThreeItems());
  Outcome r = Rt(fake, {"--tag", "BAR", "--untag", "missing", "name=alpha"});
  EXPECT_EQ(r.code, kExitOk) << r.err;
  EXPECT_EQ(r.err, "tag bar, untag missing: 1 of 1 item (nothing to change)\n");
  EXPECT_TRUE(fake.multicalls().empty());
}

TEST_F(RtTest, DryRunTagsSayWhatTheyWouldDo) {
  FakeRtorrent fake(ThreeItems());
  Outcome r = Rt(fake, {"-q", "--dry-run", "--untag", "foo", "name=alpha"});
  EXPECT_EQ(r.code, kExitOk) << r.err;
  EXPECT_EQ(r.err, "would untag foo: 'alpha' #" + kHashA + "\n");
  EXPECT_TRUE(fake.multicalls().empty());
}

TEST_F(RtTest, RtorrentFaultExits65) {
  FakeRtorrent fake(ThreeItems());
  Outcome r = Rt(fake, {"--view", "nosuch"});
  EXPECT_EQ(r.code, kExitRtorrentFault);
  EXPECT_EQ(r.err, "torque-cli: rTorrent fault -503: Could not find view. (view 'nosuch')\n");
}

// ---- Where rTorrent is ----

TEST_F(RtTest, UrlResolutionOrder) {
  FakeRtorrent flag({{{"d.hash=", kHashA}, {"d.name=", "from-flag"}}});
  FakeRtorrent configured({{{"d.hash=", kHashA}, {"d.name=", "from-config"}}});
  FakeRtorrent rc({{{"d.hash=", kHashA}, {"d.name=", "from-rc"}}});
  const std::string rc_file =
      dir_.Write("rt.rc", "# rTorrent\nnetwork.scgi.open_local = " + rc.path() + "\n");
  const std::string both = dir_.Write(
      "both.ini", "[rtorrent]\nurl = " + configured.url() + "\nrtorrent_rc = " + rc_file + "\n");
  const std::string rc_only = dir_.Write("rc.ini", "[rtorrent]\nrtorrent_rc = " + rc_file + "\n");
  struct Case {
    std::vector<std::string> args;
    std::string name;
  };
  const std::vector<Case> cases = {
      {{"rt", "-c", both, "--url", flag.path()}, "from-flag"},
      {{"rt", "-c", both}, "from-config"},
      {{"-c", both, "rt"}, "from-config"},
      {{"--config", rc_only, "rt"}, "from-rc"},
      {{"rt", "--config=" + rc_only}, "from-rc"},
  };
  for (const Case& c : cases) {
    Outcome r = Cli(c.args);
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out, "NAME\n" + c.name + "\n") << c.args[1];
  }
  // $TORQUE_CONFIG when there is no -c.
  ScopedEnv env("TORQUE_CONFIG", both.c_str());
  EXPECT_EQ(Cli({"rt"}).out, "NAME\nfrom-config\n");
}

TEST_F(RtTest, DefaultRtorrentRcInHome) {
  FakeRtorrent rc({{{"d.hash=", kHashA}, {"d.name=", "from-home-rc"}}});
  // No config file at all: the default rtorrent_rc, ~/.rtorrent.rc, names the socket.
  ScopedEnv no_config("TORQUE_CONFIG", nullptr);
  dir_.Write(".rtorrent.rc", "network.scgi.open_local = " + rc.path() + "\n");
  Outcome r = Cli({"rt"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "NAME\nfrom-home-rc\n");
}

TEST_F(RtTest, NoUrlExits78) {
  const std::string ini = dir_.path() + "/empty.ini";
  Outcome r = Cli({"rt", "prio=2"});
  EXPECT_EQ(r.code, kExitConfig);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, "torque-cli: no rTorrent URL: cannot read " + dir_.path() +
                       "/.rtorrent.rc: No such file or directory (give --url, set url in the "
                       "[rtorrent] section of " +
                       ini +
                       ", or let [rtorrent] rtorrent_rc name an rtorrent.rc with "
                       "network.scgi.open_local)\n");
  const std::string rc = dir_.Write("norpc.rc", "directory.default.set = /tmp\n");
  const std::string no_listener = dir_.Write("n.ini", "[rtorrent]\nrtorrent_rc = " + rc + "\n");
  r = Cli({"rt", "-c", no_listener});
  EXPECT_EQ(r.code, kExitConfig);
  EXPECT_EQ(r.err, "torque-cli: no rTorrent URL: " + rc +
                       " opens no SCGI listener (no network.scgi.open_local or "
                       "network.scgi.open_port) (give --url, set url in the [rtorrent] section "
                       "of " +
                       no_listener +
                       ", or let [rtorrent] rtorrent_rc name an rtorrent.rc with "
                       "network.scgi.open_local)\n");
}

TEST_F(RtTest, BadConfigurationExits78) {
  const std::string rc = dir_.Write("rel.rc", "network.scgi.open_local = rt.sock\n");
  const std::string rel = dir_.Write("rel.ini", "[rtorrent]\nrtorrent_rc = " + rc + "\n");
  const std::string bad_url = dir_.Write("url.ini", "[rtorrent]\nurl = ftp://x\n");
  const std::string broken = dir_.Write("broken.ini", "[rtorrent]\ntimeout = soon\n");
  struct Case {
    std::string ini;
    std::string err;
  };
  const std::vector<Case> cases = {
      {rel, rc + ":1: network.scgi.open_local 'rt.sock' is not an absolute path"},
      {bad_url, "[rtorrent] url in " + bad_url +
                    ": unsupported rTorrent URL 'ftp://x': use scgi:///path/to/socket or "
                    "scgi://host:port"},
      {dir_.path() + "/missing.ini", "cannot use config " + dir_.path() +
                                         "/missing.ini: config file " + dir_.path() +
                                         "/missing.ini not found"},
      {broken, "cannot use config " + broken + ": " + broken +
                   ":2: [rtorrent] key 'timeout': invalid duration 'soon': expected a number of "
                   "seconds or <number><unit> with unit ms, s, m, h, d or w (e.g. 90, 30s, "
                   "1h30m)"},
  };
  for (const Case& c : cases) {
    Outcome r = Cli({"rt", "-c", c.ini});
    EXPECT_EQ(r.code, kExitConfig) << c.ini;
    EXPECT_EQ(r.err, "torque-cli: " + c.err + "\n") << c.ini;
  }
}

}  // namespace
}  // namespace torque::client
