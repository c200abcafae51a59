// LineScanner: finds error codes in a chunk of complete log lines.
//
// Scans the buffer, not lines (the way ripgrep does). The AtomPrefilter finds
// the next literal some rule needs ("code", "err", ...) with a SIMD scan. An
// atom inside a rule's literal is first checked as that literal, with the
// bytes that must follow it (required_literal.h): the "code" of
// "setVideoEncoderParam" is taken by no rule, so the scan just goes on
// without looking at its line. On a line where some literal is taken, the
// rules its atoms allow run, each only where its literal is taken: anchored
// at it, or at the few starts its lead allows (then RE2 stays on its one-pass
// engine), or, for a lead of unknown lengths, unanchored from just before it.
// Most lines hold no atom and cost a few cycles per 32 bytes. When the rules
// have no usable atoms (a user rule that could match any text), one RE2
// search with the union of the rules' patterns finds the next candidate line
// instead. Lines are std::string_view slices of the chunk, so nothing is
// allocated per line.
//
// A line yields at most one Match: of all accepted matches of all rules, the
// one whose code starts leftmost (ties go to the rule listed first). A match is
// not accepted when a `reject` group took part, when its code does not parse,
// when the code is in the rule's `ignore_codes`, or when the rule's
// `reject_before` matches the text just before it or its `reject_after` the
// text just after it (each run only when the byte next to the match can end /
// start one of its matches); the search then continues after it on the same
// line.
//
// Ownership: shares the RuleSet (kept alive by the shared_ptr). Immutable
// after construction; Scan() is const and thread-safe.
#pragma once

#include <memory>
#include <string_view>
#include <vector>

#include "extract/atom_prefilter.h"
#include "extract/required_literal.h"
#include "extract/match.h"
#include "extract/rule_set.h"

namespace errpulse {

class LineScanner {
 public:
  // `rule_indices`: which rules of `rules` apply (a source may restrict them).
  LineScanner(std::shared_ptr<const RuleSet> rules, std::vector<int> rule_indices);

  bool ok() const { return union_ != nullptr && union_->ok(); }
  const std::string& error() const;

  // Calls `on_match(const Match&)` for every line of `chunk` that reports a
  // code. `chunk` holds complete lines separated by '\n'; its last line may
  // lack the newline.
  template <typename OnMatch>
  void Scan(std::string_view chunk, OnMatch&& on_match) const {
    size_t pos = 0;
    Match match;
    AtomPrefilter::Cursor atoms(chunk, 0);
    while (pos < chunk.size()) {
      std::string_view line;
      size_t line_start = 0;
      uint64_t rules = 0;
      size_t first_atom = 0;
      if (!NextCandidateLine(chunk, pos, &atoms, &line, &line_start, &rules, &first_atom)) return;
      if (rules != 0 && EvaluateRules(line, rules, /*optimised=*/true, first_atom, &match)) {
        match.line_offset = line_start;
        on_match(static_cast<const Match&>(match));
      }
      pos = line_start + line.size() + 1;
    }
  }

  // The per-line decision on its own: every rule, no atom prefilter, but
  // rules with a required literal searched from near it (as Scan does).
  bool EvaluateLine(std::string_view line, Match* match) const {
    return EvaluateRules(line, ~uint64_t{0}, /*optimised=*/true, 0, match);
  }
  // The reference the optimisations are checked against (tests, fuzzing):
  // every rule searched over the whole line with plain RE2, one after another.
  bool EvaluateLineUnoptimised(std::string_view line, Match* match) const {
    return EvaluateRules(line, ~uint64_t{0}, /*optimised=*/false, 0, match);
  }
  // Whether the atom prefilter is in use (else the union regex).
  bool prefiltered() const { return prefilter_.usable(); }

  const std::vector<int>& rule_indices() const { return rule_indices_; }

 private:
  // Finds the first line at or after `pos` that could match, which rules
  // could (bit i: rule_indices()[i]), and where in it the first atom is (0
  // when unknown). `atoms` walks the chunk's atoms from call to call.
  bool NextCandidateLine(std::string_view chunk, size_t pos, AtomPrefilter::Cursor* atoms,
                         std::string_view* line, size_t* line_start, uint64_t* rules,
                         size_t* first_atom) const;
  // Runs the rules in `rules` (bit i: rule_indices()[i]) over `line`.
  // `optimised`: search rules with a required literal only near it, and stop
  // a rule's search where it can no longer beat the best code found so far.
  // `first_atom`: no atom occurs before this offset in `line`, so a literal
  // that contains an atom cannot occur much before it either.
  bool EvaluateRules(std::string_view line, uint64_t rules, bool optimised, size_t first_atom,
                     Match* match) const;

  std::shared_ptr<const RuleSet> rules_;
  std::vector<int> rule_indices_;
  AtomPrefilter prefilter_;     // when usable: finds candidate lines
  std::vector<RequiredLiteral> required_literals_;  // by position in rule_indices_
  // By position in rule_indices_: where in its literal an atom starts (the
  // least such offset), or SIZE_MAX when the literal holds no atom.
  std::vector<size_t> atom_in_literal_;
  // By atom: the rules whose literal holds it, and where.
  struct AtomInLiteral {
    size_t rule_position;  // in rule_indices_
    size_t offset;         // of the atom in the literal
  };
  std::vector<std::vector<AtomInLiteral>> literals_holding_atom_;
  // Bit a: every rule atom a matters to holds it in its literal, so an
  // occurrence of the atom that none of those literals takes can be passed by.
  uint32_t checkable_atoms_ = 0;
  // Fills literals_holding_atom_, atom_in_literal_ and checkable_atoms_
  // (prefilter usable).
  void IndexAtomsInLiterals();
  // Whether no rule can use the atoms `starting` at `at` in `chunk`.
  bool NoRuleTakes(std::string_view chunk, size_t at, uint32_t starting) const;
  std::unique_ptr<RE2> union_;  // otherwise: any rule could match here
};

// The union prefilter pattern for `rules`: each pattern with its named groups
// made non-capturing, joined by '|', in multi-line mode. Exposed for tests.
std::string UnionPattern(const RuleSet& rules, const std::vector<int>& rule_indices);

}  // namespace errpulse
