#include "jobs/rtorrent/regex.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <atomic>
#include <cstdio>

#include "core/utf8.h"

namespace torque::rtorrent {
namespace {

std::atomic<RegexNoticeSink> g_sink{nullptr};

void Notify(const std::string& message) {
  if (const RegexNoticeSink sink = g_sink.load()) {
    sink(message);
  } else {
    std::fprintf(stderr, "warning: %s\n", message.c_str());
  }
}

std::string ErrorText(int code) {
  PCRE2_UCHAR buffer[256];
  if (pcre2_get_error_message(code, buffer, sizeof buffer) < 0)
    return "error " + std::to_string(code);
  return reinterpret_cast<const char*>(buffer);
}

bool IsValidUtf8(std::string_view s) {
  while (!s.empty()) {
    const size_t len = Utf8SequenceLength(s);
    if (len == 0) return false;
    s.remove_prefix(len);
  }
  return true;
}

bool IsLimit(int rc) {
  return rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_DEPTHLIMIT ||
         rc == PCRE2_ERROR_HEAPLIMIT || rc == PCRE2_ERROR_JIT_STACKLIMIT ||
         rc == PCRE2_ERROR_NOMEMORY;
}

}  // namespace

struct Regex::Compiled {
  Compiled() = default;
  Compiled(const Compiled&) = delete;
  Compiled& operator=(const Compiled&) = delete;
  ~Compiled() {
    pcre2_match_context_free(context);
    pcre2_code_free(code);
  }

  pcre2_code* code = nullptr;
  pcre2_match_context* context = nullptr;  // the limits; read-only once built
  std::string pattern;
  mutable std::atomic<bool> noticed{false};
};

Result<Regex> Regex::Compile(std::string_view pattern, size_t* error_offset) {
  *error_offset = 0;
  auto compiled = std::make_shared<Compiled>();
  compiled->pattern = std::string(pattern);
  std::unique_ptr<pcre2_compile_context, decltype(&pcre2_compile_context_free)> options(
      pcre2_compile_context_create(nullptr), &pcre2_compile_context_free);
  compiled->context = pcre2_match_context_create(nullptr);
  if (!options || !compiled->context) return Status::Internal("out of memory compiling a regex");
  // Python's newline: only \n ends a line for $ and is not matched by '.'.
  pcre2_set_newline(options.get(), PCRE2_NEWLINE_LF);
  // \C (one code unit) could split a UTF-8 sequence; Python has no such escape.
  uint32_t flags = PCRE2_CASELESS | PCRE2_NEVER_BACKSLASH_C;
  if (IsValidUtf8(pattern)) {
    // Values may hold invalid UTF-8 (a name is bytes): no pattern item matches such a
    // byte, the valid text around it is searched as usual.
    flags |= PCRE2_UTF | PCRE2_UCP | PCRE2_MATCH_INVALID_UTF;
  } else {
    flags |= PCRE2_NEVER_UTF;
  }
  int code = 0;
  PCRE2_SIZE offset = 0;
  compiled->code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(),
                                 flags, &code, &offset, options.get());
  if (!compiled->code) {
    *error_offset = std::min<size_t>(offset, pattern.size());
    return Status::InvalidArgument(ErrorText(code));
  }
  // Without JIT (a platform PCRE2 does not support) the interpreter runs, more slowly.
  (void)pcre2_jit_compile(compiled->code, PCRE2_JIT_COMPLETE);
  pcre2_set_match_limit(compiled->context, kMatchLimit);
  pcre2_set_depth_limit(compiled->context, kDepthLimit);
  pcre2_set_heap_limit(compiled->context, kHeapLimitKib);
  return Regex(std::move(compiled));
}

Regex::Outcome Regex::Search(std::string_view text) const {
  std::unique_ptr<pcre2_match_data, decltype(&pcre2_match_data_free)> match(
      pcre2_match_data_create(1, nullptr), &pcre2_match_data_free);
  if (!match) return Outcome::kGaveUp;
  const auto subject = reinterpret_cast<PCRE2_SPTR>(text.data());
  int rc =
      pcre2_match(compiled_->code, subject, text.size(), 0, 0, match.get(), compiled_->context);
  if (rc == PCRE2_ERROR_JIT_STACKLIMIT) {
    // The JIT's small stack ran out before the match limit: the interpreter keeps its
    // backtracking on the heap, within the depth and heap limits.
    rc = pcre2_match(compiled_->code, subject, text.size(), 0, PCRE2_NO_JIT, match.get(),
                     compiled_->context);
  }
  if (rc >= 0) return Outcome::kMatch;  // 0: a match with more groups than asked for
  if (rc == PCRE2_ERROR_NOMATCH) return Outcome::kNoMatch;
  if (!compiled_->noticed.exchange(true)) {
    Notify("regex /" + PrintableBytes(compiled_->pattern) + "/ gave up on a value (" +
           ErrorText(rc) + (IsLimit(rc) ? "; too much backtracking" : "") +
           ") and counts as not matching it; nested quantifiers like (a+)+ are the usual cause");
  }
  return Outcome::kGaveUp;
}

void SetRegexNoticeSink(RegexNoticeSink sink) { g_sink.store(sink); }

}  // namespace torque::rtorrent
