#include "engine/counting.h"

#include "common/newline_scan.h"

namespace errpulse {

uint64_t CountLines(std::string_view chunk) {
  if (chunk.empty()) return 0;
  return CountNewlines(chunk) + (chunk.back() != '\n' ? 1 : 0);
}

void CountChunk(const LineScanner& scanner, const Catalog& catalog, std::string_view chunk,
                SourceCounts* counts) {
  CountChunkWith(scanner, catalog, chunk, counts, [](const Match&, const CatalogEntry*) {});
}

}  // namespace errpulse
