#include "extract/atom_prefilter.h"

#include <re2/filtered_re2.h>
#include <re2/re2.h>

#include <cstring>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace errpulse {
namespace {

uint8_t FoldBits(uint8_t c) { return (c >= 'a' && c <= 'z') ? 0x20 : 0; }

void AddNeedle(const std::string& atom, AtomPrefilter::Needles* needles) {
  const size_t n = needles->count++;
  for (size_t k = 0; k < 3; ++k) {
    const uint8_t c = static_cast<uint8_t>(atom[k]);
    needles->fold[n][k] = FoldBits(c);
    needles->bytes[n][k] = c | FoldBits(c);
  }
}

void BuildTeddyTables(AtomPrefilter::Needles* needles) {
  needles->teddy = needles->count <= 8;
  if (!needles->teddy) return;
  for (size_t n = 0; n < needles->count; ++n) {
    const auto bit = static_cast<uint8_t>(1u << n);
    for (size_t k = 0; k < 3; ++k) {
      const uint8_t c = needles->bytes[n][k];  // lower case when a letter
      for (size_t lane : {0, 16}) {
        needles->low_nibble[k][lane + (c & 0x0F)] |= bit;
        needles->high_nibble[k][lane + (c >> 4)] |= bit;
        if (needles->fold[n][k])  // the upper case
          needles->high_nibble[k][lane + ((c & ~0x20) >> 4)] |= bit;
      }
    }
  }
}

#if defined(__x86_64__)
// The needle masks of 32 positions starting at q (reads q[0..33]): for each
// needle three shifted loads, folded, compared, and-ed; bit j set when the
// three bytes at q + j match some needle.
__attribute__((target("avx2"))) inline __m256i FoldedEq32(__m256i v, uint8_t fold, uint8_t byte) {
  return _mm256_cmpeq_epi8(_mm256_or_si256(v, _mm256_set1_epi8(static_cast<char>(fold))),
                           _mm256_set1_epi8(static_cast<char>(byte)));
}

__attribute__((target("avx2"))) uint32_t BlockAvx2(const AtomPrefilter::Needles& needles,
                                                   const uint8_t* q) {
  const __m256i v0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(q));
  const __m256i v1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(q + 1));
  const __m256i v2 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(q + 2));
  __m256i any = _mm256_setzero_si256();
  for (size_t n = 0; n < needles.count; ++n) {
    const auto& b = needles.bytes[n];
    const auto& f = needles.fold[n];
    any = _mm256_or_si256(
        any, _mm256_and_si256(FoldedEq32(v0, f[0], b[0]),
                              _mm256_and_si256(FoldedEq32(v1, f[1], b[1]),
                                               FoldedEq32(v2, f[2], b[2]))));
  }
  return static_cast<uint32_t>(_mm256_movemask_epi8(any));
}

// The same result with Teddy's nibble lookups (Needles::teddy): per byte
// position two shuffles and two ands instead of three compares per needle.
// `buckets[j]` gets which needles (bit n: needle n) match at q + j, so only
// those atoms are verified.
__attribute__((target("avx2"))) uint32_t BlockTeddyAvx2(const AtomPrefilter::Needles& needles,
                                                        const uint8_t* q, uint8_t* buckets) {
  const __m256i low_bits = _mm256_set1_epi8(0x0F);
  __m256i all = _mm256_set1_epi8(static_cast<char>(0xFF));
  for (size_t k = 0; k < 3; ++k) {
    const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(q + k));
    const __m256i low_table =
        _mm256_load_si256(reinterpret_cast<const __m256i*>(needles.low_nibble[k].data()));
    const __m256i high_table =
        _mm256_load_si256(reinterpret_cast<const __m256i*>(needles.high_nibble[k].data()));
    const __m256i low = _mm256_shuffle_epi8(low_table, _mm256_and_si256(v, low_bits));
    const __m256i high =
        _mm256_shuffle_epi8(high_table, _mm256_and_si256(_mm256_srli_epi16(v, 4), low_bits));
    all = _mm256_and_si256(all, _mm256_and_si256(low, high));
  }
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(buckets), all);
  const __m256i none = _mm256_cmpeq_epi8(all, _mm256_setzero_si256());
  return ~static_cast<uint32_t>(_mm256_movemask_epi8(none));
}

