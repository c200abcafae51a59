// RequiredLiteral and PatternWidth: what the analysis reads from patterns,
// how Find finds the literal, that widths bound real matches, and — the
// property the LineScanner relies on — that searching a rule only from near
// its literal (anchored at it when max_lead is 0) decides every line exactly
// as the plain unanchored RE2 search does (LineScanner::EvaluateLine against
// EvaluateLineUnoptimised, one rule at a time, over many generated lines).
#include "extract/required_literal.h"

#include <gtest/gtest.h>

#include <cstring>
#include <random>

#include "extract/line_scanner.h"
#include "extract/pattern_width.h"
#include "support/test_support.h"

namespace errpulse {
namespace {

TEST(RequiredLiteralTest, ReadsTheLiteralAndItsLead) {
  struct Case {
    const char* pattern;
    const char* text;
    bool fold;
    size_t lead = 0;
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
      {R"((?P<reject>status )?code (?P<code>\d+))", "code ", false, 7},
      {R"((?i)["'\[]?\b(?:err(?:or)?[ _-]?)?code["'\]]?\s*(?P<code>\d+))", "code", true, 7},
      {R"(["'\[]?\bcode:(?P<code>\d+))", "code:", false, 1},
      {R"(x{2,5}abc(?P<code>\d+))", "abc", false, 5},
      {R"(x{2,5}ab(?P<code>\d+))", "", false},              // two letters after a lead: too common
      {R"(\w*abc(?P<code>\d+))", "", false},                 // unbounded lead
      {R"((?i)sk(?P<code>\d+))", "", false},
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
    const RequiredLiteral literal = RequiredLiteralOf(c.pattern);
    EXPECT_EQ(literal.text, c.text) << c.pattern;
    EXPECT_EQ(literal.fold_case, c.fold) << c.pattern;
    if (literal.usable()) {
      EXPECT_EQ(literal.max_lead, c.lead) << c.pattern;
    }
  }
}

// Every shipped rule has a literal to search near, so none costs a DFA pass
// over whole lines (issue 6): code_key holds "code" within 7 bytes of its
// start because its rejections live in reject_before, not in leading groups.
TEST(RequiredLiteralTest, EveryShippedRuleHasOne) {
  Diagnostics diagnostics;
  auto rules = RuleSet::Load({testing::SourcePath("rules/codes.yaml")}, &diagnostics);
  ASSERT_TRUE(rules) << FormatDiagnostics(diagnostics);
  for (const Rule& rule : rules->rules()) {
    const RequiredLiteral literal = RequiredLiteralOf(rule.pattern);
    EXPECT_TRUE(literal.usable()) << rule.name;
    EXPECT_LE(literal.max_lead, 16u) << rule.name;
  }
  EXPECT_EQ(RequiredLiteralOf(rules->rules()[rules->Find("code_key")].pattern).text, "code");
}

// What must follow the literal: code_key's "code" needs a quote, ']', a
// space, ':' or '=' next, so the "code" of "EncoderParam" is skipped.
TEST(RequiredLiteralTest, ReadsWhatMustFollowTheLiteral) {
  auto set_of = [](const RequiredLiteral& literal) {
    std::string bytes;
    for (int b = 0; b < 256; ++b)
      if (literal.next_bytes[0].test(static_cast<size_t>(b))) bytes += static_cast<char>(b);
    return bytes;
  };
  const RequiredLiteral code_key = RequiredLiteralOf(
      R"((?i)["'\[]?\b(?:err(?:or)?[ _-]?)?code["'\]]?(?:\s+(?:(?:=>?|:)\s*)?|(?:=>?|:)\s*)["']?(?P<code>-?\d{1,9}))");
  EXPECT_EQ(code_key.checked_next, 2u);  // a separator and a digit at least
  EXPECT_EQ(set_of(code_key), std::string("\t\n\f\r \"':=]"));
  EXPECT_EQ(code_key.Find("setVideoEncoderParam width:368", 0), 30u);  // skipped: none
  EXPECT_EQ(code_key.Find("Encoder code: 5", 0), 8u);
  EXPECT_EQ(code_key.Find("x code", 0), 6u);  // nothing follows: not taken

