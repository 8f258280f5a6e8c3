// The torqued socket protocol, version 1 (see PROTOCOL.md): request parsing and
// reply formatting, shared by the server and the client. No I/O here.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "core/clock.h"
#include "core/job.h"
#include "core/status.h"

namespace torque::protocol {

inline constexpr int kVersion = 1;
// Longest request line in bytes, without its LF / CRLF.
inline constexpr std::size_t kMaxLine = 64 * 1024;

enum class Verb {
  kSubmit,  // "NAME args" or "SUBMIT opt=v ... NAME args"
  kStatus,  // STATUS id
  kWait,    // WAIT id [timeout] [from=ID]
  kCancel,  // CANCEL id
  kRetry,   // RETRY id
  kList,    // LIST [type=T] [state=S] [limit=N] [before=ID]
  kStats,   // STATS
  kTypes,   // TYPES
  kPause,   // PAUSE type
  kResume,  // RESUME type
  kReload,  // RELOAD
  kPing,    // PING
  kVersion, // VERSION
};

// The fixed vocabulary of error words: "ERR <word> <text>".
enum class ErrorWord {
  kSyntax,    // malformed line: empty, bad UTF-8, NUL/control bytes, bad option, missing argument
  kTooLong,   // line over kMaxLine
  kVerb,      // unknown upper-case verb
  kUnknown,   // no job type of that name
  kDisabled,  // job type exists but is not active
  kNotFound,  // no job with that id
  kState,     // job is in a state that does not allow this
  kStore,     // database failure (disk full, read-only, I/O); nothing was stored
  kTimeout,   // WAIT ran out of time
  kShutdown,  // daemon is stopping and accepts no new jobs
  kInternal,  // a bug in torqued
};

const char* ErrorWordName(ErrorWord w);
std::optional<ErrorWord> ParseErrorWord(std::string_view word);

// Options of the SUBMIT form; unset ones take the job type's defaults.
struct SubmitOptions {
  std::optional<int> priority;          // priority=N (-1000000..1000000)
  std::optional<DurationMs> delay;      // delay=DURATION
  std::optional<TimeMs> at;             // at=TIME (ISO-8601 UTC or epoch seconds)
  std::optional<std::string> unique;    // unique=KEY
  std::optional<int> retries;           // retries=N (0..1000)
  std::optional<DurationMs> timeout;    // timeout=DURATION
  bool empty() const {
    return !priority && !delay && !at && !unique && !retries && !timeout;
  }
};

// LIST filters.
struct ListQuery {
  std::optional<std::string> type;
  std::optional<JobState> state;
  std::optional<JobId> before;
  int limit = 100;  // 1..10000
};

// One parsed request. Fields not used by `verb` keep their defaults.
struct Request {
  Verb verb = Verb::kPing;
  std::string name;   // kSubmit: command word; kPause/kResume: type name
  std::string args;   // kSubmit: rest of the line, trimmed
  SubmitOptions options;
  JobId id = 0;       // kStatus, kWait, kCancel, kRetry
  std::optional<DurationMs> wait_timeout;  // kWait
  JobId wait_from = 0;  // kWait: the running job that waits (0: none)
  ListQuery list;     // kList
};

struct ProtocolError {
  ErrorWord word;
  std::string text;
};

// Whether `word` can name a job type: [a-z][a-z0-9_]*.
bool IsTypeName(std::string_view word);

// Parses one request line (without its line ending). Never throws.
std::variant<Request, ProtocolError> ParseRequest(std::string_view line);

// The request line (without LF) that ParseRequest turns back into `request`.
std::string FormatRequest(const Request& request);

// The single-line form of `text`: CR and LF become spaces.
std::string SingleLine(std::string_view text);

// Reply lines, each without the trailing LF. Texts are made single-line.
std::string FormatAck(JobId id, bool existing);
std::string FormatOk(std::string_view payload = {});
std::string FormatError(ErrorWord word, std::string_view text);

// A parsed reply line.
struct Reply {
  enum class Kind { kAck, kOk, kErr };
  Kind kind = Kind::kOk;
  JobId id = 0;           // kAck
  bool existing = false;  // kAck
  std::string payload;    // kOk: text after "OK "
  ErrorWord word = ErrorWord::kInternal;  // kErr
  std::string text;       // kErr
};

// Parses a reply line. kInvalidArgument for anything that is not ACK/OK/ERR.
Result<Reply> ParseReply(std::string_view line);

}  // namespace torque::protocol
