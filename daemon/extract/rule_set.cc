#include "extract/rule_set.h"

#include <charconv>
#include <map>

#include "common/yaml_reader.h"
#include "extract/pattern_width.h"

namespace errpulse {
namespace {

bool ParseInt(std::string_view s, int64_t* out) {
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && end == s.data() + s.size() && !s.empty();
}

// `ignore_codes` items: an integer, or a range "LOW..HIGH".
bool ReadRange(YamlReader& reader, const YAML::Node& node, CodeRange* out) {
  if (node.IsScalar()) {
    std::string_view s = node.Scalar();
    size_t dots = s.find("..");
    if (dots == std::string_view::npos) {
      if (ParseInt(s, &out->low)) {
        out->high = out->low;
        return true;
      }
    } else if (ParseInt(s.substr(0, dots), &out->low) &&
               ParseInt(s.substr(dots + 2), &out->high) && out->low <= out->high) {
      return true;
    }
  }
  reader.Error(node, "ignore_codes items must be an integer or a range LOW..HIGH");
  return false;
}

// Where in the file RE2's complaint points: the pattern's position plus the
// offset of the offending fragment when the pattern is a one-line scalar.
void ReportBadPattern(YamlReader& reader, const YAML::Node& node, const Rule& rule,
                      const RE2& re, Diagnostics* diagnostics) {
  std::string message = "rule '" + rule.name + "': invalid RE2 pattern: " + re.error();
  reader.Error(node, message);
  Diagnostic& d = diagnostics->back();
  const std::string& arg = re.error_arg();
  size_t at = arg.empty() ? std::string::npos : rule.pattern.find(arg);
  const bool one_line = rule.pattern.find('\n') == std::string::npos;
  if (at != std::string::npos && one_line && d.line > 0) {
    const int quote = node.Tag() == "!" ? 1 : 0;  // quoted scalars carry tag "!"
    d.column += quote + static_cast<int>(at);
  }
}

// A rule's RE2: errors are reported by the caller, with positions.
std::unique_ptr<RE2> NewRuleRe2(const std::string& pattern) {
  RE2::Options options;
  options.set_log_errors(false);
  options.set_max_mem(8 << 20);
  return std::make_unique<RE2>(pattern, options);
}

bool CompileRule(YamlReader& reader, const YAML::Node& pattern_node, Rule* rule,
                 Diagnostics* diagnostics) {
  rule->re = NewRuleRe2(rule->pattern);
  if (!rule->re->ok()) {
    ReportBadPattern(reader, pattern_node, *rule, *rule->re, diagnostics);
    return false;
  }
  rule->group_count = rule->re->NumberOfCapturingGroups();
  if (rule->group_count >= kMaxRuleGroups) {
    reader.Error(pattern_node, "rule '" + rule->name + "': pattern has " +
                                   std::to_string(rule->group_count) +
                                   " capturing groups; at most " +
                                   std::to_string(kMaxRuleGroups - 1) + " are allowed");
    return false;
  }
  for (const auto& [group, index] : rule->re->NamedCapturingGroups()) {
    if (group == "code") rule->code_group = index;
    if (group == "ts") rule->ts_group = index;
    if (group == "reject" || group.rfind("reject_", 0) == 0)
      rule->reject_groups.push_back(index);
  }
  if (rule->code_group == 0) {
    reader.Error(pattern_node, "rule '" + rule->name +
                                   "': pattern has no named group 'code', write "
                                   "(?P<code>-?\\d+) around the code");
    return false;
  }
  return true;
}

// `reject_before`: valid RE2, and of bounded length (it is searched only on
// the bytes just before each match).
void CompileRejectBefore(YamlReader& reader, const YAML::Node& node, Rule* rule) {
  rule->reject_before = NewRuleRe2("(?:" + rule->reject_before_pattern + ")$");
  if (!rule->reject_before->ok()) {
    reader.Error(node, "rule '" + rule->name + "': invalid RE2 pattern in reject_before: " +
                           rule->reject_before->error());
    rule->reject_before.reset();
    return;
  }
  rule->reject_before_width = MaxMatchBytes(rule->reject_before_pattern);
  rule->reject_before_ends = EndsOf(rule->reject_before_pattern);
  if (rule->reject_before_width == kUnboundedWidth) {
    reader.Error(node, "rule '" + rule->name +
                           "': reject_before must have a bounded length (write {0,N} instead "
                           "of * or +): it is checked on the bytes just before each match");
    rule->reject_before.reset();
  }
}

// `reject_after`: valid RE2 (run anchored at each match's end, so any length).
void CompileRejectAfter(YamlReader& reader, const YAML::Node& node, Rule* rule) {
  rule->reject_after = NewRuleRe2(rule->reject_after_pattern);
  rule->reject_after_ends = EndsOf(rule->reject_after_pattern);
  if (!rule->reject_after->ok()) {
    reader.Error(node, "rule '" + rule->name + "': invalid RE2 pattern in reject_after: " +
                           rule->reject_after->error());
    rule->reject_after.reset();
  }
}

bool ReadRule(YamlReader& reader, const YAML::Node& item, Rule* rule,
              Diagnostics* diagnostics) {
  if (!reader.ExpectMap(item, "rule")) return false;
  const int errors_before = reader.error_count();
  reader.CheckKeys(item,
                   {"name", "description", "pattern", "ignore_codes", "reject_before",
                    "reject_after"},
                   "rule");
  if (auto n = item["name"]) {
    if (auto v = reader.String(n, "name")) rule->name = *v;
  } else {
    reader.Error(item, "rule is missing 'name'");
  }
  if (auto n = item["description"]) {
    if (auto v = reader.String(n, "description")) rule->description = *v;
  }
  if (auto n = item["ignore_codes"]) {
    if (reader.ExpectSequence(n, "ignore_codes")) {
      for (const auto& r : n) {
        CodeRange range;
        if (ReadRange(reader, r, &range)) rule->ignore_codes.push_back(range);
      }
    }
  }
  if (auto n = item["reject_before"]) {
    if (auto v = reader.String(n, "reject_before")) {
      rule->reject_before_pattern = *v;
      CompileRejectBefore(reader, n, rule);
    }
  }
  if (auto n = item["reject_after"]) {
    if (auto v = reader.String(n, "reject_after")) {
      rule->reject_after_pattern = *v;
      CompileRejectAfter(reader, n, rule);
    }
  }
  YAML::Node pattern = item["pattern"];
  if (!pattern) {
    reader.Error(item, "rule '" + rule->name + "' is missing 'pattern'");
  } else if (auto v = reader.String(pattern, "pattern")) {
    rule->pattern = *v;
    CompileRule(reader, pattern, rule, diagnostics);
  }
  rule->defined_in = reader.file() + ":" + std::to_string(item.Mark().line + 1);
  return reader.error_count() == errors_before;
}

bool ReadRuleFile(YamlReader& reader, const YAML::Node& root, const RuleFileSection* section,
                  std::vector<Rule>* rules, std::map<std::string, std::string>* names,
                  Diagnostics* diagnostics) {
  if (!reader.ExpectMap(root, "rule file")) return false;
  const int errors_before = reader.error_count();
  // Without a section, "rules" stands in for its key: only rules are allowed.
  const std::string_view other_key = section ? std::string_view(section->key) : "rules";
  reader.CheckKeys(root, {"version", "rules", other_key}, "rule file");
  const bool has_other = section && root[section->key];
  if (has_other) section->read(reader, root[section->key]);
  YAML::Node list = root["rules"];
  if (!list) {
    if (!section)
      reader.Error(root, "rule file has no 'rules' list");
    else if (!has_other)
      reader.Error(root, "rule file has neither a 'rules' nor an '" + section->key + "' list");
    return reader.error_count() == errors_before;
  }
  if (!reader.ExpectSequence(list, "rules")) return false;
  for (const auto& item : list) {
    Rule rule;
    if (!ReadRule(reader, item, &rule, diagnostics)) continue;
    auto [it, inserted] = names->emplace(rule.name, rule.defined_in);
    if (!inserted) {
      reader.Error(item["name"], "rule '" + rule.name + "' is already defined at " +
                                     it->second);
      continue;
    }
    rules->push_back(std::move(rule));
  }
  return reader.error_count() == errors_before;
}

}  // namespace

std::shared_ptr<const RuleSet> RuleSet::Load(const std::vector<std::string>& files,
                                             Diagnostics* diagnostics,
                                             const RuleFileSection* section) {
  auto set = std::make_shared<RuleSet>();
  std::map<std::string, std::string> names;
  bool ok = true;
  for (const auto& file : files) {
    YamlReader reader(file, diagnostics);
    auto root = reader.LoadFile();
    if (!root || !ReadRuleFile(reader, *root, section, &set->rules_, &names, diagnostics))
      ok = false;
  }
  if (!ok) return nullptr;
  return set;
}

std::shared_ptr<const RuleSet> RuleSet::FromString(const std::string& yaml,
                                                   const std::string& name,
                                                   Diagnostics* diagnostics,
                                                   const RuleFileSection* section) {
  auto set = std::make_shared<RuleSet>();
  std::map<std::string, std::string> names;
  YamlReader reader(name, diagnostics);
  auto root = reader.LoadString(yaml);
  if (!root || !ReadRuleFile(reader, *root, section, &set->rules_, &names, diagnostics))
    return nullptr;
  return set;
}

int RuleSet::Find(const std::string& name) const {
  for (size_t i = 0; i < rules_.size(); ++i)
    if (rules_[i].name == name) return static_cast<int>(i);
  return -1;
}

std::vector<int> RuleSet::AllRules() const {
  std::vector<int> all(rules_.size());
  for (size_t i = 0; i < all.size(); ++i) all[i] = static_cast<int>(i);
  return all;
}

}  // namespace errpulse