  const RequiredLiteral err = RequiredLiteralOf(R"((?i)\berr(?:or)?["']?\s*[:=]\s*(?P<code>-\d+))");
  EXPECT_EQ(err.checked_next, 3u);
  EXPECT_EQ(set_of(err), std::string("\t\n\f\r \"':=Oo"));
  // "Err" + "or" + 'I' / 'C': the third byte fits no way the pattern goes on.
  const std::string rest = R"({"ErrorInfo":"","ErrorCode":0,"x":"error: -5"})";
  EXPECT_EQ(err.Find(rest, 0), rest.find("error"));
  EXPECT_TRUE(err.next_bytes[1].test('r'));
  EXPECT_FALSE(err.next_bytes[2].test('I'));
  EXPECT_EQ(err.Find("err:", 0), 4u);  // too short for any match

  const RequiredLiteral folded = RequiredLiteralOf(R"((?i)err[ks_](?P<code>\d))");
  EXPECT_EQ(set_of(folded), std::string("KS_ks\xC5\xE2"));  // U+017F, U+212A
  const RequiredLiteral negated = RequiredLiteralOf(R"(err[^=\d](?P<code>\d))");
  EXPECT_EQ(negated.checked_next, 2u);
  EXPECT_FALSE(negated.next_bytes[0].test('='));
  EXPECT_FALSE(negated.next_bytes[0].test('7'));
  EXPECT_TRUE(negated.next_bytes[0].test('x'));
  EXPECT_TRUE(negated.next_bytes[0].test(0xE4));
  EXPECT_TRUE(negated.next_bytes[1].test('7'));  // the code, or a UTF-8 continuation byte
  EXPECT_TRUE(negated.next_bytes[1].test(0x80));
  EXPECT_FALSE(negated.next_bytes[1].test('x'));

  // The rest may be empty, or needs something the parser does not know: every byte.
  EXPECT_EQ(RequiredLiteralOf(R"(code(?P<code>\d*))").checked_next, 0u);
  EXPECT_EQ(RequiredLiteralOf(R"(code\b)").checked_next, 0u);
  EXPECT_EQ(RequiredLiteralOf(R"(code\pN(?P<code>\d))").next_bytes[0].count(), 256u);
  EXPECT_EQ(RequiredLiteralOf(R"(code[[:digit:]](?P<code>\d))").next_bytes[0].count(), 256u);
  EXPECT_EQ(RequiredLiteralOf(R"(code[^\pN](?P<code>\d))").next_bytes[0].count(), 256u);
}

// Where a match of a rule with a lead can start: code_key's lead is an
// optional quote and an optional "err", "err_", "error" or "error_".
TEST(RequiredLiteralTest, ReadsWhereMatchesCanStart) {
  const RequiredLiteral code_key = RequiredLiteralOf(
      R"((?i)["'\[]?\b(?:err(?:or)?[ _-]?)?code["'\]]?(?:\s+(?:(?:=>?|:)\s*)?|(?:=>?|:)\s*)["']?(?P<code>-?\d{1,9}))");
  ASSERT_TRUE(code_key.SearchesByCandidates());
  EXPECT_EQ(code_key.lead_lengths, LengthSet{0b11111011});  // 0, 1, 3, 4, 5, 6, 7
  const std::string line = R"({"ErrorInfo":"","ErrorCode":0})";
  std::vector<size_t> starts;
  for (size_t p = 0; p < line.size(); ++p)
    if (code_key.CanStartAt(line, p)) starts.push_back(p);
  // The quote before ErrorCode, its 'E', and its 'C'.
  EXPECT_EQ(starts, (std::vector<size_t>{16, 17, 22}));
  EXPECT_FALSE(code_key.CanStartAt("Encoder", 2));  // "code" followed by 'r'
  EXPECT_FALSE(RequiredLiteralOf(R"(\w{0,70}abc(?P<code>\d))").SearchesByCandidates());
  EXPECT_FALSE(RequiredLiteralOf(R"(abc(?P<code>\d))").SearchesByCandidates());  // anchored at it
}

