// MinuteRing: the status page's errors per minute, on a fake clock: a
// minute is completed by the first refresh in a later one, the ring holds
// an hour and a bounded number of pairs per minute, quiet minutes cost
// nothing (and no commit), and a restart continues the minute it stopped in.
#include <gtest/gtest.h>

#include "status/minute_ring.h"

namespace errpulse {
namespace {

constexpr int64_t kT0 = 1'800'000'000'000 / 60'000 * 60'000;  // a minute's start
constexpr int64_t kM0 = kT0 / 60'000;

// One source's totals: `codes` as (code, running total).
SourceTotals Totals(std::vector<std::pair<int64_t, uint64_t>> codes, uint64_t folded = 0,
                    const std::string& source = "rest") {
  CodeTotals t;
  t.by_code = std::move(codes);
  t.other[0] = folded;
  return {{source, t}};
}

uint64_t CountOf(const MinuteCounts& m, const std::string& source, const std::string& code) {
  for (const auto& c : m.counts)
    if (c.source == source && c.code == code) return c.count;
  return 0;
}

TEST(MinuteRing, AMinuteIsCompletedByTheFirstRefreshInTheNext) {
  MinuteRing ring;
  ring.Advance(Totals({{60007, 100}}), kT0 + 5'000);  // the base: restored totals, not counted
  EXPECT_TRUE(ring.Window().empty());
  ring.Advance(Totals({{60007, 130}}, 2), kT0 + 40'000);
  ASSERT_EQ(ring.Window().size(), 1u);
  EXPECT_EQ(ring.Window()[0]->minute, kM0);
  EXPECT_EQ(CountOf(*ring.Window()[0], "rest", "60007"), 30u);
  EXPECT_EQ(CountOf(*ring.Window()[0], "rest", "other:" + std::string(kRangeDomains[0])), 2u);
  EXPECT_EQ(ring.generation(), 0u);
  EXPECT_TRUE(ring.Saved(/*with_current=*/false).empty());
  EXPECT_EQ(ring.Saved(/*with_current=*/true).size(), 1u);

  ring.Advance(Totals({{60007, 135}}, 2), kT0 + 60'500);  // 5 more, counted in minute 0
  EXPECT_EQ(ring.generation(), 1u);
  EXPECT_EQ(ring.current_minute(), kM0 + 1);
  ring.Advance(Totals({{60007, 136}, {60011, 4}}, 2), kT0 + 80'000);
  const auto window = ring.Window();
  ASSERT_EQ(window.size(), 2u);
  EXPECT_EQ(CountOf(*window[0], "rest", "60007"), 35u);
  EXPECT_EQ(window[1]->minute, kM0 + 1);
  EXPECT_EQ(CountOf(*window[1], "rest", "60007"), 1u);
  EXPECT_EQ(CountOf(*window[1], "rest", "60011"), 4u);
  EXPECT_EQ(ring.Saved(false).size(), 1u);
}

TEST(MinuteRing, QuietMinutesHoldNothingAndMoveNothing) {
  MinuteRing ring;
  ring.Advance(Totals({{60007, 10}}), kT0);
  for (int64_t s = 5; s < 3 * 3600; s += 5) ring.Advance(Totals({{60007, 10}}), kT0 + s * 1000);
  EXPECT_TRUE(ring.Window().empty());
  EXPECT_EQ(ring.generation(), 0u);  // no commit for an idle daemon
}

TEST(MinuteRing, HoldsAnHourAndAtMostMaxPairsPerMinute) {
  MinuteRing ring;
  uint64_t total = 0;
  ring.Advance(Totals({{1, 0}}), kT0);
  for (int64_t m = 0; m < 90; ++m) {  // one error a minute for an hour and a half
    total += 1;
    ring.Advance(Totals({{1, total}}), kT0 + m * 60'000 + 30'000);
    ring.Advance(Totals({{1, total}}), kT0 + (m + 1) * 60'000);
  }
  const auto window = ring.Window();
  ASSERT_EQ(window.size(), static_cast<size_t>(MinuteRing::kMinutes - 1));  // the current is quiet
  EXPECT_EQ(window.front()->minute, kM0 + 90 - MinuteRing::kMinutes + 1);
  EXPECT_EQ(window.back()->minute, kM0 + 89);
  EXPECT_LE(ring.Saved(true).size(), static_cast<size_t>(MinuteRing::kMinutes));

  // A minute with more codes than the cap: the most frequent kept, the rest summed.
  MinuteRing wide;
  std::vector<std::pair<int64_t, uint64_t>> zero, many;
  uint64_t sum = 0;
  for (int64_t code = 1; code <= 300; ++code) {
    zero.emplace_back(code, 0);
    many.emplace_back(code, static_cast<uint64_t>(code));
    sum += static_cast<uint64_t>(code);
  }
  wide.Advance(Totals(zero), kT0);
  wide.Advance(Totals(many), kT0 + 1000);
  const MinuteCounts& m = *wide.Window().at(0);
  EXPECT_EQ(m.counts.size(), MinuteRing::kMaxPairs);
  EXPECT_EQ(m.Sum(), sum);
  EXPECT_EQ(CountOf(m, "rest", "300"), 300u);
  EXPECT_EQ(CountOf(m, "rest", "100"), 0u);  // among the least frequent: in rest
  EXPECT_EQ(m.rest, 100u * 101u / 2u);
}

TEST(MinuteRing, SourcesStayApartAndANewSourceStartsFromNow) {
  MinuteRing ring;
  ring.Advance(Totals({{60007, 5}}), kT0);
  SourceTotals two = Totals({{60007, 7}});
  two.push_back(Totals({{60007, 1000}}, 0, "sdk")[0]);  // appears with a history: not counted
  ring.Advance(two, kT0 + 1000);
  two[1].second.by_code[0].second = 1003;
  ring.Advance(two, kT0 + 2000);
  const MinuteCounts& m = *ring.Window().at(0);
  EXPECT_EQ(CountOf(m, "rest", "60007"), 2u);
  EXPECT_EQ(CountOf(m, "sdk", "60007"), 3u);
}

TEST(MinuteRing, ARestartContinuesTheMinuteItStoppedIn) {
  MinuteRing before;
  before.Advance(Totals({{60007, 0}}), kT0 - 120'000);
  before.Advance(Totals({{60007, 4}}), kT0 - 90'000);  // minute -2: 4
  before.Advance(Totals({{60007, 4}}), kT0 + 1000);    // completes it
  before.Advance(Totals({{60007, 10}}), kT0 + 20'000); // minute 0 so far: 6
  const std::vector<MinuteCounts> saved = before.Saved(/*with_current=*/true);
  ASSERT_EQ(saved.size(), 2u);

  MinuteRing after;  // restored counters: 10
  after.Restore(saved);
  EXPECT_EQ(after.Saved(true).size(), 2u);  // a commit before the first refresh keeps them
  after.Advance(Totals({{60007, 10}}), kT0 + 30'000);
  after.Advance(Totals({{60007, 13}}), kT0 + 40'000);
  auto window = after.Window();
  ASSERT_EQ(window.size(), 2u);
  EXPECT_EQ(CountOf(*window[0], "rest", "60007"), 4u);
  EXPECT_EQ(window[1]->minute, kM0);
  EXPECT_EQ(CountOf(*window[1], "rest", "60007"), 9u);  // 6 before the restart, 3 after
  after.Advance(Totals({{60007, 13}}), kT0 + 61'000);
  EXPECT_EQ(CountOf(*after.Window().back(), "rest", "60007"), 9u);

  // A restart an hour later: nothing of it is in the last hour any more.
  MinuteRing late;
  late.Restore(saved);
  late.Advance(Totals({{60007, 10}}), kT0 + 61 * 60'000);
  EXPECT_TRUE(late.Window().empty());
  EXPECT_TRUE(late.Saved(true).empty());
  // Restore() once running is ignored (a reload continues its own ring).
  late.Restore(saved);
  EXPECT_TRUE(late.Window().empty());
}

TEST(MinuteRing, AClockGoingBackNeverReopensAMinute) {
  MinuteRing ring;
  ring.Advance(Totals({{1, 0}}), kT0);
  ring.Advance(Totals({{1, 2}}), kT0 + 61'000);  // 2 in minute 0
  ring.Advance(Totals({{1, 5}}), kT0 + 30'000);  // back: counted in minute 1
  const auto window = ring.Window();
  ASSERT_EQ(window.size(), 2u);
  EXPECT_EQ(CountOf(*window[0], "rest", "1"), 2u);
  EXPECT_EQ(window[1]->minute, kM0 + 1);
  EXPECT_EQ(CountOf(*window[1], "rest", "1"), 3u);
  EXPECT_EQ(ring.current_minute(), kM0 + 1);
  EXPECT_EQ(ring.generation(), 1u);
}

}  // namespace
}  // namespace errpulse
