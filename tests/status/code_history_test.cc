// CodeHistory and the code summaries: recent counts are the totals now minus
// a sample from N minutes ago, summed over sources, classified by the
// catalog, and the ring keeps exactly what the longest window needs.
#include <gtest/gtest.h>

#include "status/code_history.h"
#include "status/status_snapshot.h"
#include "support/shipped_data.h"

namespace errpulse {
namespace {

void Record(const Catalog& catalog, SourceCounts* counts, int64_t code, int times) {
  for (int i = 0; i < times; ++i) counts->RecordError(catalog, code);
}

CodeTotals Totals(int64_t at_ms, std::vector<std::pair<int64_t, uint64_t>> by_code) {
  CodeTotals t;
  t.at_ms = at_ms;
  t.by_code = std::move(by_code);
  return t;
}

TEST(CodeTotals, SumsEverySourceCatalogedUnknownAndFolded) {
  auto catalog = testing::ShippedCatalog();
  std::vector<SourceCounts> sources(2, SourceCounts(catalog->size(), 1));
  Record(*catalog, &sources[0], 60007, 3);
  Record(*catalog, &sources[1], 60007, 2);
  Record(*catalog, &sources[0], -1101, 1);
  Record(*catalog, &sources[0], 8010, 2);   // unknown, own slot in source 0
  Record(*catalog, &sources[1], 8010, 1);   // unknown, own slot in source 1
  Record(*catalog, &sources[1], 70999, 4);  // past the cap of 1: folded into other:rest_common
  const CodeTotals t = TakeTotals(*catalog, sources, 1234);
  EXPECT_EQ(t.at_ms, 1234);
  const std::vector<std::pair<int64_t, uint64_t>> want = {{-1101, 1}, {8010, 3}, {60007, 5}};
  EXPECT_EQ(t.by_code, want);
  EXPECT_EQ(t.other[RangeDomainIndex(70999)], 4u);
  EXPECT_EQ(t.Sum(), 13u);
}

TEST(CodeTotals, SubtractPerCodeNeverBelowZero) {
  CodeTotals now = Totals(20, {{-1, 5}, {7, 9}, {60007, 100}});
  CodeTotals then = Totals(10, {{7, 9}, {60007, 40}, {60011, 3}});
  now.other[0] = 4;
  then.other[0] = 1;
  then.other[1] = 2;  // more before than now (e.g. a catalog change): 0, not a wrap
  const CodeTotals delta = Subtract(now, then);
  const std::vector<std::pair<int64_t, uint64_t>> want = {{-1, 5}, {60007, 60}};
  EXPECT_EQ(delta.by_code, want);
  EXPECT_EQ(delta.other[0], 3u);
  EXPECT_EQ(delta.other[1], 0u);
  EXPECT_EQ(delta.at_ms, 20);
}

TEST(CodeHistory, SamplesEveryIntervalAndReachesBackTheLongestWindow) {
  CodeHistory history(10'000, 60'000);
  EXPECT_EQ(history.Base(0, 5'000), nullptr);
  // Offered every second for 3 minutes, with 1 error of code 1 per second.
  for (int64_t s = 0; s <= 180; ++s) history.Offer(Totals(s * 1000, {{1, uint64_t(s)}}));
  // Kept: one sample per 10 s, back to the newest one at or before now - 60 s.
  EXPECT_EQ(history.size(), 7u);  // 120, 130, ..., 180
  const CodeTotals* base = history.Base(180'000, 60'000);
  ASSERT_NE(base, nullptr);
  EXPECT_EQ(base->at_ms, 120'000);
  // A window that does not end on a sample: the newest sample at or before its start.
  base = history.Base(185'000, 30'000);
  EXPECT_EQ(base->at_ms, 150'000);
  // Longer than the history: the oldest sample.
  EXPECT_EQ(history.Base(180'000, 600'000)->at_ms, 120'000);
}

TEST(CodeHistory, JustAfterStartTheWindowIsWhatWasSeen) {
  CodeHistory history(10'000, 15 * 60'000);
  history.Offer(Totals(1'000, {{60007, 10}}));
  history.Offer(Totals(5'000, {{60007, 12}}));  // under 10 s after the last: not kept
  EXPECT_EQ(history.size(), 1u);
  const CodeTotals now = Totals(42'000, {{60007, 70}});
  const CodeTotals* base = history.Base(now.at_ms, 5 * 60'000);
  ASSERT_NE(base, nullptr);
  EXPECT_EQ(base->at_ms, 1'000);
  EXPECT_EQ(Subtract(now, *base).Sum(), 60u);
}

TEST(TopCodes, ClassifiedByTheCatalogMostFrequentFirstCapped) {
  auto catalog = testing::ShippedCatalog();
  CodeTotals delta = Totals(0, {{-1101, 2}, {8010, 7}, {60007, 50}, {60011, 7}, {100001, 1}});
  delta.other[RangeDomainIndex(70999)] = 3;
  const RecentCodes top = TopCodes(*catalog, delta, 4);
  EXPECT_EQ(top.errors, 70u);
  ASSERT_EQ(top.top.size(), 4u);
  EXPECT_EQ(top.top[0].code, "60007");
  EXPECT_TRUE(top.top[0].known);
  EXPECT_EQ(top.top[0].name, catalog->Find(60007)->name);
  EXPECT_EQ(top.top[0].meaning, catalog->Find(60007)->meaning_en);
  EXPECT_EQ(top.top[0].category, "rate_limit");
  EXPECT_EQ(top.top[0].domain, "rest_common");
  EXPECT_EQ(top.top[0].count, 50u);
  // A tie is broken by code; an uncatalogued code is classified by range.
  EXPECT_EQ(top.top[1].code, "8010");
  EXPECT_FALSE(top.top[1].known);
  EXPECT_EQ(top.top[1].domain, "unknown");
  EXPECT_EQ(top.top[1].category, "unknown");
  EXPECT_EQ(top.top[2].code, "60011");
  EXPECT_EQ(top.top[3].code, "other:rest_common");
  EXPECT_EQ(top.top[3].count, 3u);
}

TEST(ErrorsByDomain, CataloguedRangeAndFolded) {
  auto catalog = testing::ShippedCatalog();
  CodeTotals totals = Totals(0, {{-1101, 2}, {8010, 7}, {60007, 50}, {60011, 5}});
  totals.other[RangeDomainIndex(70999)] = 3;
  const auto domains = ErrorsByDomain(*catalog, totals);
  EXPECT_EQ(domains.at("rest_common"), 58u);
  EXPECT_EQ(domains.at("unknown"), 7u);
  EXPECT_EQ(domains.at(catalog->Find(-1101)->domain), 2u);
  EXPECT_EQ(domains.size(), 3u);
}

}  // namespace
}  // namespace errpulse