// The 64-bit prefix compare agrees with a byte-by-byte one, folded or not.
TEST(RequiredLiteralTest, BytePrefix8AgreesWithAByteLoop) {
  const char* literals[] = {"err", "code", "onenterroom", "\xE3\x80\x91", "[e]c=", "a"};
  const char alphabet[] = "eErRcCoOdD[]=@`{\xE3\x80\x91 ";
  std::mt19937 random(5);
  int matched = 0;
  for (const char* literal : literals) {
    for (bool fold : {false, true}) {
      const BytePrefix8 prefix = BytePrefix8::Of(literal, fold);
      const std::string_view want(literal);
      for (int i = 0; i < 20000; ++i) {
        char text[8];
        for (char& c : text) c = alphabet[random() % (sizeof alphabet - 1)];
        if (random() % 4 == 0) std::memcpy(text, literal, std::min<size_t>(want.size(), 8));
        bool same = true;
        for (size_t k = 0; k < want.size() && k < 8; ++k) {
          const auto t = static_cast<unsigned char>(text[k]);
          const auto w = static_cast<unsigned char>(want[k]);
          same = same && (fold && w >= 'a' && w <= 'z' ? (t | 0x20) == w : t == w);
        }
        ASSERT_EQ(prefix.MatchesAt(text), same) << literal << " fold " << fold;
        matched += same;
      }
    }
  }
  EXPECT_GT(matched, 1000);
}

TEST(RequiredLiteralTest, FindsEveryOccurrenceInEitherCase) {
  RequiredLiteral err{"err", true};
  EXPECT_EQ(err.Find("xx ERR Err eRr err", 0), 3u);
  EXPECT_EQ(err.Find("xx ERR Err eRr err", 4), 7u);
  EXPECT_EQ(err.Find("xx ERR Err eRr err", 8), 11u);
  EXPECT_EQ(err.Find("xx ERR Err eRr err", 12), 15u);
  EXPECT_EQ(err.Find("xx ERR Err eRr err", 16), 18u);  // none: the size
  EXPECT_EQ(err.Find("er", 0), 2u);
  EXPECT_EQ(err.Find("eer", 0), 0u + 3u);  // "eer" holds no "err"
  RequiredLiteral exact{"onEnterRoom", false};
  EXPECT_EQ(exact.Find("onenterroom onEnterRoom", 0), 12u);
  RequiredLiteral cjk{"】", false};
  EXPECT_EQ(cjk.Find("【login】|0|", 0), 8u);
  RequiredLiteral punct{"\"c", true};
  EXPECT_EQ(punct.Find("a\"C", 0), 1u);
}

TEST(PatternWidthTest, MaxMatchBytes) {
  EXPECT_EQ(MaxMatchBytes("abc"), 3u);
  EXPECT_EQ(MaxMatchBytes("a{2,3}"), 3u);
  EXPECT_EQ(MaxMatchBytes("(?:ab|cde)?f"), 4u);
  EXPECT_EQ(MaxMatchBytes(R"(\bx\b$)"), 1u);
  EXPECT_EQ(MaxMatchBytes("(?i)k"), 3u);  // U+212A KELVIN SIGN
  EXPECT_EQ(MaxMatchBytes("(?i)s"), 2u);  // U+017F LONG S
  EXPECT_EQ(MaxMatchBytes("[ab]"), 1u);
  EXPECT_EQ(MaxMatchBytes("(?i)[ab]"), 4u);
  EXPECT_EQ(MaxMatchBytes("[^a]"), 4u);
  EXPECT_EQ(MaxMatchBytes("."), 4u);
  EXPECT_EQ(MaxMatchBytes("é"), 2u);
  EXPECT_EQ(MaxMatchBytes(R"(\w{0,64}\s{1,8})"), 72u);
  EXPECT_EQ(MaxMatchBytes(R"(\d+)"), kUnboundedWidth);
  EXPECT_EQ(MaxMatchBytes("x{3,}"), kUnboundedWidth);
  EXPECT_EQ(MaxMatchBytes("x{,3}"), kUnboundedWidth);  // literal text to RE2: not parsed
  EXPECT_EQ(MaxMatchBytes(R"(\Qa*\E)"), kUnboundedWidth);
  EXPECT_EQ(MaxMatchBytes("(a"), kUnboundedWidth);
  EXPECT_EQ(MaxMatchBytes("(?P<x>ab)|c"), 2u);
  EXPECT_EQ(MaxMatchBytes("()*"), 0u);
}

