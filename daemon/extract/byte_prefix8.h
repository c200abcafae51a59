// BytePrefix8: the first (up to) eight bytes of a literal as one 64-bit
// compare, with ASCII letters matching either case when asked. The atom scan
// and the literal checks verify millions of candidate positions a second
// (every "code" and "err" in a log); a byte-by-byte loop with case folding
// was the largest part of that.
//
// Value type; thread-safe to share once built.
#pragma once

#include <cstdint>
#include <cstring>
#include <string_view>

namespace errpulse {

struct BytePrefix8 {
  uint64_t want = 0;  // the bytes, lower-case letters when folded
  uint64_t fold = 0;  // 0x20 in the bytes that are folded letters
  uint64_t mask = 0;  // 0xFF in the bytes compared; zero: not built

  // `text` in lower case when `fold_letters` (letters then match either case).
  static BytePrefix8 Of(std::string_view text, bool fold_letters) {
    BytePrefix8 prefix;
    for (size_t k = 0; k < text.size() && k < 8; ++k) {
      const auto c = static_cast<unsigned char>(text[k]);
      const bool letter = fold_letters && c >= 'a' && c <= 'z';
      prefix.want |= uint64_t{c} << (8 * k);
      prefix.fold |= uint64_t{letter ? 0x20u : 0u} << (8 * k);
      prefix.mask |= uint64_t{0xFF} << (8 * k);
    }
    return prefix;
  }

  bool built() const { return mask != 0; }
  // Whether the bytes at `p` (eight readable) begin with the literal.
  bool MatchesAt(const char* p) const {
    uint64_t v;
    std::memcpy(&v, p, sizeof v);  // little-endian: p[k] is byte k
    return ((v | fold) & mask) == want;
  }
};

}  // namespace errpulse
