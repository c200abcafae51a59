// CodeHistory: how many errors of each code were counted over the last
// minutes, without any work per line. Every `sample_every` the pipeline
// offers the running totals of every code (summed over the sources); the
// history keeps a small ring of them, enough to reach back `keep`. The
// errors of the last N minutes are then the totals now minus the sample
// taken N minutes ago.
//
// CodeTotals: the running error totals of every code at one moment.
//
// Value types; CodeHistory is owned by the pipeline thread and not
// thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <utility>
#include <vector>

#include "classify/catalog.h"
#include "count/source_counts.h"

namespace errpulse {

struct CodeTotals {
  int64_t at_ms = 0;  // wall clock
  // Codes with a series of their own that have a count, sorted by code.
  std::vector<std::pair<int64_t, uint64_t>> by_code;
  // Codes folded past max_unknown_codes, by range domain (kRangeDomains).
  std::array<uint64_t, kRangeDomains.size()> other{};

  uint64_t Sum() const;
};

// The totals of every code over all sources at `at_ms`.
CodeTotals TakeTotals(const Catalog& catalog, const std::vector<SourceCounts>& sources,
                      int64_t at_ms);
// The totals of one source's codes at `at_ms` (the per-minute ring keeps
// sources apart, so an alert's chart can follow its `sources:` and `by`).
CodeTotals TakeSourceTotals(const Catalog& catalog, const SourceCounts& source, int64_t at_ms);

// What was counted between `then` and `now` (per code; never below 0, so a
// code that vanished, e.g. after a catalog change, counts 0).
CodeTotals Subtract(const CodeTotals& now, const CodeTotals& then);

class CodeHistory {
 public:
  CodeHistory(int64_t sample_every_ms, int64_t keep_ms)
      : sample_every_ms_(sample_every_ms), keep_ms_(keep_ms) {}

  // Keeps `totals` when the last kept sample is at least sample_every old
  // (or there is none); drops samples no window can need any more.
  void Offer(const CodeTotals& totals);

  // The sample to subtract for the `window_ms` ending at `now_ms`: the newest
  // one taken at or before now - window; when the history does not reach back
  // that far, the oldest one (the window is then shorter: see Covered()).
  // nullptr when there is no sample yet.
  const CodeTotals* Base(int64_t now_ms, int64_t window_ms) const;

  size_t size() const { return samples_.size(); }

 private:
  int64_t sample_every_ms_;
  int64_t keep_ms_;
  std::deque<CodeTotals> samples_;  // oldest first
};

}  // namespace errpulse
