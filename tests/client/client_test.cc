#include "torque/client.h"

#include <gtest/gtest.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "client/cli.h"
#include "core/line_reader.h"
#include "tests/test_env.h"

namespace torque::client {
namespace {

namespace fs = std::filesystem;

using torque::testing::ScopedEnv;
class TempDir : public torque::testing::TempDir {
 public:
  TempDir() : torque::testing::TempDir("torque-client-test") {}
};



// A stand-in for torqued on a UNIX socket: one connection at a time, each request
// line answered by `handler`. kHang means no answer; kClose closes the connection.
class FakeServer {
 public:
  static constexpr const char* kHang = "<hang>";
  static constexpr const char* kClose = "<close>";
  using Handler = std::function<std::string(const std::string& line)>;

  explicit FakeServer(Handler handler, bool byte_by_byte = false)
      : handler_(std::move(handler)), byte_by_byte_(byte_by_byte) {
    path_ = dir_.path() + "/torqued.sock";
    listen_fd_ = socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strcpy(addr.sun_path, path_.c_str());
    if (bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
        listen(listen_fd_, 16) != 0 || pipe(stop_) != 0) {
      ADD_FAILURE() << "fake server: " << std::strerror(errno);
    }
    thread_ = std::thread([this] { Loop(); });
  }

  // Canned replies: request line → reply line.
  FakeServer(std::initializer_list<std::pair<const std::string, std::string>> script)
      : FakeServer([replies = std::map<std::string, std::string>(script)](const std::string& line) {
          auto it = replies.find(line);
          return it == replies.end() ? std::string("ERR verb not in the test's script")
                                     : it->second;
        }) {}

  ~FakeServer() {
    (void)!write(stop_[1], "x", 1);
    thread_.join();
    close(listen_fd_);
    close(stop_[0]);
    close(stop_[1]);
  }

  const std::string& path() const { return path_; }
  std::vector<std::string> lines() const {
    std::lock_guard lock(mu_);
    return lines_;
  }

 private:
  // Waits until `fd` is readable; false when the server is stopping.
  bool WaitReadable(int fd) {
    pollfd p[2] = {{fd, POLLIN, 0}, {stop_[0], POLLIN, 0}};
    while (poll(p, 2, -1) < 0) {
    }
    return !(p[1].revents & POLLIN);
  }

  void Loop() {
    while (WaitReadable(listen_fd_)) {
      int fd = accept(listen_fd_, nullptr, nullptr);
      if (fd < 0) continue;
      Serve(fd);
      close(fd);
    }
  }

  void Serve(int fd) {
    protocol::LineReader reader(1 << 24);
    char buf[65536];
    while (WaitReadable(fd)) {
      ssize_t n = read(fd, buf, sizeof(buf));
      if (n <= 0) return;
      reader.Feed(std::string_view(buf, static_cast<std::size_t>(n)));
      while (auto line = reader.Next()) {
        {
          std::lock_guard lock(mu_);
          lines_.push_back(line->text);
        }
        std::string reply = handler_(line->text);
        if (reply == kClose) return;
        if (reply == kHang) continue;
        reply += '\n';
        if (byte_by_byte_) {
          for (char c : reply) WriteAll(fd, std::string(1, c));
        } else {
          WriteAll(fd, reply);
        }
      }
    }
  }

  static void WriteAll(int fd, const std::string& data) {
    std::size_t done = 0;
    while (done < data.size()) {
      ssize_t n = send(fd, data.data() + done, data.size() - done, MSG_NOSIGNAL);
      if (n <= 0) return;
      done += static_cast<std::size_t>(n);
    }
  }

