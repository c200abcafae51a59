#include "extract/required_literal.h"

#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "extract/ascii_case.h"
#include "extract/pattern_width.h"

namespace errpulse {
namespace {

// A literal can be searched for with ASCII case folding only: under (?i) 'k'
// and 's' also match non-ASCII characters, so they end a run.
bool Searchable(const PatternItem& item) {
  if (item.literal.empty() || item.quantified) return false;
  return !(item.fold && (item.literal == "k" || item.literal == "s"));
}

}  // namespace

RequiredLiteral RequiredLiteralOf(std::string_view pattern) {
  RequiredLiteral found;
  const auto items = TopLevelItems(pattern);
  if (!items) return found;
  size_t lead = 0;  // the most bytes the items before the current run can match
  std::string run;
  bool run_folds = false;
  size_t run_width = 0;
  auto qualifies = [&] { return !run.empty() && (lead == 0 || run.size() >= 3); };
  size_t after_run = items->size();  // the first item after the literal
  size_t run_begin = 0;              // its first item
  for (size_t i = 0; i < items->size(); ++i) {
    const PatternItem& item = (*items)[i];
    if (Searchable(item)) {
      if (run.empty()) run_begin = i;
      run += item.literal;
      run_folds = run_folds || item.fold;
      run_width += item.max_width;
      continue;
    }
    if (qualifies()) {
      after_run = i;
      break;
    }
    lead = lead == kUnboundedWidth || item.max_width == kUnboundedWidth
               ? kUnboundedWidth
               : lead + run_width + item.max_width;
    if (lead == kUnboundedWidth) return found;
    run.clear();
    run_folds = false;
    run_width = 0;
  }
  if (!qualifies()) return found;
  found.text = run_folds ? AsciiLowered(std::move(run)) : std::move(run);
  found.fold_case = run_folds;
  found.prefix8 = BytePrefix8::Of(found.text, run_folds);
  found.max_lead = lead;
  if (lead > 0 && lead < 64) {  // where a match may start: see CanStartAt
    found.lead_lengths = 1;
    for (size_t i = 0; i < run_begin; ++i)
      found.lead_lengths = SumOfLengths(found.lead_lengths, (*items)[i].lengths);
    found.first_bytes = FirstBytes(pattern);
  }
  // What can come right after the literal: the rest of the pattern's bytes
  // by offset, as far as its shortest match reaches.
  const SequenceShape rest = ShapeOfSequence(*items, after_run, items->size());
  const size_t shortest =
      rest.lengths == 0 ? 64 : static_cast<size_t>(__builtin_ctzll(rest.lengths));
  found.checked_next = shortest < kByteDepth ? shortest : kByteDepth;
  found.next_bytes = rest.bytes_at;
  return found;
}

bool RequiredLiteral::Takes(std::string_view line, size_t at) const {
  if (at > line.size() || line.size() - at < text.size()) return false;
  if (prefix8.built() && line.size() - at >= 8) {
    if (!prefix8.MatchesAt(line.data() + at) || (text.size() > 8 && !At(line.data() + at)))
      return false;
  } else if (!At(line.data() + at)) {
    return false;
  }
  const size_t next = at + text.size();
  if (line.size() - next < checked_next) return false;  // the match would not fit
  for (size_t k = 0; k < checked_next; ++k)
    if (!next_bytes[k][static_cast<unsigned char>(line[next + k])]) return false;
  return true;
}

bool RequiredLiteral::CanStartAt(std::string_view line, size_t p) const {
  if (p >= line.size() || !first_bytes[static_cast<unsigned char>(line[p])]) return false;
  for (LengthSet lengths = lead_lengths; lengths != 0; lengths &= lengths - 1) {
    const size_t at = p + static_cast<size_t>(__builtin_ctzll(lengths));
    if (at + text.size() > line.size()) return false;  // longer leads do not fit either
    if (Takes(line, at)) return true;
  }
  return false;
}

bool RequiredLiteral::At(const char* at) const {
  if (!fold_case) return std::memcmp(at, text.data(), text.size()) == 0;
  for (size_t k = 0; k < text.size(); ++k)
    if (AsciiLower(static_cast<unsigned char>(at[k])) != static_cast<unsigned char>(text[k]))
      return false;
  return true;
}

size_t RequiredLiteral::Find(std::string_view line, size_t from) const {
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
      if (Takes(line, hit)) return hit;
    }
  }
#endif
  for (; at <= last; ++at)
    if (Takes(line, at)) return at;
  return line.size();
}

}  // namespace errpulse
