// StatusPublisher: builds the StatusSnapshot on the pipeline thread and hands
// it to the HTTP thread. Refresh() (pipeline thread, at most once a second)
// reads the counts, the sources and the alerts the pipeline already keeps,
// offers the code totals to the history every 10 s and to the per-minute
// ring (the charts of the last hour), and swaps in a new
// immutable snapshot under a mutex; Latest() (any thread) takes a reference
// to it. Nothing is done per line.
//
// Ownership: owned by the Pipeline; shares the catalog and config of its
// Setup (passed in, so status/ sits below engine/). Refresh() is not
// thread-safe (pipeline thread only); Latest() is.
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "alert/dispatcher.h"
#include "classify/catalog.h"
#include "config/config.h"
#include "count/source_counts.h"
#include "status/code_history.h"
#include "status/minute_ring.h"
#include "status/status_snapshot.h"
#include "source/source_set.h"

namespace errpulse {

// What the pipeline hands to Refresh(): references to what it owns.
struct StatusInputs {
  const std::vector<SourceCounts>& counts;
  const SourceSet& sources;
  const AlertDispatcher* alerting;  // nullptr without alert rules
  int64_t last_commit_ms;           // 0: none yet
  bool commit_failing;
};

class StatusPublisher {
 public:
  // How often the code totals are sampled, and the windows shown.
  static constexpr int64_t kSampleEveryMs = 10'000;
  static constexpr int64_t kTopWindowsMs[] = {5 * 60'000, 15 * 60'000};
  static constexpr int64_t kDomainWindowsMs[] = {60'000, 5 * 60'000, 15 * 60'000};
  static constexpr size_t kTopCodes = 10;

  // `config`: the sources, host and paths shown (the Setup's own, shared).
  StatusPublisher(std::shared_ptr<const Catalog> catalog, std::shared_ptr<const Config> config);

  // Pipeline thread: takes a new snapshot at wall-clock `now_ms`.
  void Refresh(const StatusInputs& in, int64_t now_ms);
  // Pipeline thread, before the first Refresh(): continue the recent-minutes
  // history and the "since start" base of the publisher a reload replaces,
  // so a reload does not blank the page's last 15 minutes.
  void ContinueFrom(const StatusPublisher& previous);
  // Any thread: the latest snapshot, or nullptr before the first Refresh().
  std::shared_ptr<const StatusSnapshot> Latest() const;

  // The per-minute ring, for the state file (pipeline thread): Saved() at a
  // commit, Restore() from the state before the first Refresh(); its
  // generation() says when a commit should write it again.
  const MinuteRing& minutes() const { return minutes_; }
  void RestoreMinutes(std::vector<MinuteCounts> minutes) { minutes_.Restore(std::move(minutes)); }

 private:
  void AddCounts(const CodeTotals& now, StatusSnapshot* out) const;
  void AddSeries(const AlertDispatcher* alerting, StatusSnapshot* out) const;

  std::shared_ptr<const Catalog> catalog_;
  std::shared_ptr<const Config> config_;
  std::string host_;
  CodeHistory history_;
  std::optional<CodeTotals> start_;  // the totals at the first Refresh()
  MinuteRing minutes_;
  mutable std::mutex mutex_;         // guards latest_
  std::shared_ptr<const StatusSnapshot> latest_;
};

}  // namespace errpulse
