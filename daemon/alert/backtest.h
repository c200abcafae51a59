// Backtest: runs the alert rules over replayed log lines on the lines' own
// time, the way `errpulsed replay` shows what a rule would have paged, and
// when, before it pages anyone. Evaluates once per second of log time (gaps
// of up to an hour are walked second by second; longer ones jump), and at
// the end runs the clock on until every alert has resolved.
//
// Not thread-safe; one per replay.
#pragma once

#include <string_view>
#include <vector>

#include "alert/alert_engine.h"
#include "classify/catalog.h"
#include "extract/match.h"

namespace errpulse {

class Backtest {
 public:
  Backtest(std::vector<AlertRule> rules, std::string source, int year);

  // `entry`: the catalog's entry for match.code as counting found it
  // (nullptr: a success or an unlisted code). `envelope_ms`: the line's time
  // from its container log envelope (cri, docker), or -1 to read it from the
  // line itself.
  void OnMatch(const Match& match, const CatalogEntry* entry, int64_t envelope_ms = -1);
  // Runs the clock past the last line until nothing is active.
  void Finish();

  const std::vector<AlertTransition>& transitions() const { return transitions_; }
  uint64_t lines_without_time() const { return lines_without_time_; }
  const AlertEngine& engine() const { return engine_; }

 private:
  void AdvanceTo(int64_t second);

  AlertEngine engine_;
  std::string source_;
  int year_;
  int64_t last_time_ms_ = -1;
  int64_t evaluated_second_ = -1;
  uint64_t lines_without_time_ = 0;
  std::vector<AlertTransition> transitions_;
};

}  // namespace errpulse
