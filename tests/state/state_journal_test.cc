// The state journal: snapshots flattened into entries and back, commits
// appended as records of what changed, and a StateStore restored from its
// state file plus journal after every kind of interruption a journal can
// suffer (a record torn at any byte, a flipped bit, a journal of an earlier
// state file, a failed append), plus the sync and compaction bookkeeping.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <string>

#include "state/sample_snapshot.h"
#include "state/snapshot.h"
#include "state/state_entries.h"
#include "state/state_journal.h"
#include "state/state_store.h"
#include "support/test_support.h"

namespace errpulse {
namespace {

namespace ept = errpulse::testing;
namespace fs = std::filesystem;

// Sample() with what it leaves out: decoded-format files, containers and
// alert instances with windows.
Snapshot FullSample() {
  Snapshot s = Sample();
  FileRecord clog = MakeFile("/var/log/liveroom/LiteAV_C_20230313.clog", 2049, 9, 1024, 77,
                             4096, false, false);
  clog.format = LogFormat::kClog;
  clog.decode_skip = 3;
  clog.counted_offset = 5000;
  clog.catch_up_to = 8192;
  FileRecord undecided = MakeFile("/var/log/pods/x.log", 2049, 10, 5, 6, 7, false, false);
  undecided.format = LogFormat::kAuto;
  s.sources[1].files.push_back(clog);
  s.sources[1].files.push_back(undecided);
  s.sources[1].tail.decode_errors[static_cast<size_t>(LogFormat::kClog)] = 2;
  SourceState journal;  // a journal source: a cursor, no files
  journal.name = "app-journal";
  journal.lines = 42;
  journal.journal_cursor = "s=3bdc6f5e;i=1f;b=5f0e2a3c;m=3e8;t=6454216075000;x=a567ec1a00b1a77a";
  s.sources.push_back(journal);
  s.sources[1].tail.encrypted_blocks = 3;
  s.sources[1].tail.seq_gaps = 4;
  s.sources[1].containers = {{"live", "room-7d9f", "app", 40, 2, {{-2, 5}, {INT64_MIN, 1}}},
                             {"live", "room-7d9f", "sidecar", 1, 0, {}}};
  AlertInstanceState firing;
  firing.alertname = "RestApiRateLimited";
  firing.labels = {{"code", "60007"}, {"source", "rest"}};
  firing.state = AlertState::kFiring;
  firing.active_since_ms = 1767225500000;
  firing.false_since_ms = -1;
  firing.errors = {{1767225500, 7}, {1767225501, 9}};
  firing.totals = {{1767225500, 10}};
  AlertInstanceState quiet;
  quiet.alertname = "ClientErrorSurge";
  s.alerts = {firing, quiet};
  return s;
}

// Alerts compared too (SameSnapshot leaves them out), in any order.
::testing::AssertionResult SameWithAlerts(const Snapshot& a, const Snapshot& b) {
  if (auto same = SameSnapshot(a, b); !same) return same;
  auto key = [](const AlertInstanceState& x) {
    std::string k = x.alertname;
    for (const auto& [l, v] : x.labels) k += "," + l + "=" + v;
    return k;
  };
  auto sorted = [&](std::vector<AlertInstanceState> v) {
    std::sort(v.begin(), v.end(), [&](const auto& x, const auto& y) { return key(x) < key(y); });
    return v;
  };
  const auto x = sorted(a.alerts), y = sorted(b.alerts);
  if (x.size() != y.size()) return ::testing::AssertionFailure() << "number of alerts";
  for (size_t i = 0; i < x.size(); ++i) {
    if (key(x[i]) != key(y[i]) || x[i].state != y[i].state ||
        x[i].active_since_ms != y[i].active_since_ms ||
        x[i].false_since_ms != y[i].false_since_ms || x[i].errors != y[i].errors ||
        x[i].totals != y[i].totals)
      return ::testing::AssertionFailure() << "alert " << key(x[i]);
  }
  return ::testing::AssertionSuccess();
}

std::map<std::string, std::string> Entries(const Snapshot& s) {
  struct Collect : EntrySink {
    std::map<std::string, std::string> entries;
    void Entry(std::string_view k, std::string_view v) override {
      EXPECT_TRUE(entries.emplace(k, v).second) << "two entries with one key";
    }
  } sink;
  FlattenSnapshot(s, &sink);
  return std::move(sink.entries);
}

TEST(StateEntries, FlattenThenUnflattenKeepsEveryField) {
  for (const Snapshot& s : {FullSample(), Sample(), Snapshot{}}) {
    Snapshot back;
    ASSERT_EQ(UnflattenSnapshot(Entries(s), &back), "");
    EXPECT_TRUE(SameWithAlerts(back, s));
  }
}

TEST(StateEntries, AnEntryMissingOrDamagedIsReportedNeverGuessed) {
  const auto entries = Entries(FullSample());
  for (const auto& [key, value] : entries) {
    auto without = entries;
    without.erase(key);
    Snapshot out;
    const std::string error = UnflattenSnapshot(without, &out);
    // Per-code and per-second entries may be absent (a zero); everything
    // that gives a thing its shape may not.
    const bool optional = value.size() <= 10 && (key.find('b') != std::string::npos ||
                                                  key.find('o') != std::string::npos ||
                                                  key[0] == 'A');
    if (!optional) {
      EXPECT_NE(error, "") << "entry of size " << key.size() << " dropped silently";
    }
    auto cut = entries;
    cut[key] = value.substr(0, value.size() / 2);
    if (!value.empty()) {
      EXPECT_NE(UnflattenSnapshot(cut, &out), "") << "a value cut in half was accepted";
    }
  }
}

// A store with a committed FullSample(), and the path of its journal.
struct Store {
  ept::TempDir dir;
  std::string state_dir = dir.File("state");
  StateStore store{state_dir};
  std::string journal() const { return state_dir + "/state.journal"; }
};

// What a restart would restore: the state file and the journal as they are
// on disk now (read through `store`, which holds the directory's lock).
Snapshot Restored(StateStore& store, std::string* note = nullptr) {
  Snapshot out;
  std::string problem;
  EXPECT_EQ(store.Load(&out, &problem), StateStore::LoadResult::kLoaded) << problem;
  if (note) *note = store.load_note();
  return out;
}

// One file read further, a code counted, an alert second added.
Snapshot Advanced(Snapshot s, uint64_t step) {
  s.written_at_ms += static_cast<int64_t>(step);
  s.sources[0].lines += step;
  s.sources[0].files[0].offset += 100 * step;
  s.sources[0].by_code[-2] += step;
  s.alerts[0].errors[1767225501 + static_cast<int64_t>(step)] = step;
  return s;
}

TEST(StateJournal, AppendsWriteOnlyWhatChangedAndReplay) {
  Store t;
  ASSERT_EQ(t.store.Open(), "");
  const Snapshot base = FullSample();
  ASSERT_EQ(t.store.Commit(base), "");
  const std::string state_file = ept::ReadFile(t.store.path());
  const uint64_t journal_start = fs::file_size(t.journal());
  Snapshot last = base;
  for (uint64_t step = 1; step <= 20; ++step) {
    last = Advanced(last, step);
    ASSERT_EQ(t.store.Append(last), "");
  }
  // The state file was not rewritten; each record holds a few small entries.
  EXPECT_EQ(ept::ReadFile(t.store.path()), state_file);
  const uint64_t per_commit = (fs::file_size(t.journal()) - journal_start) / 20;
  EXPECT_LT(per_commit, 120u) << "bytes per commit";
  EXPECT_LT(per_commit * 10, state_file.size()) << "a commit writes as much as the state";
  // An unchanged snapshot appends nothing.
  const uint64_t size = fs::file_size(t.journal());
  ASSERT_EQ(t.store.Append(last), "");
  EXPECT_EQ(fs::file_size(t.journal()), size);
  std::string note;
  EXPECT_TRUE(SameWithAlerts(Restored(t.store, &note), last));
  EXPECT_EQ(note, "");
}

// What a commit hands the journal: sources and alert instances that did not
// change as stubs, and a source's codes as only those that moved.
TEST(StateJournal, UnchangedStubsAndPartialCodesKeepWhatTheJournalHolds) {
  Store t;
  ASSERT_EQ(t.store.Open(), "");
  const Snapshot base = FullSample();
  ASSERT_EQ(t.store.Commit(base), "");
  Snapshot expected = base;
  expected.written_at_ms += 5;
  expected.sources[0].by_code[-2] += 7;         // moved
  expected.sources[0].by_code[424242] = 1;      // new
  expected.sources[0].other["server"] = 3;      // new domain
  expected.sources[0].lines += 8;
  Snapshot commit = expected;
  commit.sources[0].codes_partial = true;
  commit.sources[0].by_code = {{-2, expected.sources[0].by_code[-2]}, {424242, 1}};
  commit.sources[0].other = {{"server", 3}};
  for (size_t s = 1; s < commit.sources.size(); ++s) {
    commit.sources[s] = SourceState{};
    commit.sources[s].name = expected.sources[s].name;
    commit.sources[s].unchanged = true;
  }
  commit.alerts[1] = AlertInstanceState{};
  commit.alerts[1].alertname = expected.alerts[1].alertname;
  commit.alerts[1].labels = expected.alerts[1].labels;
  commit.alerts[1].unchanged = true;
  const uint64_t before = fs::file_size(t.journal());
  ASSERT_EQ(t.store.Append(commit), "");
  EXPECT_LT(fs::file_size(t.journal()) - before, 200u);
  EXPECT_TRUE(SameWithAlerts(Restored(t.store), expected));
  // Compaction from the journal's view gives the same state file as a full
  // snapshot would.
  ASSERT_EQ(t.store.Commit(expected), "");
  EXPECT_TRUE(SameWithAlerts(Restored(t.store), expected));
}

TEST(StateJournal, APartialListOfAlertsKeepsTheOthersAndDropsTheRemoved) {
  Store t;
  ASSERT_EQ(t.store.Open(), "");
  Snapshot base = FullSample();
  AlertInstanceState third = base.alerts[0];
  third.labels["code"] = "60011";
  base.alerts.push_back(third);
  ASSERT_EQ(t.store.Commit(base), "");
  // Instance 0 moved, instance 1 was dropped, instance 2 did not change.
  Snapshot expected = base;
  expected.alerts[0].errors[1767225502] = 4;
  expected.alerts.erase(expected.alerts.begin() + 1);
  Snapshot commit = expected;
  commit.alerts_partial = true;
  AlertInstanceState gone;
  gone.alertname = base.alerts[1].alertname;
  gone.labels = base.alerts[1].labels;
  gone.removed = true;
  commit.alerts = {gone, expected.alerts[0]};
  ASSERT_EQ(t.store.Append(commit), "");
  EXPECT_TRUE(SameWithAlerts(Restored(t.store), expected));
  // Dropped and back within one commit: the new instance stays.
  Snapshot again = expected;
  again.alerts[0].errors = {{1767225600, 1}};
  Snapshot churn = again;
  churn.alerts_partial = true;
  AlertInstanceState dropped;
  dropped.alertname = expected.alerts[0].alertname;
  dropped.labels = expected.alerts[0].labels;
  dropped.removed = true;
  churn.alerts = {dropped, again.alerts[0]};
  ASSERT_EQ(t.store.Append(churn), "");
  EXPECT_TRUE(SameWithAlerts(Restored(t.store), again));
}

// An instance whose windows only gained: the seconds sent replace theirs,
// the others stay as the journal has them.
TEST(StateJournal, APartialWindowKeepsTheSecondsThatDidNotMove) {
  Store t;
  ASSERT_EQ(t.store.Open(), "");
  Snapshot base = FullSample();
  ASSERT_EQ(t.store.Commit(base), "");
  Snapshot expected = base;
  expected.alerts[0].errors[1767225501] = 12;
  expected.alerts[0].errors[1767225502] = 1;
  expected.alerts[0].totals[1767225502] = 1;
  Snapshot commit = base;
  commit.alerts_partial = true;
  AlertInstanceState moved = expected.alerts[0];
  moved.windows_partial = true;
  moved.errors = {{1767225501, 12}, {1767225502, 1}};
  moved.totals = {{1767225502, 1}};
  commit.alerts = {moved};
  ASSERT_EQ(t.store.Append(commit), "");
  EXPECT_TRUE(SameWithAlerts(Restored(t.store), expected));
}

TEST(StateJournal, RemovedFilesSourcesAndSecondsStayRemoved) {
  Store t;
  ASSERT_EQ(t.store.Open(), "");
  Snapshot s = FullSample();
  ASSERT_EQ(t.store.Commit(s), "");
  s.sources[0].files.erase(s.sources[0].files.begin());  // let go
  s.sources[1].containers.pop_back();
  s.alerts[0].errors.erase(s.alerts[0].errors.begin());  // out of the window
  s.alerts.pop_back();
  ASSERT_EQ(t.store.Append(s), "");
  s.sources.pop_back();  // a source removed by a reload
  ASSERT_EQ(t.store.Append(s), "");
  EXPECT_TRUE(SameWithAlerts(Restored(t.store), s));
}

TEST(StateJournal, ATornOrDamagedLastRecordLeavesTheCommitBeforeIt) {
  Store t;
  ASSERT_EQ(t.store.Open(), "");
  const Snapshot base = FullSample();
  ASSERT_EQ(t.store.Commit(base), "");
  const Snapshot first = Advanced(base, 1), second = Advanced(first, 2);
  ASSERT_EQ(t.store.Append(first), "");
  const uint64_t first_end = fs::file_size(t.journal());
  ASSERT_EQ(t.store.Append(second), "");
  const std::string whole = ept::ReadFile(t.journal());
  // Cut at every byte of the last record: the commit before it, and a note.
  for (size_t cut = first_end; cut < whole.size(); ++cut) {
    SCOPED_TRACE("cut at " + std::to_string(cut));
    ept::WriteFile(t.journal(), whole.substr(0, cut));
    std::string note;
    EXPECT_TRUE(SameWithAlerts(Restored(t.store, &note), first));
    if (cut > first_end) {
      EXPECT_NE(note.find("incomplete or damaged record"), std::string::npos);
    }
  }
  // Every bit of the last record flipped: never another state than these two.
  for (size_t at = first_end; at < whole.size(); ++at) {
    for (int bit = 0; bit < 8; ++bit) {
      std::string damaged = whole;
      damaged[at] = static_cast<char>(damaged[at] ^ (1 << bit));
      ept::WriteFile(t.journal(), damaged);
      const Snapshot got = Restored(t.store);
      EXPECT_TRUE(SameWithAlerts(got, first) || SameWithAlerts(got, second))
          << "byte " << at << " bit " << bit;
    }
  }
  ept::WriteFile(t.journal(), whole);
  EXPECT_TRUE(SameWithAlerts(Restored(t.store), second));
}

TEST(StateJournal, AJournalOfAnEarlierStateFileIsIgnored) {
  Store t;
  ASSERT_EQ(t.store.Open(), "");
  const Snapshot base = FullSample();
  ASSERT_EQ(t.store.Commit(base), "");
  ASSERT_EQ(t.store.Append(Advanced(base, 1)), "");
  const std::string old_journal = ept::ReadFile(t.journal());
  // Compaction: the state file replaced; then a crash before the journal
  // was started afresh leaves the old journal beside the new state.
  const Snapshot compacted = Advanced(Advanced(base, 1), 5);
  ASSERT_EQ(t.store.Commit(compacted), "");
  ept::WriteFile(t.journal(), old_journal);
  std::string note;
  EXPECT_TRUE(SameWithAlerts(Restored(t.store, &note), compacted));
  EXPECT_NE(note.find("continues an earlier state file"), std::string::npos) << note;
  // Foreign bytes are ignored the same way.
  ept::WriteFile(t.journal(), "not a journal\n");
  EXPECT_TRUE(SameWithAlerts(Restored(t.store, &note), compacted));
  EXPECT_NE(note.find("not an errpulse journal"), std::string::npos) << note;
}

TEST(StateJournal, AnUnusableStateFileTakesItsJournalAlong) {
  Store t;
  ASSERT_EQ(t.store.Open(), "");
  ASSERT_EQ(t.store.Commit(FullSample()), "");
  ASSERT_EQ(t.store.Append(Advanced(FullSample(), 1)), "");
  ept::WriteFile(t.store.path(), "garbage\n");
  Snapshot out;
  std::string problem;
  EXPECT_EQ(t.store.Load(&out, &problem), StateStore::LoadResult::kUnusable);
  EXPECT_NE(problem.find("its journal was removed"), std::string::npos) << problem;
  EXPECT_FALSE(fs::exists(t.journal()));
}

TEST(StateJournal, SyncIsNeededOnlyAfterAnAppendThatWroteSomething) {
  Store t;
  ASSERT_EQ(t.store.Open(), "");
  ASSERT_EQ(t.store.Commit(FullSample()), "");
  EXPECT_FALSE(t.store.needs_sync()) << "a full commit is durable";
  ASSERT_EQ(t.store.Append(FullSample()), "");
  EXPECT_FALSE(t.store.needs_sync()) << "nothing changed, nothing written";
  ASSERT_EQ(t.store.Append(Advanced(FullSample(), 1)), "");
  EXPECT_TRUE(t.store.needs_sync());
  ASSERT_EQ(t.store.Sync(), "");
  EXPECT_FALSE(t.store.needs_sync());
}

TEST(StateJournal, CompactionIsDueOnceTheJournalOutgrowsTheState) {
  Store t;
  ASSERT_EQ(t.store.Open(), "");
  Snapshot s = FullSample();
  ASSERT_EQ(t.store.Commit(s), "");
  uint64_t step = 0;
  while (!t.store.ShouldCompact()) {
    s = Advanced(s, ++step);
    s.alerts[0].errors.erase(s.alerts[0].errors.begin());  // a window, not a history
    ASSERT_EQ(t.store.Append(s), "");
    ASSERT_LT(step, 200'000u) << "never due";
  }
  EXPECT_GE(fs::file_size(t.journal()), 1u << 20);
  ASSERT_EQ(t.store.Commit(s), "");
  EXPECT_FALSE(t.store.ShouldCompact());
  EXPECT_LT(fs::file_size(t.journal()), 64u);
  EXPECT_TRUE(SameWithAlerts(Restored(t.store), s));
}

TEST(StateJournal, AFailedAppendIsCutOffAndTheNextCommitWritesInFull) {
  Store t;
  ASSERT_EQ(t.store.Open(), "");
  const Snapshot base = FullSample();
  ASSERT_EQ(t.store.Commit(base), "");
  const Snapshot first = Advanced(base, 1);
  ASSERT_EQ(t.store.Append(first), "");
  const uint64_t good = fs::file_size(t.journal());
  // The file size limit stops the next record part-way (EFBIG), as a full
  // disk would.
  Snapshot big = Advanced(first, 2);
  big.sources[0].files[0].path += std::string(4000, 'x');
  struct rlimit old_limit;
  ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &old_limit), 0);
  const auto old_handler = ::signal(SIGXFSZ, SIG_IGN);
  struct rlimit limit = old_limit;
  limit.rlim_cur = good + 100;
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &limit), 0);
  const std::string error = t.store.Append(big);
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &old_limit), 0);
  ::signal(SIGXFSZ, old_handler);
  EXPECT_NE(error.find("cannot append to"), std::string::npos) << error;
  EXPECT_EQ(fs::file_size(t.journal()), good) << "the torn record was left in the journal";
  EXPECT_NE(t.store.journal_problem(), "");
  EXPECT_TRUE(SameWithAlerts(Restored(t.store), first));
  // The next commit writes the state file in full and starts the journal again.
  ASSERT_EQ(t.store.Append(big), "");
  EXPECT_NE(ept::ReadFile(t.store.path()).find(std::string(4000, 'x')), std::string::npos);
  EXPECT_TRUE(SameWithAlerts(Restored(t.store), big));
  const Snapshot after = Advanced(big, 3);
  ASSERT_EQ(t.store.Append(after), "");
  EXPECT_TRUE(SameWithAlerts(Restored(t.store), after));
}

}  // namespace
}  // namespace errpulse
