// CountChunk and SourceCounts: exact line, error, success and unknown counts;
// the unknown-code cap folds into "other" by range domain.
#include <gtest/gtest.h>

#include "engine/counting.h"
#include "support/test_support.h"

namespace errpulse {
namespace {

struct Fixture {
  Fixture() {
    Diagnostics d;
    catalog = Catalog::Load({testing::SourcePath("data/catalog.yaml")}, &d);
    rules = RuleSet::Load({testing::SourcePath("rules/codes.yaml")}, &d);
    EXPECT_TRUE(catalog && rules) << FormatDiagnostics(d);
    scanner = std::make_unique<LineScanner>(rules, rules->AllRules());
  }
  std::shared_ptr<const Catalog> catalog;
  std::shared_ptr<const RuleSet> rules;
  std::unique_ptr<LineScanner> scanner;
};

TEST(CountLines, CountsNewlinesAndAnUnterminatedLastLine) {
  EXPECT_EQ(CountLines(""), 0u);
  EXPECT_EQ(CountLines("a\n"), 1u);
  EXPECT_EQ(CountLines("a\nb"), 2u);
  EXPECT_EQ(CountLines("\n\n\n"), 3u);
}

TEST(CountChunk, ExactCounts) {
  Fixture f;
  SourceCounts counts(f.catalog->size(), 100);
  CountChunk(*f.scanner, *f.catalog,
             "{\"ActionStatus\":\"FAIL\",\"ErrorCode\":60007}\n"
             "{\"ActionStatus\":\"FAIL\",\"ErrorCode\":60007}\n"
             "{\"ActionStatus\":\"OK\",\"ErrorCode\":0}\n"
             "onError(-2340, \"seat limit\")\n"
             "code: 8010\n"
             "fps:15 port:8000 seq:60007\n",
             &counts);
  EXPECT_EQ(counts.lines, 6u);
  EXPECT_EQ(counts.errors, 4u);
  EXPECT_EQ(counts.successes, 1u);
  EXPECT_EQ(counts.unknown_total, 1u);
  EXPECT_EQ(counts.by_entry[f.catalog->IndexOf(60007)], 2u);
  EXPECT_EQ(counts.by_entry[f.catalog->IndexOf(-2340)], 1u);
  ASSERT_EQ(counts.unknown.size(), 1u);
  EXPECT_EQ(counts.unknown[0], (std::pair<int64_t, uint64_t>{8010, 1}));
}

TEST(SourceCounts, UnknownCodesAreCappedAndFoldedByRangeDomain) {
  Fixture f;
  SourceCounts counts(f.catalog->size(), 2);
  for (int64_t code : {8010, 8011, 8012, -99999, 65535, 8010, 150000})
    counts.RecordError(*f.catalog, code);
  EXPECT_EQ(counts.unknown_total, 7u);
  ASSERT_EQ(counts.unknown.size(), 2u);
  EXPECT_EQ(counts.unknown[0], (std::pair<int64_t, uint64_t>{8010, 2}));
  EXPECT_EQ(counts.unknown[1], (std::pair<int64_t, uint64_t>{8011, 1}));
  EXPECT_EQ(counts.other[RangeDomainIndex(8012)], 1u);     // unknown
  EXPECT_EQ(counts.other[RangeDomainIndex(-99999)], 1u);   // client
  EXPECT_EQ(counts.other[RangeDomainIndex(65535)], 1u);    // rest_common
  EXPECT_EQ(counts.other[RangeDomainIndex(150000)], 1u);   // server
}

TEST(SourceCounts, CapOfZeroFoldsEverything) {
  Fixture f;
  SourceCounts counts(f.catalog->size(), 0);
  counts.RecordError(*f.catalog, 8010);
  EXPECT_TRUE(counts.unknown.empty());
  EXPECT_EQ(counts.other[RangeDomainIndex(8010)], 1u);
}

}  // namespace
}  // namespace errpulse
