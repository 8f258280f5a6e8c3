#include "core/words.h"

namespace torque {
namespace {

bool IsBlank(char c) { return c == ' ' || c == '\t' || c == '\n'; }

// Characters QuoteWord leaves bare: nothing in this set means anything to a shell.
bool IsSafe(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  switch (c) {
    case '_':
    case '@':
    case '%':
    case '+':
    case '=':
    case ':':
    case ',':
    case '.':
    case '/':
    case '-':
      return true;
    default:
      return false;
  }
}

// Inside double quotes a backslash escapes only these.
bool IsDoubleQuoteEscapable(char c) { return c == '"' || c == '\\' || c == '$' || c == '`'; }

}  // namespace

Result<std::vector<std::string>> SplitWords(std::string_view text) {
  std::vector<std::string> words;
  std::string word;
  bool in_word = false;  // true once a word has started, even if it is still empty ("")
  size_t i = 0;
  while (i < text.size()) {
    const char c = text[i];
    if (IsBlank(c)) {
      if (in_word) words.push_back(std::move(word));
      word.clear();
      in_word = false;
      ++i;
    } else if (c == '\'') {
      const size_t close = text.find('\'', i + 1);
      if (close == std::string_view::npos) {
        return Status::InvalidArgument("unterminated single quote at column " +
                                       std::to_string(i + 1));
      }
      word.append(text.substr(i + 1, close - i - 1));
      in_word = true;
      i = close + 1;
    } else if (c == '"') {
      const size_t open = i++;
      bool closed = false;
      while (i < text.size()) {
        const char d = text[i];
        if (d == '"') {
          closed = true;
          ++i;
          break;
        }
        if (d == '\\' && i + 1 < text.size()) {
          const char next = text[i + 1];
          if (IsDoubleQuoteEscapable(next)) {
            word.push_back(next);
            i += 2;
            continue;
          }
          if (next == '\n') {  // line continuation
            i += 2;
            continue;
          }
        }
        word.push_back(d);
        ++i;
      }
      if (!closed) {
        return Status::InvalidArgument("unterminated double quote at column " +
                                       std::to_string(open + 1));
      }
      in_word = true;
    } else if (c == '\\') {
      if (i + 1 >= text.size()) return Status::InvalidArgument("trailing backslash");
      const char next = text[i + 1];
      if (next != '\n') {  // backslash-newline is a line continuation, not a character
        word.push_back(next);
        in_word = true;
      }
      i += 2;
    } else {
      word.push_back(c);
      in_word = true;
      ++i;
    }
  }
  if (in_word) words.push_back(std::move(word));
  return words;
}

std::string QuoteWord(std::string_view word) {
  if (word.empty()) return "''";
  bool safe = true;
  for (char c : word) {
    if (!IsSafe(c)) {
      safe = false;
      break;
    }
  }
  if (safe) return std::string(word);
  std::string quoted = "'";
  for (char c : word) {
    if (c == '\'') {
      quoted += "'\\''";
    } else {
      quoted.push_back(c);
    }
  }
  quoted.push_back('\'');
  return quoted;
}

std::string JoinWords(const std::vector<std::string>& words) {
  std::string joined;
  for (const auto& word : words) {
    if (!joined.empty()) joined.push_back(' ');
    joined += QuoteWord(word);
  }
  return joined;
}

}  // namespace torque