// Calls `check(match, text)` for every non-empty RE2 match of `pattern` in
// 20,000 texts of up to `max_pieces` random `pieces`; returns how many there
// were (a property checked on none proves nothing).
template <size_t N, typename Check>
int ForEachRealMatch(const char* pattern, const char* (&pieces)[N], unsigned seed, int max_pieces,
                     Check check) {
  RE2 re("(" + std::string(pattern) + ")");  // group 1: the whole match
  EXPECT_TRUE(re.ok()) << pattern;
  std::mt19937 random(seed);
  int matched = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string text;
    const int n = 1 + static_cast<int>(random() % static_cast<unsigned>(max_pieces));
    for (int k = 0; k < n; ++k) text += pieces[random() % N];
    re2::StringPiece input(text), whole;
    while (RE2::FindAndConsume(&input, re, &whole)) {
      if (whole.empty()) {
        if (input.empty()) break;
        input.remove_prefix(1);
        continue;
      }
      ++matched;
      check(std::string_view(whole.data(), whole.size()), text);
    }
  }
  return matched;
}

// Whatever RE2 matches is never longer than MaxMatchBytes says.
TEST(PatternWidthTest, BoundsEveryRealMatch) {
  const char* patterns[] = {
      R"(\bDomain=(?:NS|kCF|kCL|AVFoundation|WebKit)\w{0,64}\s{1,8}|(?i:\b(?:status|http)[ _-]))",
      "(?i)[a-z]{1,3}k", "(?i)s{2}", ".{0,3}x", R"([^\]]{1,2}\])", R"(\W\D\S)", "(?i)é{1,2}"};
  const char* pieces[] = {"a", "K", "k", "\xE2\x84\xAA", "s", "S", "\xC5\xBF", "\xC3\xA9",
                          "\xC3\x89", "x", "]", " ", "\t", "Domain=NS", "Domain=WebKit", "status",
                          "-", "_", "\xF0\x9F\x98\x80", "9", "\xE2\x80\x94"};
  for (const char* pattern : patterns) {
    const size_t bound = MaxMatchBytes(pattern);
    ASSERT_NE(bound, kUnboundedWidth) << pattern;
    const int matched = ForEachRealMatch(pattern, pieces, 7, 12, [&](auto whole, auto& text) {
      EXPECT_LE(whole.size(), bound) << pattern << " matched '" << whole << "' in '" << text << "'";
    });
    EXPECT_GT(matched, 0) << pattern;
  }
}

// Whatever RE2 matches has a length the items' lengths allow.
TEST(PatternWidthTest, LengthsHoldEveryRealMatch) {
  const char* patterns[] = {
      R"((?i)["'\[]?\b(?:err(?:or)?[ _-]?)?code)", "(?i)k?s?x", "(?:é|】)?x{1,3}", ".?[^x]{0,2}y",
      R"(\w{2,4}(?:ab|c)?)", "(?:xy){0,3}z", R"(\bq?\d{1,2})"};
  const char* pieces[] = {"a", "K", "k", "\xE2\x84\xAA", "s", "S", "\xC5\xBF", "\xC3\xA9",
                          "\xE3\x80\x91", "x", "y", "z", "xy", "q", "\"", "[", "err", "Error_",
                          "ERR-", "code", "CODE", "c", "ab", "1", "42", " ", "\xF0\x9F\x98\x80"};
  for (const char* pattern : patterns) {
    const auto items = TopLevelItems(pattern);
    ASSERT_TRUE(items) << pattern;
    LengthSet lengths = 1;
    for (const PatternItem& item : *items) lengths = SumOfLengths(lengths, item.lengths);
    const int matched = ForEachRealMatch(pattern, pieces, 9, 10, [&](auto whole, auto& text) {
      EXPECT_LT(whole.size(), 64u);
      EXPECT_TRUE(whole.size() < 64 && (lengths & (LengthSet{1} << whole.size())))
          << pattern << " matched '" << whole << "' in '" << text << "'";
    });
    EXPECT_GT(matched, 0) << pattern;
  }
  EXPECT_EQ(RequiredLiteralOf("(?:xy){0,3}zzz").lead_lengths, LengthSet{0b1010101});  // 0 2 4 6
}

