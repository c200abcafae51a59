// CountChunk: the hot path. Runs a LineScanner over a chunk of complete lines
// and adds what it finds to a source's SourceCounts: one line count for the
// whole chunk, then one increment per error or success line. No allocation,
// no lock.
//
// Stateless function; thread-safe as long as each SourceCounts is used by one
// thread.
#pragma once

#include <string_view>

#include "classify/catalog.h"
#include "count/source_counts.h"
#include "extract/line_scanner.h"

namespace errpulse {

// Counts the lines of `chunk`: every '\n', plus a last line without one.
uint64_t CountLines(std::string_view chunk);

void CountChunk(const LineScanner& scanner, const Catalog& catalog, std::string_view chunk,
                SourceCounts* counts);

// The same, also handing every match to `on_match(const Match&, const
// CatalogEntry*)` (alerting) with the entry counting looked up (nullptr: a
// success or an unlisted code): one catalog lookup per error serves both.
template <typename OnMatch>
void CountChunkWith(const LineScanner& scanner, const Catalog& catalog, std::string_view chunk,
                    SourceCounts* counts, OnMatch&& on_match) {
  counts->lines += CountLines(chunk);
  scanner.Scan(chunk, [&](const Match& match) {
    on_match(match, counts->Record(catalog, match.code));
  });
}

}  // namespace errpulse
