#include "core/protocol.h"

#include <gtest/gtest.h>

#include <string>
#include <variant>

namespace torque::protocol {
namespace {

using namespace std::string_literals;  // "...\0..."s keeps NUL bytes

// Every field of a request that differs from its default, in a fixed order.
std::string Describe(const Request& r) {
  const char* verbs[] = {"SUBMIT", "STATUS", "WAIT",   "CANCEL", "RETRY", "LIST",   "STATS",
                         "TYPES",  "PAUSE",  "RESUME", "RELOAD", "PING",  "VERSION"};
  std::string s = verbs[static_cast<int>(r.verb)];
  auto add = [&s](const std::string& key, const std::string& value) {
    s += " " + key + "=" + value;
  };
  if (!r.name.empty()) add("name", r.name);
  if (!r.args.empty()) add("args", "[" + r.args + "]");
  const SubmitOptions& o = r.options;
  if (o.priority) add("priority", std::to_string(*o.priority));
  if (o.delay) add("delay", std::to_string(*o.delay));
  if (o.at) add("at", std::to_string(*o.at));
  if (o.unique) add("unique", "[" + *o.unique + "]");
  if (o.retries) add("retries", std::to_string(*o.retries));
  if (o.timeout) add("timeout", std::to_string(*o.timeout));
  if (r.id != 0) add("id", std::to_string(r.id));
  if (r.wait_timeout) add("wait_timeout", std::to_string(*r.wait_timeout));
  if (r.wait_from != 0) add("from", std::to_string(r.wait_from));
  if (r.list.type) add("type", *r.list.type);
  if (r.list.state) add("state", JobStateName(*r.list.state));
  if (r.list.limit != 100) add("limit", std::to_string(r.list.limit));
  if (r.list.before) add("before", std::to_string(*r.list.before));
  return s;
}

std::string Parsed(const std::string& line) {
  auto result = ParseRequest(line);
  if (auto* e = std::get_if<ProtocolError>(&result)) {
    return "ERR "s + ErrorWordName(e->word) + " " + e->text;
  }
  return Describe(std::get<Request>(result));
}

struct Case {
  std::string line;
  std::string expected;  // Describe() of the request, or "ERR <word> <text>"
};

constexpr int64_t k2030 = 1896091200000;  // 2030-01-31T12:00:00Z

const Case kValid[] = {
    // Plain submissions: args are the rest of the line, trimmed, inner text exact.
    {"fetch", "SUBMIT name=fetch"},
    {"fetch a b", "SUBMIT name=fetch args=[a b]"},
    {"  fetch \t a  \"b c\"  \t", "SUBMIT name=fetch args=[a  \"b c\"]"},
    {"verify_file fid:50", "SUBMIT name=verify_file args=[fid:50]"},
    {"x9_y", "SUBMIT name=x9_y"},
    {"fetch a\tb", "SUBMIT name=fetch args=[a\tb]"},
    {"fetch priority=5 --x 'q'", "SUBMIT name=fetch args=[priority=5 --x 'q']"},
    {"fetch caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80",
     "SUBMIT name=fetch args=[caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80]"},
    {"fetch \xC2\x80\xED\x9F\xBF\xEE\x80\x80\xEF\xBF\xBF\xF4\x8F\xBF\xBF",
     "SUBMIT name=fetch args=[\xC2\x80\xED\x9F\xBF\xEE\x80\x80\xEF\xBF\xBF\xF4\x8F\xBF\xBF]"},
    {"status 5", "SUBMIT name=status args=[5]"},  // lower case: a job type (the daemon decides)
    // SUBMIT with options.
    {"SUBMIT fetch a b", "SUBMIT name=fetch args=[a b]"},
    {"SUBMIT priority=5 fetch a", "SUBMIT name=fetch args=[a] priority=5"},
    {"SUBMIT priority=-1000000 delay=1h30m unique=k1 retries=1000 timeout=90 fetch",
     "SUBMIT name=fetch priority=-1000000 delay=5400000 unique=[k1] retries=1000 timeout=90000"},
    {"SUBMIT priority=1000000 retries=0 delay=0 fetch x=1",
     "SUBMIT name=fetch args=[x=1] priority=1000000 delay=0 retries=0"},
    {"SUBMIT at=2030-01-31T12:00:00Z fetch", "SUBMIT name=fetch at=" + std::to_string(k2030)},
    {"SUBMIT at=2030-01-31T12:00:00.250Z fetch",
     "SUBMIT name=fetch at=" + std::to_string(k2030 + 250)},
    {"SUBMIT at=1896091200 fetch", "SUBMIT name=fetch at=" + std::to_string(k2030)},
    {"SUBMIT\tunique=a=b fetch", "SUBMIT name=fetch unique=[a=b]"},
    // Verbs with ids.
    {"STATUS 12", "STATUS id=12"},
    {"STATUS 9223372036854775807", "STATUS id=9223372036854775807"},
    {"CANCEL 1", "CANCEL id=1"},
    {"RETRY 2", "RETRY id=2"},
    {"WAIT 5", "WAIT id=5"},
    {"WAIT 5 30s", "WAIT id=5 wait_timeout=30000"},
    {"WAIT 5 0", "WAIT id=5 wait_timeout=0"},
    {"WAIT 5 timeout=1m from=7", "WAIT id=5 wait_timeout=60000 from=7"},
    {"WAIT 5 from=7 10", "WAIT id=5 wait_timeout=10000 from=7"},
    {"WAIT 5 from=7", "WAIT id=5 from=7"},
    {"WAIT 5 3650d", "WAIT id=5 wait_timeout=315360000000"},
    {"SUBMIT delay=3650d timeout=3650d fetch",
     "SUBMIT name=fetch delay=315360000000 timeout=315360000000"},
    // LIST filters.
    {"LIST", "LIST"},
    {"LIST type=fetch state=failed limit=10 before=99",
     "LIST type=fetch state=failed limit=10 before=99"},
    {"LIST limit=1", "LIST limit=1"},
    {"LIST limit=10000 state=queued", "LIST state=queued limit=10000"},
    {"LIST state=cancelled", "LIST state=cancelled"},
    // Verbs without arguments, blanks around.
    {"STATS", "STATS"},
    {"TYPES", "TYPES"},
    {"PING", "PING"},
    {" PING\t", "PING"},
    {"VERSION", "VERSION"},
    {"PAUSE fetch", "PAUSE name=fetch"},
    {"RESUME fetch", "RESUME name=fetch"},
};

const Case kInvalid[] = {
    // Whole-line checks, in order: empty, NUL, UTF-8, control characters.
    {"", "ERR syntax empty request"},
    {"   ", "ERR syntax empty request"},
    {"\t \t", "ERR syntax empty request"},
    {"PING\0"s, "ERR syntax NUL byte at column 5"},
    {"\0"s, "ERR syntax NUL byte at column 1"},
    {"a\x01\0b"s, "ERR syntax NUL byte at column 3"},                    // NUL before control
    {"\xFF\0"s, "ERR syntax NUL byte at column 2"},                      // NUL before UTF-8
    {"fetch \xC0\xAF", "ERR syntax invalid UTF-8 at column 7"},          // overlong '/'
    {"fetch \xC1\xBF", "ERR syntax invalid UTF-8 at column 7"},          // overlong
    {"fetch \xE0\x80\xAF", "ERR syntax invalid UTF-8 at column 7"},      // overlong 3 bytes
    {"fetch \xF0\x80\x80\xAF", "ERR syntax invalid UTF-8 at column 7"},  // overlong 4 bytes
    {"fetch \xED\xA0\x80", "ERR syntax invalid UTF-8 at column 7"},      // surrogate U+D800
    {"fetch \xED\xBF\xBF", "ERR syntax invalid UTF-8 at column 7"},      // surrogate U+DFFF
    {"fetch \xF4\x90\x80\x80", "ERR syntax invalid UTF-8 at column 7"},  // above U+10FFFF
    {"fetch \xF5\x80\x80\x80", "ERR syntax invalid UTF-8 at column 7"},
    {"fetch \xE2\x82", "ERR syntax invalid UTF-8 at column 7"},   // truncated at the end
    {"fetch \xE2\x82x", "ERR syntax invalid UTF-8 at column 7"},  // truncated inside
    {"fetch \xF0\x9F\x98", "ERR syntax invalid UTF-8 at column 7"},
    {"fetch \x80", "ERR syntax invalid UTF-8 at column 7"},  // stray continuation
    {"fetch ab\xFF", "ERR syntax invalid UTF-8 at column 9"},
    {"fetch \xC3\xA9\xC3", "ERR syntax invalid UTF-8 at column 9"},
    {"\x01 fetch \xFF", "ERR syntax invalid UTF-8 at column 9"},  // UTF-8 before control
    {"fetch a\x1B[0m", "ERR syntax control character 0x1B at column 8"},
    {"fetch\r", "ERR syntax control character 0x0D at column 6"},
    {"fetch a\nb", "ERR syntax control character 0x0A at column 8"},
    {"fetch \x7F", "ERR syntax control character 0x7F at column 7"},
    {"\x01", "ERR syntax control character 0x01 at column 1"},
    // The first word.
    {"FOO", "ERR verb unknown verb 'FOO'"},
    {"RELOAD", "ERR verb unknown verb 'RELOAD'"},
    {"SUBMITX fetch", "ERR verb unknown verb 'SUBMITX'"},
    {"Fetch", "ERR syntax invalid job type name 'Fetch' (expected [a-z][a-z0-9_]*)"},
    {"Status 5", "ERR syntax invalid job type name 'Status' (expected [a-z][a-z0-9_]*)"},
    {"9fetch", "ERR syntax invalid job type name '9fetch' (expected [a-z][a-z0-9_]*)"},
    {"_x", "ERR syntax invalid job type name '_x' (expected [a-z][a-z0-9_]*)"},
    {"fetch-it a", "ERR syntax invalid job type name 'fetch-it' (expected [a-z][a-z0-9_]*)"},
    {"f\xC3\xA9tch", "ERR syntax invalid job type name 'f\xC3\xA9tch' (expected [a-z][a-z0-9_]*)"},
    {"A" + std::string(200, 'a'), "ERR syntax invalid job type name 'A" + std::string(76, 'a') +
                                      "...' (expected [a-z][a-z0-9_]*)"},
    {"AB" +
         [] {
           std::string s;
           for (int i = 0; i < 100; ++i) s += "\xC3\xA9";
           return s;
         }(),
     "ERR syntax invalid job type name 'AB" +
         [] {
           std::string s;
           for (int i = 0; i < 37; ++i) s += "\xC3\xA9";
           return s;
         }() +
         "...' (expected [a-z][a-z0-9_]*)"},
    // SUBMIT.
    {"SUBMIT", "ERR syntax SUBMIT needs a job type name"},
    {"SUBMIT priority=5", "ERR syntax SUBMIT needs a job type name"},
    {"SUBMIT Fetch", "ERR syntax invalid job type name 'Fetch' (expected [a-z][a-z0-9_]*)"},
    {"SUBMIT STATUS 5", "ERR syntax invalid job type name 'STATUS' (expected [a-z][a-z0-9_]*)"},
    {"SUBMIT priority=x fetch",
     "ERR syntax invalid priority 'x' (expected an integer from -1000000 to 1000000)"},
    {"SUBMIT priority=1000001 fetch",
     "ERR syntax invalid priority '1000001' (expected an integer from -1000000 to 1000000)"},
    {"SUBMIT priority=-1000001 fetch",
     "ERR syntax invalid priority '-1000001' (expected an integer from -1000000 to 1000000)"},
    {"SUBMIT priority= fetch",
     "ERR syntax invalid priority '' (expected an integer from -1000000 to 1000000)"},
    {"SUBMIT priority=1.5 fetch",
     "ERR syntax invalid priority '1.5' (expected an integer from -1000000 to 1000000)"},
    {"SUBMIT priority=+5 fetch",
     "ERR syntax invalid priority '+5' (expected an integer from -1000000 to 1000000)"},
    {"SUBMIT priority=99999999999999999999 fetch",
     "ERR syntax invalid priority '99999999999999999999' (expected an integer from -1000000 to "
     "1000000)"},
    {"SUBMIT delay=x fetch",
     "ERR syntax invalid delay 'x' (expected a duration like 30s, 5m or 1h30m)"},
    {"SUBMIT delay=-5s fetch",
     "ERR syntax invalid delay '-5s' (expected a duration like 30s, 5m or 1h30m)"},
    {"SUBMIT delay= fetch",
     "ERR syntax invalid delay '' (expected a duration like 30s, 5m or 1h30m)"},
    {"SUBMIT delay=3651d fetch", "ERR syntax invalid delay '3651d' (at most 3650d)"},
    {"SUBMIT timeout=600w fetch", "ERR syntax invalid timeout '600w' (at most 3650d)"},
    {"SUBMIT timeout=99999999999w fetch",  // overflows
     "ERR syntax invalid timeout '99999999999w' (expected a duration like 30s, 5m or 1h30m)"},
    {"SUBMIT timeout=5x fetch",
     "ERR syntax invalid timeout '5x' (expected a duration like 30s, 5m or 1h30m)"},
    {"SUBMIT at=tomorrow fetch",
     "ERR syntax invalid at 'tomorrow' (expected a UTC time like 2030-01-31T12:00:00Z or epoch "
     "seconds)"},
    {"SUBMIT at=2030-13-01T00:00:00Z fetch",
     "ERR syntax invalid at '2030-13-01T00:00:00Z' (expected a UTC time like "
     "2030-01-31T12:00:00Z or epoch seconds)"},
    {"SUBMIT at= fetch",
     "ERR syntax invalid at '' (expected a UTC time like 2030-01-31T12:00:00Z or epoch seconds)"},
    {"SUBMIT unique= fetch", "ERR syntax invalid unique '' (expected a non-empty key)"},
    {"SUBMIT retries=1001 fetch",
     "ERR syntax invalid retries '1001' (expected an integer from 0 to 1000)"},
    {"SUBMIT retries=-1 fetch",
     "ERR syntax invalid retries '-1' (expected an integer from 0 to 1000)"},
    {"SUBMIT retries=x fetch",
     "ERR syntax invalid retries 'x' (expected an integer from 0 to 1000)"},
    {"SUBMIT color=red fetch", "ERR syntax unknown SUBMIT option 'color'"},
    {"SUBMIT =5 fetch", "ERR syntax unknown SUBMIT option ''"},
    {"SUBMIT priority=1 priority=2 fetch", "ERR syntax duplicate SUBMIT option 'priority'"},
    {"SUBMIT delay=1s delay=2s fetch", "ERR syntax duplicate SUBMIT option 'delay'"},
    {"SUBMIT unique=a unique=b fetch", "ERR syntax duplicate SUBMIT option 'unique'"},
    {"SUBMIT delay=5s at=2030-01-31T12:00:00Z fetch",
     "ERR syntax delay and at cannot be used together"},
    {"SUBMIT at=1896091200 delay=0 fetch", "ERR syntax delay and at cannot be used together"},
    // Verbs taking a job id.
    {"STATUS", "ERR syntax STATUS needs a job id"},
    {"CANCEL", "ERR syntax CANCEL needs a job id"},
    {"RETRY", "ERR syntax RETRY needs a job id"},
    {"WAIT", "ERR syntax WAIT needs a job id"},
    {"STATUS x", "ERR syntax invalid job id 'x' (expected a positive integer)"},
    {"STATUS 0", "ERR syntax invalid job id '0' (expected a positive integer)"},
    {"CANCEL -1", "ERR syntax invalid job id '-1' (expected a positive integer)"},
    {"RETRY 1e3", "ERR syntax invalid job id '1e3' (expected a positive integer)"},
    {"WAIT x", "ERR syntax invalid job id 'x' (expected a positive integer)"},
    {"STATUS 9223372036854775808",
     "ERR syntax invalid job id '9223372036854775808' (expected a positive integer)"},
    {"STATUS 1 2", "ERR syntax unexpected argument '2' for STATUS"},
    {"CANCEL 1 now", "ERR syntax unexpected argument 'now' for CANCEL"},
    {"RETRY 1 x=1", "ERR syntax unexpected argument 'x=1' for RETRY"},
    {"WAIT 5 soon",
     "ERR syntax invalid timeout 'soon' (expected a duration like 30s, 5m or 1h30m)"},
    {"WAIT 5 timeout=",
     "ERR syntax invalid timeout '' (expected a duration like 30s, 5m or 1h30m)"},
    {"WAIT 5 3651d", "ERR syntax invalid timeout '3651d' (at most 3650d)"},
    {"WAIT 5 1s 2s", "ERR syntax duplicate WAIT option 'timeout'"},
    {"WAIT 5 timeout=1s 2s", "ERR syntax duplicate WAIT option 'timeout'"},
    {"WAIT 5 from=0", "ERR syntax invalid from '0' (expected a positive job id)"},
    {"WAIT 5 from=x", "ERR syntax invalid from 'x' (expected a positive job id)"},
    {"WAIT 5 from=1 from=2", "ERR syntax duplicate WAIT option 'from'"},
    {"WAIT 5 until=3", "ERR syntax unknown WAIT option 'until'"},
    // LIST.
    {"LIST failed", "ERR syntax unexpected argument 'failed' for LIST"},
    {"LIST color=x", "ERR syntax unknown LIST filter 'color'"},
    {"LIST type=Bad", "ERR syntax invalid type 'Bad' (expected [a-z][a-z0-9_]*)"},
    {"LIST type=", "ERR syntax invalid type '' (expected [a-z][a-z0-9_]*)"},
    {"LIST state=stuck",
     "ERR syntax invalid state 'stuck' (expected queued, running, done, failed or cancelled)"},
    {"LIST limit=0", "ERR syntax invalid limit '0' (expected an integer from 1 to 10000)"},
    {"LIST limit=10001", "ERR syntax invalid limit '10001' (expected an integer from 1 to 10000)"},
    {"LIST limit=x", "ERR syntax invalid limit 'x' (expected an integer from 1 to 10000)"},
    {"LIST before=0", "ERR syntax invalid before '0' (expected a positive job id)"},
    {"LIST limit=5 limit=6", "ERR syntax duplicate LIST filter 'limit'"},
    // Verbs taking a type name.
    {"PAUSE", "ERR syntax PAUSE needs a job type name"},
    {"RESUME", "ERR syntax RESUME needs a job type name"},
    {"PAUSE Bad", "ERR syntax invalid job type name 'Bad' (expected [a-z][a-z0-9_]*)"},
    {"PAUSE a b", "ERR syntax unexpected argument 'b' for PAUSE"},
    {"RESUME a b", "ERR syntax unexpected argument 'b' for RESUME"},
    // Verbs without arguments.
    {"STATS x", "ERR syntax unexpected argument 'x' for STATS"},
    {"TYPES x", "ERR syntax unexpected argument 'x' for TYPES"},
    {"PING pong", "ERR syntax unexpected argument 'pong' for PING"},
    {"VERSION 2", "ERR syntax unexpected argument '2' for VERSION"},
};

TEST(ProtocolTest, ParseValidRequests) {
  for (const Case& c : kValid) EXPECT_EQ(Parsed(c.line), c.expected) << "line: " << c.line;
}

TEST(ProtocolTest, ParseInvalidRequests) {
  for (const Case& c : kInvalid) EXPECT_EQ(Parsed(c.line), c.expected) << "line: " << c.line;
}

TEST(ProtocolTest, FormatRequestRoundTripsEveryValidLine) {
  for (const Case& c : kValid) {
    auto first = ParseRequest(c.line);
    ASSERT_TRUE(std::holds_alternative<Request>(first)) << c.line;
    std::string formatted = FormatRequest(std::get<Request>(first));
    EXPECT_EQ(Parsed(formatted), c.expected) << "line: " << c.line << "\nformatted: " << formatted;
  }
}

TEST(ProtocolTest, FormatRequestGolden) {
  Request submit;
  submit.verb = Verb::kSubmit;
  submit.name = "fetch";
  EXPECT_EQ(FormatRequest(submit), "fetch");
  submit.args = "a 'b c'";
  EXPECT_EQ(FormatRequest(submit), "fetch a 'b c'");
  submit.options.priority = -5;
  submit.options.delay = 90'000;
  submit.options.unique = "k";
  submit.options.retries = 2;
  submit.options.timeout = 3'600'000;
  EXPECT_EQ(FormatRequest(submit),
            "SUBMIT priority=-5 delay=1m30s unique=k retries=2 timeout=1h fetch a 'b c'");
  SubmitOptions at;
  at.at = k2030 + 5;
  submit.options = at;
  submit.args.clear();
  EXPECT_EQ(FormatRequest(submit), "SUBMIT at=2030-01-31T12:00:00.005Z fetch");

  Request wait;
  wait.verb = Verb::kWait;
  wait.id = 5;
  EXPECT_EQ(FormatRequest(wait), "WAIT 5");
  wait.wait_timeout = 30'000;
  wait.wait_from = 7;
  EXPECT_EQ(FormatRequest(wait), "WAIT 5 timeout=30s from=7");
  wait.wait_timeout = 0;
  EXPECT_EQ(FormatRequest(wait), "WAIT 5 timeout=0s from=7");

  Request list;
  list.verb = Verb::kList;
  EXPECT_EQ(FormatRequest(list), "LIST");
  list.list.type = "fetch";
  list.list.state = JobState::kFailed;
  list.list.limit = 10;
  list.list.before = 99;
  EXPECT_EQ(FormatRequest(list), "LIST type=fetch state=failed limit=10 before=99");

  Request other;
  other.id = 3;
  other.name = "fetch";
  const std::pair<Verb, std::string> simple[] = {
      {Verb::kStatus, "STATUS 3"},   {Verb::kCancel, "CANCEL 3"},     {Verb::kRetry, "RETRY 3"},
      {Verb::kPause, "PAUSE fetch"}, {Verb::kResume, "RESUME fetch"}, {Verb::kStats, "STATS"},
      {Verb::kTypes, "TYPES"},       {Verb::kPing, "PING"},           {Verb::kVersion, "VERSION"},
      {Verb::kReload, "RELOAD"},
  };
  for (const auto& [verb, line] : simple) {
    other.verb = verb;
    EXPECT_EQ(FormatRequest(other), line);
  }
}

TEST(ProtocolTest, ErrorWordsRoundTrip) {
  const std::pair<ErrorWord, const char*> words[] = {
      {ErrorWord::kSyntax, "syntax"},     {ErrorWord::kTooLong, "toolong"},
      {ErrorWord::kVerb, "verb"},         {ErrorWord::kUnknown, "unknown"},
      {ErrorWord::kDisabled, "disabled"}, {ErrorWord::kNotFound, "notfound"},
      {ErrorWord::kState, "state"},       {ErrorWord::kStore, "store"},
      {ErrorWord::kTimeout, "timeout"},   {ErrorWord::kShutdown, "shutdown"},
      {ErrorWord::kInternal, "internal"},
  };
  for (const auto& [word, name] : words) {
    EXPECT_STREQ(ErrorWordName(word), name);
    EXPECT_EQ(ParseErrorWord(name), word);
  }
  EXPECT_EQ(ParseErrorWord("bogus"), std::nullopt);
  EXPECT_EQ(ParseErrorWord("SYNTAX"), std::nullopt);
  EXPECT_EQ(ParseErrorWord(""), std::nullopt);
}

TEST(ProtocolTest, FormatReplies) {
  EXPECT_EQ(FormatAck(5, false), "ACK 5");
  EXPECT_EQ(FormatAck(5, true), "ACK 5 existing");
  EXPECT_EQ(FormatOk(), "OK");
  EXPECT_EQ(FormatOk("pong"), "OK pong");
  EXPECT_EQ(FormatOk("{\"a\":1}"), "OK {\"a\":1}");
  EXPECT_EQ(FormatOk("a\nb\r\nc"), "OK a b  c");
  EXPECT_EQ(FormatError(ErrorWord::kNotFound, "no job 5"), "ERR notfound no job 5");
  EXPECT_EQ(FormatError(ErrorWord::kSyntax, "a\r\nb\nc"), "ERR syntax a  b c");
  EXPECT_EQ(FormatError(ErrorWord::kInternal, ""), "ERR internal");
  EXPECT_EQ(FormatError(ErrorWord::kTooLong, "line exceeds 65536 bytes"),
            "ERR toolong line exceeds 65536 bytes");
}

TEST(ProtocolTest, FormatErrorCapsLongTexts) {
  EXPECT_EQ(FormatError(ErrorWord::kStore, std::string(1000, 'x')),
            "ERR store " + std::string(1000, 'x'));
  EXPECT_EQ(FormatError(ErrorWord::kStore, std::string(2000, 'x')),
            "ERR store " + std::string(997, 'x') + "...");
  // "ab" then two-byte characters: byte 997 is inside one, so the cut moves back to 996.
  std::string text = "ab";
  while (text.size() < 2000) text += "\xC3\xA9";
  std::string line = FormatError(ErrorWord::kStore, text);
  EXPECT_EQ(line, "ERR store " + text.substr(0, 996) + "...");
}

struct ReplyCase {
  std::string line;
  std::string expected;  // "ACK id existing", "OK [payload]", "ERR word [text]" or "invalid"
};

std::string DescribeReply(const std::string& line) {
  auto r = ParseReply(line);
  if (!r.ok()) {
    EXPECT_EQ(r.status().code(), Status::Code::kInvalidArgument);
    return "invalid: " + r.status().message();
  }
  switch (r->kind) {
    case Reply::Kind::kAck:
      return "ACK " + std::to_string(r->id) + (r->existing ? " existing" : "");
    case Reply::Kind::kOk:
      return "OK [" + r->payload + "]";
    case Reply::Kind::kErr:
      return "ERR "s + ErrorWordName(r->word) + " [" + r->text + "]";
  }
  return "?";
}

TEST(ProtocolTest, ParseReplyGolden) {
  const ReplyCase cases[] = {
      {"ACK 5", "ACK 5"},
      {"ACK 5 existing", "ACK 5 existing"},
      {"OK", "OK []"},
      {"OK ", "OK []"},
      {"OK pong", "OK [pong]"},
      {"OK {\"id\": 1, \"args\": \"a b\"}", "OK [{\"id\": 1, \"args\": \"a b\"}]"},
      {"ERR notfound no job 5", "ERR notfound [no job 5]"},
      {"ERR timeout", "ERR timeout []"},
      {"ERR syntax  two spaces", "ERR syntax [ two spaces]"},
      {"", "invalid: unexpected reply ''"},
      {"ACK", "invalid: unexpected reply 'ACK'"},
      {"ACK x", "invalid: unexpected reply 'ACK x'"},
      {"ACK 0", "invalid: unexpected reply 'ACK 0'"},
      {"ACK 5 new", "invalid: unexpected reply 'ACK 5 new'"},
      {"ACK 5 existing x", "invalid: unexpected reply 'ACK 5 existing x'"},
      {"OKAY", "invalid: unexpected reply 'OKAY'"},
      {"ok", "invalid: unexpected reply 'ok'"},
      {"ERR", "invalid: unexpected reply 'ERR'"},
      {"ERR bogus text", "invalid: unexpected reply 'ERR bogus text'"},
      {"HELLO world", "invalid: unexpected reply 'HELLO world'"},
  };
  for (const ReplyCase& c : cases) EXPECT_EQ(DescribeReply(c.line), c.expected) << c.line;
}

TEST(ProtocolTest, RepliesRoundTrip) {
  for (JobId id : {JobId{1}, JobId{42}, JobId{9223372036854775807}}) {
    for (bool existing : {false, true}) {
      auto r = ParseReply(FormatAck(id, existing));
      ASSERT_TRUE(r.ok());
      EXPECT_EQ(r->kind, Reply::Kind::kAck);
      EXPECT_EQ(r->id, id);
      EXPECT_EQ(r->existing, existing);
    }
  }
  for (std::string payload : {"", "pong", "[]", "{\"a\":\"x y\"}"}) {
    auto r = ParseReply(FormatOk(payload));
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->kind, Reply::Kind::kOk);
    EXPECT_EQ(r->payload, payload);
  }
  for (int w = 0; w <= static_cast<int>(ErrorWord::kInternal); ++w) {
    for (std::string text : {"", "x", "job 5 not finished after 30s"}) {
      auto r = ParseReply(FormatError(static_cast<ErrorWord>(w), text));
      ASSERT_TRUE(r.ok());
      EXPECT_EQ(r->kind, Reply::Kind::kErr);
      EXPECT_EQ(r->word, static_cast<ErrorWord>(w));
      EXPECT_EQ(r->text, text);
    }
  }
}

TEST(ProtocolTest, LongestLineIsAccepted) {
  std::string line = "fetch " + std::string(kMaxLine - 6, 'x');
  ASSERT_EQ(line.size(), kMaxLine);
  auto r = ParseRequest(line);
  ASSERT_TRUE(std::holds_alternative<Request>(r));
  EXPECT_EQ(std::get<Request>(r).args.size(), kMaxLine - 6);
}

}  // namespace
}  // namespace torque::protocol
