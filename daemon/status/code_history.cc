#include "status/code_history.h"

#include <algorithm>

namespace errpulse {

uint64_t CodeTotals::Sum() const {
  uint64_t sum = 0;
  for (const auto& [code, count] : by_code) sum += count;
  for (uint64_t count : other) sum += count;
  return sum;
}

CodeTotals TakeTotals(const Catalog& catalog, const std::vector<SourceCounts>& sources,
                      int64_t at_ms) {
  CodeTotals totals;
  totals.at_ms = at_ms;
  const auto& entries = catalog.entries();
  for (size_t i = 0; i < entries.size(); ++i) {
    uint64_t sum = 0;
    for (const auto& source : sources) sum += source.by_entry[i];
    if (sum > 0) totals.by_code.emplace_back(entries[i].code, sum);
  }
  for (const auto& source : sources) {
    for (const auto& [code, count] : source.unknown) totals.by_code.emplace_back(code, count);
    for (size_t d = 0; d < totals.other.size(); ++d) totals.other[d] += source.other[d];
  }
  // Catalogued codes came out sorted; merge in the unknown ones (the same
  // unknown code can be counted by several sources).
  std::sort(totals.by_code.begin(), totals.by_code.end());
  std::vector<std::pair<int64_t, uint64_t>> merged;
  merged.reserve(totals.by_code.size());
  for (const auto& [code, count] : totals.by_code) {
    if (!merged.empty() && merged.back().first == code) {
      merged.back().second += count;
    } else {
      merged.emplace_back(code, count);
    }
  }
  totals.by_code = std::move(merged);
  return totals;
}

CodeTotals TakeSourceTotals(const Catalog& catalog, const SourceCounts& source, int64_t at_ms) {
  CodeTotals totals;
  totals.at_ms = at_ms;
  const auto& entries = catalog.entries();
  for (size_t i = 0; i < entries.size(); ++i)
    if (source.by_entry[i] > 0) totals.by_code.emplace_back(entries[i].code, source.by_entry[i]);
  totals.by_code.insert(totals.by_code.end(), source.unknown.begin(), source.unknown.end());
  std::sort(totals.by_code.begin(), totals.by_code.end());  // one source: no code twice
  totals.other = source.other;
  return totals;
}

CodeTotals Subtract(const CodeTotals& now, const CodeTotals& then) {
  CodeTotals delta;
  delta.at_ms = now.at_ms;
  auto older = then.by_code.begin();
  for (const auto& [code, count] : now.by_code) {
    while (older != then.by_code.end() && older->first < code) ++older;
    const uint64_t before =
        older != then.by_code.end() && older->first == code ? older->second : 0;
    if (count > before) delta.by_code.emplace_back(code, count - before);
  }
  for (size_t d = 0; d < delta.other.size(); ++d)
    delta.other[d] = now.other[d] > then.other[d] ? now.other[d] - then.other[d] : 0;
  return delta;
}

void CodeHistory::Offer(const CodeTotals& totals) {
  if (!samples_.empty() && totals.at_ms - samples_.back().at_ms < sample_every_ms_) return;
  samples_.push_back(totals);
  // The oldest sample is needed while the next one is still younger than the
  // longest window: Base() of that window picks the oldest at or before it.
  while (samples_.size() >= 2 && samples_[1].at_ms <= totals.at_ms - keep_ms_)
    samples_.pop_front();
}

const CodeTotals* CodeHistory::Base(int64_t now_ms, int64_t window_ms) const {
  if (samples_.empty()) return nullptr;
  const CodeTotals* base = &samples_.front();
  for (const auto& sample : samples_) {
    if (sample.at_ms > now_ms - window_ms) break;
    base = &sample;
  }
  return base;
}

}  // namespace errpulse
