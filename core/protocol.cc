#include "core/protocol.h"

#include <charconv>
#include <cstdint>
#include <initializer_list>
#include <utility>

#include "core/duration.h"
#include "core/utf8.h"

namespace torque::protocol {
namespace {

// Longest error text in a reply, in bytes.
constexpr std::size_t kMaxErrorText = 1000;
// Longest piece of user input quoted back in an error message, in bytes.
constexpr std::size_t kMaxEcho = 80;
// Latest accepted at= in epoch seconds (9999-12-31T23:59:59Z).
constexpr int64_t kMaxEpochSeconds = 253402300799;
// Longest delay=, timeout= and WAIT timeout (3650 days), so deadlines cannot overflow.
constexpr DurationMs kMaxDuration = 3650LL * 24 * 3600 * 1000;

constexpr const char* kTypeNameRule = "expected [a-z][a-z0-9_]*";
constexpr const char* kDurationHint = "expected a duration like 30s, 5m or 1h30m";

struct VerbEntry {
  const char* name;
  Verb verb;
};

// RELOAD is not accepted in protocol version 1; it is only formatted.
constexpr VerbEntry kVerbs[] = {
    {"SUBMIT", Verb::kSubmit}, {"STATUS", Verb::kStatus}, {"WAIT", Verb::kWait},
    {"CANCEL", Verb::kCancel}, {"RETRY", Verb::kRetry},   {"LIST", Verb::kList},
    {"STATS", Verb::kStats},   {"TYPES", Verb::kTypes},   {"PAUSE", Verb::kPause},
    {"RESUME", Verb::kResume}, {"PING", Verb::kPing},     {"VERSION", Verb::kVersion},
};

const char* VerbName(Verb verb) {
  if (verb == Verb::kReload) return "RELOAD";
  for (const auto& e : kVerbs) {
    if (e.verb == verb) return e.name;
  }
  return "PING";
}

bool IsBlank(char c) { return c == ' ' || c == '\t'; }

std::string_view TrimBlanks(std::string_view s) {
  while (!s.empty() && IsBlank(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsBlank(s.back())) s.remove_suffix(1);
  return s;
}

bool IsVerbWord(std::string_view w) {
  if (w.empty()) return false;
  for (char c : w) {
    if (c < 'A' || c > 'Z') return false;
  }
  return true;
}

// Cuts `s` to at most `max` bytes without splitting a UTF-8 sequence; marks the cut with "...".
std::string Cap(std::string_view s, std::size_t max) {
  if (s.size() <= max) return std::string(s);
  std::size_t n = max - 3;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  return std::string(s.substr(0, n)) + "...";
}

// User input as quoted in error messages: 'text', capped.
std::string Echo(std::string_view s) { return "'" + Cap(s, kMaxEcho) + "'"; }

std::optional<int64_t> ParseInt(std::string_view w) {
  int64_t v = 0;
  auto [end, ec] = std::from_chars(w.data(), w.data() + w.size(), v);
  if (w.empty() || ec != std::errc() || end != w.data() + w.size()) return std::nullopt;
  return v;
}

std::optional<JobId> ParseId(std::string_view w) {
  auto v = ParseInt(w);
  if (!v || *v <= 0) return std::nullopt;
  return *v;
}

ProtocolError Syntax(std::string text) { return {ErrorWord::kSyntax, std::move(text)}; }

ProtocolError Invalid(std::string_view what, std::string_view value, std::string_view hint) {
  return Syntax("invalid " + std::string(what) + " " + Echo(value) + " (" + std::string(hint) +
                ")");
}

// The first reason the raw bytes of `line` are unacceptable, in order of precedence:
// NUL, invalid UTF-8, other control characters (TAB is allowed).
std::optional<ProtocolError> CheckBytes(std::string_view line) {
  auto column = [](std::size_t i) { return std::to_string(i + 1); };
  if (auto nul = line.find('\0'); nul != std::string_view::npos) {
    return Syntax("NUL byte at column " + column(nul));
  }
  std::optional<std::size_t> control;
  for (std::size_t i = 0; i < line.size();) {
    std::size_t n = Utf8SequenceLength(line.substr(i));
    if (n == 0) return Syntax("invalid UTF-8 at column " + column(i));
    unsigned char c = static_cast<unsigned char>(line[i]);
    if (!control && n == 1 && (c < 0x20 || c == 0x7F) && c != '\t') control = i;
    i += n;
  }
  if (control) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    unsigned char c = static_cast<unsigned char>(line[*control]);
    std::string hex = {'0', 'x', kHex[c >> 4], kHex[c & 0xF]};
    return Syntax("control character " + hex + " at column " + column(*control));
  }
  return std::nullopt;
}

// Walks the blank-separated words of a request.
class Words {
 public:
  explicit Words(std::string_view s) : rest_(s) {}
  // The next word, or nullopt at the end.
  std::optional<std::string_view> Next() {
    rest_ = TrimBlanks(rest_);
    if (rest_.empty()) return std::nullopt;
    std::size_t end = 0;
    while (end < rest_.size() && !IsBlank(rest_[end])) ++end;
    std::string_view word = rest_.substr(0, end);
    rest_.remove_prefix(end);
    return word;
  }
  // Everything after the last word returned, without surrounding blanks.
  std::string_view Rest() const { return TrimBlanks(rest_); }

