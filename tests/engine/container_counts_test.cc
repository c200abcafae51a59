// ContainerCounts: per-container tallies, capped in containers and in codes,
// and restored from the state file to the same values.
#include <gtest/gtest.h>

#include "count/container_counts.h"
#include "engine/counts_state.h"

namespace errpulse {
namespace {

ContainerLabels Labels(const std::string& pod) {
  return {"live", pod, "app", "live\n" + pod + "\napp"};
}

TEST(ContainerCounts, ContainersPastTheCapFoldIntoOther) {
  ContainerCounts counts(2);
  counts.Find(Labels("a"))->Record(60007);
  counts.Find(Labels("b"))->Record(-2);
  counts.Find(Labels("c"))->Record(60007);
  counts.Find(Labels("d"))->Record(0);
  counts.Find(Labels("a"))->Record(60007);
  ASSERT_EQ(counts.tallies().size(), 3u);
  EXPECT_EQ(counts.tallies()[0].labels.pod, "a");
  EXPECT_EQ(counts.tallies()[0].errors, (std::vector<std::pair<int64_t, uint64_t>>{{60007, 2}}));
  EXPECT_EQ(counts.tallies()[2].labels.pod, "other");
  EXPECT_EQ(counts.tallies()[2].errors, (std::vector<std::pair<int64_t, uint64_t>>{{60007, 1}}));
  EXPECT_EQ(counts.tallies()[2].successes, 1u);
}

TEST(ContainerCounts, CodesPastTheCapFoldIntoOther) {
  ContainerTally tally;
  for (int64_t code = 1; code <= 100; ++code) tally.Record(code);
  tally.Record(5);
  ASSERT_EQ(tally.errors.size(), kMaxCodesPerContainer);
  uint64_t total = 0;
  for (const auto& [code, n] : tally.errors) total += n;
  EXPECT_EQ(total, 101u);
  EXPECT_EQ(tally.errors.back().first, kOtherCode);
  EXPECT_EQ(tally.errors.back().second, 100u - (kMaxCodesPerContainer - 1));
}

TEST(ContainerCounts, SaveAndRestoreKeepEveryCount) {
  ContainerCounts counts(10);
  for (int i = 0; i < 5; ++i) counts.Find(Labels("a"))->Record(60007);
  counts.Find(Labels("a"))->lines = 50;
  counts.Find(Labels("b"))->Record(0);
  SourceState state;
  SaveContainers(counts, &state);
  ContainerCounts restored(10);
  RestoreContainers(state, &restored);
  SourceState again;
  SaveContainers(restored, &again);
  ASSERT_EQ(again.containers.size(), 2u);
  EXPECT_EQ(again.containers[0].lines, 50u);
  EXPECT_EQ(again.containers[0].by_code, (std::map<int64_t, uint64_t>{{60007, 5}}));
  EXPECT_EQ(again.containers[1].successes, 1u);
}

}  // namespace
}  // namespace errpulse
