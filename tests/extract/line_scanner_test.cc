// The shipped extraction rules against the hand-labelled corpus
// (tests/extract/labelled_lines.tsv: real lines and realistic new ones, each
// labelled with the code it reports, 0 for success or '-' for none), plus the
// scanner's own mechanics: chunk scanning equals line-by-line evaluation,
// reject groups, ignore_codes and leftmost-wins.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "extract/line_scanner.h"
#include "support/test_support.h"

namespace errpulse {
namespace {

using testing::SourcePath;

std::shared_ptr<const RuleSet> ShippedRules() {
  Diagnostics diagnostics;
  auto rules = RuleSet::Load({SourcePath("rules/codes.yaml")}, &diagnostics);
  EXPECT_TRUE(rules) << FormatDiagnostics(diagnostics);
  return rules;
}

struct Labelled {
  int line_number;
  std::string expect;  // "-", "0" or the code
  std::string text;
};

std::vector<Labelled> LoadCorpus() {
  std::ifstream in(SourcePath("tests/extract/labelled_lines.tsv"));
  std::vector<Labelled> out;
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (line.empty() || line[0] == '#') continue;
    size_t tab = line.find('\t');
    if (tab == std::string::npos) continue;
    out.push_back({number, line.substr(0, tab), line.substr(tab + 1)});
  }
  return out;
}

std::string Label(const LineScanner& scanner, const std::string& text) {
  Match match;
  if (!scanner.EvaluateLine(text, &match)) return "-";
  return std::to_string(match.code);
}

TEST(ShippedRules, LabelledCorpus) {
  auto rules = ShippedRules();
  ASSERT_TRUE(rules);
  LineScanner scanner(rules, rules->AllRules());
  ASSERT_TRUE(scanner.ok()) << scanner.error();
  auto corpus = LoadCorpus();
  ASSERT_GT(corpus.size(), 300u);
  int wrong = 0;
  for (const auto& example : corpus) {
    const std::string got = Label(scanner, example.text);
    if (got != example.expect) {
      ++wrong;
      ADD_FAILURE() << "labelled_lines.tsv:" << example.line_number << ": expected "
                    << example.expect << ", got " << got << "\n  " << example.text;
    }
  }
  EXPECT_EQ(wrong, 0);
}

TEST(ShippedRules, ChunkScanFindsExactlyWhatLineByLineFinds) {
  auto rules = ShippedRules();
  ASSERT_TRUE(rules);
  LineScanner scanner(rules, rules->AllRules());
  auto corpus = LoadCorpus();
  std::string chunk;
  std::vector<std::string> expected;
  for (const auto& example : corpus) {
    chunk += example.text + "\n";
    expected.push_back(Label(scanner, example.text));
  }
  std::vector<std::string> found(corpus.size(), "-");
  // Map each match back to its line by offset.
  std::vector<size_t> starts;
  size_t at = 0;
  for (const auto& example : corpus) {
    starts.push_back(at);
    at += example.text.size() + 1;
  }
  scanner.Scan(chunk, [&](const Match& m) {
    auto it = std::lower_bound(starts.begin(), starts.end(), m.line_offset);
    ASSERT_TRUE(it != starts.end() && *it == m.line_offset);
    found[static_cast<size_t>(it - starts.begin())] = std::to_string(m.code);
  });
  EXPECT_EQ(found, expected);
}

std::shared_ptr<const RuleSet> Rules(const std::string& yaml) {
  Diagnostics diagnostics;
  auto rules = RuleSet::FromString(yaml, "test.yaml", &diagnostics);
  EXPECT_TRUE(rules) << FormatDiagnostics(diagnostics);
  return rules;
}

TEST(LineScanner, RejectGroupDiscardsTheMatchAndSearchGoesOn) {
  auto rules = Rules(R"(rules:
  - name: k
    pattern: '(?P<reject>status )?code (?P<code>\d+)'
)");
  LineScanner scanner(rules, rules->AllRules());
  EXPECT_EQ(Label(scanner, "status code 404"), "-");
  EXPECT_EQ(Label(scanner, "status code 404 then code 7"), "7");
}

TEST(LineScanner, RejectBeforeDiscardsTheMatchAndSearchGoesOn) {
  Diagnostics diagnostics;
  auto rules = RuleSet::FromString(R"(rules:
  - name: r
    pattern: '\bcode[:=](?P<code>-?\d+)'
    reject_before: '(?i)\bstatus[ _]{1,3}|Domain=\w{0,20} '
)", "r.yaml", &diagnostics);
  ASSERT_TRUE(rules) << FormatDiagnostics(diagnostics);
  LineScanner scanner(rules, rules->AllRules());
  EXPECT_EQ(Label(scanner, "STATUS  code=404 then code=7"), "7");
  EXPECT_EQ(Label(scanner, "status code=404"), "-");
  EXPECT_EQ(Label(scanner, "hotstatus code=9"), "9");  // \b: "status" must stand alone
  EXPECT_EQ(Label(scanner, "Domain=NSURLErrorDomain code=-1001"), "-");
  EXPECT_EQ(Label(scanner, "Domain=NSURLErrorDomainTooLongForTheBound code=-1001"), "-1001");
  EXPECT_EQ(Label(scanner, "x code=5"), "5");
}

TEST(LineScanner, RejectAfterDiscardsTheMatchAndSearchGoesOn) {
  auto rules = Rules(R"(rules:
  - name: r
    pattern: '\bcode[:=] ?(?P<code>-?\d+)'
    reject_after: '\s*\[\d+:-?\d+\]'
)");
  LineScanner scanner(rules, rules->AllRules());
  EXPECT_EQ(Label(scanner, "error code: -1005 [4:-4]"), "-");
  EXPECT_EQ(Label(scanner, "code: -1005 [4:-4] then code=7"), "7");
  EXPECT_EQ(Label(scanner, "code: -1005 [4:x]"), "-1005");   // the look-ahead must match whole
  EXPECT_EQ(Label(scanner, "code: -1005"), "-1005");         // nothing follows: accepted
  // Anchored where the match ends: a later "[1:2]" does not reject it.
  EXPECT_EQ(Label(scanner, "code: -1005 see [4:-4]"), "-1005");
  // The unoptimised reference agrees.
  Match match;
  EXPECT_FALSE(scanner.EvaluateLineUnoptimised("error code: -1005 [4:-4]", &match));
  ASSERT_TRUE(scanner.EvaluateLineUnoptimised("code: -1005 [4:-4] then code=7", &match));
  EXPECT_EQ(match.code, 7);
}

TEST(LineScanner, IgnoreCodesSkipsValuesAndKeepsSearching) {
  auto rules = Rules(R"(rules:
  - name: k
    pattern: 'code=(?P<code>-?\d+)'
    ignore_codes: ["100..599", 42]
)");
  LineScanner scanner(rules, rules->AllRules());
  EXPECT_EQ(Label(scanner, "code=200"), "-");
  EXPECT_EQ(Label(scanner, "code=42"), "-");
  EXPECT_EQ(Label(scanner, "code=200 code=6206"), "6206");
  EXPECT_EQ(Label(scanner, "code=600"), "600");
}

TEST(LineScanner, LeftmostCodeWinsAcrossRules) {
  auto rules = Rules(R"(rules:
  - name: second
    pattern: 'b=(?P<code>\d+)'
  - name: first
    pattern: 'a=(?P<code>\d+)'
)");
  LineScanner scanner(rules, rules->AllRules());
  EXPECT_EQ(Label(scanner, "a=1 b=2"), "1");
  EXPECT_EQ(Label(scanner, "b=2 a=1"), "2");
}

TEST(LineScanner, RuleSubsetOnlyAppliesThoseRules) {
  auto rules = Rules(R"(rules:
  - name: a
    pattern: 'a=(?P<code>\d+)'
  - name: b
    pattern: 'b=(?P<code>\d+)'
)");
  LineScanner only_b(rules, {rules->Find("b")});
  EXPECT_EQ(Label(only_b, "a=1"), "-");
  EXPECT_EQ(Label(only_b, "a=1 b=2"), "2");
}

TEST(LineScanner, LastLineWithoutNewlineAndCrlf) {
  auto rules = ShippedRules();
  LineScanner scanner(rules, rules->AllRules());
  std::vector<int64_t> codes;
  scanner.Scan("x\r\ncode:-2\r\nnothing\r\ncode: 60007", [&](const Match& m) {
    codes.push_back(m.code);
  });
  EXPECT_EQ(codes, (std::vector<int64_t>{-2, 60007}));
}

TEST(LineScanner, EmptyRuleListMatchesNothing) {
  auto rules = Rules("rules: []\n");
  LineScanner scanner(rules, {});
  ASSERT_TRUE(scanner.ok()) << scanner.error();
  int matches = 0;
  scanner.Scan("code: -2\n", [&](const Match&) { ++matches; });
  EXPECT_EQ(matches, 0);
}

TEST(UnionPattern, GroupNamesAreStrippedOutsideClassesAndEscapes) {
  auto rules = Rules(R"(rules:
  - name: a
    pattern: '\(?P<x>[(?P<]+(?P<code>\d+)'
)");
  const std::string pattern = UnionPattern(*rules, rules->AllRules());
  EXPECT_EQ(pattern, "(?m)(?:\\(?P<x>[(?P<]+(?:\\d+))");
  RE2 re(pattern);
  EXPECT_TRUE(re.ok()) << re.error();
}

}  // namespace
}  // namespace errpulse
