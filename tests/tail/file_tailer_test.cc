// FileTailer: only complete lines are handed on; partial lines wait; long
// lines are cut and never stall; start at end skips a half-written line;
// binary garbage passes through.
#include <gtest/gtest.h>

#include <cstdio>

#include "support/test_support.h"
#include "tail/file_tailer.h"

namespace errpulse {
namespace {

using testing::AppendFile;
using testing::TempDir;
using testing::WriteFile;

struct Reader {
  Reader(const std::string& path, size_t max_line, bool at_end = false)
      : file(path, 0, max_line) {
    buffers.raw.resize(max_line + 64);
    EXPECT_EQ(file.Open(at_end), 0);
  }
  // Reads to the end of the file; returns the lines handed on, joined.
  std::string ReadAll() {
    std::string out;
    ChunkSink sink = [&](size_t, std::string_view lines, const ChunkMeta&) {
      out += std::string(lines);
      if (!lines.empty() && lines.back() != '\n') out += "<cut>\n";
    };
    while (file.ReadSome(64, &buffers, sink, &stats) == FileTailer::ReadStatus::kData) {
    }
    return out;
  }
  FileTailer file;
  ReadBuffers buffers;
  SourceStats stats;
};

TEST(FileTailer, PartialLineWaitsForItsNewline) {
  TempDir dir;
  WriteFile(dir.File("a.log"), "one\ntw");
  Reader r(dir.File("a.log"), 1024);
  EXPECT_EQ(r.ReadAll(), "one\n");
  AppendFile(dir.File("a.log"), "o\nthree");
  EXPECT_EQ(r.ReadAll(), "two\n");
  EXPECT_EQ(r.file.read_offset(), 13u);
  std::string flushed;
  r.file.FlushPartial(&r.buffers,
                      [&](size_t, std::string_view l, const ChunkMeta&) { flushed = std::string(l); },
                      &r.stats);
  EXPECT_EQ(flushed, "three");
}

TEST(FileTailer, LongLinesAreCutCountedAndDoNotStall) {
  TempDir dir;
  WriteFile(dir.File("a.log"), std::string(300, 'x') + "\nafter\n" + std::string(50, 'y') + "\n");
  Reader r(dir.File("a.log"), 100);
  EXPECT_EQ(r.ReadAll(), std::string(100, 'x') + "<cut>\nafter\n" + std::string(50, 'y') + "\n");
  EXPECT_EQ(r.stats.lines_cut, 1u);
}

TEST(FileTailer, StartAtEndSkipsTheHalfWrittenLine) {
  TempDir dir;
  WriteFile(dir.File("a.log"), "old\nhalf");
  Reader r(dir.File("a.log"), 1024, /*at_end=*/true);
  AppendFile(dir.File("a.log"), " written\nnew\n");
  EXPECT_EQ(r.ReadAll(), "new\n");
}

TEST(FileTailer, StartAtEndOnACompleteLine) {
  TempDir dir;
  WriteFile(dir.File("a.log"), "old\n");
  Reader r(dir.File("a.log"), 1024, /*at_end=*/true);
  AppendFile(dir.File("a.log"), "new\n");
  EXPECT_EQ(r.ReadAll(), "new\n");
}

TEST(FileTailer, BinaryGarbagePassesThrough) {
  TempDir dir;
  std::string garbage("a\0b\xff\xfe\n", 6);
  WriteFile(dir.File("a.log"), garbage + "ok\n");
  Reader r(dir.File("a.log"), 1024);
  EXPECT_EQ(r.ReadAll(), garbage + "ok\n");
}

TEST(FileTailer, RestartReadsFromTheBeginning) {
  TempDir dir;
  WriteFile(dir.File("a.log"), "one\n");
  Reader r(dir.File("a.log"), 1024);
  EXPECT_EQ(r.ReadAll(), "one\n");
  WriteFile(dir.File("a.log"), "two\n");  // truncate + write
  r.file.Restart();
  EXPECT_EQ(r.ReadAll(), "two\n");
}

TEST(FileTailer, OpenReportsErrno) {
  FileTailer file("/nonexistent/x.log", 0, 1024);
  EXPECT_EQ(file.Open(false), ENOENT);
}

}  // namespace
}  // namespace errpulse

