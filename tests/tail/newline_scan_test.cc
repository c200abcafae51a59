// CountNewlines and HasLineLongerThan (the SIMD newline scans every read byte
// goes through) against plain loops, on texts of every length around the
// 64-byte blocks, at every alignment, with newlines sparse and dense.
#include "common/newline_scan.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>

namespace errpulse {
namespace {

bool LongestLineExceeds(std::string_view text, size_t limit) {
  size_t run = 0;
  for (char c : text) {
    if (c == '\n') {
      run = 0;
      continue;
    }
    if (++run > limit) return true;
  }
  return false;
}

TEST(NewlineScan, AgreesWithPlainLoops) {
  std::mt19937 random(11);
  const size_t limits[] = {0, 1, 5, 63, 64, 65, 100, 127, 128, 129, 1000, 4096};
  int longer = 0, not_longer = 0;
  for (int round = 0; round < 4000; ++round) {
    const size_t size = round < 600 ? static_cast<size_t>(round) : random() % 12000;
    // From one newline in 2 bytes to one in 5,000.
    const unsigned every = 2 + random() % (round % 3 == 0 ? 5000 : 200);
    std::string buffer(size + 64, 'x');
    for (char& c : buffer) c = random() % every == 0 ? '\n' : static_cast<char>('a' + random() % 26);
    const size_t offset = random() % 64;  // every alignment
    const std::string_view text(buffer.data() + offset, size);
    ASSERT_EQ(CountNewlines(text), static_cast<uint64_t>(std::count(text.begin(), text.end(), '\n')))
        << "size " << size << " offset " << offset;
    for (size_t limit : limits) {
      const bool want = LongestLineExceeds(text, limit);
      ASSERT_EQ(HasLineLongerThan(text, limit), want)
          << "size " << size << " offset " << offset << " limit " << limit;
      (want ? longer : not_longer)++;
    }
  }
  EXPECT_GT(longer, 1000);  // both answers were exercised
  EXPECT_GT(not_longer, 1000);
}

TEST(NewlineScan, EdgeCases) {
  EXPECT_EQ(CountNewlines(""), 0u);
  EXPECT_EQ(CountNewlines(std::string(200, '\n')), 200u);
  EXPECT_FALSE(HasLineLongerThan("", 0));
  EXPECT_FALSE(HasLineLongerThan(std::string(200, '\n'), 0));
  std::string line(100, 'a');
  EXPECT_FALSE(HasLineLongerThan(line + "\n", 100));
  EXPECT_TRUE(HasLineLongerThan(line + "\n", 99));
  // A long line only at the very end, after many short ones.
  std::string text;
  for (int i = 0; i < 50; ++i) text += "short line\n";
  EXPECT_FALSE(HasLineLongerThan(text + line, 100));
  EXPECT_TRUE(HasLineLongerThan(text + line + "a", 100));
  // A line spanning several blocks with no newline at all.
  EXPECT_TRUE(HasLineLongerThan(text + std::string(300, 'b') + "\n" + text, 299));
  EXPECT_FALSE(HasLineLongerThan(text + std::string(300, 'b') + "\n" + text, 300));
}

}  // namespace
}  // namespace errpulse
