// MailSender against a real SMTP server (Debian's aiosmtpd), SyslogSender against real
// UDP and unix sockets, and the golden text of FormatMail.
#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/scoped_tz.h"
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/local/datagram_protocol.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/read_until.hpp>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include "server/mail_sender.h"
#include "server/syslog_sender.h"
#include "tests/server/test_support.h"

namespace torque::server {
namespace {

namespace asio = boost::asio;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

constexpr char kPython[] = "/usr/bin/python3";

using testing::ScopedTz;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

std::string ShortHostName() {
  char buf[256] = {};
  gethostname(buf, sizeof(buf) - 1);
  std::string host = buf;
  return host.substr(0, host.find('.'));
}

// ---- FormatMail: golden text ----

TEST(FormatMailTest, WholeMessageGolden) {
  ScopedTz tz("XST-5:30");
  MailMessage m{
      {"a@example.com", "b@example.org"}, "job 17 failed", "line 1\nline 2\r\nline 3\rlast"};
  EXPECT_EQ(FormatMail(m, "torqued@host", 1'700'000'000'000, "id1@host"),
            "Date: Wed, 15 Nov 2023 03:43:20 +0530\r\n"
            "From: torqued@host\r\n"
            "To: a@example.com, b@example.org\r\n"
            "Subject: job 17 failed\r\n"
            "Message-ID: <id1@host>\r\n"
            "MIME-Version: 1.0\r\n"
            "Content-Type: text/plain; charset=UTF-8\r\n"
            "Content-Transfer-Encoding: 8bit\r\n"
            "Auto-Submitted: auto-generated\r\n"
            "X-Mailer: torqued " TORQUE_VERSION
            "\r\n"
            "\r\n"
            "line 1\r\nline 2\r\nline 3\r\nlast\r\n");
}

std::string HeaderLines(const std::string& mail, const std::string& name) {
  size_t start = mail.find("\r\n" + name + ":");
  EXPECT_NE(start, std::string::npos) << name;
  start += 2;
  size_t end = start;
  do {
    end = mail.find("\r\n", end) + 2;
  } while (mail[end] == ' ');  // folded continuation
  return mail.substr(start, end - start);
}

TEST(FormatMailTest, DateInLocalTimeWithOffset) {
  struct Case {
    const char* tz;
    const char* date;
  } cases[] = {
      {"UTC0", "Date: Tue, 14 Nov 2023 22:13:20 +0000\r\n"},
      {"XST-5:30", "Date: Wed, 15 Nov 2023 03:43:20 +0530\r\n"},
      {"YST8", "Date: Tue, 14 Nov 2023 14:13:20 -0800\r\n"},
  };
  for (const Case& c : cases) {
    ScopedTz tz(c.tz);
    std::string mail = FormatMail({{"a@x"}, "s", ""}, "f@x", 1'700'000'000'000, "i@x");
    EXPECT_THAT(mail, StartsWith(c.date)) << c.tz;
  }
}

TEST(FormatMailTest, SubjectGolden) {
  std::string umlauts;
  for (int i = 0; i < 40; ++i) umlauts += "ä";
  struct Case {
    std::string subject;
    std::string header;
  } cases[] = {
      {"plain ascii", "Subject: plain ascii\r\n"},
      {"", "Subject: \r\n"},
      {"Größe", "Subject: =?UTF-8?B?R3LDtsOfZQ==?=\r\n"},
      // CR/LF can never start a header of their own.
      {"a\r\nBcc: evil@x", "Subject: a Bcc: evil@x\r\n"},
      {"a\n\n\nb", "Subject: a b\r\n"},
      // 80 bytes of 2-byte characters: words of 38 bytes, never half a character.
      {umlauts,
       "Subject: =?UTF-8?B?w6TDpMOkw6TDpMOkw6TDpMOkw6TDpMOkw6TDpMOkw6TDpMOkw6Q=?=\r\n"
       " =?UTF-8?B?w6TDpMOkw6TDpMOkw6TDpMOkw6TDpMOkw6TDpMOkw6TDpMOkw6Q=?=\r\n"
       " =?UTF-8?B?w6TDpA==?=\r\n"},
  };
  for (const Case& c : cases) {
    std::string mail = FormatMail({{"a@x"}, c.subject, "b"}, "f@x", 0, "i@x");
    EXPECT_EQ(HeaderLines(mail, "Subject"), c.header) << c.subject;
  }
}

TEST(FormatMailTest, HeadersNeverCarryLineBreaks) {
  std::string mail =
      FormatMail({{"a@x\r\nBcc: evil@y"}, "s", "b"}, "f@x\nCc: evil@z", 0, "i@x\r\nX: y");
  EXPECT_EQ(HeaderLines(mail, "To"), "To: a@x Bcc: evil@y\r\n");
  EXPECT_EQ(HeaderLines(mail, "From"), "From: f@x Cc: evil@z\r\n");
  EXPECT_EQ(HeaderLines(mail, "Message-ID"), "Message-ID: <i@x X: y>\r\n");
  EXPECT_THAT(mail, Not(HasSubstr("\nBcc"))) << mail;
  EXPECT_THAT(mail, Not(HasSubstr("\nCc"))) << mail;
}

TEST(FormatMailTest, ManyRecipientsFoldTheToHeader) {
  std::vector<std::string> to;
  for (int i = 0; i < 8; ++i)
    to.push_back("recipient-number-" + std::to_string(i) + "@example.com");
  std::string mail = FormatMail({to, "s", "b"}, "f@x", 0, "i@x");
  std::string header = HeaderLines(mail, "To");
  EXPECT_THAT(header, StartsWith("To: recipient-number-0@example.com, recipient-number-1@"));
  std::string unfolded;
  std::istringstream lines(header);
  for (std::string line; std::getline(lines, line);) {
    EXPECT_LE(line.size(), 79u) << line;  // 78 + the '\r'
    unfolded += line.substr(0, line.size() - 1);
  }
  EXPECT_EQ(std::count(header.begin(), header.end(), '\n'), 4);
  EXPECT_THAT(unfolded, HasSubstr("recipient-number-7@example.com"));
}

TEST(FormatMailTest, OverlongLineSwitchesBodyToBase64) {
  std::string mail = FormatMail({{"a@x"}, "s", std::string(1000, 'x')}, "f@x", 0, "i@x");
  EXPECT_THAT(mail, HasSubstr("\r\nContent-Transfer-Encoding: base64\r\n"));
  std::string first;
  for (int i = 0; i < 19; ++i) first += "eHh4";  // 57 x "xxx" → 76 chars
  EXPECT_THAT(mail, HasSubstr("\r\n\r\n" + first + "\r\n" + first + "\r\n"));
  std::string ok = FormatMail({{"a@x"}, "s", std::string(998, 'x')}, "f@x", 0, "i@x");
  EXPECT_THAT(ok, HasSubstr("\r\nContent-Transfer-Encoding: 8bit\r\n"));
}

// ---- MailSender against aiosmtpd ----

// A child process with its output in a log file; killed and reaped on destruction.
class Child {
 public:
  Child(const std::vector<std::string>& argv, const std::string& log,
        const std::string& pythonpath) {
    std::vector<std::string> env_store;
    for (char** e = environ; *e != nullptr; ++e) {
      if (!std::string(*e).starts_with("PYTHONPATH=")) env_store.push_back(*e);
    }
    if (!pythonpath.empty()) env_store.push_back("PYTHONPATH=" + pythonpath);
    std::vector<char*> envp, args;
    for (auto& s : env_store) envp.push_back(s.data());
    envp.push_back(nullptr);
    std::vector<std::string> argv_store = argv;
    for (auto& s : argv_store) args.push_back(s.data());
    args.push_back(nullptr);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    if (posix_spawn(&pid_, args[0], &fa, nullptr, args.data(), envp.data()) != 0) pid_ = -1;
    posix_spawn_file_actions_destroy(&fa);
  }
  ~Child() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  bool Running() {
    if (pid_ > 0 && waitpid(pid_, nullptr, WNOHANG) != 0) pid_ = -1;  // reaped: never kill it
    return pid_ > 0;
  }

