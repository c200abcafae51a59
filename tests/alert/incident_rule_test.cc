// The incident rule loader: all_of / any_of conditions, `inhibits`, and
// every mistake reported at its FILE:LINE:COL; CheckInhibits across files.
#include <gtest/gtest.h>

#include "alert/alert_rule.h"
#include "alert/inhibition.h"
#include "common/yaml_reader.h"
#include "support/alert_rules.h"

namespace errpulse {
namespace {

// Reads `yaml` as file `file`; returns the rules, appends to `d`.
std::vector<AlertRule> Load(const std::string& file, const std::string& yaml, Diagnostics* d,
                            std::map<std::string, std::string>* names) {
  YamlReader reader(file, d);
  auto root = reader.LoadString(yaml);
  std::vector<AlertRule> rules;
  if (root) ReadAlertRules(reader, *root, &rules, names);
  return rules;
}

::testing::AssertionResult Has(const Diagnostics& d, const std::string& want) {
  const std::string all = FormatDiagnostics(d);
  if (all.find(want) != std::string::npos) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "no '" << want << "' in:\n" << all;
}

TEST(IncidentRule, ReadsConditionsCombineAndInhibits) {
  auto rules = testing::AlertRulesFromYaml(R"(- alert: RateLimitIncident
  all_of:
    - { match: { codes: [60007, 60011] }, threshold: 20 }
    - { match: { codes: [-2], sources: [app] }, ratio: { above: 0.05, min_total: 100 } }
  window: 2m
  for: 30s
  keep_firing_for: 1m
  inhibits: [RestApiRateLimited, SdkAppIdRateLimited]
- alert: Either
  any_of:
    - { match: { categories: [auth] } }
  inhibits: RateLimitIncident
)");
  ASSERT_EQ(rules.size(), 2u);
  const AlertRule& r = rules[0];
  EXPECT_TRUE(r.incident());
  EXPECT_EQ(r.combine, AlertCombine::kAllOf);
  ASSERT_EQ(r.conditions.size(), 2u);
  EXPECT_EQ(r.conditions[0].match.codes, (std::vector<int64_t>{60007, 60011}));
  EXPECT_EQ(r.conditions[0].threshold, 20);
  EXPECT_FALSE(r.conditions[0].ratio);
  EXPECT_EQ(r.conditions[1].match.sources, (std::vector<std::string>{"app"}));
  ASSERT_TRUE(r.conditions[1].ratio);
  EXPECT_EQ(r.conditions[1].ratio->min_total, 100);
  EXPECT_EQ(r.window_ms, 120'000);
  EXPECT_EQ(r.for_ms, 30'000);
  EXPECT_EQ(r.keep_firing_for_ms, 60'000);
  EXPECT_TRUE(r.by.empty());
  EXPECT_EQ(r.inhibits, (std::vector<std::string>{"RestApiRateLimited", "SdkAppIdRateLimited"}));
  ASSERT_EQ(r.inhibits_at.size(), 2u);
  EXPECT_EQ(r.inhibits_at[1].line, 8);
  EXPECT_EQ(r.inhibits_at[1].column, 34);
  EXPECT_EQ(rules[1].combine, AlertCombine::kAnyOf);
  EXPECT_EQ(rules[1].conditions[0].threshold, 1);
  EXPECT_EQ(rules[1].inhibits, (std::vector<std::string>{"RateLimitIncident"}));
}

TEST(IncidentRule, PlainRuleIsOneCondition) {
  auto rules = testing::AlertRulesFromYaml(
      "- alert: A\n  match: { codes: [60007] }\n  by: [code]\n  threshold: 5\n");
  ASSERT_EQ(rules.size(), 1u);
  EXPECT_FALSE(rules[0].incident());
  ASSERT_EQ(rules[0].conditions.size(), 1u);
  EXPECT_EQ(rules[0].conditions[0].threshold, 5);
  EXPECT_EQ(rules[0].by, (std::vector<std::string>{"code"}));
}

TEST(IncidentRule, ReportsMistakesWithPositions) {
  Diagnostics d;
  std::map<std::string, std::string> names;
  auto rules = Load("incidents.yaml", R"(- alert: I
  all_of:
    - { match: { codes: [60007] }, threshold: 20, spike: { baseline: 30s } }
    - { match: { codes: [-2] }, threshold: 5, ratio: { above: 0.1 } }
    - { match: { codes: [-2] }, treshold: 5 }
  threshold: 3
  by: [code]
  inhibits: [I]
- alert: J
  all_of: []
  any_of:
    - { match: { codes: [1] } }
- alert: K
  any_of: { match: { codes: [1] } }
)",
                    &d, &names);
  EXPECT_TRUE(rules.empty()) << "every rule has a mistake";
  EXPECT_TRUE(Has(d, "incidents.yaml:3:58: spike baseline must be longer than the window"));
  EXPECT_TRUE(Has(d, "incidents.yaml:4:33: a condition takes threshold or ratio, not both"));
  EXPECT_TRUE(Has(d, "incidents.yaml:5:33: unknown key 'treshold' in all_of condition (did you "
                     "mean 'threshold'?)"));
  EXPECT_TRUE(Has(d, "incidents.yaml:6:3: 'threshold' goes in each condition of all_of in an "
                     "incident rule"));
  EXPECT_TRUE(Has(d, "incidents.yaml:7:3: an incident rule takes no 'by': its conditions span "
                     "codes and sources, so it is one alert per host"));
  EXPECT_TRUE(Has(d, "incidents.yaml:8:14: alert 'I' cannot inhibit itself"));
  EXPECT_TRUE(Has(d, "incidents.yaml:11:3: an alert rule takes all_of or any_of, not both"));
  EXPECT_TRUE(Has(d, "incidents.yaml:10:11: all_of needs at least one condition"));
  EXPECT_TRUE(Has(d, "incidents.yaml:14:11: any_of must be a list"));
}

TEST(IncidentRule, TooManyConditions) {
  std::string yaml = "- alert: Many\n  any_of:\n";
  for (size_t i = 0; i <= kMaxAlertConditions; ++i)
    yaml += "    - { match: { codes: [" + std::to_string(i + 1) + "] } }\n";
  Diagnostics d;
  std::map<std::string, std::string> names;
  EXPECT_TRUE(Load("many.yaml", yaml, &d, &names).empty());
  EXPECT_TRUE(Has(d, "many.yaml:3:5: any_of takes at most 16 conditions"));
}

// Names under `inhibits` are checked once every file is read: a rule of
// another file is fine; an unknown name and a loop are reported where the
// name is written.
TEST(IncidentRule, CheckInhibitsAcrossFiles) {
  Diagnostics d;
  std::map<std::string, std::string> names;
  auto rules = Load("incidents.yaml", R"(- alert: Incident
  all_of:
    - { match: { codes: [60007] } }
  inhibits: [Plain, Missing]
- alert: A
  inhibits: [B]
- alert: B
  inhibits: [C]
- alert: C
  inhibits: [A]
- alert: D
  inhibits: [E]
- alert: E
  inhibits: [D]
)",
                    &d, &names);
  auto plain = Load("alerts.yaml", "- alert: Plain\n  match: { codes: [60007] }\n", &d, &names);
  rules.insert(rules.end(), plain.begin(), plain.end());
  ASSERT_TRUE(d.empty()) << FormatDiagnostics(d);
  CheckInhibits(rules, &d);
  EXPECT_TRUE(Has(d, "incidents.yaml:4:21: alert 'Incident' inhibits 'Missing', which is no alert "
                     "rule"));
  EXPECT_FALSE(Has(d, "'Plain', which"));
  EXPECT_TRUE(Has(d, "incidents.yaml:6:14: alert 'A' inhibits 'B', which inhibits it back through "
                     "other rules: while all of them fire, none would be sent"));
  EXPECT_TRUE(Has(d, "incidents.yaml:12:14: alert 'D' inhibits 'E', which inhibits it back: while "
                     "all of them fire, none would be sent"));
  EXPECT_EQ(d.size(), 6u) << FormatDiagnostics(d);  // Missing; A, B, C; D, E

  Diagnostics fine;
  CheckInhibits(plain, &fine);
  rules.erase(rules.begin() + 1, rules.end() - 1);  // Incident and Plain
  rules[0].inhibits.pop_back();
  rules[0].inhibits_at.pop_back();
  CheckInhibits(rules, &fine);
  EXPECT_TRUE(fine.empty()) << FormatDiagnostics(fine);
}

}  // namespace
}  // namespace errpulse