  TempDir dir_;
  std::string path_;
  Handler handler_;
  bool byte_by_byte_;
  int listen_fd_ = -1;
  int stop_[2] = {-1, -1};
  std::thread thread_;
  mutable std::mutex mu_;
  std::vector<std::string> lines_;
};

const char* kRecord =
    R"({"id":7,"type":"fetch","args":"a 'b c'","state":"done","priority":0,)"
    R"("run_at":"2030-01-31T12:00:00.000Z","attempts":1,"max_attempts":3,"timeout":null,)"
    R"("unique_key":null,"result":"hello\n","error":"","created_at":"2030-01-31T12:00:00.000Z",)"
    R"("started_at":"2030-01-31T12:00:01.000Z","finished_at":"2030-01-31T12:00:03.500Z",)"
    R"("duration":2.5,"cancel_requested":false})";

Client MustConnect(const std::string& path, int64_t timeout_ms = 30'000) {
  auto c = Client::Connect(path, timeout_ms);
  EXPECT_TRUE(c.ok()) << c.status().ToString();
  return std::move(c).value();
}

// ---- Client ----

TEST(ClientTest, SubmitUsesThePlainFormWithoutOptions) {
  FakeServer server({{"fetch a 'b c'", "ACK 42"}});
  Client c = MustConnect(server.path());
  auto id = c.Submit("fetch", "a 'b c'");
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  EXPECT_EQ(*id, 42);
  EXPECT_EQ(server.lines(), (std::vector<std::string>{"fetch a 'b c'"}));
}

TEST(ClientTest, SubmitWithOptionsUsesSubmit) {
  FakeServer server({{"SUBMIT priority=5 delay=30s unique=k fetch a", "ACK 43 existing"}});
  Client c = MustConnect(server.path());
  SubmitOptions o;
  o.priority = 5;
  o.delay = 30'000;
  o.unique = "k";
  auto id = c.Submit("fetch", "a", o);
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  EXPECT_EQ(*id, 43);
}

TEST(ClientTest, SubmitRejectsBadNamesAndKeysLocally) {
  FakeServer server({{"PING", "OK pong"}});
  Client c = MustConnect(server.path());
  for (const char* name : {"Fetch", "STATUS", "", "a b"}) {
    auto id = c.Submit(name, "5");
    EXPECT_EQ(id.status().code(), Status::Code::kInvalidArgument) << name;
  }
  SubmitOptions o;
  o.unique = "a b";
  EXPECT_EQ(c.Submit("fetch", "", o).status().message(), "a unique key must be one non-empty word");
  EXPECT_EQ(c.Submit("fetch", "a\nPING").status().message(),
            "a request cannot contain a line break");
  EXPECT_TRUE(server.lines().empty());
}

TEST(ClientTest, SubmitErrorsBecomeStatuses) {
  FakeServer server({{"nope", "ERR unknown unknown job type 'nope'"},
                     {"full", "ERR store database failure, nothing was stored: disk full"},
                     {"late", "ERR shutdown torqued is shutting down; job not accepted"},
                     {"odd", "OK"}});
  Client c = MustConnect(server.path());
  auto s = c.Submit("nope", "").status();
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(s.message(), "unknown unknown job type 'nope'");
  EXPECT_EQ(c.Submit("full", "").status().code(), Status::Code::kIoError);
  EXPECT_EQ(c.Submit("late", "").status().code(), Status::Code::kUnavailable);
  EXPECT_EQ(c.Submit("odd", "").status().code(), Status::Code::kInternal);
}

TEST(ClientTest, StatusCancelRetryQuery) {
  FakeServer server({{"STATUS 7", std::string("OK ") + kRecord},
                     {"STATUS 8", "ERR notfound no job 8"},
                     {"CANCEL 7", R"(OK {"id":7,"state":"cancelled"})"},
                     {"RETRY 7", "ERR state job 7 is running"},
                     {"STATS", R"(OK {"pid":12})"},
                     {"PING", "OK pong"},
                     {"TYPES", "OK [1,"},
                     {"VERSION", "OK"},
                     {"HELLO", "ACK 5"}});
  Client c = MustConnect(server.path());
  auto job = c.Status(7);
  ASSERT_TRUE(job.ok()) << job.status().ToString();
  EXPECT_EQ((*job)["args"], "a 'b c'");
  auto missing = c.Status(8);
  EXPECT_EQ(missing.status().code(), Status::Code::kNotFound);
  EXPECT_EQ(missing.status().message(), "notfound no job 8");
  EXPECT_EQ((*c.Cancel(7))["state"], "cancelled");
  EXPECT_EQ(c.Retry(7).status().code(), Status::Code::kFailedPrecondition);
  EXPECT_EQ((*c.Query("STATS"))["pid"], 12);
  EXPECT_EQ(c.Query("TYPES").status().code(), Status::Code::kInternal);  // bad JSON
  EXPECT_TRUE(c.Query("VERSION")->is_null());
  EXPECT_EQ(c.Query("HELLO").status().code(), Status::Code::kInternal);  // ACK to a query
  auto ping = c.Call("PING");
  ASSERT_TRUE(ping.ok());
  EXPECT_EQ(ping->payload, "pong");
}

TEST(ClientTest, WaitSendsTimeoutAndFrom) {
  FakeServer server({{"WAIT 7", std::string("OK ") + kRecord},
                     {"WAIT 7 timeout=5s from=3", std::string("OK ") + kRecord},
                     {"WAIT 9 timeout=0s", "ERR timeout job 9 not finished after 0s"}});
  Client c = MustConnect(server.path());
  EXPECT_EQ((*c.Wait(7))["state"], "done");
  EXPECT_EQ((*c.Wait(7, 5000, 3))["id"], 7);
  auto timeout = c.Wait(9, 0);
  EXPECT_EQ(timeout.status().code(), Status::Code::kTimeout);
  EXPECT_EQ(timeout.status().message(), "timeout job 9 not finished after 0s");
}

TEST(ClientTest, CallManyPipelines) {
  FakeServer server(
      {{"PING", "OK pong"}, {"STATUS 1", "ERR notfound no job 1"}, {"fetch", "ACK 3"}});
  Client c = MustConnect(server.path());
  auto replies = c.CallMany({"PING", "STATUS 1", "fetch"});
  ASSERT_TRUE(replies.ok()) << replies.status().ToString();
  ASSERT_EQ(replies->size(), 3u);
  EXPECT_EQ((*replies)[0].payload, "pong");
  EXPECT_EQ((*replies)[1].word, protocol::ErrorWord::kNotFound);
  EXPECT_EQ((*replies)[2].id, 3);
  EXPECT_TRUE(c.CallMany({})->empty());
}

TEST(ClientTest, CallManyDoesNotDeadlockOnLargeBatches) {
  // 8 MB of requests and 8 MB of replies: more than both socket buffers hold, so
  // the client must read replies while it is still writing.
  FakeServer server([](const std::string& line) { return "OK " + line; });
  Client c = MustConnect(server.path());
  std::vector<std::string> lines;
  for (int i = 0; i < 8000; ++i)
    lines.push_back("fetch " + std::to_string(i) + std::string(1000, 'x'));
  auto replies = c.CallMany(lines);
  ASSERT_TRUE(replies.ok()) << replies.status().ToString();
  ASSERT_EQ(replies->size(), lines.size());
  for (std::size_t i = 0; i < lines.size(); ++i) ASSERT_EQ((*replies)[i].payload, lines[i]);
}

TEST(ClientTest, RepliesArrivingByteByByteAreReassembled) {
  FakeServer server([](const std::string&) { return std::string("OK ") + kRecord; }, true);
  Client c = MustConnect(server.path());
  auto job = c.Status(7);
  ASSERT_TRUE(job.ok()) << job.status().ToString();
  EXPECT_EQ((*job)["duration"], 2.5);
}

TEST(ClientTest, UnreachableSocketIsUnavailable) {
  TempDir dir;
  const std::string missing = dir.path() + "/none.sock";
  auto c = Client::Connect(missing);
  EXPECT_EQ(c.status().code(), Status::Code::kUnavailable);
  EXPECT_EQ(c.status().message(), "cannot connect to " + missing + ": No such file or directory");

  // A socket file nobody listens on.
  const std::string dead = dir.path() + "/dead.sock";
  int fd = socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strcpy(addr.sun_path, dead.c_str());
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  close(fd);
  c = Client::Connect(dead);
  EXPECT_EQ(c.status().message(), "cannot connect to " + dead + ": Connection refused");

  const std::string long_path = "/tmp/" + std::string(200, 'x');
  c = Client::Connect(long_path);
  EXPECT_EQ(c.status().code(), Status::Code::kUnavailable);
  EXPECT_EQ(c.status().message(), "cannot connect to " + long_path + ": socket path too long");
}

TEST(ClientTest, ReplyTimeoutClosesTheConnection) {
  FakeServer server([](const std::string&) { return std::string(FakeServer::kHang); });
  Client c = MustConnect(server.path(), 200);
  auto r = c.Call("STATUS 1");
  EXPECT_EQ(r.status().code(), Status::Code::kTimeout);
  EXPECT_EQ(r.status().message(), "no reply from torqued within 200ms");
  auto again = c.Call("PING");
  EXPECT_EQ(again.status().code(), Status::Code::kUnavailable);
  EXPECT_EQ(again.status().message(), "not connected to " + server.path());
}

TEST(ClientTest, ClosedConnectionAndGarbageReplies) {
  FakeServer server([](const std::string& line) {
    return line == "PING" ? std::string(FakeServer::kClose) : std::string("HELLO there");
  });
  {
    Client c = MustConnect(server.path());
    auto r = c.Call("PING");
    EXPECT_EQ(r.status().code(), Status::Code::kUnavailable);
    EXPECT_EQ(r.status().message(), "torqued closed the connection");
  }
  Client c = MustConnect(server.path());
  auto r = c.Call("STATS");
  EXPECT_EQ(r.status().code(), Status::Code::kInternal);
  EXPECT_EQ(r.status().message(), "bad reply from torqued: unexpected reply 'HELLO there'");
}

TEST(ClientTest, MovedClientKeepsItsConnection) {
  FakeServer server({{"PING", "OK pong"}});
  Client a = MustConnect(server.path());
  Client b = std::move(a);
  EXPECT_TRUE(b.Call("PING").ok());
  Client c = MustConnect(server.path());
  c = std::move(b);
  EXPECT_TRUE(c.Call("PING").ok());
}

TEST(ClientTest, StatusFromReplyMapping) {
  using protocol::ErrorWord;
  const std::pair<ErrorWord, Status::Code> table[] = {
      {ErrorWord::kSyntax, Status::Code::kInvalidArgument},
      {ErrorWord::kTooLong, Status::Code::kInvalidArgument},
      {ErrorWord::kVerb, Status::Code::kInvalidArgument},
      {ErrorWord::kUnknown, Status::Code::kInvalidArgument},
      {ErrorWord::kDisabled, Status::Code::kInvalidArgument},
      {ErrorWord::kNotFound, Status::Code::kNotFound},
      {ErrorWord::kState, Status::Code::kFailedPrecondition},
      {ErrorWord::kStore, Status::Code::kIoError},
      {ErrorWord::kTimeout, Status::Code::kTimeout},
      {ErrorWord::kShutdown, Status::Code::kUnavailable},
      {ErrorWord::kInternal, Status::Code::kInvalidArgument},
  };
  for (const auto& [word, code] : table) {
    protocol::Reply r;
    r.kind = protocol::Reply::Kind::kErr;
    r.word = word;
    r.text = "some text";
    Status s = StatusFromReply(r);
    EXPECT_EQ(s.code(), code) << protocol::ErrorWordName(word);
    EXPECT_EQ(s.message(), std::string(protocol::ErrorWordName(word)) + " some text");
    r.text.clear();
    EXPECT_EQ(StatusFromReply(r).message(), protocol::ErrorWordName(word));
  }
  protocol::Reply ok;
  EXPECT_TRUE(StatusFromReply(ok).ok());
}

TEST(ClientTest, ResolveSocketPathOrder) {
  TempDir dir;
  ScopedEnv home("HOME", dir.path().c_str());
  ScopedEnv torque_home("TORQUE_HOME", (dir.path() + "/state").c_str());
  ScopedEnv config_env("TORQUE_CONFIG", nullptr);
  ScopedEnv socket_env("TORQUE_SOCKET", nullptr);
  const std::string ini = dir.path() + "/torque.ini";
  std::ofstream(ini) << "[server]\nsocket = /run/torque/from-config.sock\n";

  EXPECT_EQ(DefaultSocketPath(), dir.path() + "/state/torqued.sock");
  EXPECT_EQ(ResolveSocketPath(), dir.path() + "/state/torqued.sock");
  EXPECT_EQ(ResolveSocketPath("", ini), "/run/torque/from-config.sock");
  EXPECT_EQ(ResolveSocketPath("", dir.path() + "/missing.ini"), dir.path() + "/state/torqued.sock");
  {
    ScopedEnv config_default("TORQUE_CONFIG", ini.c_str());
    EXPECT_EQ(ResolveSocketPath(), "/run/torque/from-config.sock");
  }
  ScopedEnv socket_set("TORQUE_SOCKET", "/env.sock");
  EXPECT_EQ(ResolveSocketPath("", ini), "/env.sock");
  EXPECT_EQ(ResolveSocketPath("/flag.sock", ini), "/flag.sock");
}

// ---- torque-cli ----

struct CliResult {
  int code;
  std::string out;
  std::string err;
};

CliResult RunCliArgs(const std::vector<std::string>& args) {
  std::ostringstream out, err;
  int code = RunCli(args, out, err);
  return {code, out.str(), err.str()};
}

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override { tzset(); }
  void TearDown() override { tzset(); }

