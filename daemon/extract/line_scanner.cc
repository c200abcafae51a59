#include "extract/line_scanner.h"

#include <algorithm>
#include <charconv>
#include <cstring>

#include "extract/ascii_case.h"

namespace errpulse {
namespace {

// Rewrites `(?P<name>` as `(?:` so patterns can be joined without duplicate
// group names, leaving escapes and character classes alone.
std::string StripGroupNames(const std::string& pattern) {
  std::string out;
  out.reserve(pattern.size());
  bool in_class = false;
  for (size_t i = 0; i < pattern.size(); ++i) {
    char c = pattern[i];
    if (c == '\\' && i + 1 < pattern.size()) {
      out += c;
      out += pattern[++i];
      continue;
    }
    if (in_class) {
      if (c == ']') in_class = false;
      out += c;
      continue;
    }
    if (c == '[') {
      in_class = true;
      out += c;
      if (i + 1 < pattern.size() && pattern[i + 1] == '^') out += pattern[++i];
      if (i + 1 < pattern.size() && pattern[i + 1] == ']') out += pattern[++i];
      continue;
    }
    if (pattern.compare(i, 4, "(?P<") == 0) {
      size_t close = pattern.find('>', i + 4);
      if (close != std::string::npos) {
        out += "(?:";
        i = close;
        continue;
      }
    }
    out += c;
  }
  return out;
}

bool ParseCode(re2::StringPiece text, int64_t* code) {
  const char* begin = text.data();
  const char* end = begin + text.size();
  if (begin != end && *begin == '+') ++begin;
  auto [last, ec] = std::from_chars(begin, end, *code);
  return ec == std::errc() && last == end && begin != end;
}

}  // namespace

std::string UnionPattern(const RuleSet& rules, const std::vector<int>& rule_indices) {
  std::string joined = "(?m)";
  for (size_t i = 0; i < rule_indices.size(); ++i) {
    if (i > 0) joined += '|';
    joined += "(?:" + StripGroupNames(rules.rules()[rule_indices[i]].pattern) + ")";
  }
  if (rule_indices.empty()) joined += "[^\\x00-\\x{10FFFF}]";  // matches nothing
  return joined;
}

static std::vector<std::string> Patterns(const RuleSet& rules,
                                         const std::vector<int>& rule_indices) {
  std::vector<std::string> patterns;
  for (int index : rule_indices) patterns.push_back(rules.rules()[index].pattern);
  return patterns;
}

LineScanner::LineScanner(std::shared_ptr<const RuleSet> rules, std::vector<int> rule_indices)
    : rules_(std::move(rules)),
      rule_indices_(std::move(rule_indices)),
      prefilter_(Patterns(*rules_, rule_indices_)) {
  for (int index : rule_indices_)
    required_literals_.push_back(RequiredLiteralOf(rules_->rules()[index].pattern));
  atom_in_literal_.assign(required_literals_.size(), SIZE_MAX);
  if (prefilter_.usable()) IndexAtomsInLiterals();
  RE2::Options options;
  options.set_log_errors(false);
  options.set_max_mem(64 << 20);  // the DFA cache; more memory, fewer NFA fallbacks
  union_ = std::make_unique<RE2>(UnionPattern(*rules_, rule_indices_), options);
}

const std::string& LineScanner::error() const { return union_->error(); }

void LineScanner::IndexAtomsInLiterals() {
  std::vector<std::string> lower_literals;  // atoms are lower-case
  for (const RequiredLiteral& literal : required_literals_)
    lower_literals.push_back(AsciiLowered(literal.text));  // empty when not usable
  const auto& atoms = prefilter_.atoms();
  literals_holding_atom_.resize(atoms.size());
  for (size_t a = 0; a < atoms.size(); ++a) {
    const uint64_t needing = prefilter_.RulesNeeding(a);
    bool checkable = true;
    for (size_t i = 0; i < lower_literals.size(); ++i) {
      bool holds = false;
      for (size_t k = lower_literals[i].find(atoms[a]); k != std::string::npos;
           k = lower_literals[i].find(atoms[a], k + 1)) {
        literals_holding_atom_[a].push_back({i, k});
        atom_in_literal_[i] = std::min(atom_in_literal_[i], k);
        holds = true;
      }
      // RulesNeeding has a bit per rule position (at most 64).
      if (i >= 64 || ((needing >> i) & 1 && !holds)) checkable = false;
    }
    if (checkable) checkable_atoms_ |= uint32_t{1} << a;
  }
}

// Every match of a rule holding one of the atoms in its literal holds that
// literal, taken (Takes) where the atom sits in it. Judged on the chunk, not
// the line: a literal cannot span a '\n' (lines have none, so a rule needing
// one never matches), and a '\n' after it is only a byte it may or may not
// take, so the chunk's answer is "taken" whenever the line's is.
bool LineScanner::NoRuleTakes(std::string_view chunk, size_t at, uint32_t starting) const {
  if ((starting & ~checkable_atoms_) != 0) return false;
  for (uint32_t atoms = starting; atoms != 0; atoms &= atoms - 1) {
    for (const AtomInLiteral& in : literals_holding_atom_[static_cast<size_t>(__builtin_ctz(atoms))])
      if (at >= in.offset && required_literals_[in.rule_position].Takes(chunk, at - in.offset))
        return false;
  }
  return true;
}

bool LineScanner::NextCandidateLine(std::string_view chunk, size_t pos,
                                    AtomPrefilter::Cursor* atoms, std::string_view* line,
                                    size_t* line_start, uint64_t* rules,
                                    size_t* first_atom) const {
  size_t at = 0;
  if (prefilter_.usable()) {
    // Atoms that no rule can use are passed by. None of the rules that need
    // them can then match from before the first atom kept, so that atom still
    // bounds where each rule's literal can first occur (`first_atom`), and
    // every atom a matching rule needs is at or after it (for AtomsIn).
    atoms->SkipTo(pos);
    for (;;) {
      uint32_t starting = 0;
      at = prefilter_.NextAtom(atoms, &starting);
      if (at >= chunk.size()) return false;
      if (!NoRuleTakes(chunk, at, starting)) break;
    }
  } else {
    re2::StringPiece text(chunk.data(), chunk.size());
    re2::StringPiece found;
    if (!union_->Match(text, pos, chunk.size(), RE2::UNANCHORED, &found, 1)) return false;
    at = static_cast<size_t>(found.data() - chunk.data());
  }
  const void* before = at > pos ? ::memrchr(chunk.data() + pos, '\n', at - pos) : nullptr;
  const size_t start = before ? static_cast<const char*>(before) - chunk.data() + 1 : pos;
  const void* newline = std::memchr(chunk.data() + at, '\n', chunk.size() - at);
  const size_t end = newline ? static_cast<const char*>(newline) - chunk.data() : chunk.size();
  *line = chunk.substr(start, end - start);
  *line_start = start;
  *first_atom = prefilter_.usable() ? at - start : 0;
  // The line's atoms: none before `at`, so the scan starts there.
  *rules = prefilter_.usable() ? prefilter_.RulesFor(prefilter_.AtomsIn(chunk.substr(at, end - at)))
                               : ~uint64_t{0};
  return true;
}

// Whether the rule's `reject_before` pattern matches the text that ends where
// the match starts. Only its bounded width before the match is searched; RE2
// still sees the line before that as context for \b.
static bool RejectedByWhatPrecedes(const Rule& rule, std::string_view line, size_t match_start) {
  if (!rule.reject_before) return false;
  const PatternEnds& ends = rule.reject_before_ends;
  if (!ends.may_be_empty &&
      (match_start == 0 || !ends.last[static_cast<unsigned char>(line[match_start - 1])]))
    return false;  // no match of it can end with the byte before
  const re2::StringPiece before(line.data(), match_start);
  const size_t from =
      match_start > rule.reject_before_width ? match_start - rule.reject_before_width : 0;
  return rule.reject_before->Match(before, from, match_start, RE2::UNANCHORED, nullptr, 0);
}

// Whether the rule's `reject_after` pattern matches the text that starts where
// the match ends (anchored there; the line before it is context for \b).
static bool RejectedByWhatFollows(const Rule& rule, std::string_view line, size_t match_end) {
  if (!rule.reject_after) return false;
  const PatternEnds& ends = rule.reject_after_ends;
  if (!ends.may_be_empty &&
      (match_end >= line.size() || !ends.first[static_cast<unsigned char>(line[match_end])]))
    return false;  // no match of it can start with the byte after
  const re2::StringPiece text(line.data(), line.size());
  return rule.reject_after->Match(text, match_end, line.size(), RE2::ANCHOR_START, nullptr, 0);
}

// One rule's leftmost accepted match in `line`, ignoring matches whose code
// cannot start before `before`. With a usable `literal` (which does not occur
// before `literal_from`) the search starts max_lead bytes before its next
// occurrence (none: no match), and is anchored: at the occurrence when
// max_lead is 0, else at each start CanStartAt allows, in order (or, when the
// lead's lengths are unknown, unanchored).
// Fills `groups`; returns the code's text (data() == nullptr when none).
static re2::StringPiece RuleMatch(const Rule& rule, const RequiredLiteral* literal,
                                  size_t literal_from, std::string_view line, const char* before,
                                  re2::StringPiece* groups, int64_t* code) {
  const re2::StringPiece text(line.data(), line.size());
  const int ngroups = rule.group_count + 1;
  const bool at_literal = literal != nullptr && literal->max_lead == 0;
  const bool by_candidates = literal != nullptr && literal->SearchesByCandidates();
  size_t start = 0;
  while (start <= line.size()) {
    if (literal != nullptr) {
      const size_t at = literal->Find(line, std::max(start, literal_from));
      if (at >= line.size()) break;
      if (at_literal) {
        start = at;
      } else {
        start = std::max(start, at - std::min(at, literal->max_lead));
        if (by_candidates) {
          // The first start from which the literal is reached; past `at`,
          // the next occurrence is looked for.
          while (start <= at && !literal->CanStartAt(line, start)) ++start;
          if (start > at) continue;
        }
      }
    }
    // A match starting at or after `before` cannot hold a code that starts before it.
    if (before != nullptr && line.data() + start >= before) break;
    const bool anchored = at_literal || by_candidates;
    const RE2::Anchor anchor = anchored ? RE2::ANCHOR_START : RE2::UNANCHORED;
    if (!rule.re->Match(text, start, line.size(), anchor, groups, ngroups)) {
      if (!anchored) break;
      ++start;  // no match starts here: try the next occurrence or candidate
      continue;
    }
    const re2::StringPiece whole = groups[0];
    const size_t match_end = static_cast<size_t>(whole.data() + whole.size() - line.data());
    const size_t next = match_end > start ? match_end : start + 1;
    const re2::StringPiece code_text = groups[rule.code_group];
    bool rejected = false;
    for (int group : rule.reject_groups) rejected = rejected || groups[group].data() != nullptr;
    if (rejected || code_text.data() == nullptr || !ParseCode(code_text, code) ||
        rule.Ignores(*code) ||
        RejectedByWhatPrecedes(rule, line, static_cast<size_t>(whole.data() - line.data())) ||
        RejectedByWhatFollows(rule, line, match_end)) {
      start = next;
      continue;
    }
    return code_text;
  }
  return re2::StringPiece();
}

bool LineScanner::EvaluateRules(std::string_view line, uint64_t rules, bool optimised,
                                size_t first_atom, Match* match) const {
  re2::StringPiece groups[kMaxRuleGroups];
  const char* best_code_at = nullptr;
  for (size_t i = 0; i < rule_indices_.size(); ++i) {
    if (i < 64 && !(rules & (uint64_t{1} << i))) continue;
    const int index = rule_indices_[i];
    const Rule& rule = rules_->rules()[index];
    const RequiredLiteral* literal =
        optimised && required_literals_[i].usable() ? &required_literals_[i] : nullptr;
    const size_t offset = atom_in_literal_[i];
    const size_t literal_from =
        offset != SIZE_MAX && first_atom > offset ? first_atom - offset : 0;
    int64_t code = 0;
    const re2::StringPiece code_text = RuleMatch(rule, literal, literal_from, line,
                                                 optimised ? best_code_at : nullptr, groups, &code);
    // Later rules only replace an accepted match whose code starts further right.
    if (code_text.data() == nullptr ||
        (best_code_at != nullptr && code_text.data() >= best_code_at))
      continue;
    best_code_at = code_text.data();
    match->rule = index;
    match->code = code;
    match->ts = rule.ts_group > 0 && groups[rule.ts_group].data() != nullptr
                    ? std::string_view(groups[rule.ts_group].data(), groups[rule.ts_group].size())
                    : std::string_view();
  }
  if (best_code_at == nullptr) return false;
  match->line = line;
  return true;
}

}  // namespace errpulse
