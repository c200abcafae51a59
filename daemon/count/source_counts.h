// SourceCounts: the exact counts of one source, as plain integers owned by the
// pipeline thread. The hot path increments them without atomics or locks; the
// Exporter copies them into Prometheus counters after each batch.
//
// Codes the catalog lists have a dense slot each. Codes it does not list get
// a slot of their own up to `max_unknown_codes` distinct codes; the rest are
// folded into one "other" slot per range domain, so log content can never
// create an unbounded number of series.
//
// Owned and mutated by one thread (the pipeline); not thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>
#include <utility>
#include <vector>

#include "classify/catalog.h"

namespace errpulse {

// Range domains of codes the catalog does not list (see RangeDomain()).
inline constexpr std::array<std::string_view, 4> kRangeDomains = {"client", "rest_common",
                                                                  "server", "unknown"};
int RangeDomainIndex(int64_t code);

struct SourceCounts {
  SourceCounts(size_t catalog_size, int max_unknown_codes)
      : by_entry(catalog_size, 0), max_unknown(max_unknown_codes) {
    unknown.reserve(static_cast<size_t>(max_unknown_codes));
  }

  // Records one matched line: a success (code 0) or an error. Returns the
  // catalog's entry for an error's code (nullptr: a success, or a code the
  // catalog does not list), so what classifies the match next (the alert
  // engine) needs no second catalog lookup.
  const CatalogEntry* Record(const Catalog& catalog, int64_t code) {
    if (code == 0) {
      ++successes;
      return nullptr;
    }
    return RecordError(catalog, code);
  }

  // Records one error line with `code` (never 0); returns its catalog entry
  // or nullptr. No allocation: the unknown table was reserved up front.
  const CatalogEntry* RecordError(const Catalog& catalog, int64_t code) {
    ++errors;
    const int index = catalog.IndexOf(code);
    if (index >= 0) {
      ++by_entry[index];
      return &catalog.entries()[index];
    }
    ++unknown_total;
    for (auto& [known, count] : unknown) {
      if (known == code) {
        ++count;
        return nullptr;
      }
    }
    if (unknown.size() < static_cast<size_t>(max_unknown)) {
      unknown.emplace_back(code, 1);
    } else {
      ++other[RangeDomainIndex(code)];
    }
    return nullptr;
  }

  uint64_t lines = 0;
  uint64_t errors = 0;     // all error lines, catalogued or not
  uint64_t successes = 0;  // lines reporting code 0
  uint64_t unknown_total = 0;
  std::vector<uint64_t> by_entry;                      // by catalog index
  std::vector<std::pair<int64_t, uint64_t>> unknown;  // code -> count, capped
  std::array<uint64_t, kRangeDomains.size()> other{};  // overflow, by range domain
  int max_unknown;
};

}  // namespace errpulse