 private:
  pid_t pid_ = -1;
};

int FreeTcpPort() {
  asio::io_context io;
  asio::ip::tcp::acceptor a(io, asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  return a.local_endpoint().port();
}

bool Accepts(int port) {
  asio::io_context io;
  asio::ip::tcp::socket s(io);
  boost::system::error_code ec;
  s.connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), port), ec);
  return !ec;
}

constexpr char kDecodeScript[] = R"(import email, email.policy, json, sys
with open(sys.argv[1], 'rb') as f:
    m = email.message_from_binary_file(f, policy=email.policy.default)
out = {k: str(m[k]) for k in ('From', 'To', 'Subject', 'X-MailFrom', 'X-RcptTo')}
out['body'] = m.get_content()
print(json.dumps(out))
)";

constexpr char kRejectHandler[] = R"(class RejectRcpt:
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        return '550 5.1.1 <%s>: no such user here' % address
)";

class MailSenderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (access(kPython, X_OK) != 0 ||
        std::system((std::string(kPython) + " -c 'import aiosmtpd' 2>/dev/null").c_str()) != 0) {
      GTEST_SKIP() << "aiosmtpd is not installed for " << kPython
                   << " (apt install python3-aiosmtpd)";
    }
    maildir_ = dir_.File("maildir");
    WriteFile(dir_.File("decode.py"), kDecodeScript);
    WriteFile(dir_.File("reject_rcpt.py"), kRejectHandler);
  }

  // Starts aiosmtpd with `handler` (a Mailbox on maildir_ by default) and waits until it
  // accepts connections. Another port is tried if someone took the free one meanwhile.
  void StartServer(const std::string& handler = "") {
    for (int attempt = 1;; ++attempt) {
      port_ = FreeTcpPort();
      std::vector<std::string> argv = {
          kPython, "-m", "aiosmtpd", "-n", "-l", "127.0.0.1:" + std::to_string(port_), "-c"};
      if (handler.empty()) {
        argv.insert(argv.end(), {"aiosmtpd.handlers.Mailbox", maildir_});
      } else {
        argv.push_back(handler);
      }
      server_ = std::make_unique<Child>(argv, dir_.File("smtpd.log"), dir_.path());
      auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
      while (server_->Running() && !Accepts(port_)) {
        ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "aiosmtpd never listened";
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
      if (server_->Running()) return;
      ASSERT_LT(attempt, 3) << "aiosmtpd exited: " << ReadFile(dir_.File("smtpd.log"));
    }
  }

  NotifySettings Settings() const {
    NotifySettings s;
    s.smtp_url = "smtp://127.0.0.1:" + std::to_string(port_);
    s.timeout = 30'000;
    return s;
  }

  std::vector<std::string> Messages() const {
    std::vector<std::string> files;
    for (const char* sub : {"new", "cur"}) {
      std::error_code ec;
      for (const auto& e : std::filesystem::directory_iterator(maildir_ + "/" + sub, ec)) {
        files.push_back(e.path().string());
      }
    }
    return files;
  }

  nlohmann::json Decode(const std::string& file) {
    std::string cmd = std::string(kPython) + " " + dir_.File("decode.py") + " " + file;
    FILE* p = popen(cmd.c_str(), "r");
    std::string out;
    char buf[4096];
    for (size_t n; (n = fread(buf, 1, sizeof(buf), p)) > 0;) out.append(buf, n);
    EXPECT_EQ(pclose(p), 0) << out;
    return nlohmann::json::parse(out);
  }

  testing::TempDir dir_;
  std::string maildir_;
  int port_ = 0;
  std::unique_ptr<Child> server_;
};