namespace errpulse {
namespace {

TEST(FileTailer, CompleteLongLinesInOneReadAreCutToo) {
  TempDir dir;
  WriteFile(dir.File("a.log"), "short\n" + std::string(150, 'x') + " code: -3\nafter\n");
  FileTailer file(dir.File("a.log"), 0, 100);
  ASSERT_EQ(file.Open(false), 0);
  ReadBuffers buffers;
  buffers.raw.resize(100 + 4096);
  SourceStats stats;
  std::vector<std::string> chunks;
  ChunkSink sink = [&](size_t, std::string_view lines, const ChunkMeta&) { chunks.emplace_back(lines); };
  ASSERT_EQ(file.ReadSome(4096, &buffers, sink, &stats), FileTailer::ReadStatus::kData);
  EXPECT_EQ(chunks, (std::vector<std::string>{"short\n", std::string(100, 'x'), "after\n"}));
  EXPECT_EQ(stats.lines_cut, 1u);
}

// The rewrite check that rides in every read: the bytes before the offset
// must be the ones read last time, or the file's first bytes decide.
struct ReadResult {
  FileTailer::ReadStatus status;
  std::string lines;
};

ReadResult ReadOnce(Reader& r, bool vouched) {
  std::string out;
  r.file.set_vouched(vouched);
  ChunkSink sink = [&](size_t, std::string_view lines, const ChunkMeta&) { out += lines; };
  const auto status = r.file.ReadSome(4096, &r.buffers, sink, &r.stats);
  return {status, out};
}

void Overwrite(const std::string& path, size_t at, const std::string& bytes) {
  FILE* f = std::fopen(path.c_str(), "r+");
  ASSERT_NE(f, nullptr);
  std::fseek(f, static_cast<long>(at), SEEK_SET);
  std::fwrite(bytes.data(), 1, bytes.size(), f);
  std::fclose(f);
}

TEST(FileTailer, ARewriteUnderTheOffsetIsCaughtInTheRead) {
  for (const bool vouched : {true, false}) {
    SCOPED_TRACE(vouched ? "inotify vouches" : "not vouched");
    TempDir dir;
    const std::string path = dir.File("a.log");
    WriteFile(path, "first line of the old content\nsecond line of the old content\n");
    Reader r(path, 4096);
    ASSERT_EQ(ReadOnce(r, vouched).status, FileTailer::ReadStatus::kData);
    ASSERT_EQ(ReadOnce(r, vouched).status, FileTailer::ReadStatus::kEndOfFile);
    // Truncated and rewritten past the offset at once: other first bytes.
    WriteFile(path, "NEW content, longer than the old one was, line one\nNEW line two\nthree\n");
    EXPECT_EQ(ReadOnce(r, vouched).status, FileTailer::ReadStatus::kReplaced);
  }
}

TEST(FileTailer, BytesFilledInPlaceBeforeTheOffsetAreNotARewrite) {
  TempDir dir;
  const std::string path = dir.File("a.log");
  // A writer that extends its file first and fills it in later (mmap,
  // fallocate): the zeros read earlier become text under the offset, past
  // the fingerprinted first KiB, which stays as it was.
  std::string head;
  while (head.size() < 1100) head += "a head line of the log, well over a KiB\n";
  WriteFile(path, head + std::string(20, '\0'));
  Reader r(path, 4096);
  ASSERT_EQ(ReadOnce(r, true).status, FileTailer::ReadStatus::kData);
  Overwrite(path, head.size(), "filled in later....\n");
  AppendFile(path, "appended\n");
  const ReadResult next = ReadOnce(r, true);
  EXPECT_EQ(next.status, FileTailer::ReadStatus::kData);
  EXPECT_EQ(next.lines, std::string(20, '\0') + "appended\n");
}

}  // namespace
}  // namespace errpulse
