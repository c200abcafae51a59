// ReadCompressedRest: the rest of a rotated file that was gzipped while
// errpulse was stopped, recognised by its fingerprint.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include "support/test_support.h"
#include "tail/compressed_rest.h"

namespace errpulse {
namespace {

using testing::TempDir;

FileRecord RecordOf(const std::string& path, uint64_t offset) {
  FileRecord record;
  record.path = path;
  int fd = ::open(path.c_str(), O_RDONLY);
  struct stat st;
  ::fstat(fd, &st);
  EXPECT_TRUE(ComputeFingerprint(fd, static_cast<uint64_t>(st.st_size), &record.fingerprint));
  ::close(fd);
  record.offset = offset;
  return record;
}

std::string ReadRest(const std::string& gz, const FileRecord& record, bool* found) {
  std::string out;
  SourceStats stats;
  *found = ReadCompressedRest(gz, record, 1024, [&](std::string_view l) { out += std::string(l) + "|"; },
                              &stats);
  return out;
}

TEST(CompressedRest, ReadsFromTheOffsetAndFlushesTheLastLine) {
  TempDir dir;
  std::string text;
  for (int i = 0; i < 200; ++i) text += "line " + std::to_string(i) + "\n";
  text += "unterminated";
  testing::WriteFile(dir.File("app.log.1"), text);
  const uint64_t offset = text.find("line 150\n");
  const FileRecord record = RecordOf(dir.File("app.log.1"), offset);
  ASSERT_EQ(testing::RunCommand({"/bin/gzip", dir.File("app.log.1")}).status, 0);
  bool found = false;
  const std::string rest = ReadRest(dir.File("app.log.1.gz"), record, &found);
  ASSERT_TRUE(found);
  EXPECT_EQ(rest.substr(0, 9), "line 150\n");
  EXPECT_EQ(rest.substr(rest.size() - 15), "\n|unterminated|");
}

TEST(CompressedRest, OffsetAtTheVeryEndReadsNothingButIsFound) {
  TempDir dir;
  const std::string text(600, 'x');
  testing::WriteFile(dir.File("a.log"), text + "\n");
  const FileRecord record = RecordOf(dir.File("a.log"), text.size() + 1);
  ASSERT_EQ(testing::RunCommand({"/bin/gzip", dir.File("a.log")}).status, 0);
  bool found = false;
  EXPECT_EQ(ReadRest(dir.File("a.log.gz"), record, &found), "");
  EXPECT_TRUE(found);
}

TEST(CompressedRest, OtherFilesAndPlainFilesAreNotIt) {
  TempDir dir;
  testing::WriteFile(dir.File("a.log"), std::string(300, 'a') + "\n");
  testing::WriteFile(dir.File("b.log"), std::string(300, 'b') + "\n");
  const FileRecord record = RecordOf(dir.File("a.log"), 10);
  ASSERT_EQ(testing::RunCommand({"/bin/gzip", dir.File("b.log")}).status, 0);
  bool found = true;
  EXPECT_EQ(ReadRest(dir.File("b.log.gz"), record, &found), "");
  EXPECT_FALSE(found);
  EXPECT_EQ(ReadRest(dir.File("a.log"), record, &found), "");  // plain: not compressed
  EXPECT_FALSE(found);
}

}  // namespace
}  // namespace errpulse

namespace errpulse {
namespace {

// logrotate may still be writing the .gz (gzip runs after the rename): a
// partial stream is not taken for a short file; the plain one is read instead.
TEST(CompressedRest, AGzipStillBeingWrittenIsNotIt) {
  TempDir dir;
  std::string text;
  for (int i = 0; i < 5000; ++i) text += "line " + std::to_string(i * 7919) + " of a rotated log\n";
  testing::WriteFile(dir.File("a.log"), text);
  const FileRecord record = RecordOf(dir.File("a.log"), text.size() / 2);
  ASSERT_EQ(testing::RunCommand({"/bin/gzip", "-k", dir.File("a.log")}).status, 0);
  const std::string whole = testing::ReadFile(dir.File("a.log.gz"));
  testing::WriteFile(dir.File("partial.log.gz"), whole.substr(0, whole.size() / 2));
  bool found = true;
  EXPECT_EQ(ReadRest(dir.File("partial.log.gz"), record, &found), "");
  EXPECT_FALSE(found);
  EXPECT_NE(ReadRest(dir.File("a.log.gz"), record, &found), "");
  EXPECT_TRUE(found);
}

}  // namespace
}  // namespace errpulse