// Whatever RE2 matches starts with a byte FirstBytes lists, and has at each
// of its first offsets a byte BytesByOffset lists.
TEST(PatternWidthTest, FirstBytesHoldEveryRealMatchStart) {
  const char* patterns[] = {
      R"((?i)["'\]]?(?:\s+(?:(?:=>?|:)\s*)?|(?:=>?|:)\s*)["']?-?\d)",
      "(?i)[a-j]k", "(?i)s{1,2}x", "(?i)[^a-z]x", R"([^\]\d]{1,2}\])", R"((?:\b|x)\d)",
      "(?i)é", R"(\w\s)", R"((?i)\w)", "(?:ab)?c?[0-3]", R"(\x41|y)", "(?i)[k-m]", "[-a]",
      R"((?i)(?-i:K)|q)", "(?s).x", "x*y{0,2}z", R"((?i)err(?:or)?["']?\s*[:=]\s*-\d)",
      "(?:xy)+z", "(?:a|xy){2,3}q", R"([^\]]y?\d)", "(?i)k{1,2}s", "x(?:ab)?c?", "(?i)[a-c]?k",
      R"(\w+\s?)", "(?:】|é)x?"};
  const char* pieces[] = {"a", "K", "k", "\xE2\x84\xAA", "s", "S", "\xC5\xBF", "\xC3\xA9",
                          "\xC3\x89", "x", "]", " ", "\t", "\n", "=>", ":", "=", "\"", "'",
                          "-", "_", "\xF0\x9F\x98\x80", "9", "1", "\xE2\x80\x94", "A", "y",
                          "z", "q", "M", "c", "ab", "err", "Error", "or", "xy", "err: -", "ERROR\"=-",
                          "\xE3\x80\x91"};
  for (const char* pattern : patterns) {
    const ByteSet first = FirstBytes(pattern);
    const BytesAt by_offset = BytesByOffset(pattern);
    const PatternEnds ends = EndsOf(pattern);
    const int matched = ForEachRealMatch(pattern, pieces, 8, 10, [&](auto whole, auto& text) {
      EXPECT_TRUE(first.test(static_cast<unsigned char>(whole[0])))
          << pattern << " matched '" << whole << "' in '" << text << "'";
      EXPECT_TRUE(ends.last.test(static_cast<unsigned char>(whole.back())))
          << pattern << " ends '" << whole << "' in '" << text << "'";
      for (size_t k = 0; k < kByteDepth && k < whole.size(); ++k)
        EXPECT_TRUE(by_offset[k].test(static_cast<unsigned char>(whole[k])))
            << pattern << " offset " << k << " of '" << whole << "' in '" << text << "'";
    });
    EXPECT_GT(matched, 0) << pattern;
  }
  // Not every byte, or the property above would hold trivially.
  EXPECT_EQ(FirstBytes(R"(["'\]]?(?:\s+|:)-?\d)").count(), 9u);  // " ' ] \t \n \f \r space :
  EXPECT_EQ(FirstBytes("(?i)[a-j]k").count(), 20u);
  EXPECT_EQ(FirstBytes("(?i)s{1,2}x").count(), 3u);
  EXPECT_EQ(FirstBytes("(?i)[^a-z]x").count(), 128u - 52u + 128u);
  EXPECT_EQ(FirstBytes(R"((?:\b|x)\d)").count(), 11u);
  EXPECT_EQ(BytesByOffset("(?:xy)+z")[1].count(), 1u);  // y
  EXPECT_EQ(BytesByOffset("(?:xy)+z")[2].count(), 2u);  // x z
  EXPECT_EQ(BytesByOffset(R"([^\]]y?\d)")[1].count(), 64u + 11u);  // continuation, y, digits
  EXPECT_EQ(EndsOf(R"(\bDomain=NS\w{0,32}\s{1,4}|(?i:\bstatus[ _-]))").last.count(), 5u + 2u);
  EXPECT_EQ(EndsOf("x(?:ab)?c?").last.count(), 3u);  // x b c
  EXPECT_EQ(EndsOf(R"([^x])").last.count(), 255u);  // a multi-byte character ends >= 0x80
  EXPECT_FALSE(EndsOf(R"(\s*\[\d+:-?\d+\])").may_be_empty);
  EXPECT_TRUE(EndsOf("a?").may_be_empty);
  EXPECT_TRUE(EndsOf(R"(\Qx\E)").may_be_empty);  // not understood: assumed possibly empty
}

