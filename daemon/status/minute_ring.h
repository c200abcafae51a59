// MinuteRing: the errors of each (source, code) per wall-clock minute over
// the last hour, for the status page's charts. Fed by the status refresh (at
// most once a second, never per line): each minute's counts are the running
// totals when the minute ended minus those when it began, so the minute an
// error lands in is the minute it was counted (arrival time, not the time
// the line carries).
//
// Bounds: kMinutes minutes (older ones drop out); per minute only the
// (source, code) pairs that had errors, at most kMaxPairs of them (the most
// frequent), the errors of the others summed in `rest`. An hour of quiet
// holds nothing.
//
// Restarts: the state file keeps Saved() (the completed minutes, and at a
// full commit also the minute in progress) and a restart hands it back to
// Restore(); a minute saved in progress continues where it stopped. A crash
// loses at most the minute in progress: generation() moves only when a
// minute with errors is completed, so a commit writes the ring once a
// minute at most, and never while the daemon is idle.
//
// MinuteCount, MinuteCounts: value types.
//
// Not thread-safe: owned by the StatusPublisher, on the pipeline thread.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "status/code_history.h"

namespace errpulse {

struct MinuteCount {
  std::string source;
  std::string code;  // "60007", or "other:<domain>" for codes folded past max_unknown_codes
  uint64_t count = 0;
};

struct MinuteCounts {
  int64_t minute = 0;               // wall-clock ms / 60'000
  std::vector<MinuteCount> counts;  // sorted by (source, code); every count > 0
  uint64_t rest = 0;                // errors of the pairs past kMaxPairs
  uint64_t Sum() const;
};

// Per source (by name), its code totals now.
using SourceTotals = std::vector<std::pair<std::string, CodeTotals>>;

class MinuteRing {
 public:
  static constexpr int64_t kMinutes = 60;
  static constexpr size_t kMaxPairs = 200;

  static int64_t MinuteOf(int64_t wall_ms) { return wall_ms / 60'000; }

  // Pipeline thread, at each status refresh: the totals at `now_ms`. A
  // minute is completed by the first call in a later minute (wall clock
  // going back never reopens one).
  void Advance(const SourceTotals& totals, int64_t now_ms);

  // The minutes of the last hour that had errors, ending with the current
  // one as counted so far; oldest first.
  std::vector<const MinuteCounts*> Window() const;
  int64_t current_minute() const { return current_minute_; }

  // What the state file keeps: the completed minutes of the last hour, and
  // with `with_current` the current one so far (for a full commit, so that
  // a clean stop and start loses nothing).
  std::vector<MinuteCounts> Saved(bool with_current) const;
  // Before the first Advance(): the minutes a state file kept. Ignored once
  // the ring runs (a reload continues the previous ring instead).
  void Restore(std::vector<MinuteCounts> minutes);
  // Moves when a minute with errors is completed.
  uint64_t generation() const { return generation_; }

 private:
  void Complete();

  bool running_ = false;
  int64_t current_minute_ = 0;
  std::map<std::string, CodeTotals> base_;  // per source: its totals when the minute began
  MinuteCounts carried_;                    // the current minute before a restart
  MinuteCounts current_;                    // carried_ + what was counted since
  std::deque<MinuteCounts> completed_;      // oldest first, only minutes with errors
  uint64_t generation_ = 0;
};

}  // namespace errpulse
