#include "jobs/rtorrent/glob.h"

#include <cctype>

namespace torque::rtorrent {

std::u32string DecodeUtf8(std::string_view text) {
  std::u32string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    const auto b = static_cast<unsigned char>(text[i]);
    int extra = b >= 0xF0 && b < 0xF8 ? 3 : b >= 0xE0 ? 2 : b >= 0xC0 ? 1 : 0;
    if (b >= 0xF8) extra = 0;
    char32_t cp = extra == 3 ? b & 0x07 : extra == 2 ? b & 0x0F : extra == 1 ? b & 0x1F : b;
    bool ok = i + extra < text.size() || extra == 0;
    for (int k = 1; ok && k <= extra; ++k) {
      const auto c = static_cast<unsigned char>(text[i + k]);
      if ((c & 0xC0) != 0x80) ok = false;
      cp = (cp << 6) | (c & 0x3F);
    }
    if (!ok) {
      out.push_back(b);
      ++i;
    } else {
      out.push_back(cp);
      i += extra + 1;
    }
  }
  return out;
}

std::string AsciiLower(std::string_view text) {
  std::string out(text);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

Glob::Glob(std::string_view pattern) {
  const std::u32string p = DecodeUtf8(pattern);
  const size_t n = p.size();
  size_t i = 0;
  while (i < n) {
    const char32_t c = p[i++];
    if (c == U'*') {
      if (tokens_.empty() || tokens_.back().kind != Token::Kind::kStar) {
        tokens_.push_back(Token{Token::Kind::kStar, 0, false, {}});
      }
    } else if (c == U'?') {
      tokens_.push_back(Token{Token::Kind::kAny, 0, false, {}});
    } else if (c == U'[') {
      // As fnmatch.translate: "[!" negates, a ']' right after "[" or "[!" is literal.
      size_t j = i;
      if (j < n && p[j] == U'!') ++j;
      if (j < n && p[j] == U']') ++j;
      while (j < n && p[j] != U']') ++j;
      if (j >= n) {
        tokens_.push_back(Token{Token::Kind::kLiteral, U'[', false, {}});
        continue;
      }
      Token set{Token::Kind::kSet, 0, false, {}};
      size_t k = i;
      if (p[k] == U'!') {
        set.negated = true;
        ++k;
      }
      while (k < j) {
        if (k + 2 < j && p[k + 1] == U'-') {
          set.ranges.push_back({p[k], p[k + 2]});
          k += 3;
        } else {
          set.ranges.push_back({p[k], p[k]});
          ++k;
        }
      }
      tokens_.push_back(std::move(set));
      i = j + 1;
    } else {
      tokens_.push_back(Token{Token::Kind::kLiteral, c, false, {}});
    }
  }
}

bool Glob::MatchToken(const Token& token, char32_t c) const {
  switch (token.kind) {
    case Token::Kind::kLiteral:
      return token.ch == c;
    case Token::Kind::kAny:
      return true;
    case Token::Kind::kSet: {
      bool in = false;
      for (const auto& r : token.ranges) in = in || (r.first <= c && c <= r.last);
      return in != token.negated;
    }
    case Token::Kind::kStar:
      return false;
  }
  return false;
}

bool Glob::Match(std::string_view text) const {
  const std::u32string s = DecodeUtf8(text);
  // Greedy with backtracking to the last star: linear in practice, no recursion.
  size_t t = 0, i = 0;
  size_t star = std::u32string::npos, star_i = 0;
  while (i < s.size()) {
    if (t < tokens_.size() && tokens_[t].kind == Token::Kind::kStar) {
      star = ++t;
      star_i = i;
    } else if (t < tokens_.size() && MatchToken(tokens_[t], s[i])) {
      ++t;
      ++i;
    } else if (star != std::u32string::npos) {
      t = star;
      i = ++star_i;
    } else {
      return false;
    }
  }
  while (t < tokens_.size() && tokens_[t].kind == Token::Kind::kStar) ++t;
  return t == tokens_.size();
}

std::vector<std::string> Glob::LiteralRuns() const {
  std::vector<std::string> runs;
  std::u32string run;
  auto flush = [&] {
    if (run.empty()) return;
    std::string utf8;
    for (const char32_t c : run) {
      if (c < 0x80) {
        utf8 += static_cast<char>(c);
      } else {
        utf8 += '\x80';  // a marker: callers only want ASCII runs
      }
    }
    runs.push_back(std::move(utf8));
    run.clear();
  };
  for (const auto& token : tokens_) {
    if (token.kind == Token::Kind::kLiteral) {
      run += token.ch;
    } else {
      flush();
    }
  }
  flush();
  return runs;
}

bool Glob::OnlyStars() const {
  for (const auto& token : tokens_) {
    if (token.kind == Token::Kind::kAny || token.kind == Token::Kind::kSet) return false;
  }
  return true;
}

}  // namespace torque::rtorrent