TEST_F(MailSenderTest, DeliversOneMessageWithHeadersAndBodyIntact) {
  StartServer();
  MailSender sender(Settings());
  std::string body = "job 17 failed\n.starts with a dot\n.\n..two dots\nünïcödé ✓\nlast";
  ASSERT_TRUE(sender.Send({{"ops@example.com"}, "torque: job 17 failed", body}).ok());

  std::vector<std::string> files = Messages();
  ASSERT_EQ(files.size(), 1u);
  nlohmann::json m = Decode(files[0]);
  std::string from = "torqued@" + [] {
    char buf[256] = {};
    gethostname(buf, sizeof(buf) - 1);
    return std::string(buf);
  }();
  EXPECT_EQ(m["From"], from);
  EXPECT_EQ(m["X-MailFrom"], from);
  EXPECT_EQ(m["To"], "ops@example.com");
  EXPECT_EQ(m["X-RcptTo"], "ops@example.com");
  EXPECT_EQ(m["Subject"], "torque: job 17 failed");
  EXPECT_EQ(m["body"], body + "\n");

  std::string raw = ReadFile(files[0]);
  EXPECT_TRUE(std::regex_search(
      raw, std::regex("(^|\n)Date: (Mon|Tue|Wed|Thu|Fri|Sat|Sun), \\d\\d [A-Z][a-z][a-z] \\d{4} "
                      "\\d\\d:\\d\\d:\\d\\d [+-]\\d{4}\n")))
      << raw;
  EXPECT_TRUE(std::regex_search(raw, std::regex("\nMessage-ID: <[^<>@ ]+@[^<>@ ]+>\n"))) << raw;
  EXPECT_THAT(raw, HasSubstr("\nContent-Type: text/plain; charset=UTF-8\n"));
  EXPECT_THAT(raw, HasSubstr("\nAuto-Submitted: auto-generated\n"));
  EXPECT_THAT(raw, HasSubstr("\nX-Mailer: torqued " TORQUE_VERSION "\n"));
}