// Pieces of log text around the literals the test patterns need.
const char* const kLinePieces[] = {"err", "ERR", "Err", "error", "=", ":", " ", "-", "1", "42", "x",
                                   "onError", "onFail(", "(", ")", ",", "】", "|", "{", "}", "[", "]",
                                   "e", "r", "erer", ".", "/", "\"", "é", "\xE2\x84\xAA", "\t",
                                   "err=", "err=-5 ", "error: -12 ", "Err='-7'", "xerr=3", "erer4",
                                   "onError(-3,", "onFail: 8 ", "】|7|", "】{\"a\":1}|-6|", "】[1]|9|", "e5",
                                   "code", "CODE", "Code: 5", "error_code=-3 ", "\"code\":0,", "[code] 7",
                                   "errcode 12 ", "Encoder", "xerer", "xxerer5", "ab=err-4", "k=err9",
                                   "k", "S", "\xC5\xBF", "errk1", "errS", "err=>-5", "code=> 3", "code\t:7",
                                   "status ", "code:4", "ab", "c", "xx", "\xC3\xA9", "\xE3\x80\x91", "Kerr3",
                                   "\xE2\x84\xAA" "err2", "abc"};

// `count` lines of up to 14 random pieces.
std::vector<std::string> RandomLines(unsigned seed, int count) {
  std::mt19937 random(seed);
  std::vector<std::string> lines;
  for (int i = 0; i < count; ++i) {
    std::string line;
    const int n = 1 + static_cast<int>(random() % 14);
    for (int k = 0; k < n; ++k) line += kLinePieces[random() % std::size(kLinePieces)];
    lines.push_back(line);
  }
  return lines;
}

// A rule set with one rule per pattern, named r0, r1, ...
std::shared_ptr<const RuleSet> RulesOf(const std::vector<const char*>& patterns) {
  std::string yaml = "version: 1\nrules:\n";
  for (size_t i = 0; i < patterns.size(); ++i) {
    std::string quoted;  // a YAML single-quoted scalar doubles its quotes
    for (const char* c = patterns[i]; *c; ++c)
      quoted += *c == '\'' ? std::string("''") : std::string(1, *c);
    yaml += "  - name: r" + std::to_string(i) + "\n    pattern: '" + quoted + "'\n";
  }
  Diagnostics diagnostics;
  auto rules = RuleSet::FromString(yaml, "test.yaml", &diagnostics);
  EXPECT_TRUE(rules) << FormatDiagnostics(diagnostics);
  return rules;
}

