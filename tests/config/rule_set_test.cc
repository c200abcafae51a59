// Rule files: invalid patterns and mistakes are reported with file, line,
// column and RE2's own message.
#include <gtest/gtest.h>

#include "extract/rule_set.h"

namespace errpulse {
namespace {

std::string Errors(const std::string& yaml) {
  Diagnostics d;
  auto rules = RuleSet::FromString(yaml, "rules/site.yaml", &d);
  EXPECT_FALSE(rules);
  return FormatDiagnostics(d);
}

TEST(RuleSet, InvalidPatternNamesFileLineColumnAndRe2Message) {
  const std::string all = Errors(R"(rules:
  - name: broken
    pattern: 'code=(?P<code>\d+'
)");
  EXPECT_NE(all.find("rules/site.yaml:3:15: rule 'broken': invalid RE2 pattern: missing ): "),
            std::string::npos)
      << all;
}

TEST(RuleSet, ColumnPointsAtTheOffendingFragment) {
  const std::string all = Errors(R"(rules:
  - name: bad_repeat
    pattern: 'code=(?P<code>\d+) x**'
)");
  // The quote is at column 14, the pattern at 15; "**" is 20 characters into it.
  EXPECT_NE(all.find("rules/site.yaml:3:35: rule 'bad_repeat': invalid RE2 pattern: bad "
                     "repetition operator: **"),
            std::string::npos)
      << all;
}

TEST(RuleSet, PatternWithoutCodeGroup) {
  const std::string all = Errors(R"(rules:
  - name: nocode
    pattern: 'code=(\d+)'
)");
  EXPECT_NE(all.find("rules/site.yaml:3:14: rule 'nocode': pattern has no named group 'code'"),
            std::string::npos)
      << all;
}

TEST(RuleSet, RejectBeforeMustBeValidAndBounded) {
  const std::string all = Errors(R"(rules:
  - name: unbounded
    pattern: 'code=(?P<code>\d+)'
    reject_before: '\bstatus\s+'
  - name: invalid
    pattern: 'code=(?P<code>\d+)'
    reject_before: 'status('
)");
  EXPECT_NE(all.find("rules/site.yaml:4:20: rule 'unbounded': reject_before must have a bounded "
                     "length (write {0,N} instead of * or +)"),
            std::string::npos)
      << all;
  EXPECT_NE(all.find("rules/site.yaml:7:20: rule 'invalid': invalid RE2 pattern in "
                     "reject_before: missing ): "),
            std::string::npos)
      << all;
}

TEST(RuleSet, RejectAfterMustBeValid) {
  const std::string all = Errors(R"(rules:
  - name: invalid
    pattern: 'code=(?P<code>\d+)'
    reject_after: '\s*\[(\d+'
  - name: unbounded_is_fine
    pattern: 'code=(?P<code>\d+)'
    reject_after: '\s*\[\d+:-?\d+\]'
)");
  EXPECT_NE(all.find("rules/site.yaml:4:19: rule 'invalid': invalid RE2 pattern in "
                     "reject_after: missing ): "),
            std::string::npos)
      << all;
  EXPECT_EQ(all.find("unbounded_is_fine"), std::string::npos) << all;
}

TEST(RuleSet, DuplicateNamesMissingKeysAndBadRanges) {
  const std::string all = Errors(R"(rules:
  - name: a
    pattern: 'x(?P<code>\d+)'
  - name: a
    pattern: 'y(?P<code>\d+)'
  - name: b
  - name: c
    pattern: 'z(?P<code>\d+)'
    ignore_codes: ["9..1"]
    colour: red
)");
  EXPECT_NE(all.find("rules/site.yaml:4:11: rule 'a' is already defined at rules/site.yaml:2"),
            std::string::npos)
      << all;
  EXPECT_NE(all.find("rules/site.yaml:6:5: rule 'b' is missing 'pattern'"), std::string::npos)
      << all;
  EXPECT_NE(all.find("rules/site.yaml:9:20: ignore_codes items must be an integer or a range"),
            std::string::npos)
      << all;
  EXPECT_NE(all.find("rules/site.yaml:10:5: unknown key 'colour' in rule"), std::string::npos)
      << all;
}

TEST(RuleSet, ValidFileLoadsInOrder) {
  Diagnostics d;
  auto rules = RuleSet::FromString(R"(rules:
  - name: first
    pattern: 'a(?P<code>\d+)(?P<ts>x)?(?P<reject>r)?'
  - name: second
    pattern: 'b(?P<code>\d+)'
)", "r.yaml", &d);
  ASSERT_TRUE(rules) << FormatDiagnostics(d);
  ASSERT_EQ(rules->rules().size(), 2u);
  EXPECT_EQ(rules->Find("second"), 1);
  EXPECT_EQ(rules->rules()[0].ts_group, 2);
  EXPECT_EQ(rules->rules()[0].reject_groups, std::vector<int>{3});
}

}  // namespace
}  // namespace errpulse