 private:
  std::string_view rest_;
};

// Splits "key=value"; nullopt when there is no '='.
std::optional<std::pair<std::string_view, std::string_view>> SplitOption(std::string_view w) {
  auto eq = w.find('=');
  if (eq == std::string_view::npos) return std::nullopt;
  return std::pair(w.substr(0, eq), w.substr(eq + 1));
}

std::optional<ProtocolError> NoMoreWords(Words& words, Verb verb) {
  if (auto extra = words.Next()) {
    return Syntax("unexpected argument " + Echo(*extra) + " for " + VerbName(verb));
  }
  return std::nullopt;
}

// A duration option's value, or the error naming `key`.
std::variant<DurationMs, ProtocolError> ParseDurationOption(std::string_view key,
                                                            std::string_view value) {
  auto d = ParseDuration(value);
  if (!d.ok()) return Invalid(key, value, kDurationHint);
  if (*d > kMaxDuration) return Invalid(key, value, "at most 3650d");
  return *d;
}

std::optional<TimeMs> ParseAt(std::string_view value) {
  if (!value.empty() && value.find_first_not_of("0123456789") == std::string_view::npos) {
    auto secs = ParseInt(value);
    if (!secs || *secs > kMaxEpochSeconds) return std::nullopt;
    return *secs * 1000;
  }
  auto t = ParseTime(value);
  if (!t.ok()) return std::nullopt;
  return *t;
}

std::optional<ProtocolError> ParseSubmitOption(std::string_view key, std::string_view value,
                                               SubmitOptions& o) {
  auto duplicate = [&](bool set) {
    return set ? std::optional(Syntax("duplicate SUBMIT option " + Echo(key))) : std::nullopt;
  };
  if (key == "priority") {
    if (auto e = duplicate(o.priority.has_value())) return e;
    auto v = ParseInt(value);
    if (!v || *v < -1000000 || *v > 1000000) {
      return Invalid(key, value, "expected an integer from -1000000 to 1000000");
    }
    o.priority = static_cast<int>(*v);
  } else if (key == "delay" || key == "timeout") {
    auto& field = key == "delay" ? o.delay : o.timeout;
    if (auto e = duplicate(field.has_value())) return e;
    auto d = ParseDurationOption(key, value);
    if (auto* e = std::get_if<ProtocolError>(&d)) return *e;
    field = std::get<DurationMs>(d);
  } else if (key == "at") {
    if (auto e = duplicate(o.at.has_value())) return e;
    auto t = ParseAt(value);
    if (!t)
      return Invalid(key, value, "expected a UTC time like 2030-01-31T12:00:00Z or epoch seconds");
    o.at = *t;
  } else if (key == "unique") {
    if (auto e = duplicate(o.unique.has_value())) return e;
    if (value.empty()) return Invalid(key, value, "expected a non-empty key");
    o.unique = std::string(value);
  } else if (key == "retries") {
    if (auto e = duplicate(o.retries.has_value())) return e;
    auto v = ParseInt(value);
    if (!v || *v < 0 || *v > 1000) return Invalid(key, value, "expected an integer from 0 to 1000");
    o.retries = static_cast<int>(*v);
  } else {
    return Syntax("unknown SUBMIT option " + Echo(key));
  }
  return std::nullopt;
}

std::variant<Request, ProtocolError> ParseSubmit(Words& words) {
  Request r;
  r.verb = Verb::kSubmit;
  std::optional<std::string_view> word;
  while ((word = words.Next())) {
    auto option = SplitOption(*word);
    if (!option) break;
    if (auto e = ParseSubmitOption(option->first, option->second, r.options)) return *e;
  }
  if (!word) return Syntax("SUBMIT needs a job type name");
  if (r.options.delay && r.options.at) return Syntax("delay and at cannot be used together");
  if (!IsTypeName(*word)) return Invalid("job type name", *word, kTypeNameRule);
  r.name = std::string(*word);
  r.args = std::string(words.Rest());
  return r;
}

std::variant<Request, ProtocolError> ParseIdVerb(Verb verb, Words& words) {
  Request r;
  r.verb = verb;
  auto word = words.Next();
  if (!word) return Syntax(std::string(VerbName(verb)) + " needs a job id");
  auto id = ParseId(*word);
  if (!id) return Invalid("job id", *word, "expected a positive integer");
  r.id = *id;
  if (verb != Verb::kWait) {
    if (auto e = NoMoreWords(words, verb)) return *e;
    return r;
  }
  bool from_set = false;
  while ((word = words.Next())) {
    auto option = SplitOption(*word);
    auto [key, value] = option ? *option : std::pair(std::string_view("timeout"), *word);
    if (key == "timeout") {
      if (r.wait_timeout) return Syntax("duplicate WAIT option 'timeout'");
      auto d = ParseDurationOption(key, value);
      if (auto* e = std::get_if<ProtocolError>(&d)) return *e;
      r.wait_timeout = std::get<DurationMs>(d);
    } else if (key == "from") {
      if (from_set) return Syntax("duplicate WAIT option 'from'");
      auto from = ParseId(value);
      if (!from) return Invalid(key, value, "expected a positive job id");
      r.wait_from = *from;
      from_set = true;
    } else {
      return Syntax("unknown WAIT option " + Echo(key));
    }
  }
  return r;
}

std::variant<Request, ProtocolError> ParseList(Words& words) {
  Request r;
  r.verb = Verb::kList;
  bool seen[4] = {};
  while (auto word = words.Next()) {
    auto option = SplitOption(*word);
    if (!option) return Syntax("unexpected argument " + Echo(*word) + " for LIST");
    auto [key, value] = *option;
    int slot = key == "type"     ? 0
               : key == "state"  ? 1
               : key == "limit"  ? 2
               : key == "before" ? 3
                                 : -1;
    if (slot < 0) return Syntax("unknown LIST filter " + Echo(key));
    if (seen[slot]) return Syntax("duplicate LIST filter " + Echo(key));
    seen[slot] = true;
    if (slot == 0) {
      if (!IsTypeName(value)) return Invalid(key, value, kTypeNameRule);
      r.list.type = std::string(value);
    } else if (slot == 1) {
      r.list.state = ParseJobState(value);
      if (!r.list.state) {
        return Invalid(key, value, "expected queued, running, done, failed or cancelled");
      }
    } else if (slot == 2) {
      auto v = ParseInt(value);
      if (!v || *v < 1 || *v > 10000) {
        return Invalid(key, value, "expected an integer from 1 to 10000");
      }
      r.list.limit = static_cast<int>(*v);
    } else {
      auto before = ParseId(value);
      if (!before) return Invalid(key, value, "expected a positive job id");
      r.list.before = *before;
    }
  }
  return r;
}

std::variant<Request, ProtocolError> ParseTypeVerb(Verb verb, Words& words) {
  Request r;
  r.verb = verb;
  auto word = words.Next();
  if (!word) return Syntax(std::string(VerbName(verb)) + " needs a job type name");
  if (!IsTypeName(*word)) return Invalid("job type name", *word, kTypeNameRule);
  r.name = std::string(*word);
  if (auto e = NoMoreWords(words, verb)) return *e;
  return r;
}

}  // namespace

std::string SingleLine(std::string_view text) {
  std::string s(text);
  for (char& c : s) {
    if (c == '\r' || c == '\n') c = ' ';
  }
  return s;
}

bool IsTypeName(std::string_view w) {
  if (w.empty() || w[0] < 'a' || w[0] > 'z') return false;
  for (char c : w) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  }
  return true;
}

