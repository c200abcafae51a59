// JournalReader on real journal files (written by systemd-journal-remote, see
// support/journal_files.h): exact messages and times, unit and identifier
// matches, start at the tail, cursors kept and lost, rotation, and a journal
// directory that does not exist yet.
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "journal/journal_reader.h"
#include "support/journal_files.h"
#include "support/test_support.h"

namespace errpulse {
namespace {

using testing::JournalTestEntry;
using testing::LiveJournalFile;
using testing::MakeJournalEntry;
using testing::TempDir;
using testing::WriteJournalFile;

struct Got {
  std::string message;
  uint64_t realtime_usec;
  bool operator==(const Got& o) const {
    return message == o.message && realtime_usec == o.realtime_usec;
  }
};

std::ostream& operator<<(std::ostream& out, const Got& got) {
  return out << "{\"" << got.message << "\" (" << got.message.size() << " bytes) @"
             << got.realtime_usec << "}";
}

// What the sink saw, copied (the views die with the call).
struct Collector {
  std::vector<Got> got;
  JournalEntrySink Sink() {
    return [this](const JournalEntry& entry) {
      got.push_back({std::string(entry.message), entry.realtime_usec});
    };
  }
  std::vector<std::string> Messages() const {
    std::vector<std::string> out;
    for (const Got& g : got) out.push_back(g.message);
    return out;
  }
};

JournalSpec InDirectory(const std::string& directory) {
  JournalSpec spec;
  spec.directory = directory;
  return spec;
}

// Everything there is now, in batches of `batch`.
std::vector<std::string> ReadAll(JournalReader* reader, size_t batch = 1000) {
  Collector collector;
  for (int i = 0; i < 10000; ++i) {
    const JournalRead read = reader->Read(batch, collector.Sink());
    EXPECT_EQ(read.error, 0) << reader->last_error();
    if (read.at_end || read.error) break;
  }
  return collector.Messages();
}

// Follows like an event loop: reads to the end, then waits on fd() and calls
// Process(), until `want` entries came or `timeout` passed.
struct Followed {
  std::vector<std::string> messages;
  int wakeups = 0;  // poll() said fd() was readable
  bool saw_appended = false;
  bool saw_files_changed = false;
};
Followed Follow(JournalReader* reader, size_t want,
                std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  Followed followed;
  Collector collector;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    for (;;) {
      const JournalRead read = reader->Read(100, collector.Sink());
      EXPECT_EQ(read.error, 0) << reader->last_error();
      if (read.at_end || read.error) break;
    }
    if (collector.got.size() >= want) break;
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    int wait_ms = static_cast<int>(left.count());
    const int limit = reader->PollTimeoutMs();
    if (limit >= 0 && limit < wait_ms) wait_ms = limit;
    pollfd pfd{reader->fd(), POLLIN, 0};
    const int ready = ::poll(&pfd, 1, wait_ms);
    if (ready > 0) ++followed.wakeups;
    switch (reader->Process()) {
      case JournalChange::kAppended:
        followed.saw_appended = true;
        break;
      case JournalChange::kFilesChanged:
        followed.saw_files_changed = true;
        break;
      case JournalChange::kError:
        ADD_FAILURE() << reader->last_error();
        break;
      case JournalChange::kNone:
        break;
    }
  }
  followed.messages = collector.Messages();
  return followed;
}

// After a follow: nothing more comes within `settle`.
std::vector<std::string> NothingMore(
    JournalReader* reader, std::chrono::milliseconds settle = std::chrono::milliseconds(300)) {
  pollfd pfd{reader->fd(), POLLIN, 0};
  ::poll(&pfd, 1, static_cast<int>(settle.count()));
  reader->Process();
  return ReadAll(reader);
}

std::vector<JournalTestEntry> Numbered(uint64_t first, uint64_t last, const std::string& prefix) {
  std::vector<JournalTestEntry> entries;
  for (uint64_t i = first; i <= last; ++i) {
    entries.push_back(MakeJournalEntry(i, prefix + std::to_string(i)));
  }
  return entries;
}

std::vector<std::string> Names(uint64_t first, uint64_t last, const std::string& prefix) {
  std::vector<std::string> out;
  for (uint64_t i = first; i <= last; ++i) out.push_back(prefix + std::to_string(i));
  return out;
}

// The export format without the tool: the text form, and the binary form
// byte by byte (name, newline, little-endian 64-bit length, bytes, newline).
TEST(JournalExport, TextAndBinaryFields) {
  std::string out;
  testing::AppendExportField(&out, "MESSAGE", "plain = text\twith tab");
  EXPECT_EQ(out, "MESSAGE=plain = text\twith tab\n");
  out.clear();
  const std::string binary("a\nb\0c", 5);
  testing::AppendExportField(&out, "MESSAGE", binary);
  EXPECT_EQ(out, std::string("MESSAGE\n\x05\0\0\0\0\0\0\0a\nb\0c\n", 8 + 8 + 5 + 1));
  out.clear();
  testing::AppendExportField(&out, "F", std::string(300, 'x'), /*force_binary=*/true);
  const char header[] = {'F', '\n', 0x2c, 0x01, 0, 0, 0, 0, 0, 0};  // 300, little-endian
  EXPECT_EQ(out.substr(0, 10), std::string(header, sizeof(header)));
  EXPECT_EQ(out.size(), 2u + 8u + 300u + 1u);

  JournalTestEntry entry = MakeJournalEntry(2, "hi", "a.service", "ident");
  EXPECT_EQ(testing::ToJournalExport({entry}),
            "__REALTIME_TIMESTAMP=" + std::to_string(testing::JournalTestRealtime(2)) +
                "\n__MONOTONIC_TIMESTAMP=1002000\n_BOOT_ID=" + testing::kTestBootId +
                "\nMESSAGE=hi\n_SYSTEMD_UNIT=a.service\nSYSLOG_IDENTIFIER=ident\n\n");
}

TEST(JournalReader, ReadsEntriesInOrderWithExactBytesAndTimes) {
  ERRPULSE_REQUIRE_JOURNAL_REMOTE();
  TempDir dir;
  const std::string binary("line one\nline two\0after a NUL\n", 30);
  const std::string utf8 = "\xe9\x94\x99\xe8\xaf\xaf code=70001\t(tab)";
  std::vector<JournalTestEntry> entries = {
      MakeJournalEntry(1, "first"),
      MakeJournalEntry(2, binary),
      MakeJournalEntry(3, utf8),
      MakeJournalEntry(4, ""),
      MakeJournalEntry(5, "last one"),
  };
  JournalTestEntry no_message = MakeJournalEntry(6, "");
  no_message.has_message = false;
  no_message.fields = {{"CODE", "1"}};
  entries.push_back(no_message);
  entries.push_back(MakeJournalEntry(7, "after the one without MESSAGE"));
  ASSERT_EQ(WriteJournalFile(dir.File("a.journal"), entries), "");

  JournalReader reader(InDirectory(dir.path()));
  ASSERT_EQ(reader.Open(), "");
  ASSERT_TRUE(reader.is_open());
  EXPECT_FALSE(reader.directory_missing());
  EXPECT_GE(reader.fd(), 0);
  EXPECT_EQ(reader.cursor(), "");

  // Batches of 2: max_entries bounds each Read; the entry without MESSAGE
  // is consumed (and counted) but not handed on.
  Collector collector;
  std::vector<JournalRead> reads;
  for (int i = 0; i < 10; ++i) {
    reads.push_back(reader.Read(2, collector.Sink()));
    if (reads.back().at_end) break;
  }
  ASSERT_EQ(reads.size(), 4u);
  EXPECT_EQ(reads[0].entries, 2u);
  EXPECT_FALSE(reads[0].at_end);
  EXPECT_EQ(reads[2].entries, 1u);  // 5, then 6 has no MESSAGE
  EXPECT_EQ(reads[2].consumed, 2u);
  EXPECT_EQ(reads[3].entries, 1u);  // 7, then the end
  EXPECT_TRUE(reads[3].at_end);
  const std::vector<Got> want = {
      {"first", testing::JournalTestRealtime(1)},
      {binary, testing::JournalTestRealtime(2)},
      {utf8, testing::JournalTestRealtime(3)},
      {"", testing::JournalTestRealtime(4)},
      {"last one", testing::JournalTestRealtime(5)},
      {"after the one without MESSAGE", testing::JournalTestRealtime(7)},
  };
  EXPECT_EQ(collector.got, want);
  EXPECT_EQ(reader.stats().entries, 6u);
  EXPECT_EQ(reader.stats().without_message, 1u);
  EXPECT_EQ(reader.stats().messages_cut, 0u);
  EXPECT_EQ(reader.stats().unreadable, 0u);
  EXPECT_NE(reader.cursor(), "");

  // At the end it stays at the end.
  const JournalRead again = reader.Read(10, collector.Sink());
  EXPECT_EQ(again.consumed, 0u);
  EXPECT_TRUE(again.at_end);
}

// `files` (replay --journal-file): the same entries, no fd to follow.
TEST(JournalReader, ReadsAListOfFiles) {
  ERRPULSE_REQUIRE_JOURNAL_REMOTE();
  TempDir dir;
  ASSERT_EQ(WriteJournalFile(dir.File("one.journal"), Numbered(1, 3, "one-")), "");
  ASSERT_EQ(WriteJournalFile(dir.File("two.journal"), Numbered(4, 5, "two-")), "");
  JournalSpec spec;
  spec.files = {dir.File("two.journal"), dir.File("one.journal")};
  JournalReader reader(spec);
  ASSERT_EQ(reader.Open(), "");
  EXPECT_EQ(reader.fd(), -1);
  EXPECT_EQ(reader.Process(), JournalChange::kNone);
  // Interleaved in journal order, whatever the order of the list.
  EXPECT_EQ(ReadAll(&reader),
            (std::vector<std::string>{"one-1", "one-2", "one-3", "two-4", "two-5"}));
}

TEST(JournalReader, OpenErrorsNameWhatFailed) {
  ERRPULSE_REQUIRE_JOURNAL_REMOTE();
  TempDir dir;
  ASSERT_EQ(WriteJournalFile(dir.File("good.journal"), Numbered(1, 1, "m")), "");
  testing::WriteFile(dir.File("not-a-journal.journal"), "just text\n");
  testing::WriteFile(dir.File("plain-file"), "x");

  JournalSpec missing;
  missing.files = {dir.File("good.journal"), dir.File("missing.journal")};
  JournalReader a(missing);
  EXPECT_EQ(a.Open(), "journal file " + dir.File("missing.journal") +
                          ": cannot open: No such file or directory");
  EXPECT_FALSE(a.is_open());

  JournalSpec garbage;
  garbage.files = {dir.File("not-a-journal.journal")};
  JournalReader b(garbage);
  const std::string error = b.Open();
  EXPECT_EQ(error.rfind("journal file " + dir.File("not-a-journal.journal") + ": cannot open: ", 0),
            0u)
      << error;
  EXPECT_FALSE(b.is_open());

  JournalReader c(InDirectory(dir.File("plain-file")));
  EXPECT_EQ(c.Open(),
            "journal directory " + dir.File("plain-file") + ": cannot open: Not a directory");
  EXPECT_FALSE(c.is_open());
  EXPECT_FALSE(c.directory_missing());
}

class JournalFilter : public ::testing::Test {
 protected:
  void SetUp() override {
    ERRPULSE_REQUIRE_JOURNAL_REMOTE();
    // Units a, b, c and identifiers x, y in every combination, plus one entry
    // with a unit only and one with an identifier only.
    std::vector<JournalTestEntry> entries = {
        MakeJournalEntry(0, "a/x", "a.service", "x"), MakeJournalEntry(1, "a/y", "a.service", "y"),
        MakeJournalEntry(2, "b/x", "b.service", "x"), MakeJournalEntry(3, "b/y", "b.service", "y"),
        MakeJournalEntry(4, "c/x", "c.service", "x"), MakeJournalEntry(5, "c/y", "c.service", "y"),
        MakeJournalEntry(6, "a/-", "a.service", ""),  MakeJournalEntry(7, "-/y", "", "y"),
    };
    ASSERT_EQ(WriteJournalFile(dir_.File("f.journal"), entries), "");
  }
  std::vector<std::string> Read(std::vector<std::string> units,
                                std::vector<std::string> identifiers) {
    JournalSpec spec = InDirectory(dir_.path());
    spec.units = std::move(units);
    spec.identifiers = std::move(identifiers);
    JournalReader reader(spec);
    EXPECT_EQ(reader.Open(), "");
    return ReadAll(&reader);
  }
  TempDir dir_;
};

TEST_F(JournalFilter, UnitsAreOred) {
  EXPECT_EQ(Read({"a.service", "b.service"}, {}),
            (std::vector<std::string>{"a/x", "a/y", "b/x", "b/y", "a/-"}));
}

TEST_F(JournalFilter, IdentifiersAreOred) {
  EXPECT_EQ(Read({}, {"x"}), (std::vector<std::string>{"a/x", "b/x", "c/x"}));
  EXPECT_EQ(Read({}, {"x", "y"}),
            (std::vector<std::string>{"a/x", "a/y", "b/x", "b/y", "c/x", "c/y", "-/y"}));
}

// One of the units AND one of the identifiers (an OR of the two groups would
// also give a/x, b/x, c/y, a/- and -/y).
TEST_F(JournalFilter, UnitsAndIdentifiersAreAnded) {
  EXPECT_EQ(Read({"a.service", "b.service"}, {"y"}), (std::vector<std::string>{"a/y", "b/y"}));
  EXPECT_EQ(Read({"c.service"}, {"x", "y"}), (std::vector<std::string>{"c/x", "c/y"}));
}

TEST_F(JournalFilter, MatchingNothingReadsNothing) {
  EXPECT_EQ(Read({"nope.service"}, {}), std::vector<std::string>{});
  EXPECT_EQ(Read({"a.service"}, {"nope"}), std::vector<std::string>{});
  EXPECT_EQ(Read({}, {}).size(), 8u);  // no filter: everything
}

// Longer than max_message_bytes: cut to exactly that and counted, also when
// journal-remote compressed it (it compresses fields over 512 bytes, with
// zstd on Debian 12, which libsystemd 252 decompresses whole whatever the
// data threshold: the cut is the reader's own).
TEST(JournalReader, LongMessagesAreCutAndCounted) {
  ERRPULSE_REQUIRE_JOURNAL_REMOTE();
  TempDir dir;
  std::string long_message;
  uint32_t x = 12345;
  for (int i = 0; i < 300000; ++i) {  // poorly compressible
    x = x * 1103515245 + 12345;
    long_message.push_back(static_cast<char>('a' + (x >> 16) % 26));
  }
  const std::string exact = long_message.substr(0, 4000);
  ASSERT_EQ(WriteJournalFile(dir.File("a.journal"),
                             {MakeJournalEntry(1, long_message), MakeJournalEntry(2, exact),
                              MakeJournalEntry(3, std::string(100000, 'z'))}),
            "");
  JournalSpec spec = InDirectory(dir.path());
  spec.max_message_bytes = 4000;
  JournalReader reader(spec);
  ASSERT_EQ(reader.Open(), "");
  EXPECT_EQ(ReadAll(&reader),
            (std::vector<std::string>{exact, exact, std::string(4000, 'z')}));
  EXPECT_EQ(reader.stats().messages_cut, 2u);

  // No limit: whole.
  spec.max_message_bytes = 0;
  JournalReader whole(spec);
  ASSERT_EQ(whole.Open(), "");
  EXPECT_EQ(ReadAll(&whole),
            (std::vector<std::string>{long_message, exact, std::string(100000, 'z')}));
  EXPECT_EQ(whole.stats().messages_cut, 0u);
}

// start_at: end. SeekTail() then Read(): nothing; entries appended later
// (live, by a running journal-remote): exactly those, found through fd().
TEST(JournalReader, TailSeesOnlyEntriesAppendedAfter) {
  ERRPULSE_REQUIRE_JOURNAL_REMOTE();
  TempDir dir;
  LiveJournalFile live(dir.File("live.journal"));
  ASSERT_EQ(live.error(), "");
  ASSERT_TRUE(live.Append(Numbered(1, 3, "old-")));
  ASSERT_TRUE(live.WaitForEntries(3)) << live.Log();

  JournalReader reader(InDirectory(dir.path()));
  ASSERT_EQ(reader.Open(), "");
  ASSERT_EQ(reader.SeekTail(), "");
  EXPECT_NE(reader.cursor(), "") << "the last entry's, to resume from";
  const JournalRead read = reader.Read(100, [](const JournalEntry&) {});
  EXPECT_EQ(read.consumed, 0u);
  EXPECT_TRUE(read.at_end);

  ASSERT_TRUE(live.Append(Numbered(4, 5, "new-")));
  const Followed followed = Follow(&reader, 2);
  EXPECT_EQ(followed.messages, Names(4, 5, "new-"));
  EXPECT_GE(followed.wakeups, 1) << "fd() must wake the loop";
  EXPECT_TRUE(followed.saw_appended);

  ASSERT_TRUE(live.Append(Numbered(6, 6, "new-")));
  EXPECT_EQ(Follow(&reader, 1).messages, Names(6, 6, "new-"));
  EXPECT_EQ(NothingMore(&reader), std::vector<std::string>{});
  EXPECT_EQ(live.Close(), "");
}

// The tail of what the matches select: an entry of another unit written last
// is not "the last entry"; only matching entries appended after come.
TEST(JournalReader, TailWithMatchesAndOfAnEmptyJournal) {
  ERRPULSE_REQUIRE_JOURNAL_REMOTE();
  TempDir dir;
  LiveJournalFile live(dir.File("live.journal"));
  ASSERT_EQ(live.error(), "");
  ASSERT_TRUE(live.Append({MakeJournalEntry(1, "a-1", "a.service"),
                           MakeJournalEntry(2, "b-2", "b.service")}));
  ASSERT_TRUE(live.WaitForEntries(2)) << live.Log();

  JournalSpec spec = InDirectory(dir.path());
  spec.units = {"a.service"};
  JournalReader reader(spec);
  ASSERT_EQ(reader.Open(), "");
  ASSERT_EQ(reader.SeekTail(), "");
  // Nothing matches "c": its tail is an empty journal's.
  JournalSpec none = spec;
  none.units = {"c.service"};
  JournalReader empty(none);
  ASSERT_EQ(empty.Open(), "");
  ASSERT_EQ(empty.SeekTail(), "");
  EXPECT_EQ(empty.cursor(), "");

  ASSERT_TRUE(live.Append({MakeJournalEntry(3, "b-3", "b.service"),
                           MakeJournalEntry(4, "a-4", "a.service"),
                           MakeJournalEntry(5, "c-5", "c.service")}));
  EXPECT_EQ(Follow(&reader, 1).messages, std::vector<std::string>{"a-4"});
  EXPECT_EQ(NothingMore(&reader), std::vector<std::string>{});
  EXPECT_EQ(Follow(&empty, 1).messages, std::vector<std::string>{"c-5"});
  EXPECT_EQ(NothingMore(&empty), std::vector<std::string>{});
  EXPECT_EQ(live.Close(), "");
}

// Read 3, keep the cursor, stop; a new reader seeks to it: the 4th comes next.
TEST(JournalReader, CursorRoundTrip) {
  ERRPULSE_REQUIRE_JOURNAL_REMOTE();
  TempDir dir;
  ASSERT_EQ(WriteJournalFile(dir.File("a.journal"), Numbered(1, 6, "m")), "");
  std::string cursor;
  {
    JournalReader reader(InDirectory(dir.path()));
    ASSERT_EQ(reader.Open(), "");
    Collector collector;
    const JournalRead read = reader.Read(3, collector.Sink());
    ASSERT_EQ(read.entries, 3u);
    EXPECT_EQ(collector.Messages(), Names(1, 3, "m"));
    cursor = reader.cursor();
  }
  ASSERT_NE(cursor, "");

  JournalReader reader(InDirectory(dir.path()));
  ASSERT_EQ(reader.Open(), "");
  bool found = false;
  ASSERT_EQ(reader.SeekCursor(cursor, &found), "");
  EXPECT_TRUE(found);
  EXPECT_EQ(reader.cursor(), cursor);
  EXPECT_EQ(ReadAll(&reader), Names(4, 6, "m"));

  // The cursor of the last entry: found, and nothing after it.
  const std::string last = reader.cursor();
  JournalReader at_end(InDirectory(dir.path()));
  ASSERT_EQ(at_end.Open(), "");
  ASSERT_EQ(at_end.SeekCursor(last, &found), "");
  EXPECT_TRUE(found);
  EXPECT_EQ(ReadAll(&at_end), std::vector<std::string>{});

  // A malformed cursor: an error, and the reader is at the head.
  JournalReader bad(InDirectory(dir.path()));
  ASSERT_EQ(bad.Open(), "");
  const std::string error = bad.SeekCursor("no such cursor", &found);
  EXPECT_FALSE(found);
  EXPECT_NE(error, "");
  EXPECT_EQ(ReadAll(&bad), Names(1, 6, "m"));
}

// Vacuumed while stopped: the file with the cursor's entry is gone, a newer
// one is still there. "Gone", and reading resumes at its oldest entry.
TEST(JournalReader, CursorOfAVacuumedEntryResumesAtTheOldest) {
  ERRPULSE_REQUIRE_JOURNAL_REMOTE();
  TempDir dir;
  ASSERT_EQ(WriteJournalFile(dir.File("old.journal"), Numbered(1, 3, "old-")), "");
  ASSERT_EQ(WriteJournalFile(dir.File("new.journal"), Numbered(4, 6, "new-")), "");
  std::string cursor;
  {
    JournalReader reader(InDirectory(dir.path()));
    ASSERT_EQ(reader.Open(), "");
    ASSERT_EQ(reader.Read(2, [](const JournalEntry&) {}).entries, 2u);
    cursor = reader.cursor();
  }
  ASSERT_EQ(::unlink(dir.File("old.journal").c_str()), 0);

  JournalReader reader(InDirectory(dir.path()));
  ASSERT_EQ(reader.Open(), "");
  bool found = true;
  ASSERT_EQ(reader.SeekCursor(cursor, &found), "");
  EXPECT_FALSE(found);
  EXPECT_EQ(reader.cursor(), "");
  EXPECT_EQ(ReadAll(&reader), Names(4, 6, "new-"));
}

// The journal was replaced by one of other entries, here older ones: the
// closest entry "after" the cursor in time would be none of them; the reader
// reads them all.
TEST(JournalReader, CursorIntoAReplacedJournalResumesAtTheOldest) {
  ERRPULSE_REQUIRE_JOURNAL_REMOTE();
  TempDir dir;
  ASSERT_EQ(WriteJournalFile(dir.File("a.journal"), Numbered(100, 105, "first-")), "");
  std::string cursor;
  {
    JournalReader reader(InDirectory(dir.path()));
    ASSERT_EQ(reader.Open(), "");
    ASSERT_EQ(reader.Read(3, [](const JournalEntry&) {}).entries, 3u);
    cursor = reader.cursor();
  }
  ASSERT_EQ(::unlink(dir.File("a.journal").c_str()), 0);
  ASSERT_EQ(WriteJournalFile(dir.File("a.journal"), Numbered(1, 4, "other-")), "");

  JournalReader reader(InDirectory(dir.path()));
  ASSERT_EQ(reader.Open(), "");
  bool found = true;
  ASSERT_EQ(reader.SeekCursor(cursor, &found), "");
  EXPECT_FALSE(found);
  EXPECT_EQ(ReadAll(&reader), Names(1, 4, "other-"));
}

// A second file appears in the directory while reading: Process() says the
// files changed, and Read() goes on into it.
TEST(JournalReader, ASecondFileAppearsWhileReading) {
  ERRPULSE_REQUIRE_JOURNAL_REMOTE();
  TempDir dir;
  LiveJournalFile first(dir.File("first.journal"));
  ASSERT_EQ(first.error(), "");
  ASSERT_TRUE(first.Append(Numbered(1, 3, "m")));
  ASSERT_TRUE(first.WaitForEntries(3)) << first.Log();

  JournalReader reader(InDirectory(dir.path()));
  ASSERT_EQ(reader.Open(), "");
  EXPECT_EQ(ReadAll(&reader), Names(1, 3, "m"));

  LiveJournalFile second(dir.File("second.journal"));
  ASSERT_EQ(second.error(), "");
  ASSERT_TRUE(second.Append(Numbered(4, 6, "m")));
  const Followed followed = Follow(&reader, 3);
  EXPECT_EQ(followed.messages, Names(4, 6, "m"));
  EXPECT_TRUE(followed.saw_files_changed);

  // Both files go on growing; entries come in journal order.
  ASSERT_TRUE(first.Append(Numbered(7, 7, "m")));
  ASSERT_TRUE(first.WaitForEntries(4)) << first.Log();
  ASSERT_TRUE(second.Append(Numbered(8, 8, "m")));
  EXPECT_EQ(Follow(&reader, 2).messages, Names(7, 8, "m"));
  EXPECT_EQ(NothingMore(&reader), std::vector<std::string>{});
  EXPECT_EQ(first.Close(), "");
  EXPECT_EQ(second.Close(), "");
}

// journald's rotation: the active file is renamed to an archived name and a
// new one takes its place. Nothing is read twice, nothing is missed.
TEST(JournalReader, RotationByRenameReadsNothingTwice) {
  ERRPULSE_REQUIRE_JOURNAL_REMOTE();
  TempDir dir;
  const std::string active = dir.File("system.journal");
  auto writer = std::make_unique<LiveJournalFile>(active);
  ASSERT_EQ(writer->error(), "");
  ASSERT_TRUE(writer->Append(Numbered(1, 3, "m")));
  ASSERT_TRUE(writer->WaitForEntries(3)) << writer->Log();

  JournalReader reader(InDirectory(dir.path()));
  ASSERT_EQ(reader.Open(), "");
  EXPECT_EQ(ReadAll(&reader), Names(1, 3, "m"));

  ASSERT_TRUE(writer->Append(Numbered(4, 4, "m")));
  ASSERT_EQ(writer->Close(), "");
  ASSERT_EQ(std::rename(active.c_str(), dir.File("system@0001-0002.journal").c_str()), 0);
  writer = std::make_unique<LiveJournalFile>(active);
  ASSERT_EQ(writer->error(), "");
  ASSERT_TRUE(writer->Append(Numbered(5, 6, "m")));

  const Followed followed = Follow(&reader, 3);
  EXPECT_EQ(followed.messages, Names(4, 6, "m"));
  EXPECT_EQ(NothingMore(&reader), std::vector<std::string>{});
  EXPECT_EQ(writer->Close(), "");
}

// A journal directory that does not exist yet: not an error; Open() again
// once it does.
TEST(JournalReader, DirectoryThatDoesNotExistYet) {
  ERRPULSE_REQUIRE_JOURNAL_REMOTE();
  TempDir dir;
  const std::string later = dir.File("later");
  JournalReader reader(InDirectory(later));
  EXPECT_EQ(reader.Open(), "");
  EXPECT_FALSE(reader.is_open());
  EXPECT_TRUE(reader.directory_missing());
  EXPECT_EQ(reader.fd(), -1);
  const JournalRead read = reader.Read(10, [](const JournalEntry&) {});
  EXPECT_EQ(read.consumed, 0u);
  EXPECT_TRUE(read.at_end);
  EXPECT_EQ(reader.Process(), JournalChange::kNone);

  ASSERT_EQ(::mkdir(later.c_str(), 0755), 0);
  ASSERT_EQ(WriteJournalFile(later + "/a.journal", Numbered(1, 2, "m")), "");
  ASSERT_EQ(reader.Open(), "");
  EXPECT_TRUE(reader.is_open());
  EXPECT_FALSE(reader.directory_missing());
  ASSERT_EQ(reader.SeekHead(), "");
  EXPECT_EQ(ReadAll(&reader), Names(1, 2, "m"));
}

// An existing, empty directory is an open journal with nothing in it yet;
// a file that appears later is followed.
TEST(JournalReader, EmptyDirectoryThenAFile) {
  ERRPULSE_REQUIRE_JOURNAL_REMOTE();
  TempDir dir;
  JournalReader reader(InDirectory(dir.path()));
  ASSERT_EQ(reader.Open(), "");
  ASSERT_EQ(reader.SeekTail(), "");
  EXPECT_EQ(ReadAll(&reader), std::vector<std::string>{});
  ASSERT_EQ(WriteJournalFile(dir.File("a.journal"), Numbered(1, 2, "m")), "");
  EXPECT_EQ(Follow(&reader, 2).messages, Names(1, 2, "m"));
  EXPECT_EQ(NothingMore(&reader), std::vector<std::string>{});
}

}  // namespace
}  // namespace errpulse