  // torque-cli -s <server> args...
  CliResult Run(const FakeServer& server, std::vector<std::string> args) {
    args.insert(args.begin(), {"-s", server.path()});
    return RunCliArgs(args);
  }

  ScopedEnv tz_{"TZ", "UTC"};
  ScopedEnv job_id_{"TORQUE_JOB_ID", nullptr};
  ScopedEnv socket_{"TORQUE_SOCKET", nullptr};
};

TEST_F(CliTest, SubmitPrintsTheIdAndQuotesArguments) {
  FakeServer server({{"fetch a 'b c' -x --priority 5", "ACK 42"}});
  CliResult r = Run(server, {"fetch", "a", "b c", "-x", "--priority", "5"});
  EXPECT_EQ(r.code, kExitOk) << r.err;
  EXPECT_EQ(r.out, "42\n");
  EXPECT_EQ(r.err, "");
  EXPECT_EQ(server.lines(), (std::vector<std::string>{"fetch a 'b c' -x --priority 5"}));
}

TEST_F(CliTest, SubmitOptionsBeforeTheName) {
  FakeServer server([](const std::string&) { return std::string("ACK 5 existing"); });
  EXPECT_EQ(Run(server, {"--priority", "5", "--delay=30s", "--retries", "2", "fetch", "a"}).out,
            "5\n");
  EXPECT_EQ(Run(server, {"submit", "--unique", "k", "--job-timeout", "1h", "fetch"}).code, 0);
  EXPECT_EQ(Run(server, {"--at", "2030-01-31T12:00:00Z", "-q", "fetch"}).out, "");
  EXPECT_EQ(Run(server, {"--at", "2030-01-31 12:00", "fetch"}).code, 0);  // local time (UTC here)
  EXPECT_EQ(Run(server, {"--json", "--", "fetch", "--json"}).out, "{\"existing\":true,\"id\":5}\n");
  EXPECT_EQ(server.lines(), (std::vector<std::string>{
                                "SUBMIT priority=5 delay=30s retries=2 fetch a",
                                "SUBMIT unique=k timeout=1h fetch",
                                "SUBMIT at=2030-01-31T12:00:00.000Z fetch",
                                "SUBMIT at=2030-01-31T12:00:00.000Z fetch",
                                "fetch --json",
                            }));
}

TEST_F(CliTest, SubmitAndWait) {
  FakeServer server({{"fetch x", "ACK 7"},
                     {"WAIT 7", std::string("OK ") + kRecord},
                     {"WAIT 7 timeout=1m from=3", std::string("OK ") + kRecord}});
  CliResult r = Run(server, {"--wait", "fetch", "x"});
  EXPECT_EQ(r.code, kExitOk) << r.err;
  EXPECT_EQ(r.out, "hello\n");
  ScopedEnv job("TORQUE_JOB_ID", "3");
  r = Run(server, {"--wait", "--timeout", "1m", "fetch", "x"});
  EXPECT_EQ(r.code, kExitOk) << r.err;
  EXPECT_EQ(server.lines(),
            (std::vector<std::string>{"fetch x", "WAIT 7", "fetch x", "WAIT 7 timeout=1m from=3"}));
}

TEST_F(CliTest, WaitExitCodes) {
  std::string failed = kRecord;
  failed.replace(failed.find("\"done\""), 6, "\"failed\"");
  failed.replace(failed.find("\"error\":\"\""), 10, "\"error\":\"exit status 3\"");
  std::string cancelled = kRecord;
  cancelled.replace(cancelled.find("\"done\""), 6, "\"cancelled\"");
  FakeServer server({{"WAIT 7", std::string("OK ") + kRecord},
                     {"WAIT 8", "OK " + failed},
                     {"WAIT 9", "OK " + cancelled},
                     {"WAIT 10 timeout=1s", "ERR timeout job 10 not finished after 1s"},
                     {"WAIT 11", "ERR notfound no job 11"}});
  CliResult r = Run(server, {"wait", "7"});
  EXPECT_EQ(r.code, kExitOk);
  EXPECT_EQ(r.out, "hello\n");
  EXPECT_EQ(Run(server, {"-q", "wait", "7"}).out, "");
  EXPECT_EQ(Run(server, {"wait", "7", "--json"}).out, std::string(kRecord) + "\n");
  r = Run(server, {"wait", "8"});
  EXPECT_EQ(r.code, kExitJobFailed);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, "job 8 failed: exit status 3\n");
  r = Run(server, {"wait", "9"});
  EXPECT_EQ(r.code, kExitJobFailed);
  EXPECT_EQ(r.err, "job 9 cancelled\n");
  r = Run(server, {"wait", "10", "--timeout", "1s"});
  EXPECT_EQ(r.code, kExitTimeout);
  EXPECT_EQ(r.err, "torque-cli: job 10 not finished after 1s\n");
  r = Run(server, {"wait", "11"});
  EXPECT_EQ(r.code, kExitDaemonError);
  EXPECT_EQ(r.err, "torque-cli: no job 11\n");
}

