// MailSender against a real SMTP server (Debian's aiosmtpd): plain, and with STARTTLS and
// AUTH required using a self-signed certificate made with the openssl command. Also the
// golden text of FormatMail.
#include "server/mail_sender.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/test_env.h"
#include "tests/server/child_process.h"
#include "tests/server/test_support.h"

namespace torque::server {
namespace {

namespace asio = boost::asio;
using testing::ChildProcess;
using ::testing::EndsWith;
using ::testing::HasSubstr;
using ::testing::Not;
using testing::ScopedTz;
using ::testing::StartsWith;

constexpr char kPython[] = "/usr/bin/python3";

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
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

  void TearDown() override { server_.reset(); }  // kills the server

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
      server_ = std::make_unique<ChildProcess>(argv, dir_.File("smtpd.log"), dir_.path());
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
  std::unique_ptr<ChildProcess> server_;
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

TEST_F(MailSenderTest, LoginWithoutAuthOfferSendsNothing) {
  StartServer();  // offers no AUTH, accepts anyone's mail
  NotifySettings s = Settings();
  s.smtp_user = "torque";
  s.smtp_password = "secret";
  Status st = MailSender(s).Send({{"a@example.com"}, "first", "b"});
  EXPECT_EQ(st.code(), Status::Code::kIoError) << st.ToString();
  EXPECT_EQ(st.message(), "SMTP server " + s.smtp_url +
                              " does not offer a login (AUTH) for user 'torque'; nothing was "
                              "sent (servers often offer AUTH only after STARTTLS: set starttls)");
  s.smtp_user.clear();  // the server takes this one: the first was refused by the sender
  ASSERT_TRUE(MailSender(s).Send({{"a@example.com"}, "second", "b"}).ok());
  std::vector<std::string> files = Messages();
  ASSERT_EQ(files.size(), 1u);
  EXPECT_EQ(Decode(files[0])["Subject"], "second");
}

// ---- MailSender against aiosmtpd with STARTTLS and AUTH required ----

constexpr char kUser[] = "torque";
constexpr char kPassword[] = "pa55 w0rd";

// argv: DIR CERT KEY PORT_FILE.
constexpr char kTlsServerScript[] = R"(# SMTP on 127.0.0.1 requiring STARTTLS, then AUTH.
# Listens on a free port and writes it to PORT_FILE; the only login is torque with the
# password 'pa55 w0rd'; each login try is logged to DIR/auth.log, mails go to DIR/maildir.
import asyncio, os, ssl, sys
from aiosmtpd.handlers import Mailbox
from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword

d, cert, key, port_file = sys.argv[1:5]
tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
tls.load_cert_chain(cert, key)

def authenticator(server, session, envelope, mechanism, data):
    if not isinstance(data, LoginPassword):
        return AuthResult(success=False, handled=False)
    ok = data.login == b'torque' and data.password == b'pa55 w0rd'
    with open(os.path.join(d, 'auth.log'), 'a') as f:
        f.write('%s %s\n' % (data.login.decode(errors='replace'), 'ok' if ok else 'denied'))
    return AuthResult(success=ok, handled=False)

async def main():
    handler = Mailbox(os.path.join(d, 'maildir'))
    server = await asyncio.get_running_loop().create_server(
        lambda: SMTP(handler, hostname='localhost', tls_context=tls, require_starttls=True,
                     auth_required=True, authenticator=authenticator),
        '127.0.0.1', 0)
    with open(port_file + '.tmp', 'w') as f:
        f.write('%d\n' % server.sockets[0].getsockname()[1])
    os.rename(port_file + '.tmp', port_file)
    await server.serve_forever()

asyncio.run(main())
)";

class TlsMailSenderTest : public MailSenderTest {
 protected:
  void SetUp() override {
    MailSenderTest::SetUp();
    if (IsSkipped()) return;
    if (std::system("command -v openssl >/dev/null 2>&1") != 0) {
      GTEST_SKIP() << "the openssl command is not installed (apt install openssl)";
    }
    WriteFile(dir_.File("tls_smtpd.py"), kTlsServerScript);
    MakeCertificate("server", "IP:127.0.0.1,DNS:localhost");
  }