// Searching near the literal must decide every line as the plain search does,
// for patterns with \b, ^, case folding, repeated literals, leads, rejects
// and overlapping hits.
TEST(RequiredLiteralTest, SearchNearTheLiteralDecidesLikeThePlainOne) {
  const char* patterns[] = {
      R"((?i)\berr(?:or)?["']?\s*[:=]\s*["']?(?P<code>-\d{1,9})(?:[^\w.\-/]|\.(?:\D|$)|$))",
      R"(\bon(?:Error|Fail|Failed|Failure)\s*[(:]\s*(?P<code>-?\d{1,9})(?:\s*[,)|;]|\s|$))",
      R"(】(?:\{.*\}|\[.*\])?\|(?P<code>-?\d{1,9})\|)",
      R"(^err=(?P<code>-?\d+))",
      R"((?m)^err=(?P<code>-?\d+))",
      R"(\Berr=(?P<code>-?\d+))",
      R"(erer(?P<code>\d)(?P<reject>x)?)",
      R"((?i)e(?P<code>\d+)$)",
      R"((?i)["'\[]?\b(?:err(?:or)?[ _-]?)?code["'\]]?(?:\s*(?:=>|[:=])\s*|\s+)["']?(?P<code>-?\d{1,9})(?:[^\w.\-/]|\.(?:\D|$)|$))",
      R"(x{0,3}erer(?P<code>\d)(?P<reject>x)?)",
      R"(\b[a-z]{0,4}=err(?P<code>-?\d+))",
      R"((?i)["'\[]?\b(?:err(?:or)?[ _-]?)?code["'\]]?(?:\s+(?:(?:=>?|:)\s*)?|(?:=>?|:)\s*)["']?(?P<code>-?\d{1,9})(?:[^\w.\-/]|\.(?:\D|$)|$))",
      R"((?i)err[ks](?P<code>\d))",
      R"(err[^=\d](?P<code>\d))",
      R"(err\b=?(?P<code>\d))",
      R"((?i)(?:status )?code[:=](?P<code>\d+))",
      R"((?:ab|c)?(?:x{1,2}|)err(?P<code>\d))",
      R"((?i)k?err(?P<code>\d))",
      R"((?:é|】)?err=(?P<code>\d))",
      R"(.?err(?P<code>\d))",
      R"([^x]{0,2}err(?P<code>-?\d)(?P<reject>x)?)",
      R"(\b[a-z]{2,4}err=(?P<code>\d))",
  };
  const std::vector<std::string> lines = RandomLines(6, 20000);
  for (const char* pattern : patterns) {
    ASSERT_TRUE(RequiredLiteralOf(pattern).usable()) << pattern;
    auto rules = RulesOf({pattern});
    ASSERT_TRUE(rules);
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

// Scanning a chunk (atoms, atoms passed by when no rule's literal takes them,
// line bounds, rule choice by atoms) finds on each line exactly what the plain
// search of every rule finds, for rule sets mixing literals that hold atoms,
// rules needing atoms outside their literal, folded and non-ASCII leads.
TEST(RequiredLiteralTest, ChunkScanFindsWhatThePlainLineSearchFinds) {
  const std::vector<std::vector<const char*>> rule_sets = {
      {R"((?i)["'\[]?\b(?:err(?:or)?[ _-]?)?code["'\]]?(?:\s+(?:(?:=>?|:)\s*)?|(?:=>?|:)\s*)["']?(?P<code>-?\d{1,9})(?:[^\w.\-/]|\.(?:\D|$)|$))",
       R"((?i)\berr(?:or)?["']?\s*[:=]\s*["']?(?P<code>-\d{1,9})(?:[^\w.\-/]|\.(?:\D|$)|$))",
       R"(\bon(?:Error|Fail|Failed|Failure)\s*[(:]\s*(?P<code>-?\d{1,9})(?:\s*[,)|;]|\s|$))",
       R"(】(?:\{.*\}|\[.*\])?\|(?P<code>-?\d{1,9})\|)"},
      {R"(erer.*?code[=:] ?(?P<code>\d+))",  // needs "code", which its literal lacks
       R"((?i)k?err\s*(?P<code>\d))", R"(err[^=\d](?P<code>\d))",
       R"((?:】)?err=\s*(?P<code>\d))"},
      // (Each code behind \s*: RE2 would spell a digit right after the
      // literal out as ten atoms, too many for the prefilter.)
      {R"((?:ab|c)?(?:x{1,2}|)err\s*(?P<code>\d))", R"(\b[a-z]{2,4}err=\s*(?P<code>\d))",
       R"(erer\s*(?P<code>\d)(?P<reject>x)?)", R"((?i)(?:status )?code[:=](?P<code>\d+))",
       R"(x{0,3}erer\s*(?P<code>\d)(?P<reject>x)?)"},
  };
  const std::vector<std::string> lines = RandomLines(12, 20000);
  std::string chunk;
  std::vector<size_t> starts;
  for (const auto& line : lines) {
    starts.push_back(chunk.size());
    chunk += line + "\n";
  }
  for (const auto& patterns : rule_sets) {
    auto rules = RulesOf(patterns);
    ASSERT_TRUE(rules);
    LineScanner scanner(rules, rules->AllRules());
    ASSERT_TRUE(scanner.prefiltered()) << patterns[0];
    std::vector<std::string> want(lines.size(), "-"), got(lines.size(), "-");
    int matched = 0;
    for (size_t i = 0; i < lines.size(); ++i) {
      Match plain;
      if (scanner.EvaluateLineUnoptimised(lines[i], &plain)) {
        want[i] = std::to_string(plain.code) + "/" + std::to_string(plain.rule);
        ++matched;
      }
    }
    scanner.Scan(chunk, [&](const Match& m) {
      auto it = std::lower_bound(starts.begin(), starts.end(), m.line_offset);
      ASSERT_TRUE(it != starts.end() && *it == m.line_offset) << m.line_offset;
      got[static_cast<size_t>(it - starts.begin())] =
          std::to_string(m.code) + "/" + std::to_string(m.rule);
    });
    for (size_t i = 0; i < lines.size(); ++i)
      ASSERT_EQ(got[i], want[i]) << patterns[0] << "\n  line " << i << ": " << lines[i];
    EXPECT_GT(matched, 1000) << patterns[0];
  }
}

}  // namespace
}  // namespace errpulse