// The same with SSE2 (every x86-64), two 16-position halves.
uint32_t BlockSse2(const AtomPrefilter::Needles& needles, const uint8_t* q) {
  uint32_t mask = 0;
  for (int half = 0; half < 2; ++half, q += 16) {
    const __m128i v0 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(q));
    const __m128i v1 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(q + 1));
    const __m128i v2 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(q + 2));
    __m128i any = _mm_setzero_si128();
    for (size_t n = 0; n < needles.count; ++n) {
      const auto& b = needles.bytes[n];
      const auto& f = needles.fold[n];
      auto eq = [](__m128i v, uint8_t fold, uint8_t byte) {
        return _mm_cmpeq_epi8(_mm_or_si128(v, _mm_set1_epi8(static_cast<char>(fold))),
                              _mm_set1_epi8(static_cast<char>(byte)));
      };
      any = _mm_or_si128(any, _mm_and_si128(eq(v0, f[0], b[0]),
                                            _mm_and_si128(eq(v1, f[1], b[1]), eq(v2, f[2], b[2]))));
    }
    mask |= static_cast<uint32_t>(_mm_movemask_epi8(any)) << (16 * half);
  }
  return mask;
}

const bool kHasAvx2 = __builtin_cpu_supports("avx2");

// `buckets` is filled (see BlockTeddyAvx2) only when Block says so.
bool FillsBuckets(const AtomPrefilter::Needles& needles) { return kHasAvx2 && needles.teddy; }

uint32_t Block(const AtomPrefilter::Needles& needles, const uint8_t* q, uint8_t* buckets) {
  if (!kHasAvx2) return BlockSse2(needles, q);
  return needles.teddy ? BlockTeddyAvx2(needles, q, buckets) : BlockAvx2(needles, q);
}
#else
bool NeedleAt(const AtomPrefilter::Needles& needles, size_t n, const uint8_t* p) {
  for (size_t k = 0; k < 3; ++k)
    if ((p[k] | needles.fold[n][k]) != needles.bytes[n][k]) return false;
  return true;
}

bool FillsBuckets(const AtomPrefilter::Needles&) { return false; }

uint32_t Block(const AtomPrefilter::Needles& needles, const uint8_t* q, uint8_t*) {
  uint32_t mask = 0;
  for (size_t j = 0; j < 32; ++j)
    for (size_t n = 0; n < needles.count; ++n)
      if (NeedleAt(needles, n, q + j)) mask |= uint32_t{1} << j;
  return mask;
}
#endif

// Decodes one UTF-8 code point at s[i] (the atoms come from RE2: valid UTF-8).
uint32_t DecodeUtf8(std::string_view s, size_t* i) {
  const uint8_t c = static_cast<uint8_t>(s[*i]);
  int extra = c >= 0xF0 ? 3 : c >= 0xE0 ? 2 : c >= 0xC0 ? 1 : 0;
  uint32_t cp = extra == 0 ? c : (c & (0x3F >> extra));
  ++*i;
  for (; extra > 0 && *i < s.size(); --extra, ++*i)
    cp = (cp << 6) | (static_cast<uint8_t>(s[*i]) & 0x3F);
  return cp;
}

}  // namespace

bool IsCaselessAtom(std::string_view atom) {
  for (size_t i = 0; i < atom.size();) {
    const uint32_t cp = DecodeUtf8(atom, &i);
    if (cp >= 0x80 && (cp < 0x3000 || cp > 0x9FFF)) return false;
  }
  return true;
}