  // NAME.pem and NAME.key in the temp dir: self-signed for `san` (subjectAltName).
  void MakeCertificate(const std::string& name, const std::string& san) {
    std::string cmd = "openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=localhost";
    cmd += " -addext subjectAltName=" + san;
    cmd += " -keyout " + dir_.File(name + ".key") + " -out " + dir_.File(name + ".pem");
    cmd += " >" + dir_.File("openssl.log") + " 2>&1";
    ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd << "\n" << ReadFile(dir_.File("openssl.log"));
  }

  // Starts tls_smtpd.py with certificate `cert` and waits until it tells its port.
  void StartTlsServer(const std::string& cert = "server") {
    std::string port_file = dir_.File(cert + ".port");
    server_ = std::make_unique<ChildProcess>(
        std::vector<std::string>{kPython, dir_.File("tls_smtpd.py"), dir_.path(),
                                 dir_.File(cert + ".pem"), dir_.File(cert + ".key"), port_file},
        dir_.File("smtpd.log"));
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (!std::filesystem::exists(port_file)) {
      ASSERT_TRUE(server_->Running())
          << "tls_smtpd.py exited: " << ReadFile(dir_.File("smtpd.log"));
      ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "tls_smtpd.py never listened";
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    port_ = std::stoi(ReadFile(port_file));
  }

  // STARTTLS, the server's certificate as the only CA, the right login.
  NotifySettings TlsSettings() const {
    NotifySettings s = Settings();
    s.starttls = true;
    s.smtp_ca_file = dir_.File("server.pem");
    s.smtp_user = kUser;
    s.smtp_password = kPassword;
    return s;
  }

  std::string AuthLog() const { return ReadFile(dir_.File("auth.log")); }
  std::string ServerLog() const { return ReadFile(dir_.File("smtpd.log")); }
};

TEST_F(TlsMailSenderTest, StarttlsAndLoginDeliverOneMessage) {
  ASSERT_NO_FATAL_FAILURE(StartTlsServer());
  NotifySettings s = TlsSettings();
  s.mail_from = "robot@example.net";
  std::string body = "job 17 done\n.a dot line\nünïcödé ✓";
  Status st = MailSender(s).Send({{"ops@example.com", "b@example.org"}, "torque: done", body});
  ASSERT_TRUE(st.ok()) << st.ToString() << "\n" << ServerLog();
  EXPECT_EQ(AuthLog(), "torque ok\n");
  std::vector<std::string> files = Messages();
  ASSERT_EQ(files.size(), 1u);
  nlohmann::json m = Decode(files[0]);
  EXPECT_EQ(m["From"], "robot@example.net");
  EXPECT_EQ(m["X-MailFrom"], "robot@example.net");
  EXPECT_EQ(m["To"], "ops@example.com, b@example.org");
  EXPECT_EQ(m["X-RcptTo"], "ops@example.com, b@example.org");
  EXPECT_EQ(m["Subject"], "torque: done");
  EXPECT_EQ(m["body"], body + "\n");
}

TEST_F(TlsMailSenderTest, WrongPasswordIsRefusedLogin) {
  ASSERT_NO_FATAL_FAILURE(StartTlsServer());
  NotifySettings s = TlsSettings();
  s.smtp_password = "wrong password";
  Status st = MailSender(s).Send({{"a@example.com"}, "first", "b"});
  EXPECT_EQ(st.code(), Status::Code::kIoError) << st.ToString();
  EXPECT_EQ(st.message(), "SMTP server " + s.smtp_url +
                              " refused the login of user 'torque': 535 5.7.8 Authentication "
                              "credentials invalid (Login denied)");
  EXPECT_EQ(AuthLog(), "torque denied\n");
  EXPECT_TRUE(Messages().empty());
  // The password made the difference.
  ASSERT_TRUE(MailSender(TlsSettings()).Send({{"a@example.com"}, "second", "b"}).ok());
  std::vector<std::string> files = Messages();
  ASSERT_EQ(files.size(), 1u);
  EXPECT_EQ(Decode(files[0])["Subject"], "second");
}

TEST_F(TlsMailSenderTest, UntrustedCertificateStopsBeforeTheLogin) {
  ASSERT_NO_FATAL_FAILURE(StartTlsServer());
  ASSERT_NO_FATAL_FAILURE(MakeCertificate("other", "IP:127.0.0.1,DNS:localhost"));
  NotifySettings s = TlsSettings();
  const std::string head = "cannot verify the TLS certificate of SMTP server " + s.smtp_url + ": ";
  struct Case {
    std::string ca_file, trusted;
  } cases[] = {
      {"", "the system's CA certificates"},
      {dir_.File("other.pem"), dir_.File("other.pem")},  // another self-signed certificate
  };
  for (const Case& c : cases) {
    s.smtp_ca_file = c.ca_file;
    Status st = MailSender(s).Send({{"a@example.com"}, "s", "b"});
    EXPECT_EQ(st.code(), Status::Code::kIoError) << st.ToString();
    EXPECT_THAT(st.message(), StartsWith(head + "SSL certificate problem: ")) << c.ca_file;
    EXPECT_THAT(st.message(), HasSubstr("self-signed certificate")) << c.ca_file;
    EXPECT_THAT(st.message(), EndsWith(" (trusted: " + c.trusted + "; see [notify] smtp_ca_file)"));
  }
  EXPECT_EQ(AuthLog(), "");  // the password never went to an unverified server
  EXPECT_TRUE(Messages().empty());
  // A file of several CAs: one of them signed the server's certificate.
  WriteFile(dir_.File("bundle.pem"),
            ReadFile(dir_.File("other.pem")) + ReadFile(dir_.File("server.pem")));
  s.smtp_ca_file = dir_.File("bundle.pem");
  Status st = MailSender(s).Send({{"a@example.com"}, "s", "b"});
  EXPECT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(Messages().size(), 1u);
}

TEST_F(TlsMailSenderTest, CertificateForAnotherHostIsRefused) {
  ASSERT_NO_FATAL_FAILURE(MakeCertificate("elsewhere", "DNS:mail.example.org"));
  ASSERT_NO_FATAL_FAILURE(StartTlsServer("elsewhere"));
  NotifySettings s = TlsSettings();
  s.smtp_ca_file = dir_.File("elsewhere.pem");  // trusted, but names another host
  Status st = MailSender(s).Send({{"a@example.com"}, "s", "b"});
  EXPECT_EQ(st.code(), Status::Code::kIoError) << st.ToString();
  EXPECT_THAT(st.message(),
              StartsWith("cannot verify the TLS certificate of SMTP server " + s.smtp_url + ": "));
  EXPECT_THAT(st.message(), HasSubstr("host name '127.0.0.1'"));
  EXPECT_EQ(AuthLog(), "");
  EXPECT_TRUE(Messages().empty());
}

TEST_F(TlsMailSenderTest, WithoutStarttlsTheServerRefuses) {
  ASSERT_NO_FATAL_FAILURE(StartTlsServer());
  NotifySettings s = TlsSettings();
  s.starttls = false;
  s.smtp_user.clear();
  Status st = MailSender(s).Send({{"a@example.com"}, "s", "b"});
  EXPECT_EQ(st.code(), Status::Code::kIoError) << st.ToString();
  EXPECT_EQ(st.message(), "SMTP server " + s.smtp_url +
                              " refused the mail: 530 Must issue a STARTTLS command first (MAIL "
                              "failed: 530)");
  s.smtp_user = kUser;  // AUTH is only offered after STARTTLS
  st = MailSender(s).Send({{"a@example.com"}, "s", "b"});
  EXPECT_EQ(st.code(), Status::Code::kIoError) << st.ToString();
  EXPECT_EQ(st.message(), "SMTP server " + s.smtp_url +
                              " does not offer a login (AUTH) for user 'torque'; nothing was "
                              "sent: 530 Must issue a STARTTLS command first (servers often "
                              "offer AUTH only after STARTTLS: set starttls)");
  EXPECT_EQ(AuthLog(), "");
  EXPECT_TRUE(Messages().empty());
}

}  // namespace
}  // namespace torque::server
