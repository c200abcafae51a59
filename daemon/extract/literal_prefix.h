// LiteralPrefix: the literal text every match of a rule starts with, when the
// pattern says so plainly: `(?i)\berr(?:or)?...` starts with "err" (any case),
// `\bonEnterRoom\s*...` with "onEnterRoom", `】(?:...)` with "】".
//
// Why: a rule whose matches must start at such a literal does not need an
// unanchored RE2 search over the whole line (a DFA pass over every byte, about
// 1.5 ns each). The LineScanner finds the literal's occurrences with memchr and
// runs RE2 anchored at each one; an anchored search stops a few bytes in when
// the text does not fit. Since RE2 reports the leftmost match, and every match
// starts at an occurrence, trying the occurrences from the left in order gives
// the same match as the unanchored search (RE2 sees the whole line as context,
// so \b and ^ are judged the same way).
//
// The analysis is conservative: it reads only a leading run of flag groups
// (`(?i)`, `(?-i)`, ...), zero-width assertions (\b, \B, ^, \A) and plain
// literal characters, stops at anything else, drops a character that a
// quantifier follows, and gives up on a pattern with a top-level `|`. Under
// case folding it stops before a letter RE2 also folds to a non-ASCII
// character (k: KELVIN SIGN, s: LATIN SMALL LETTER LONG S) and before any
// non-ASCII character that has case. No prefix (empty) means "use the
// unanchored search".
//
// Value type; thread-safe to share once built.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace errpulse {

struct LiteralPrefix {
  std::string text;         // lower-cased when `fold_case`; empty: none
  bool fold_case = false;   // ASCII letters match either case

  bool usable() const { return !text.empty(); }
  // The first position at or after `from` where `text` occurs in `line`
  // (line.size() when none).
  size_t Find(std::string_view line, size_t from) const;
  // Whether the literal occurs at `at` (at least text.size() readable bytes).
  bool At(const char* at) const;
};

LiteralPrefix LiteralPrefixOf(std::string_view pattern);

}  // namespace errpulse