AtomPrefilter::AtomPrefilter(const std::vector<std::string>& patterns) {
  if (patterns.empty() || patterns.size() > kMaxRules) return;
  re2::FilteredRE2 filter(3);
  RE2::Options options;
  options.set_log_errors(false);
  for (const auto& pattern : patterns) {
    int id = 0;
    if (filter.Add(pattern, options, &id) != RE2::NoError) return;
  }
  filter.Compile(&atoms_);
  if (atoms_.empty() || atoms_.size() > kMaxAtoms) return;
  for (const auto& atom : atoms_)
    if (atom.size() < 3 || !IsCaselessAtom(atom)) return;
  std::vector<int> potential;
  filter.AllPotentials({}, &potential);
  if (!potential.empty()) return;  // a rule that needs no atom: it could match any line

  rules_by_atoms_.assign(size_t{1} << atoms_.size(), 0);
  for (size_t mask = 0; mask < rules_by_atoms_.size(); ++mask) {
    std::vector<int> present;
    for (size_t a = 0; a < atoms_.size(); ++a)
      if (mask & (size_t{1} << a)) present.push_back(static_cast<int>(a));
    potential.clear();
    filter.AllPotentials(present, &potential);
    for (int rule : potential) rules_by_atoms_[mask] |= uint64_t{1} << rule;
  }
  for (const auto& atom : atoms_) {
    AddNeedle(atom, &needles_);
    atom_prefixes_.push_back(BytePrefix8::Of(atom, /*fold_letters=*/true));
  }
  BuildTeddyTables(&needles_);
  buckets_filled_ = FillsBuckets(needles_);
  all_atoms_ = (uint32_t{1} << atoms_.size()) - 1;
  usable_ = true;
}

uint32_t AtomPrefilter::CandidatesAt(std::string_view text, size_t block,
                                     uint8_t* buckets) const {
  const auto* p = reinterpret_cast<const uint8_t*>(text.data()) + block;
  if (block + 34 <= text.size()) return Block(needles_, p, buckets);  // a block reads 34 bytes
  // The rest (under 34 bytes) in a zero-padded copy: zero bytes match no
  // needle (atoms hold no NUL). Three bytes are read at each position, so
  // positions from size - 2 on are cut off.
  if (block + 3 > text.size()) return 0;
  alignas(32) uint8_t tail[64] = {};
  std::memcpy(tail, p, text.size() - block);
  const size_t positions = text.size() - 2 - block;  // under 32 here
  return Block(needles_, tail, buckets) & ((uint32_t{1} << positions) - 1);
}

size_t AtomPrefilter::NextAtom(Cursor* cursor, uint32_t* starting) const {
  const std::string_view text = cursor->text_;
  for (;;) {
    while (cursor->candidates_ == 0) {
      if (cursor->loaded_) cursor->block_ += 32;
      if (cursor->block_ >= text.size()) return text.size();
      cursor->candidates_ = CandidatesAt(text, cursor->block_, cursor->buckets_);
      cursor->loaded_ = true;
    }
    const auto j = static_cast<size_t>(__builtin_ctz(cursor->candidates_));
    const size_t at = cursor->block_ + j;
    cursor->candidates_ &= cursor->candidates_ - 1;
    // The atoms whose first three bytes are here (Teddy says which), else all.
    const uint32_t maybe = buckets_filled_ ? cursor->buckets_[j] : all_atoms_;
    uint32_t here = 0;
    for (uint32_t left = maybe; left != 0; left &= left - 1) {
      const auto a = static_cast<size_t>(__builtin_ctz(left));
      if (AtomAt(a, text, at)) here |= uint32_t{1} << a;
    }
    if (here != 0) {
      if (starting != nullptr) *starting = here;
      return at;
    }
  }
}

bool AtomPrefilter::AtomAt(size_t atom, std::string_view text, size_t at) const {
  const std::string& a = atoms_[atom];
  if (text.size() - at < a.size()) return false;
  if (text.size() - at >= 8) {
    if (!atom_prefixes_[atom].MatchesAt(text.data() + at)) return false;
    if (a.size() <= 8) return true;
  }
  for (size_t k = 0; k < a.size(); ++k) {
    const uint8_t c = static_cast<uint8_t>(a[k]);
    if ((static_cast<uint8_t>(text[at + k]) | FoldBits(c)) != (c | FoldBits(c))) return false;
  }
  return true;
}

uint64_t AtomPrefilter::RulesNeeding(size_t atom) const {
  uint64_t rules = 0;
  const size_t bit = size_t{1} << atom;
  for (size_t mask = 0; mask < rules_by_atoms_.size(); ++mask)
    if (!(mask & bit)) rules |= rules_by_atoms_[mask | bit] & ~rules_by_atoms_[mask];
  return rules;
}

uint32_t AtomPrefilter::AtomsIn(std::string_view line) const {
  uint32_t mask = 0, starting = 0;
  Cursor cursor(line, 0);
  while (NextAtom(&cursor, &starting) < line.size()) mask |= starting;
  return mask;
}

}  // namespace errpulse
