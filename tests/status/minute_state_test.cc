// The per-minute ring through the state file: the JSON state file and the
// journal's entries carry it exactly, a state file without it (older ones)
// loads with none, and a journal commit leaves it as it was unless it is
// given again (so it is written once a minute at most).
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "state/snapshot.h"
#include "state/state_entries.h"
#include "state/state_journal.h"
#include "state/state_store.h"
#include "support/test_support.h"

namespace errpulse {
namespace {

namespace ept = errpulse::testing;

std::vector<MinuteState> Minutes(uint64_t n) {
  return {{30'000'001, {{"rest", "60007", n}, {"sdk", "other:client_common", 2}}, 0},
          {29'999'990, {{"rest", "-2", 1}}, 7}};
}

void ExpectSame(const std::vector<MinuteState>& a, const std::vector<MinuteState>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].minute, b[i].minute);
    EXPECT_EQ(a[i].rest, b[i].rest);
    ASSERT_EQ(a[i].counts.size(), b[i].counts.size());
    for (size_t j = 0; j < a[i].counts.size(); ++j) {
      EXPECT_EQ(a[i].counts[j].source, b[i].counts[j].source);
      EXPECT_EQ(a[i].counts[j].code, b[i].counts[j].code);
      EXPECT_EQ(a[i].counts[j].count, b[i].counts[j].count);
    }
  }
}

// Oldest first, as the journal's entries give them back.
std::vector<MinuteState> Sorted(std::vector<MinuteState> m) {
  std::sort(m.begin(), m.end(), [](auto& a, auto& b) { return a.minute < b.minute; });
  return m;
}

// A snapshot of no source with the minutes of Minutes(5).
Snapshot WithMinutes() {
  Snapshot s;
  s.written_at_ms = 1'800'000'000'000;
  s.minutes = Minutes(5);
  return s;
}

TEST(MinuteState, TheStateFileCarriesTheMinutes) {
  Snapshot s = WithMinutes();
  Snapshot back;
  ASSERT_EQ(ParseSnapshot(SerializeSnapshot(s), &back), "");
  ExpectSame(back.minutes, s.minutes);
  // Without minutes the file is as before they existed, and reads so.
  s.minutes.clear();
  const std::string old = SerializeSnapshot(s);
  EXPECT_EQ(old.find("minutes"), std::string::npos);
  ASSERT_EQ(ParseSnapshot(old, &back), "");
  EXPECT_TRUE(back.minutes.empty());
}

TEST(MinuteState, TheJournalsEntriesCarryTheMinutes) {
  const Snapshot s = WithMinutes();
  Snapshot back;
  ASSERT_EQ(UnflattenSnapshot(FlattenToMap(s), &back), "");
  ExpectSame(back.minutes, Sorted(s.minutes));
  auto entries = FlattenToMap(s);
  for (auto& [key, value] : entries)
    if (key[0] == 'M') value.pop_back();  // a damaged minute is reported
  EXPECT_EQ(UnflattenSnapshot(entries, &back), "bad minute entry");
}

TEST(MinuteState, ACommitWritesThemOnlyWhenGiven) {
  ept::TempDir dir;
  const Snapshot s = WithMinutes();
  // What a restart reads: the state file, then the journal replayed over it
  // (the store itself keeps state_dir locked while it is open).
  auto load = [&] {
    const std::string text = ept::ReadFile(dir.File("state"));
    Snapshot base;
    EXPECT_EQ(ParseSnapshot(text, &base), "");
    auto entries = FlattenToMap(base);
    const auto replay = StateJournal::Replay(dir.File("state.journal"),
                                             FingerprintHash(text.data(), text.size()), &entries);
    EXPECT_TRUE(replay.applied) << replay.note;
    Snapshot loaded;
    EXPECT_EQ(UnflattenSnapshot(entries, &loaded), "");
    return loaded;
  };
  {
    StateStore store(dir.path());
    ASSERT_EQ(store.Open(), "");
    ASSERT_EQ(store.Commit(s), "");
    Snapshot unchanged;  // a commit between two minutes
    unchanged.written_at_ms = s.written_at_ms + 1000;
    unchanged.minutes_unchanged = true;
    const uint64_t before = std::filesystem::file_size(dir.File("state.journal"));
    ASSERT_EQ(store.Append(unchanged), "");
    ASSERT_EQ(store.Append(unchanged), "");
    // Each record holds the time only: nothing of the minutes.
    EXPECT_LT(std::filesystem::file_size(dir.File("state.journal")) - before, 64u);
    ExpectSame(load().minutes, Sorted(s.minutes));
    Snapshot rolled = unchanged;  // a minute completed
    rolled.minutes_unchanged = false;
    rolled.minutes = Minutes(9);
    rolled.minutes.push_back({30'000'002, {{"rest", "60007", 1}}, 0});
    ASSERT_EQ(store.Append(rolled), "");
    ExpectSame(load().minutes, Sorted(rolled.minutes));
    Snapshot emptied = unchanged;  // the hour went by: none left
    emptied.minutes_unchanged = false;
    ASSERT_EQ(store.Append(emptied), "");
    EXPECT_TRUE(load().minutes.empty());
  }
}

}  // namespace
}  // namespace errpulse
