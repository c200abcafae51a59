// AtomPrefilter: finds the lines that could match any rule without running a
// regex over the others, the way ripgrep and Hyperscan do: every rule needs
// some literal text to match ("code", "err", "onenterroom", "】" ...), so a
// line holding none of them is skipped at the speed of a SIMD byte scan.
//
// The literals ("atoms") and which combinations of them each rule needs come
// from RE2 itself (re2::FilteredRE2, min atom length 3), so a rule a user adds
// is prefiltered too, or, if RE2 finds no atom for it, the prefilter says it
// is not usable and the LineScanner keeps its regex-only path. Atoms are
// lower-case; they are found case-insensitively for ASCII letters and
// byte-exactly otherwise, which is why an atom with a non-ASCII character
// that has case makes the prefilter unusable (see IsCaselessAtom).
//
// For a candidate line it also says which rules can match there (RulesFor),
// from the set of atoms present in the line, so a JSON response line runs
// two rules, not six.
//
// Ownership: owns its tables. Immutable after construction; the const methods
// are thread-safe and allocate nothing.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "extract/byte_prefix8.h"

namespace errpulse {

class AtomPrefilter {
 public:
  // `patterns`: the rules' RE2 patterns, in rule order.
  explicit AtomPrefilter(const std::vector<std::string>& patterns);

  // False when some rule has no atom (it could match any line), when there
  // are too many atoms or rules, or when an atom has a cased non-ASCII letter.
  bool usable() const { return usable_; }
  const std::vector<std::string>& atoms() const { return atoms_; }

  // Where atoms start in a text, in order: the SIMD block scan's candidate
  // positions are kept between calls, so walking from atom to atom scans
  // each byte once (restarting the scan after each atom did it again from
  // the next byte: ~15% more scan time on logs full of "code" and "err").
  class Cursor {
   public:
    Cursor(std::string_view text, size_t from) : text_(text), block_(from) {}
    // Goes on from `pos` (at or after the last position returned).
    void SkipTo(size_t pos) {
      if (loaded_ && pos >= block_ && pos - block_ < 32) {
        candidates_ &= ~((uint32_t{1} << (pos - block_)) - 1);  // drop those before pos
      } else {
        block_ = pos;
        candidates_ = 0;
        loaded_ = false;
      }
    }

   private:
    friend class AtomPrefilter;
    std::string_view text_;
    size_t block_;       // the first of the 32 positions `candidates_` covers
    uint32_t candidates_ = 0;  // bit j: block_ + j may start an atom, not yet looked at
    bool loaded_ = false;      // candidates_ holds block_'s mask
    alignas(32) uint8_t buckets_[32];  // [j]: the atoms whose prefix is at block_ + j
  };
  // The next position of `cursor`'s text where an atom starts (text size when
  // none); `starting` (when given) gets the atoms that start there (bit i:
  // atoms()[i]).
  size_t NextAtom(Cursor* cursor, uint32_t* starting = nullptr) const;
  // The first position at or after `from` in `text` where an atom starts.
  size_t FindAtom(std::string_view text, size_t from, uint32_t* starting = nullptr) const {
    Cursor cursor(text, from);
    return NextAtom(&cursor, starting);
  }
  // Bit i set: atoms()[i] occurs in `line`.
  uint32_t AtomsIn(std::string_view line) const;
  // Bit r set: rule r (index into the patterns) can match a line holding
  // exactly the atoms in `atom_mask`.
  uint64_t RulesFor(uint32_t atom_mask) const { return rules_by_atoms_[atom_mask]; }
  // Bit r set: whether rule r can match depends on atoms()[atom] for some
  // combination of the other atoms.
  uint64_t RulesNeeding(size_t atom) const;

  static constexpr size_t kMaxAtoms = 12;  // 4096 atom combinations
  static constexpr size_t kMaxRules = 64;

  // The needle table: the first three bytes of each atom, with the bits that
  // case-folding ignores (0x20 for ASCII letters, else 0).
  struct Needles {
    size_t count = 0;
    std::array<std::array<uint8_t, 3>, kMaxAtoms> bytes{};
    std::array<std::array<uint8_t, 3>, kMaxAtoms> fold{};
    // Teddy tables (Hyperscan's and ripgrep's SIMD literal search), when there
    // are at most 8 needles: for each of the three byte positions, the needles
    // (one bit each) whose byte there has a given low / high nibble. A byte
    // passes for a needle when both its nibbles do; with one needle per bit
    // that is exactly the byte or its other ASCII case, as the plain scan.
    // Each table is stored twice over (32 bytes) because AVX2's byte shuffle
    // looks up within each 128-bit lane.
    bool teddy = false;
    alignas(32) std::array<std::array<uint8_t, 32>, 3> low_nibble{};
    alignas(32) std::array<std::array<uint8_t, 32>, 3> high_nibble{};
  };

 private:
  // The positions block..block+31 of `text` whose first three bytes match a
  // needle (candidates to verify), as bits.
  // `buckets` (32 bytes) gets which needles match at each (see Needles).
  uint32_t CandidatesAt(std::string_view text, size_t block, uint8_t* buckets) const;
  bool AtomAt(size_t atom, std::string_view text, size_t at) const;

  bool usable_ = false;
  std::vector<std::string> atoms_;
  std::vector<BytePrefix8> atom_prefixes_;  // by atom: its first bytes as one compare
  bool buckets_filled_ = false;  // the block scan says which needles match where
  uint32_t all_atoms_ = 0;       // bit i: atoms()[i], for each i
  Needles needles_;  // the first three bytes of every atom
  std::vector<uint64_t> rules_by_atoms_;   // 2^atoms entries
};

// True when `atom` (lower-case UTF-8) has no character whose case could
// differ in the text: ASCII, or code points U+3000..U+9FFF (CJK punctuation,
// kana, ideographs), which have no case.
bool IsCaselessAtom(std::string_view atom);

}  // namespace errpulse