TEST_F(CliTest, DaemonErrorsAndUnreachableDaemon) {
  FakeServer server({{"nope", "ERR unknown unknown job type 'nope'"}, {"bad", "OK"}});
  CliResult r = Run(server, {"nope"});
  EXPECT_EQ(r.code, kExitDaemonError);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, "torque-cli: unknown job type 'nope'\n");
  r = Run(server, {"bad"});
  EXPECT_EQ(r.code, kExitInternal);
  EXPECT_EQ(r.err, "torque-cli: unexpected reply from torqued: OK \n");

  TempDir dir;
  const std::string missing = dir.path() + "/none.sock";
  for (const char* command : {"fetch", "ping", "stats", "wait"}) {
    std::vector<std::string> args = {"-s", missing, command};
    if (std::string(command) == "wait") args.push_back("1");
    r = RunCliArgs(args);
    EXPECT_EQ(r.code, kExitUnavailable) << command;
    EXPECT_EQ(r.err, "torque-cli: cannot connect to " + missing + ": No such file or directory\n");
  }
}

TEST_F(CliTest, UsageErrors) {
  const std::pair<std::vector<std::string>, std::string> cases[] = {
      {{"--priority", "x", "fetch"},
       "--priority: invalid value 'x' (expected an integer from -1000000 to 1000000)"},
      {{"--retries", "1001", "fetch"},
       "--retries: invalid value '1001' (expected an integer from 0 to 1000)"},
      {{"--delay", "5x", "fetch"},
       "--delay: invalid duration '5x': unknown unit 'x' (use ms, s, m, h, d or w)"},
      {{"--delay", "3651d", "fetch"},
       "--delay: invalid value '3651d' (expected a duration of at most 3650d)"},
      {{"--unique", "a b", "fetch"},
       "--unique: invalid value 'a b' (expected one word without blanks)"},
      {{"--delay", "5s", "--at", "2030-01-31T12:00:00Z", "fetch"},
       "--delay and --at cannot be used together"},
      {{"--timeout", "5s", "fetch"},
       "--timeout needs --wait (the job's own limit is --job-timeout)"},
      {{"--priority"}, "option --priority needs a value"},
      {{"--json=yes", "ping"}, "option --json takes no value"},
      {{"--bogus", "fetch"}, "unknown option '--bogus'"},
      {{"list", "--timeout", "5s"}, "unknown option '--timeout' for list"},
      {{"status", "--wait", "1"}, "unknown option '--wait' for status"},
      {{"-q"}, "missing job type name"},
      {{"submit"}, "missing job type name"},
      {{"Fetch", "a"}, "invalid job type name 'Fetch' (expected [a-z][a-z0-9_]*)"},
      {{"status"}, "status needs a job id"},
      {{"cancel", "1", "x"}, "invalid job id 'x' (expected a positive integer)"},
      {{"retry", "0"}, "invalid job id '0' (expected a positive integer)"},
      {{"wait", "1", "2"}, "wait takes one job id"},
      {{"wait", "1", "--timeout", "soon"},
       "--timeout: invalid duration 'soon': expected a number of seconds or <number><unit> with "
       "unit ms, s, m, h, d or w (e.g. 90, 30s, 1h30m)"},
      {{"pause"}, "pause needs one job type name"},
      {{"resume", "A"}, "invalid job type name 'A' (expected [a-z][a-z0-9_]*)"},
      {{"stats", "now"}, "unexpected argument 'now' for stats"},
      {{"list", "--state", "stuck"},
       "--state: invalid value 'stuck' (expected queued, running, done, failed or cancelled)"},
      {{"list", "--limit", "0"},
       "--limit: invalid value '0' (expected an integer from 1 to 10000)"},
      {{"list", "--type", "X"},
       "--type: invalid value 'X' (expected a job type name [a-z][a-z0-9_]*)"},
      {{"list", "--before", "-1"}, "--before: invalid value '-1' (expected a positive job id)"},
      {{"fetch", "a\nPING"}, "job arguments cannot contain line breaks"},
  };
  for (const auto& [args, message] : cases) {
    CliResult r = RunCliArgs(args);
    EXPECT_EQ(r.code, kExitUsage) << args[0];
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(r.err,
              "torque-cli: " + message + "\nTry 'torque-cli --help' for more information.\n");
  }
}