TEST_F(MailSenderTest, Utf8SubjectAndSeveralRecipients) {
  StartServer();
  NotifySettings s = Settings();
  s.mail_from = "robot@example.net";
  MailSender sender(s);
  std::string subject = "Größe überschritten: ";
  for (int i = 0; i < 20; ++i) subject += "日本語 ";
  subject += "✓";
  std::vector<std::string> to = {"a@example.com", "b@example.org", "c@example.net"};
  ASSERT_TRUE(sender.Send({to, subject, "one\ntwo"}).ok());
  ASSERT_TRUE(sender.Send({{"d@example.com"}, "second", "three"}).ok());

  std::vector<std::string> files = Messages();
  ASSERT_EQ(files.size(), 2u);
  nlohmann::json first = Decode(files[0]), second = Decode(files[1]);
  if (first["Subject"] == "second") std::swap(first, second);
  EXPECT_EQ(first["Subject"], subject);
  EXPECT_EQ(first["From"], "robot@example.net");
  EXPECT_EQ(first["X-MailFrom"], "robot@example.net");
  EXPECT_EQ(first["To"], "a@example.com, b@example.org, c@example.net");
  EXPECT_EQ(first["X-RcptTo"], "a@example.com, b@example.org, c@example.net");
  EXPECT_EQ(first["body"], "one\ntwo\n");
  EXPECT_EQ(second["Subject"], "second");
  EXPECT_EQ(second["X-RcptTo"], "d@example.com");
}

TEST_F(MailSenderTest, NothingListeningIsUnavailable) {
  port_ = FreeTcpPort();
  MailSender sender(Settings());
  Status st = sender.Send({{"a@example.com"}, "s", "b"});
  EXPECT_EQ(st.code(), Status::Code::kUnavailable) << st.ToString();
  std::string port = std::to_string(port_);
  EXPECT_THAT(st.message(), StartsWith("cannot connect to SMTP server smtp://127.0.0.1:" + port +
                                       ": Failed to connect to 127.0.0.1 port " + port));
}

TEST_F(MailSenderTest, SilentServerTimesOut) {
  asio::io_context io;
  asio::ip::tcp::acceptor silent(io, {asio::ip::make_address("127.0.0.1"), 0});  // never accepts
  port_ = silent.local_endpoint().port();
  NotifySettings s = Settings();
  s.timeout = 300;
  MailSender sender(s);
  auto start = std::chrono::steady_clock::now();
  Status st = sender.Send({{"a@example.com"}, "s", "b"});
  EXPECT_EQ(st.code(), Status::Code::kTimeout) << st.ToString();
  EXPECT_THAT(st.message(), StartsWith("SMTP server smtp://127.0.0.1:" + std::to_string(port_) +
                                       " did not finish within 300 ms: "));
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(250));
}

