// RuleSet: the compiled extraction rules (rules/*.yaml). Each rule is an RE2
// pattern with a named group `code` (required), optional `ts` (event time),
// optional groups named `reject` or `reject_*` (when one takes part in a
// match, the match is discarded), and optional extra named groups. A rule may
// list `ignore_codes` ranges whose values are never error codes (HTTP
// statuses), a `reject_before` pattern for what must not precede a match
// ("status code 404" is refused by `reject_before: '\bstatus '`; RE2 has no
// look-behind) and a `reject_after` pattern for what must not follow one.
//
// A rule file may also hold lists that are not extraction's: alert rules
// (`alerts:`, rules/alerts.yaml) are alert/'s to read. Load() hands such a
// list to the caller's RuleFileSection, so extract/ knows nothing of alerts.
//
// Immutable after Load(); shared as std::shared_ptr<const RuleSet>; all const
// methods are thread-safe (RE2 objects are).
//
// Usage:
//   Diagnostics diags;
//   auto rules = RuleSet::Load({"rules/codes.yaml"}, &diags);
//   if (!rules) { print diags; }
//   LineScanner scanner(rules, rules->AllRules());
#pragma once

#include <re2/re2.h>
#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/diagnostic.h"
#include "common/yaml_reader.h"
#include "extract/pattern_width.h"

namespace errpulse {

// Capture groups per rule, including group 0: the scanner keeps them on the stack.
inline constexpr int kMaxRuleGroups = 16;

struct CodeRange {
  int64_t low = 0;
  int64_t high = 0;
  bool Contains(int64_t code) const { return code >= low && code <= high; }
};

struct Rule {
  std::string name;
  std::string description;
  std::string pattern;
  std::string defined_in;  // file:line
  std::unique_ptr<RE2> re;
  int code_group = 0;    // capture group numbers (1-based); 0 = absent
  int ts_group = 0;
  std::vector<int> reject_groups;
  int group_count = 0;
  std::vector<CodeRange> ignore_codes;
  // `reject_before`: a match is discarded when this pattern matches text that
  // ends where the match starts (RE2 has no look-behind). Compiled as
  // `(?:PATTERN)$`; its longest match is `reject_before_width` bytes, so only
  // that much of the line before a match is searched.
  std::string reject_before_pattern;
  std::unique_ptr<RE2> reject_before;
  size_t reject_before_width = 0;
  // `reject_after`: a match is discarded when this pattern matches text that
  // starts where the match ends (RE2 has no look-ahead); run anchored there.
  // Unlike a trailing optional `reject` group it keeps the rule's own pattern
  // one-pass, so RE2 extracts the code with its fast one-pass engine.
  std::string reject_after_pattern;
  std::unique_ptr<RE2> reject_after;
  // The bytes the reject patterns' matches can end (before) or start (after)
  // with: they are only run where the byte next to the match fits, so an
  // accepted "ErrorCode":0 costs no RE2 call for them.
  PatternEnds reject_before_ends;
  PatternEnds reject_after_ends;

  bool Ignores(int64_t code) const {
    for (const auto& r : ignore_codes)
      if (r.Contains(code)) return true;
    return false;
  }
};

// Another stage's top-level list in a rule file (`alerts:`). `read` gets the
// list with the file's reader, before the file's `rules:`, so its diagnostics
// carry the file's name and positions and fail the load like the rules' own.
struct RuleFileSection {
  std::string key;
  std::function<void(YamlReader& reader, const YAML::Node& list)> read;
};

class RuleSet {
 public:
  // Loads rule files in order. Rule names must be unique across files. A file
  // holds `rules:`, `section`'s list, or both (without `section`: `rules:`).
  // Returns nullptr and appends `FILE:LINE:COL: message` diagnostics on error.
  static std::shared_ptr<const RuleSet> Load(const std::vector<std::string>& files,
                                             Diagnostics* diagnostics,
                                             const RuleFileSection* section = nullptr);
  static std::shared_ptr<const RuleSet> FromString(const std::string& yaml,
                                                   const std::string& name,
                                                   Diagnostics* diagnostics,
                                                   const RuleFileSection* section = nullptr);

  const std::vector<Rule>& rules() const { return rules_; }
  // Index of the rule called `name`, or -1.
  int Find(const std::string& name) const;
  // Indices of every rule, in file order.
  std::vector<int> AllRules() const;

 private:
  std::vector<Rule> rules_;
};

}  // namespace errpulse