TEST_F(CliTest, HelpAndVersion) {
  CliResult none = RunCliArgs({});
  EXPECT_EQ(none.code, kExitUsage);
  EXPECT_NE(none.err.find("Usage: torque-cli"), std::string::npos);
  for (const char* flag : {"-h", "--help", "help"}) {
    CliResult r = RunCliArgs({flag});
    EXPECT_EQ(r.code, kExitOk);
    EXPECT_NE(r.out.find("Exit status: 0 ok"), std::string::npos);
  }
  EXPECT_EQ(RunCliArgs({"--version"}).out, "torque-cli " TORQUE_VERSION " (protocol 1)\n");
  FakeServer server({{"VERSION", R"(OK {"version":"9.8.7","protocol":1})"},
                     {"PING", "OK pong"},
                     {"fetch --help", "ACK 1"}});
  EXPECT_EQ(Run(server, {"fetch", "--help"}).out, "1\n");  // --help is fetch's argument
  CliResult r = Run(server, {"version"});
  EXPECT_EQ(r.out, "torque-cli " TORQUE_VERSION " (protocol 1)\ntorqued 9.8.7 (protocol 1)\n");
  r = Run(server, {"ping"});
  EXPECT_EQ(r.code, kExitOk);
  EXPECT_EQ(r.out.rfind("pong ", 0), 0u) << r.out;
  EXPECT_EQ(r.out.substr(r.out.size() - 4), " ms\n");
}

