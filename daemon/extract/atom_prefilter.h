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

namespace errpulse {

class AtomPrefilter {
 public:
  // `patterns`: the rules' RE2 patterns, in rule order.
  explicit AtomPrefilter(const std::vector<std::string>& patterns);

  // False when some rule has no atom (it could match any line), when there
  // are too many atoms or rules, or when an atom has a cased non-ASCII letter.
  bool usable() const { return usable_; }
  const std::vector<std::string>& atoms() const { return atoms_; }

  // The first position at or after `from` in `text` where an atom starts
  // (text.size() when none); `starting` (when given) gets the atoms that
  // start there (bit i: atoms()[i]).
  size_t FindAtom(std::string_view text, size_t from, uint32_t* starting = nullptr) const;
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
  // Positions whose first three bytes match a needle (candidates to verify).
  size_t FindPrefix(const Needles& needles, std::string_view text, size_t from) const;
  bool AtomAt(size_t atom, std::string_view text, size_t at) const;

  bool usable_ = false;
  std::vector<std::string> atoms_;
  Needles needles_;  // the first three bytes of every atom
  std::vector<uint64_t> rules_by_atoms_;   // 2^atoms entries
};

// True when `atom` (lower-case UTF-8) has no character whose case could
// differ in the text: ASCII, or code points U+3000..U+9FFF (CJK punctuation,
// kana, ideographs), which have no case.
bool IsCaselessAtom(std::string_view atom);

}  // namespace errpulse