const char* ErrorWordName(ErrorWord w) {
  switch (w) {
    case ErrorWord::kSyntax:
      return "syntax";
    case ErrorWord::kTooLong:
      return "toolong";
    case ErrorWord::kVerb:
      return "verb";
    case ErrorWord::kUnknown:
      return "unknown";
    case ErrorWord::kDisabled:
      return "disabled";
    case ErrorWord::kNotFound:
      return "notfound";
    case ErrorWord::kState:
      return "state";
    case ErrorWord::kStore:
      return "store";
    case ErrorWord::kTimeout:
      return "timeout";
    case ErrorWord::kShutdown:
      return "shutdown";
    case ErrorWord::kInternal:
      return "internal";
  }
  return "internal";
}

std::optional<ErrorWord> ParseErrorWord(std::string_view word) {
  for (ErrorWord w :
       {ErrorWord::kSyntax, ErrorWord::kTooLong, ErrorWord::kVerb, ErrorWord::kUnknown,
        ErrorWord::kDisabled, ErrorWord::kNotFound, ErrorWord::kState, ErrorWord::kStore,
        ErrorWord::kTimeout, ErrorWord::kShutdown, ErrorWord::kInternal}) {
    if (word == ErrorWordName(w)) return w;
  }
  return std::nullopt;
}