TEST_F(CliTest, StatusShowsRecords) {
  FakeServer server(
      {{"STATUS 7", std::string("OK ") + kRecord}, {"STATUS 8", "ERR notfound no job 8"}});
  CliResult r = Run(server, {"status", "7"});
  EXPECT_EQ(r.code, kExitOk);
  EXPECT_EQ(r.out,
            "id:          7\n"
            "type:        fetch\n"
            "args:        a 'b c'\n"
            "state:       done\n"
            "priority:    0\n"
            "attempts:    1/3\n"
            "run_at:      2030-01-31 12:00:00\n"
            "created_at:  2030-01-31 12:00:00\n"
            "started_at:  2030-01-31 12:00:01\n"
            "finished_at: 2030-01-31 12:00:03\n"
            "duration:    2.5s\n"
            "timeout:     -\n"
            "unique_key:  -\n"
            "result:      hello\n");
  r = Run(server, {"status", "8", "7", "--json"});
  EXPECT_EQ(r.code, kExitDaemonError);
  EXPECT_EQ(r.out, std::string(kRecord) + "\n");
  EXPECT_EQ(r.err, "torque-cli: no job 8\n");
  EXPECT_EQ(server.lines(), (std::vector<std::string>{"STATUS 7", "STATUS 8", "STATUS 7"}));
}