TEST_F(MailSenderTest, RejectedRecipientIsIoErrorWithTheReply) {
  StartServer("reject_rcpt.RejectRcpt");
  MailSender sender(Settings());
  Status st = sender.Send({{"nobody@example.com"}, "s", "b"});
  EXPECT_EQ(st.code(), Status::Code::kIoError) << st.ToString();
  EXPECT_EQ(st.message(), "SMTP server smtp://127.0.0.1:" + std::to_string(port_) +
                              " refused the mail: 550 5.1.1 <nobody@example.com>: no such user "
                              "here (RCPT failed: 550)");
}

TEST_F(MailSenderTest, RequiredStarttlsIsNeverSkipped) {
  StartServer();  // offers no STARTTLS
  NotifySettings s = Settings();
  s.starttls = true;
  MailSender sender(s);
  Status st = sender.Send({{"a@example.com"}, "s", "secret"});
  EXPECT_EQ(st.code(), Status::Code::kIoError) << st.ToString();
  EXPECT_THAT(st.message(), StartsWith("SMTP server " + s.smtp_url +
                                       " does not offer STARTTLS, which starttls requires: "));
  EXPECT_TRUE(Messages().empty());
}

TEST_F(MailSenderTest, BadInputIsInvalidArgument) {
  struct Case {
    std::string url;
    MailMessage message;
    std::string from;
    std::string error;
  } cases[] = {
      {"http://127.0.0.1:1",
       {{"a@x"}, "s", "b"},
       "",
       "bad smtp_url 'http://127.0.0.1:1': not smtp:// or smtps://"},
      {"smtp://u:pw@127.0.0.1:1", {{}, "s", "b"}, "", "mail without recipients"},
      {"smtp://127.0.0.1:1",
       {{"a@x", "b@x\r\nRCPT TO:<c@x>"}, "s", "b"},
       "",
       "bad mail address 'b@x??RCPT TO:<c@x>'"},
      {"smtp://127.0.0.1:1", {{"a b@x"}, "s", "b"}, "", "bad mail address 'a b@x'"},
      {"smtp://127.0.0.1:1", {{""}, "s", "b"}, "", "bad mail address ''"},
      {"smtp://127.0.0.1:1", {{"a@x"}, "s", "b"}, "me@x\n", "bad mail_from address 'me@x?'"},
  };
  for (const Case& c : cases) {
    NotifySettings s;
    s.smtp_url = c.url;
    s.mail_from = c.from;
    Status st = MailSender(s).Send(c.message);
    EXPECT_EQ(st.code(), Status::Code::kInvalidArgument) << c.error;
    EXPECT_EQ(st.message(), c.error);
  }
}

TEST_F(MailSenderTest, CredentialsNeverAppearInErrors) {
  port_ = FreeTcpPort();
  NotifySettings s;
  s.smtp_url = "smtp://user:hunter2@127.0.0.1:" + std::to_string(port_);
  Status st = MailSender(s).Send({{"a@x"}, "s", "b"});
  EXPECT_EQ(st.code(), Status::Code::kUnavailable);
  EXPECT_THAT(st.message(), StartsWith("cannot connect to SMTP server smtp://127.0.0.1:"));
  EXPECT_THAT(st.message(), Not(HasSubstr("hunter2")));
}

// ---- SyslogSender against real sockets ----

