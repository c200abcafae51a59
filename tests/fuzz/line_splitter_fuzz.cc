// libFuzzer target: LineSplitter against a reference model. The input is cut
// into pieces at boundaries the input itself chooses; whatever the pieces, the
// lines emitted must be the reference split: '\n'-separated lines, each cut to
// max_line_bytes, and the unterminated last line only on Flush (unless it was
// already cut). lines_cut must count the cut lines.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "tail/line_splitter.h"

namespace {

constexpr size_t kMaxLine = 64;

std::vector<std::string> Reference(std::string_view data, uint64_t* cut) {
  std::vector<std::string> lines;
  size_t start = 0;
  while (start < data.size()) {
    size_t newline = data.find('\n', start);
    const bool complete = newline != std::string_view::npos;
    const size_t end = complete ? newline : data.size();
    std::string_view line = data.substr(start, end - start);
    if (line.size() > kMaxLine) {
      lines.emplace_back(line.substr(0, kMaxLine));
      ++*cut;
    } else {
      lines.emplace_back(line);  // a complete line, or the flushed last one
    }
    start = complete ? newline + 1 : data.size();
  }
  return lines;
}

// Emitted chunks back into lines: a chunk ending in '\n' holds whole lines; a
// chunk without one is a single (cut or flushed) line.
void Collect(std::string_view chunk, std::vector<std::string>* lines) {
  if (chunk.empty() || chunk.back() != '\n') {
    lines->emplace_back(chunk);
    return;
  }
  size_t start = 0;
  while (start < chunk.size()) {
    size_t newline = chunk.find('\n', start);
    lines->emplace_back(chunk.substr(start, newline - start));
    start = newline + 1;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* bytes, size_t size) {
  if (size < 1) return 0;
  // The first byte seeds the piece sizes; the rest is the stream.
  unsigned seed = bytes[0];
  std::string_view data(reinterpret_cast<const char*>(bytes + 1), size - 1);

  errpulse::LineSplitter splitter(kMaxLine);
  errpulse::SourceStats stats;
  std::vector<std::string> got;
  auto emit = [&](std::string_view chunk) { Collect(chunk, &got); };
  std::vector<char> buffer(kMaxLine + 256);
  for (size_t at = 0; at < data.size();) {
    seed = seed * 1103515245u + 12345u;
    const size_t piece = std::min<size_t>(1 + (seed >> 16) % 200, data.size() - at);
    const size_t carried = splitter.LoadPending(buffer.data());
    std::copy(data.begin() + at, data.begin() + at + piece, buffer.begin() + carried);
    splitter.Split(std::string_view(buffer.data(), carried + piece), emit, &stats);
    at += piece;
  }
  splitter.Flush(emit);

  uint64_t cut = 0;
  const std::vector<std::string> want = Reference(data, &cut);
  if (got != want || stats.lines_cut != cut) __builtin_trap();
  return 0;
}
