// PatternWidth: what an RE2 pattern, or each item at its top level, can
// match, read from its syntax alone: at most how many bytes, which lengths,
// whether the empty string, which bytes at offsets 0-2 from the start, and
// which byte at the end. Users:
// - the LineScanner's search window (a rule whose matches hold a literal at
//   most N bytes after their start is searched only from there; see
//   required_literal.h) and `reject_before` (checked only on the bytes just
//   before a match, so its pattern must be bounded): widths;
// - RequiredLiteral: the lengths of what comes before a rule's literal (the
//   few positions a match can start at), and the bytes that must follow the
//   literal ("code" in "EncoderParam" is followed by 'r'; code_key needs a
//   quote, a space, ':' or '=' there);
// - the reject patterns: run only where the byte next to a match can end
//   (reject_before) or start (reject_after) one of their matches.
//
// Conservative by construction: anything the parser does not know (\Q...\E,
// back-references, a malformed repeat) makes the answer "unbounded" or
// "unknown", which only costs speed. Widths are UTF-8 bytes: `.`, negated
// classes, \D \W \S \pN and non-ASCII characters count 4; under (?i) an ASCII
// 'k' counts 3 and 's' 2 (RE2 folds them to U+212A and U+017F), and classes
// with letters and \w count 4. First bytes are a superset: exact for ASCII
// characters, ASCII classes and \d \s \w (with both ASCII cases under (?i),
// and E2 / C5 for what 'k' and 's' fold to), every byte for anything else;
// ^ $ \b \B are empty (they consume nothing). A character of several bytes
// has UTF-8 continuation bytes after its first and ends with a byte >= 0x80.
//
// Pure functions; thread-safe.
#pragma once

#include <array>
#include <bitset>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace errpulse {

inline constexpr size_t kUnboundedWidth = SIZE_MAX;

using ByteSet = std::bitset<256>;
// Bit n set: n bytes is a possible match length (a superset; only lengths
// below 64 are recorded, so it is meaningful for items narrower than that).
using LengthSet = uint64_t;
// Bytes by offset: [k] holds the bytes that can be at offset k of a match
// longer than k (a superset). Three offsets are tracked.
inline constexpr size_t kByteDepth = 3;
using BytesAt = std::array<ByteSet, kByteDepth>;

// One item of a pattern's top-level concatenation.
struct PatternItem {
  size_t max_width = 0;   // kUnboundedWidth when unbounded
  std::string literal;    // a plain character (UTF-8), lower-cased when `fold`; else empty
  bool fold = false;      // under (?i): ASCII letters match either case
  bool quantified = false;  // a quantifier follows: the character may be absent or repeated
  bool nullable = false;  // it can match the empty string
  BytesAt bytes_at;       // [0]: the bytes a non-empty match of it can start with
  LengthSet lengths = 0;  // the byte lengths its matches can have
  ByteSet last_bytes;     // the bytes a non-empty match of it can end with (a superset)
};

// What items[begin, end) match one after another: their lengths and bytes by
// offset.
struct SequenceShape {
  LengthSet lengths = 1;  // the empty sequence: length 0
  BytesAt bytes_at{};
};
SequenceShape ShapeOfSequence(const std::vector<PatternItem>& items, size_t begin, size_t end);

// The top-level items of `pattern`, or nullopt when it has a top-level `|`
// or something the parser does not understand.
std::optional<std::vector<PatternItem>> TopLevelItems(std::string_view pattern);

// The most bytes a match of `pattern` can span (kUnboundedWidth if unbounded
// or unknown).
size_t MaxMatchBytes(std::string_view pattern);

// {a + b : a in x, b in y}: the lengths of one thing followed by another.
LengthSet SumOfLengths(LengthSet x, LengthSet y);

// The bytes a non-empty match of `pattern` can start with, and by offset
// (every byte when the parser does not understand it).
ByteSet FirstBytes(std::string_view pattern);
BytesAt BytesByOffset(std::string_view pattern);

// Whether `pattern` can match the empty string (also when the parser does
// not understand it), and the bytes its non-empty matches can start and end
// with. `reject_before` / `reject_after` are only run where those fit.
struct PatternEnds {
  bool may_be_empty = true;
  ByteSet first;
  ByteSet last;
};
PatternEnds EndsOf(std::string_view pattern);

}  // namespace errpulse
