// RequiredLiteral: literal text every match of a rule holds, at most
// `max_lead` bytes after the match's start, when the pattern says so plainly:
// `(?i)\berr(?:or)?...` starts with "err" (any case; max_lead 0),
// `\bonEnterRoom\s*...` with "onEnterRoom", `】(?:...)` with "】", and
// `(?i)["'\[]?\b(?:err(?:or)?[ _-]?)?code...` holds "code" within 7 bytes of
// its start.
//
// Why: an unanchored RE2 search runs its DFA over every byte from where it
// starts (about 1.5 ns each). Every match of such a rule starts at most
// max_lead bytes before an occurrence of the literal, so no match starts
// before (first occurrence - max_lead): the LineScanner starts its search
// there, and when the literal does not occur it does not search at all. With
// max_lead 0 a match starts exactly at an occurrence, so it runs RE2 anchored
// at each occurrence, which stops a few bytes in when the text does not fit.
// With a lead of known lengths (code_key's: 0, 1, 3-7 bytes), RE2 runs
// anchored at each start that reaches the literal (CanStartAt), in order.
// Either way the leftmost match is the one the plain search finds, and RE2
// sees the whole line as context, so \b and ^ are judged the same way.
//
// An occurrence is only taken when the bytes after it can start what the
// pattern needs next (`next_bytes`, from pattern_width.h's bytes by offset):
// code_key's "code" must be followed by a quote, a space, ':' or '=', so the
// "code" in "setVideoEncoderParam" (80% of SDK lines) costs no RE2 call, and
// error_negative_value's "err" by "or" or a separator, then a separator, so
// "ErrorInfo" and "ErrorCode" in REST responses cost none either. Every match
// holds the literal followed by such bytes, so skipping the other
// occurrences changes no result. Only as many bytes are checked as every
// match has after the literal (up to three).
//
// The analysis (pattern_width.h) reads the pattern's top-level items: the
// literal is the first run of plain, unquantified characters (three or more
// unless it starts the pattern) after items of bounded width. A top-level
// `|` or anything the parser does not know gives no literal (the plain
// search). Under (?i) the literal is found with ASCII case folding, so 'k'
// and 's' (which RE2 also folds to U+212A and U+017F) and non-ASCII letters
// with case end a run.
//
// Value type; thread-safe to share once built.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "extract/byte_prefix8.h"
#include "extract/pattern_width.h"

namespace errpulse {

struct RequiredLiteral {
  std::string text;         // lower-cased when `fold_case`; empty: none
  bool fold_case = false;   // ASCII letters match either case
  size_t max_lead = 0;      // bytes a match can have before the literal
  // An occurrence counts only if the k-th byte after it is in next_bytes[k],
  // for k < checked_next (what the rest of the pattern needs first).
  size_t checked_next = 0;
  BytesAt next_bytes{};
  // When max_lead is 1..63: the lengths the items before the literal can
  // have, and the bytes a match can start with (see CanStartAt).
  LengthSet lead_lengths = 0;
  ByteSet first_bytes;
  // The literal's first bytes as one compare (RequiredLiteralOf builds it;
  // without it the bytes are compared one by one).
  BytePrefix8 prefix8;

  // Whether a match can start at `p`: line[p] is one of first_bytes and the
  // literal is taken n bytes on, for some n in lead_lengths. A rule searched
  // by candidates runs RE2 anchored at such starts only (the leftmost match
  // starts at the first one that matches), not unanchored from max_lead bytes
  // before the literal: an anchored search of a one-pass pattern skips RE2's
  // forward and reverse DFA passes (code_key on a REST line: ~200 -> ~80 ns).
  bool SearchesByCandidates() const { return lead_lengths != 0; }
  bool CanStartAt(std::string_view line, size_t p) const;

  bool usable() const { return !text.empty(); }
  // The first position at or after `from` where `text` occurs in `line`
  // followed as next_bytes asks (line.size() when none).
  size_t Find(std::string_view line, size_t from) const;
  // Whether the literal occurs at `at` (at least text.size() readable bytes).
  bool At(const char* at) const;
  // Whether the literal occurs at `at` in `line` (whole), followed as
  // next_bytes asks.
  bool Takes(std::string_view line, size_t at) const;
};

RequiredLiteral RequiredLiteralOf(std::string_view pattern);

}  // namespace errpulse