// Waits up to 10 s for one datagram on `fd`.
template <typename Socket>
std::string ReceiveOne(Socket& socket) {
  pollfd p{socket.native_handle(), POLLIN, 0};
  if (poll(&p, 1, 10'000) != 1) return "<nothing received>";
  std::string buf(65536, '\0');
  size_t n = socket.receive(asio::buffer(buf));
  buf.resize(n);
  return buf;
}

// Every "Mmm dd hh:mm:ss" between `start` and now.
std::set<std::string> TimestampsSince(time_t start) {
  std::set<std::string> out;
  for (time_t t = start; t <= time(nullptr); ++t) {
    struct tm tm {};
    localtime_r(&t, &tm);
    char buf[32];
    strftime(buf, sizeof(buf), "%b %e %H:%M:%S", &tm);
    out.insert(buf);
  }
  return out;
}

// Checks "<PRI>TIMESTAMP REST" exactly, the timestamp against the clock.
void ExpectDatagram(const std::string& got, const std::string& pri, time_t start,
                    const std::string& rest) {
  ASSERT_GE(got.size(), pri.size() + 15) << got;
  EXPECT_EQ(got.substr(0, pri.size()), pri);
  std::string stamp = got.substr(pri.size(), 15);
  EXPECT_TRUE(std::regex_match(stamp, std::regex("[A-Z][a-z]{2} [ 1-3][0-9] \\d\\d:\\d\\d:\\d\\d")))
      << stamp;
  EXPECT_EQ(TimestampsSince(start).count(stamp), 1u) << stamp;
  EXPECT_EQ(got.substr(pri.size() + 15), rest);
}

constexpr int kLocal3 = 19;

TEST(SyslogSenderTest, UdpDatagramCarriesHostName) {
  asio::io_context io;
  asio::ip::udp::socket listener(io, {asio::ip::make_address("127.0.0.1"), 0});
  for (std::string prefix : {"", "udp:"}) {
    NotifySettings s;
    s.syslog_address = prefix + "127.0.0.1:" + std::to_string(listener.local_endpoint().port());
    s.syslog_facility = kLocal3;
    time_t start = time(nullptr);
    Status st = SyslogSender(s).Send(SyslogSender::Severity::kError, "torque-mail",
                                     "job 17 failed:\nexit 3\r\ncrlf\rcr");
    ASSERT_TRUE(st.ok()) << st.ToString();
    ExpectDatagram(ReceiveOne(listener), "<155>", start,
                   " " + ShortHostName() + " torque-mail[" + std::to_string(getpid()) +
                       "]: job 17 failed: exit 3 crlf cr");
  }
}

TEST(SyslogSenderTest, UdpOverIpv6) {
  asio::io_context io;
  asio::ip::udp::socket listener(io);
  boost::system::error_code ec;
  listener.open(asio::ip::udp::v6(), ec);
  if (!ec) listener.bind({asio::ip::make_address("::1"), 0}, ec);
  if (ec) GTEST_SKIP() << "no IPv6 loopback: " << ec.message();
  NotifySettings s;
  s.syslog_address = "[::1]:" + std::to_string(listener.local_endpoint().port());
  time_t start = time(nullptr);
  ASSERT_TRUE(SyslogSender(s).Send(SyslogSender::Severity::kInfo, "", "hello").ok());
  ExpectDatagram(ReceiveOne(listener), "<14>", start,
                 " " + ShortHostName() + " torqued[" + std::to_string(getpid()) + "]: hello");
}

TEST(SyslogSenderTest, UnixDatagramHasNoHostNameAndDefaultIdent) {
  testing::TempDir dir;
  asio::io_context io;
  std::string path = dir.File("log");
  asio::local::datagram_protocol::socket listener(io,
                                                  asio::local::datagram_protocol::endpoint(path));
  for (std::string address : {"unix:" + path, path}) {
    NotifySettings s;
    s.syslog_address = address;
    s.syslog_facility = kLocal3;
    s.syslog_ident = "my ident";
    time_t start = time(nullptr);
    ASSERT_TRUE(SyslogSender(s).Send(SyslogSender::Severity::kWarning, "", "two\nlines").ok());
    ExpectDatagram(ReceiveOne(listener), "<156>", start,
                   " my_ident[" + std::to_string(getpid()) + "]: two lines");
  }
}

TEST(SyslogSenderTest, TruncatesAt2048OnACharacterBoundary) {
  testing::TempDir dir;
  asio::io_context io;
  std::string path = dir.File("log");
  asio::local::datagram_protocol::socket listener(io,
                                                  asio::local::datagram_protocol::endpoint(path));
  NotifySettings s;
  s.syslog_address = path;
  std::string euros;
  for (int i = 0; i < 1000; ++i) euros += "€";  // 3 bytes each
  // Idents of 1..3 bytes put the cut at each position within a character.
  for (std::string ident : {"a", "ab", "abc"}) {
    time_t start = time(nullptr);
    ASSERT_TRUE(SyslogSender(s).Send(SyslogSender::Severity::kError, ident, euros).ok());
    std::string got = ReceiveOne(listener);
    std::string head = " " + ident + "[" + std::to_string(getpid()) + "]: ";
    size_t header = 4 + 15 + head.size();  // "<11>" + timestamp + head
    size_t chars = (2048 - header) / 3;
    ExpectDatagram(got, "<11>", start, head + euros.substr(0, 3 * chars));
    EXPECT_LE(got.size(), 2048u);
    EXPECT_GT(got.size(), 2045u);
  }
}

TEST(SyslogSenderTest, StreamSocketGetsANulTerminatedRecord) {
  testing::TempDir dir;
  asio::io_context io;
  std::string path = dir.File("log");
  asio::local::stream_protocol::acceptor acceptor(io, asio::local::stream_protocol::endpoint(path));
  NotifySettings s;
  s.syslog_address = "unix:" + path;
  time_t start = time(nullptr);
  ASSERT_TRUE(SyslogSender(s).Send(SyslogSender::Severity::kNotice, "x", "hi").ok());
  asio::local::stream_protocol::socket conn = acceptor.accept();
  std::string got;
  size_t n = asio::read_until(conn, asio::dynamic_buffer(got), '\0');
  ASSERT_EQ(n, got.size());
  ExpectDatagram(got, "<13>", start, " x[" + std::to_string(getpid()) + "]: hi" + '\0');
}

TEST(SyslogSenderTest, NothingListeningIsUnavailable) {
  testing::TempDir dir;
  NotifySettings s;
  s.syslog_address = "unix:" + dir.File("missing");
  Status st = SyslogSender(s).Send(SyslogSender::Severity::kError, "", "m");
  EXPECT_EQ(st.code(), Status::Code::kUnavailable);
  EXPECT_EQ(st.message(),
            "cannot send to syslog at unix:" + dir.File("missing") + ": No such file or directory");

  {  // a socket file left behind by a daemon that is gone
    asio::io_context io;
    asio::local::datagram_protocol::socket gone(
        io, asio::local::datagram_protocol::endpoint(dir.File("stale")));
  }
  s.syslog_address = dir.File("stale");
  st = SyslogSender(s).Send(SyslogSender::Severity::kError, "", "m");
  EXPECT_EQ(st.code(), Status::Code::kUnavailable);
  EXPECT_EQ(st.message(),
            "cannot send to syslog at unix:" + dir.File("stale") + ": Connection refused");
}

TEST(SyslogSenderTest, BadAddressesAndFacility) {
  struct Case {
    std::string address;
    std::string error;
  } cases[] = {
      {"unix:", "bad syslog_address 'unix:': no socket path"},
      {"udp:", "bad syslog_address 'udp:': no host"},
      {":514", "bad syslog_address ':514': no host"},
      {"host:0", "bad syslog_address 'host:0': bad port '0'"},
      {"host:65536", "bad syslog_address 'host:65536': bad port '65536'"},
      {"host:x", "bad syslog_address 'host:x': bad port 'x'"},
      {"host:", "bad syslog_address 'host:': bad port ''"},
      {"[::1", "bad syslog_address '[::1': missing ']'"},
      {"[::1]514", "bad syslog_address '[::1]514': expected ':PORT' after ']'"},
      {"/" + std::string(200, 'p'),
       "bad syslog_address '/" + std::string(200, 'p') + "': socket path too long"},
  };
  for (const Case& c : cases) {
    NotifySettings s;
    s.syslog_address = c.address;
    Status st = SyslogSender(s).Send(SyslogSender::Severity::kError, "", "m");
    EXPECT_EQ(st.code(), Status::Code::kInvalidArgument) << c.address;
    EXPECT_EQ(st.message(), c.error);
  }
  NotifySettings s;
  s.syslog_facility = 24;
  EXPECT_EQ(SyslogSender(s).Send(SyslogSender::Severity::kError, "", "m").message(),
            "bad syslog_facility 24");
}

}  // namespace
}  // namespace torque::server
