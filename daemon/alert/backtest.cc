#include "alert/backtest.h"

#include <algorithm>

#include "alert/event_time.h"

namespace errpulse {

Backtest::Backtest(std::vector<AlertRule> rules, std::string source, int year)
    : engine_(std::move(rules)), source_(std::move(source)), year_(year) {}

void Backtest::AdvanceTo(int64_t second) {
  if (evaluated_second_ < 0) evaluated_second_ = second - 1;
  constexpr int64_t kWalk = 3600;  // seconds walked one by one across a gap
  if (second - evaluated_second_ > kWalk) {
    for (int64_t s = evaluated_second_ + 1; s <= evaluated_second_ + kWalk; ++s) {
      auto t = engine_.Evaluate(s * 1000);
      transitions_.insert(transitions_.end(), t.begin(), t.end());
    }
    evaluated_second_ = second - 1;
  }
  for (int64_t s = evaluated_second_ + 1; s <= second; ++s) {
    auto t = engine_.Evaluate(s * 1000);
    transitions_.insert(transitions_.end(), t.begin(), t.end());
  }
  evaluated_second_ = std::max(evaluated_second_, second);
}

void Backtest::OnMatch(const Match& match, const CatalogEntry* entry, int64_t envelope_ms) {
  auto time = envelope_ms >= 0 ? std::optional<int64_t>(envelope_ms)
                               : ParseEventTime(match.line, year_);
  if (!time) {
    ++lines_without_time_;
    if (last_time_ms_ < 0) return;  // nothing to place it by yet
    time = last_time_ms_;
  }
  last_time_ms_ = *time;
  // Everything up to the second before this line's is final now.
  AdvanceTo(*time / 1000 - 1);
  engine_.Observe(ClassifiedEvent(entry, source_, match.code, *time));
}

void Backtest::Finish() {
  if (last_time_ms_ < 0) return;
  int64_t horizon = 0;
  for (const auto& rule : engine_.rules()) {
    int64_t retention = rule.window_ms;
    for (const auto& c : rule.conditions)
      if (c.spike) retention = std::max(retention, c.spike->baseline_ms);
    horizon = std::max(horizon, retention + rule.for_ms + rule.keep_firing_for_ms);
  }
  AdvanceTo((last_time_ms_ + horizon) / 1000 + 1);
}

}  // namespace errpulse
