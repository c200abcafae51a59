// LiteralPrefix: what the analysis reads from patterns, how Find finds the
// literal, and — the property the LineScanner relies on — that searching a
// rule anchored at each occurrence of its prefix decides every line exactly
// as the plain unanchored RE2 search does (LineScanner::EvaluateLine against
// EvaluateLineUnoptimised, one rule at a time, over many generated lines).
#include "extract/literal_prefix.h"

#include <gtest/gtest.h>

#include <random>

#include "extract/line_scanner.h"

namespace errpulse {
namespace {

TEST(LiteralPrefixTest, ReadsTheLeadingLiteral) {
  struct Case {
    const char* pattern;
    const char* text;
    bool fold;
  } cases[] = {
      {R"((?i)\berr(?:or)?["']?\s*[:=]\s*(?P<code>-\d{1,9}))", "err", true},
      {R"(\bonEnterRoom\s*[(:]\s*(?P<code>-\d+))", "onEnterRoom", false},
      {R"(\bPlatformException\s*\(\s*(?P<code>-?\d+))", "PlatformException", false},
      {R"(】(?:\{.*\})?\|(?P<code>-?\d+)\|)", "】", false},
      {R"(\bon(?:Error|Fail)\s*\((?P<code>-?\d+))", "on", false},
      {R"(^\[E\]code=(?P<code>\d+))", "[E]code=", false},
      {R"((?i)ErrCode=(?P<code>\d+))", "errcode=", true},
      {R"((?i)Result(?P<code>\d+))", "re", true},          // stops before 's' (U+017F folds to it)
      {R"((?i)oK(?P<code>\d+))", "o", true},               // and before 'k' (U+212A)
      {R"(abc+(?P<code>\d+))", "ab", false},                // 'c' may repeat: not part of it
      {R"(abc?(?P<code>\d+))", "ab", false},
      {R"(ab{2}(?P<code>\d+))", "a", false},
      {R"((?i)\d+ ms)", "", false},
      {R"((?P<reject>status )?code (?P<code>\d+))", "", false},
      {R"(code=(?P<code>\d+)|err=(?P<e>\d+))", "", false},  // top-level alternation
      {R"((?i)(?-i)Code:(?P<code>\d+))", "Code:", false},
      {R"((?i:code)(?P<code>\d+))", "", false},
      {R"(\(code\)(?P<code>\d+))", "(code)", false},
      {R"((?i)错误码(?P<code>\d+))", "错误码", false},     // caseless CJK under (?i)
      {R"((?i)Ä(?P<code>\d+))", "", false},                // non-ASCII with case
      {R"(\Qcode\E(?P<code>\d+))", "", false},
      {R"(\x41(?P<code>\d+))", "", false},
  };
  for (const auto& c : cases) {
    const LiteralPrefix prefix = LiteralPrefixOf(c.pattern);
    EXPECT_EQ(prefix.text, c.text) << c.pattern;
    EXPECT_EQ(prefix.fold_case, c.fold) << c.pattern;
  }
}

TEST(LiteralPrefixTest, FindsEveryOccurrenceInEitherCase) {
  LiteralPrefix err{"err", true};
  EXPECT_EQ(err.Find("xx ERR Err eRr err", 0), 3u);
  EXPECT_EQ(err.Find("xx ERR Err eRr err", 4), 7u);
  EXPECT_EQ(err.Find("xx ERR Err eRr err", 8), 11u);
  EXPECT_EQ(err.Find("xx ERR Err eRr err", 12), 15u);
  EXPECT_EQ(err.Find("xx ERR Err eRr err", 16), 18u);  // none: the size
  EXPECT_EQ(err.Find("er", 0), 2u);
  EXPECT_EQ(err.Find("eer", 0), 0u + 3u);  // "eer" holds no "err"
  LiteralPrefix exact{"onEnterRoom", false};
  EXPECT_EQ(exact.Find("onenterroom onEnterRoom", 0), 12u);
  LiteralPrefix cjk{"】", false};
  EXPECT_EQ(cjk.Find("【login】|0|", 0), 8u);
  LiteralPrefix punct{"\"c", true};
  EXPECT_EQ(punct.Find("a\"C", 0), 1u);
}

// Anchored-at-the-prefix must equal unanchored, line for line, for patterns
// with \b, ^, case folding, repeated prefixes, rejects and overlapping hits.
TEST(LiteralPrefixTest, AnchoredSearchDecidesLikeTheUnanchoredOne) {
  const char* patterns[] = {
      R"((?i)\berr(?:or)?["']?\s*[:=]\s*["']?(?P<code>-\d{1,9})(?:[^\w.\-/]|\.(?:\D|$)|$))",
      R"(\bon(?:Error|Fail|Failed|Failure)\s*[(:]\s*(?P<code>-?\d{1,9})(?:\s*[,)|;]|\s|$))",
      R"(】(?:\{.*\}|\[.*\])?\|(?P<code>-?\d{1,9})\|)",
      R"(^err=(?P<code>-?\d+))",
      R"((?m)^err=(?P<code>-?\d+))",
      R"(\Berr=(?P<code>-?\d+))",
      R"(erer(?P<code>\d)(?P<reject>x)?)",
      R"((?i)e(?P<code>\d+)$)",
  };
  const char* pieces[] = {"err", "ERR", "Err", "error", "=", ":", " ", "-", "1", "42", "x",
                          "onError", "onFail(", "(", ")", ",", "】", "|", "{", "}", "[", "]",
                          "e", "r", "erer", ".", "/", "\"", "é", "\xE2\x84\xAA", "\t",
                          "err=", "err=-5 ", "error: -12 ", "Err='-7'", "xerr=3", "erer4",
                          "onError(-3,", "onFail: 8 ", "】|7|", "】{\"a\":1}|-6|", "】[1]|9|", "e5"};
  std::mt19937 random(6);
  std::vector<std::string> lines;
  for (int i = 0; i < 20000; ++i) {
    std::string line;
    const int n = 1 + static_cast<int>(random() % 14);
    for (int k = 0; k < n; ++k) line += pieces[random() % std::size(pieces)];
    lines.push_back(line);
  }
  for (const char* pattern : patterns) {
    ASSERT_TRUE(LiteralPrefixOf(pattern).usable()) << pattern;
    std::string quoted;  // a YAML single-quoted scalar doubles its quotes
    for (const char* c = pattern; *c; ++c) quoted += *c == '\'' ? std::string("''") : std::string(1, *c);
    const std::string yaml =
        "version: 1\nrules:\n  - name: r\n    pattern: '" + quoted + "'\n";
    Diagnostics diagnostics;
    auto rules = RuleSet::FromString(yaml, "test.yaml", &diagnostics);
    ASSERT_TRUE(rules) << FormatDiagnostics(diagnostics);
    LineScanner scanner(rules, rules->AllRules());
    int matched = 0;
    for (const auto& line : lines) {
      Match fast, plain;
      const bool got = scanner.EvaluateLine(line, &fast);
      const bool want = scanner.EvaluateLineUnoptimised(line, &plain);
      ASSERT_EQ(got, want) << pattern << "\n  " << line;
      if (got) {
        ++matched;
        ASSERT_EQ(fast.code, plain.code) << pattern << "\n  " << line;
      }
    }
    EXPECT_GT(matched, 0) << pattern << ": the lines never match, the test proves nothing";
  }
}

}  // namespace
}  // namespace errpulse
