// AtomPrefilter: atoms come from RE2, are found case-insensitively at every
// position (block edges, the zero-padded tail), and a rule set it cannot
// filter soundly is reported unusable.
#include "extract/atom_prefilter.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>

namespace errpulse {
namespace {

// The first position at or after `from` where some atom occurs, ASCII case
// folded: what the SIMD scans (Teddy's nibble tables with up to 8 atoms, the
// per-needle compares above that) must find.
size_t NaiveFindAtom(const std::vector<std::string>& atoms, const std::string& text, size_t from) {
  for (size_t at = from; at < text.size(); ++at)
    for (const auto& atom : atoms) {
      if (text.size() - at < atom.size()) continue;
      bool same = true;
      for (size_t k = 0; k < atom.size() && same; ++k) {
        const auto c = static_cast<unsigned char>(text[at + k]);
        same = (c >= 'A' && c <= 'Z' ? c | 0x20 : c) == static_cast<unsigned char>(atom[k]);
      }
      if (same) return at;
    }
  return text.size();
}

// Bytes that share a nibble with the atoms' bytes ('c' 0x63 and 's' 0x73,
// 'S' 0x53, '#' 0x23...) are where nibble tables could go wrong.
TEST(AtomPrefilterTest, SimdScanEqualsANaiveSearch) {
  const std::vector<std::vector<std::string>> rule_sets = {
      // 4 atoms: Teddy's nibble tables.
      {R"((?i)\bcode[:=](?P<code>\d+))", R"((?i)\berr=(?P<code>-\d+))",
       R"(\bonFail\((?P<code>\d+))", R"(】\|(?P<code>\d+))"},
      // 9 atoms: compares per needle.
      {"(?i)aaa\\s*(?P<code>\\d)", "(?i)bbb\\s*(?P<code>\\d)", "(?i)ccc\\s*(?P<code>\\d)",
       "(?i)ddd\\s*(?P<code>\\d)", "(?i)eee\\s*(?P<code>\\d)", "(?i)fff\\s*(?P<code>\\d)",
       "(?i)ggg\\s*(?P<code>\\d)", "(?i)hhh\\s*(?P<code>\\d)", "(?i)iii\\s*(?P<code>\\d)"},
  };
  const char* pieces[] = {"code:", "CODE=", "cOdE", "s", "S", "#", "C", "c", "err=", "ERR", "Err",
                          "onFail(", "onfail(", "】|", "\xE3\x80", "\x91", "\xE3", "x", "sode",
                          "cod", "aaa", "AAa", "bbB", "hhh", "iii", "III", "ggg", "\x63\x6F\x64",
                          "\x43\x4F", "\x53\x4F\x54", " ", "\x00", "\xff"};
  std::mt19937 random(11);
  for (const auto& patterns : rule_sets) {
    AtomPrefilter filter(patterns);
    ASSERT_TRUE(filter.usable()) << patterns[0] << ": " << filter.atoms().size() << " atoms";
    int found = 0;
    for (int i = 0; i < 3000; ++i) {
      std::string text;
      const int n = static_cast<int>(random() % 40);
      for (int k = 0; k < n; ++k) text += pieces[random() % std::size(pieces)];
      for (size_t from = 0; from <= text.size(); from += 1 + random() % 7) {
        const size_t want = NaiveFindAtom(filter.atoms(), text, from);
        ASSERT_EQ(filter.FindAtom(text, from), want) << "from " << from << " in '" << text << "'";
        found += want < text.size();
      }
      // A cursor walks every atom in order, also when told to skip ahead
      // (within its block or past it) now and then.
      AtomPrefilter::Cursor cursor(text, 0);
      size_t from = 0;
      for (;;) {
        if (random() % 4 == 0) {
          from += random() % 40;
          cursor.SkipTo(from);
        }
        const size_t want = NaiveFindAtom(filter.atoms(), text, std::min(from, text.size()));
        uint32_t starting = 0;
        const size_t got = filter.NextAtom(&cursor, &starting);
        ASSERT_EQ(got, want) << "after " << from << " in '" << text << "'";
        if (got >= text.size()) break;
        uint32_t atoms_here = 0;  // every atom that starts there, not just one
        for (size_t a = 0; a < filter.atoms().size(); ++a)
          if (NaiveFindAtom({filter.atoms()[a]}, text, got) == got) atoms_here |= uint32_t{1} << a;
        ASSERT_EQ(starting, atoms_here) << "at " << got << " in '" << text << "'";
        from = got + 1;
      }
    }
    EXPECT_GT(found, 1000) << "the texts hardly hold an atom: the test proves little";
  }
}

TEST(AtomPrefilterTest, AtomsAndRulesFromRe2) {
  AtomPrefilter filter({R"((?i)\berror[ _]?code\s*[:=]\s*(?P<code>-?\d+))",
                        R"(\bonEnterRoom\((?P<code>-\d+)\))"});
  ASSERT_TRUE(filter.usable());
  const auto& atoms = filter.atoms();
  auto bit = [&](const std::string& atom) {
    for (size_t a = 0; a < atoms.size(); ++a)
      if (atoms[a] == atom) return uint32_t{1} << a;
    ADD_FAILURE() << "no atom " << atom;
    return uint32_t{0};
  };
  // RE2 keeps the literal punctuation next to a literal word in the atom.
  const uint32_t code = bit("code"), enter = bit("onenterroom(");
  EXPECT_EQ(filter.RulesFor(0), 0u);
  EXPECT_NE(filter.RulesFor(filter.AtomsIn("x ErrorCode: 5") | code) & 1, 0u);
  EXPECT_EQ(filter.RulesFor(enter), 2u);
  EXPECT_EQ(filter.AtomsIn("onEnterRoom(-1) errorCODE=3") & (code | enter), code | enter);
}

TEST(AtomPrefilterTest, FindsAtomsAtEveryPositionAndCase) {
  AtomPrefilter filter({R"((?i)code=(?P<code>\d+))"});
  ASSERT_TRUE(filter.usable());
  ASSERT_EQ(filter.atoms(), std::vector<std::string>{"code="});
  for (size_t length = 5; length < 100; ++length) {
    for (size_t at = 0; at + 5 <= length; ++at) {
      std::string text(length, 'x');
      text.replace(at, 5, at % 2 ? "CoDe=" : "code=");
      EXPECT_EQ(filter.FindAtom(text, 0), at) << "length " << length << " at " << at;
      EXPECT_EQ(filter.FindAtom(text, at + 1), length);
    }
    // An atom cut by the end of the text is not there.
    std::string cut(length - 4, 'x');
    cut += "code";
    EXPECT_EQ(filter.FindAtom(cut, 0), cut.size());
  }
  // Folding is for ASCII letters only: '@' | 0x20 is '`', not a match for a letter's fold.
  EXPECT_EQ(filter.FindAtom("c@de= cOdE=", 0), 6u);
}

TEST(AtomPrefilterTest, CjkAtomIsFoundByteExactly) {
  AtomPrefilter filter({R"(】\|(?P<code>-?\d+)\|)"});
  ASSERT_TRUE(filter.usable());
  const std::string line = "[api]{\"a\":1}】|-1|";
  EXPECT_EQ(filter.FindAtom(line, 0), line.find("】"));
}

TEST(AtomPrefilterTest, UnusableWhenARuleNeedsNoAtomOrAtomHasCase) {
  EXPECT_FALSE(AtomPrefilter({R"((?P<code>-?\d{3,}))"}).usable());       // any number
  EXPECT_FALSE(AtomPrefilter({"code=(?P<code>\\d+)", "(?P<code>\\d+)$"}).usable());
  EXPECT_FALSE(AtomPrefilter({R"((?i)ÉRREUR=(?P<code>\d+))"}).usable());  // É has case
  EXPECT_FALSE(AtomPrefilter(std::vector<std::string>{}).usable());
  EXPECT_TRUE(IsCaselessAtom("code"));
  EXPECT_TRUE(IsCaselessAtom("】"));
  EXPECT_FALSE(IsCaselessAtom("érreur"));
  EXPECT_FALSE(IsCaselessAtom("ｃode"));  // fullwidth Latin has case
}

}  // namespace
}  // namespace errpulse