std::variant<Request, ProtocolError> ParseRequest(std::string_view line) {
  if (TrimBlanks(line).empty()) return Syntax("empty request");
  if (auto e = CheckBytes(line)) return *e;
  Words words(line);
  std::string_view first = *words.Next();
  if (IsVerbWord(first)) {
    const VerbEntry* entry = nullptr;
    for (const auto& e : kVerbs) {
      if (first == e.name) entry = &e;
    }
    if (!entry) return ProtocolError{ErrorWord::kVerb, "unknown verb " + Echo(first)};
    switch (entry->verb) {
      case Verb::kSubmit:
        return ParseSubmit(words);
      case Verb::kStatus:
      case Verb::kWait:
      case Verb::kCancel:
      case Verb::kRetry:
        return ParseIdVerb(entry->verb, words);
      case Verb::kList:
        return ParseList(words);
      case Verb::kPause:
      case Verb::kResume:
        return ParseTypeVerb(entry->verb, words);
      default: {
        Request r;
        r.verb = entry->verb;
        if (auto e = NoMoreWords(words, entry->verb)) return *e;
        return r;
      }
    }
  }
  if (!IsTypeName(first)) return Invalid("job type name", first, kTypeNameRule);
  Request r;
  r.verb = Verb::kSubmit;
  r.name = std::string(first);
  r.args = std::string(words.Rest());
  return r;
}

std::string FormatRequest(const Request& request) {
  std::string line = VerbName(request.verb);
  auto add = [&line](std::string_view key, std::string_view value) {
    line.append(" ").append(key).append("=").append(value);
  };
  switch (request.verb) {
    case Verb::kSubmit: {
      const SubmitOptions& o = request.options;
      if (o.empty()) {
        line = request.name;
      } else {
        if (o.priority) add("priority", std::to_string(*o.priority));
        if (o.delay) add("delay", FormatDuration(*o.delay));
        if (o.at) add("at", FormatTimeUtc(*o.at));
        if (o.unique) add("unique", *o.unique);
        if (o.retries) add("retries", std::to_string(*o.retries));
        if (o.timeout) add("timeout", FormatDuration(*o.timeout));
        line += " " + request.name;
      }
      if (!request.args.empty()) line += " " + request.args;
      break;
    }
    case Verb::kStatus:
    case Verb::kCancel:
    case Verb::kRetry:
      line += " " + std::to_string(request.id);
      break;
    case Verb::kWait:
      line += " " + std::to_string(request.id);
      if (request.wait_timeout) add("timeout", FormatDuration(*request.wait_timeout));
      if (request.wait_from != 0) add("from", std::to_string(request.wait_from));
      break;
    case Verb::kList:
      if (request.list.type) add("type", *request.list.type);
      if (request.list.state) add("state", JobStateName(*request.list.state));
      if (request.list.limit != ListQuery().limit) add("limit", std::to_string(request.list.limit));
      if (request.list.before) add("before", std::to_string(*request.list.before));
      break;
    case Verb::kPause:
    case Verb::kResume:
      line += " " + request.name;
      break;
    default:
      break;
  }
  return line;
}

std::string FormatAck(JobId id, bool existing) {
  return "ACK " + std::to_string(id) + (existing ? " existing" : "");
}

std::string FormatOk(std::string_view payload) {
  if (payload.empty()) return "OK";
  return "OK " + SingleLine(payload);
}

std::string FormatError(ErrorWord word, std::string_view text) {
  std::string line = std::string("ERR ") + ErrorWordName(word);
  if (!text.empty()) line += " " + SingleLine(Cap(text, kMaxErrorText));
  return line;
}

Result<Reply> ParseReply(std::string_view line) {
  Reply r;
  auto bad = [&line] { return Status::InvalidArgument("unexpected reply " + Echo(line)); };
  auto word_end = line.find(' ');
  std::string_view head = line.substr(0, word_end);
  std::string_view rest =
      word_end == std::string_view::npos ? std::string_view() : line.substr(word_end + 1);
  if (head == "ACK") {
    r.kind = Reply::Kind::kAck;
    auto sp = rest.find(' ');
    auto id = ParseId(rest.substr(0, sp));
    if (!id) return bad();
    r.id = *id;
    if (sp != std::string_view::npos) {
      if (rest.substr(sp + 1) != "existing") return bad();
      r.existing = true;
    }
  } else if (head == "OK") {
    r.kind = Reply::Kind::kOk;
    r.payload = std::string(rest);
  } else if (head == "ERR") {
    r.kind = Reply::Kind::kErr;
    auto sp = rest.find(' ');
    auto word = ParseErrorWord(rest.substr(0, sp));
    if (!word) return bad();
    r.word = *word;
    if (sp != std::string_view::npos) r.text = std::string(rest.substr(sp + 1));
  } else {
    return bad();
  }
  return r;
}

}  // namespace torque::protocol