TEST_F(CliTest, CancelRetryPauseResumeConfirm) {
  FakeServer server({{"CANCEL 7", R"(OK {"id":7,"state":"cancelled"})"},
                     {"CANCEL 8", R"(OK {"id":8,"state":"running","cancel_requested":true})"},
                     {"RETRY 7", R"(OK {"id":7,"state":"queued"})"},
                     {"PAUSE fetch", R"(OK {"type":"fetch","paused":true})"},
                     {"RESUME fetch", R"(OK {"type":"fetch","paused":false})"}});
  EXPECT_EQ(Run(server, {"cancel", "7", "8"}).out, "job 7: cancelled\njob 8: cancelling\n");
  EXPECT_EQ(Run(server, {"retry", "7"}).out, "job 7: queued\n");
  EXPECT_EQ(Run(server, {"-q", "retry", "7"}).out, "");
  EXPECT_EQ(Run(server, {"pause", "fetch"}).out, "fetch: paused\n");
  EXPECT_EQ(Run(server, {"resume", "fetch"}).out, "fetch: resumed\n");
}

TEST_F(CliTest, ListTable) {
  const std::string second =
      R"({"id":8,"type":"verify_file","args":"fid:50","state":"queued","attempts":0,)"
      R"("max_attempts":1,"created_at":"2030-01-31T12:05:00.000Z","duration":null})";
  FakeServer server({{"LIST", "OK [" + std::string(kRecord) + "," + second + "]"},
                     {"LIST type=fetch state=failed limit=5 before=100", "OK []"}});
  CliResult r = Run(server, {"list"});
  EXPECT_EQ(r.code, kExitOk) << r.err;
  EXPECT_EQ(r.out,
            "ID  TYPE         STATE   TRIES  CREATED              TOOK  ARGS\n"
            " 7  fetch        done      1/3  2030-01-31 12:00:00  2.5s  a 'b c'\n"
            " 8  verify_file  queued    0/1  2030-01-31 12:05:00     -  fid:50\n");
  r = Run(server, {"list", "--type", "fetch", "--state=failed", "--limit", "5", "--before", "100"});
  EXPECT_EQ(r.out, "no jobs\n");
  EXPECT_EQ(Run(server, {"--json", "list"}).out, "[" + std::string(kRecord) + "," + second + "]\n");
}

