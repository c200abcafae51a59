#include "engine/counting.h"

#include <algorithm>

namespace errpulse {

uint64_t CountLines(std::string_view chunk) {
  if (chunk.empty()) return 0;
  uint64_t lines = static_cast<uint64_t>(std::count(chunk.begin(), chunk.end(), '\n'));
  if (chunk.back() != '\n') ++lines;
  return lines;
}

void CountChunk(const LineScanner& scanner, const Catalog& catalog, std::string_view chunk,
                SourceCounts* counts) {
  CountChunkWith(scanner, catalog, chunk, counts, [](const Match&) {});
}

}  // namespace errpulse
