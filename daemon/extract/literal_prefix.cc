#include "extract/literal_prefix.h"

#include <cctype>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace errpulse {
namespace {

bool IsAsciiLetter(unsigned char c) { return (c | 0x20) >= 'a' && (c | 0x20) <= 'z'; }
unsigned char Lower(unsigned char c) { return IsAsciiLetter(c) ? (c | 0x20) : c; }

// True when `pattern` has a `|` outside any group, class or escape.
bool HasTopLevelAlternation(std::string_view pattern) {
  int depth = 0;
  bool in_class = false;
  for (size_t i = 0; i < pattern.size(); ++i) {
    const char c = pattern[i];
    if (c == '\\') {
      ++i;
      continue;
    }
    if (in_class) {
      if (c == ']') in_class = false;
      continue;
    }
    if (c == '[') {
      in_class = true;
      if (i + 1 < pattern.size() && pattern[i + 1] == '^') ++i;
      if (i + 1 < pattern.size() && pattern[i + 1] == ']') ++i;  // a literal ']' first
    } else if (c == '(') {
      ++depth;
    } else if (c == ')') {
      --depth;
    } else if (c == '|' && depth == 0) {
      return true;
    }
  }
  return false;
}

// Reads `(?flags)` at `i`; updates `fold_case`. False when not a flag group.
bool ReadFlagGroup(std::string_view p, size_t* i, bool* fold_case) {
  if (p.substr(*i, 2) != "(?") return false;
  bool negate = false, fold = *fold_case;
  for (size_t j = *i + 2; j < p.size(); ++j) {
    const char c = p[j];
    if (c == ')') {
      *fold_case = fold;
      *i = j + 1;
      return true;
    }
    if (c == '-' && !negate) {
      negate = true;
    } else if (c == 'i') {
      fold = !negate;
    } else if (c != 'm' && c != 's' && c != 'U') {
      return false;  // `(?:`, `(?P<`, `(?i:` ...: not a bare flag group
    }
  }
  return false;
}

size_t Utf8Length(unsigned char lead) {
  return lead < 0x80 ? 1 : lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
}

// Code points U+3000..U+9FFF (CJK punctuation, kana, ideographs) have no case.
bool CaselessNonAscii(std::string_view ch) {
  if (ch.size() != 3) return false;
  const auto b0 = static_cast<unsigned char>(ch[0]);
  return b0 >= 0xE3 && b0 <= 0xE9;
}

bool IsQuantifier(char c) { return c == '*' || c == '+' || c == '?' || c == '{'; }

}  // namespace

LiteralPrefix LiteralPrefixOf(std::string_view p) {
  LiteralPrefix prefix;
  if (HasTopLevelAlternation(p) || p.find("\\Q") != std::string_view::npos) return prefix;
  size_t i = 0;
  bool fold = false;
  // Leading flag groups and zero-width assertions.
  for (;;) {
    if (ReadFlagGroup(p, &i, &fold)) continue;
    if (i < p.size() && p[i] == '^') {
      ++i;
      continue;
    }
    if (i + 1 < p.size() && p[i] == '\\' && (p[i + 1] == 'b' || p[i + 1] == 'B' || p[i + 1] == 'A')) {
      i += 2;
      continue;
    }
    break;
  }
  std::string text;
  while (i < p.size()) {
    std::string ch;
    size_t next = i;
    const auto c = static_cast<unsigned char>(p[i]);
    if (c == '\\') {
      if (i + 1 >= p.size()) break;
      const auto e = static_cast<unsigned char>(p[i + 1]);
      if (e >= 0x80 || std::isalnum(e)) break;  // \d \w \x41 \pN ...: not a plain literal
      ch.assign(1, static_cast<char>(e));
      next = i + 2;
    } else if (std::strchr(".[](){}|*+?^$", c) != nullptr) {
      break;
    } else {
      const size_t n = Utf8Length(c);
      if (i + n > p.size()) break;
      ch.assign(p.substr(i, n));
      next = i + n;
    }
    if (next < p.size() && IsQuantifier(p[next])) break;  // this character may be absent
    if (fold) {
      const auto b = static_cast<unsigned char>(ch[0]);
      if (b >= 0x80 && !CaselessNonAscii(ch)) break;
      if (Lower(b) == 'k' || Lower(b) == 's') break;  // RE2 folds these to U+212A, U+017F
      ch[0] = static_cast<char>(Lower(b));
    }
    text += ch;
    i = next;
  }
  bool has_letter = false;
  for (unsigned char c : text) has_letter = has_letter || IsAsciiLetter(c);
  prefix.text = std::move(text);
  prefix.fold_case = fold && has_letter;
  return prefix;
}

bool LiteralPrefix::At(const char* at) const {
  if (!fold_case) return std::memcmp(at, text.data(), text.size()) == 0;
  for (size_t k = 0; k < text.size(); ++k)
    if (Lower(static_cast<unsigned char>(at[k])) != static_cast<unsigned char>(text[k]))
      return false;
  return true;
}

size_t LiteralPrefix::Find(std::string_view line, size_t from) const {
  const size_t n = text.size();
  if (n == 0 || line.size() < n || from > line.size() - n) return line.size();
  const char* const data = line.data();
  const size_t last = line.size() - n;  // the last position the literal fits at
  size_t at = from;
#if defined(__SSE2__)
  // 16 positions at a time: the first (up to) three bytes, ASCII letters
  // folded by or-ing 0x20, compared at once; hits are then checked whole.
  const size_t k = n < 3 ? n : 3;
  __m128i fold[3], want[3];
  for (size_t j = 0; j < 3; ++j) {
    const auto c = static_cast<unsigned char>(text[j < k ? j : 0]);
    const bool letter = fold_case && IsAsciiLetter(c);
    fold[j] = _mm_set1_epi8(static_cast<char>(letter ? 0x20 : 0));
    want[j] = _mm_set1_epi8(static_cast<char>(c));
  }
  for (; at + 16 + k - 1 <= line.size(); at += 16) {
    __m128i hits = _mm_set1_epi8(static_cast<char>(0xFF));
    for (size_t j = 0; j < k; ++j) {
      const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(data + at + j));
      hits = _mm_and_si128(hits, _mm_cmpeq_epi8(_mm_or_si128(v, fold[j]), want[j]));
    }
    for (unsigned mask = static_cast<unsigned>(_mm_movemask_epi8(hits)); mask != 0;
         mask &= mask - 1) {
      const size_t hit = at + static_cast<size_t>(__builtin_ctz(mask));
      if (hit > last) return line.size();
      if (At(data + hit)) return hit;
    }
  }
#endif
  for (; at <= last; ++at)
    if (At(data + at)) return at;
  return line.size();
}

}  // namespace errpulse