TEST_F(CliTest, StatsAndTypesTables) {
  FakeServer server(
      {{"STATS",
        R"(OK {"version":"0.1.0","protocol":1,"pid":4242,"uptime":11700.5,)"
        R"("database":{"path":"/var/lib/torque/torque.db","size_bytes":12345},)"
        R"("types":[{"type":"fetch","queued":3,"delayed":1,"running":2,"done":10,"failed":1,)"
        R"("cancelled":0,"paused":false,"recent":{"finished":6,"failed":1,"per_minute":1.2,)"
        R"("wait_ms_avg":2.4,"wait_ms_max":340,"run_ms_avg":1500.2}},)"
        R"({"type":"old","queued":1,"delayed":0,"running":0,"done":0,"failed":0,)"
        R"("cancelled":0,"paused":true}],)"
        R"("totals":{"submitted":17,"finished":11,"recent_window_s":300,"recent_finished":6,)"
        R"("recent_per_minute":1.2},"notifications":{"pending":1,"delivered":4,)"
        R"("failed_attempts":2,"dropped":0}})"},
       {"TYPES",
        R"(OK [{"name":"queue","handler":"queue_manager","active":true,"concurrent":1,)"
        R"("aliases":["queue_pass","qp"],"paused":false,"running":0,"queued":0,)"
        R"("schedule":"second=*/15","next_fire":"2026-11-23T14:05:15.000Z","retries":0,"timeout":null,"priority":0,"coalesce":true},)"
        R"({"name":"fetch","handler":"exec","active":false,"concurrent":4,"aliases":[],)"
        R"("paused":false,"running":1,"queued":2,"schedule":null},)"
        R"({"name":"mail","handler":"exec","active":true,"concurrent":1,"aliases":[],)"
        R"("paused":true,"running":0,"queued":12,"schedule":null}])"}});
  CliResult r = Run(server, {"stats"});
  EXPECT_EQ(r.code, kExitOk) << r.err;
  EXPECT_EQ(r.out,
            "torqued 0.1.0, protocol 1, pid 4242, up 3h15m\n"
            "database /var/lib/torque/torque.db (12345 bytes)\n"
            "jobs submitted 17, finished 11 since start; 1.2/min over the last 5m0s\n"
            "notifications pending 1, delivered 4, failed attempts 2, dropped 0\n"
            "\n"
            "TYPE   QUEUED  DELAYED  RUNNING  DONE  FAILED  CANCELLED  PAUSED  PER_MIN  "
            "WAIT_AVG  WAIT_MAX  RUN_AVG\n"
            "fetch       3        1        2    10       1          0  no          1.2  "
            "     2ms     340ms     1.5s\n"
            "old         1        0        0     0       0          0  yes           -  "
            "       -         -        -\n");
  r = Run(server, {"types"});
  EXPECT_EQ(r.code, kExitOk) << r.err;
  EXPECT_EQ(r.out,
            "NAME   HANDLER        STATE     WORKERS  RUNNING  QUEUED  SCHEDULE     "
            "NEXT                      ALIASES\n"
            "queue  queue_manager  active          1        0       0  second=*/15  "
            "2026-11-23T14:05:15.000Z  queue_pass,qp\n"
            "fetch  exec           disabled        4        1       2  -            "
            "-                         -\n"
            "mail   exec           paused          1        0      12  -            "
            "-                         -\n");
}

TEST_F(CliTest, SocketFromEnvironmentAndConfig) {
  FakeServer server({{"PING", "OK pong"}});
  {
    ScopedEnv env("TORQUE_SOCKET", server.path().c_str());
    EXPECT_EQ(RunCliArgs({"-q", "ping"}).code, kExitOk);
  }
  TempDir dir;
  const std::string ini = dir.path() + "/torque.ini";
  std::ofstream(ini) << "[server]\nsocket = " << server.path() << "\n";
  EXPECT_EQ(RunCliArgs({"-q", "-c", ini, "ping"}).code, kExitOk);
  CliResult r = RunCliArgs({"-c", dir.path() + "/missing.ini", "ping"});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_EQ(r.err.rfind("torque-cli: cannot use config " + dir.path() + "/missing.ini: ", 0), 0u)
      << r.err;
  EXPECT_EQ(server.lines(), (std::vector<std::string>{"PING", "PING"}));
}

}  // namespace
}  // namespace torque::client
