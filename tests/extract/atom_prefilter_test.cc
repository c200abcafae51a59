// AtomPrefilter: atoms come from RE2, are found case-insensitively at every
// position (block edges, the zero-padded tail), and a rule set it cannot
// filter soundly is reported unusable.
#include "extract/atom_prefilter.h"

#include <gtest/gtest.h>

#include <string>

namespace errpulse {
namespace {

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
