#include "status/minute_ring.h"

#include <algorithm>

namespace errpulse {
namespace {

bool KeyLess(const MinuteCount& a, const MinuteCount& b) {
  return a.source != b.source ? a.source < b.source : a.code < b.code;
}

// What `source` counted between `then` and `now`, as pairs.
void AppendDelta(const std::string& source, const CodeTotals& now, const CodeTotals& then,
                 std::vector<MinuteCount>* out) {
  const CodeTotals delta = Subtract(now, then);
  for (const auto& [code, n] : delta.by_code) out->push_back({source, std::to_string(code), n});
  for (size_t d = 0; d < delta.other.size(); ++d)
    if (delta.other[d] > 0)
      out->push_back({source, "other:" + std::string(kRangeDomains[d]), delta.other[d]});
}

// Sorts `counts` by key and sums the pairs that appear twice.
void SortAndMerge(std::vector<MinuteCount>* counts) {
  std::sort(counts->begin(), counts->end(), KeyLess);
  std::vector<MinuteCount> merged;
  merged.reserve(counts->size());
  for (auto& c : *counts) {
    if (!merged.empty() && !KeyLess(merged.back(), c)) {
      merged.back().count += c.count;
    } else {
      merged.push_back(std::move(c));
    }
  }
  *counts = std::move(merged);
}

// Keeps the kMaxPairs most frequent pairs; the others' errors go to `rest`.
void Cap(MinuteCounts* m) {
  if (m->counts.size() <= MinuteRing::kMaxPairs) return;
  std::nth_element(m->counts.begin(), m->counts.begin() + MinuteRing::kMaxPairs, m->counts.end(),
                   [](const MinuteCount& a, const MinuteCount& b) { return a.count > b.count; });
  for (size_t i = MinuteRing::kMaxPairs; i < m->counts.size(); ++i) m->rest += m->counts[i].count;
  m->counts.resize(MinuteRing::kMaxPairs);
  std::sort(m->counts.begin(), m->counts.end(), KeyLess);
}

}  // namespace

uint64_t MinuteCounts::Sum() const {
  uint64_t sum = rest;
  for (const auto& c : counts) sum += c.count;
  return sum;
}

void MinuteRing::Advance(const SourceTotals& totals, int64_t now_ms) {
  const int64_t minute = MinuteOf(now_ms);
  if (!running_) {
    // The first refresh: restored minutes from the future (the clock went
    // back) are dropped; one saved in progress is this minute's beginning.
    running_ = true;
    current_minute_ = minute;
    while (!completed_.empty() && completed_.back().minute >= minute) {
      if (completed_.back().minute == minute) carried_ = std::move(completed_.back());
      completed_.pop_back();
    }
    carried_.minute = minute;
  }
  // A source seen for the first time (a reload added it) starts from now.
  for (const auto& [name, t] : totals) base_.emplace(name, t);
  current_.minute = current_minute_;
  current_.counts = carried_.counts;
  current_.rest = carried_.rest;
  for (const auto& [name, t] : totals) AppendDelta(name, t, base_.at(name), &current_.counts);
  SortAndMerge(&current_.counts);
  Cap(&current_);
  if (minute <= current_minute_) return;
  // The minute is over: what was counted up to now was counted in it (the
  // refresh runs every second while errors come, so at most a second late).
  Complete();
  current_minute_ = minute;
  base_.clear();
  for (const auto& [name, t] : totals) base_.emplace(name, t);
  carried_ = MinuteCounts{minute, {}, 0};
  current_ = carried_;
  while (!completed_.empty() && completed_.front().minute <= minute - kMinutes)
    completed_.pop_front();
}

void MinuteRing::Complete() {
  if (current_.Sum() == 0) return;
  completed_.push_back(current_);
  ++generation_;
}

std::vector<const MinuteCounts*> MinuteRing::Window() const {
  std::vector<const MinuteCounts*> window;
  for (const auto& m : completed_)
    if (m.minute > current_minute_ - kMinutes && m.minute < current_minute_) window.push_back(&m);
  if (current_.Sum() > 0) window.push_back(&current_);
  return window;
}

std::vector<MinuteCounts> MinuteRing::Saved(bool with_current) const {
  std::vector<MinuteCounts> saved;
  for (const MinuteCounts* m : Window())
    if (m != &current_ || with_current) saved.push_back(*m);
  // Not running yet (a commit before the first refresh): what was restored.
  if (!running_) saved.assign(completed_.begin(), completed_.end());
  return saved;
}

void MinuteRing::Restore(std::vector<MinuteCounts> minutes) {
  if (running_) return;
  std::sort(minutes.begin(), minutes.end(),
            [](const MinuteCounts& a, const MinuteCounts& b) { return a.minute < b.minute; });
  completed_.clear();
  for (auto& m : minutes) {
    if (m.Sum() == 0) continue;
    SortAndMerge(&m.counts);
    Cap(&m);
    completed_.push_back(std::move(m));
  }
}

}  // namespace errpulse
