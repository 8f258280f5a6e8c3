// Regex: a compiled /regex/ of the condition language, PCRE2 with bounded backtracking.
//
// PCRE2's syntax is the closest to Python's `re` that pyrocore conditions are written in
// (lookarounds, lazy quantifiers, (?i), (?P<name>...), \d \w \s \b on Unicode). A pattern
// compiles caseless; when it is valid UTF-8 also as UTF-8 with Unicode properties (PCRE2_UTF,
// PCRE2_UCP), else on bytes. A search gives up after kMatchLimit backtracking steps,
// kDepthLimit nested backtracking points or kHeapLimitKib of memory instead of running for
// seconds; the caller counts that as no match. Uses PCRE2's JIT where the platform has it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/status.h"

namespace torque::rtorrent {

// Immutable after Compile; Search is thread-safe. Copies share the compiled pattern.
class Regex {
 public:
  // Bounds of one search (pcre2_set_match_limit, _depth_limit, _heap_limit): a few
  // milliseconds of work on any value, far above what a sane pattern needs on a name.
  static constexpr uint32_t kMatchLimit = 100'000;
  static constexpr uint32_t kDepthLimit = 50'000;
  static constexpr uint32_t kHeapLimitKib = 32 * 1024;

  enum class Outcome { kNoMatch, kMatch, kGaveUp };

  // Compiles `pattern`. kInvalidArgument with PCRE2's one-line reason ("missing closing
  // parenthesis"); then *error_offset is the byte offset in `pattern` it points at.
  static Result<Regex> Compile(std::string_view pattern, size_t* error_offset);

  // Whether the pattern matches anywhere in `text` (Python's re.search). kGaveUp when a
  // limit was hit; the first time that happens to this pattern (or a copy of it), the
  // notice sink is told, once.
  Outcome Search(std::string_view text) const;

 private:
  struct Compiled;
  explicit Regex(std::shared_ptr<const Compiled> compiled) : compiled_(std::move(compiled)) {}

  std::shared_ptr<const Compiled> compiled_;
};

// Where "regex /.../ gave up ..." notices go: a main sets it once at start-up (torqued: its
// log). Unset: one line on stderr. Thread-safe; a sink must be too.
using RegexNoticeSink = void (*)(const std::string& message);
void SetRegexNoticeSink(RegexNoticeSink sink);

}  // namespace torque::rtorrent
