// Pipeline: the running daemon's data path, wired together:
//   Tailer (files -> chunks) -> CountChunk (extract + classify + count)
//   -> SourceCounts -> commit (StateStore) -> Exporter (Prometheus counters).
//
// Commit, then expose: counts and file offsets are taken together on this
// thread, written atomically to the state file, and only then copied into
// the Prometheus counters. /metrics therefore only ever shows values a restart
// restores, so a kill -9 at any moment neither loses nor double-counts a line
// and no counter goes backwards. Commits happen after a round of reads that
// changed something, at most every commit_interval, and at shutdown.
//
// Ownership: owns the counts, the exporter, the tailer and the state store;
// shares the Setup. Everything but exporter().Scrape(), AlertsJson(), Status()
// and ready() runs on the io_context's one thread.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "alert/dispatcher.h"
#include "engine/setup.h"
#include "engine/source_counts.h"
#include "metrics/exporter.h"
#include "state/state_store.h"
#include "status/status_publisher.h"
#include "tail/tailer.h"

namespace errpulse {

class Pipeline {
 public:
  Pipeline(boost::asio::io_context& io, std::shared_ptr<const Setup> setup);

  // Opens the state, restores it and starts following files. Returns an
  // error message (e.g. the state directory is unusable), or "".
  std::string Start();
  // Stops reading and commits what was counted.
  void Stop();

  // Thread-safe.
  const Exporter& exporter() const { return exporter_; }
  // Current alerts as JSON (the /api/v1/alerts body).
  std::string AlertsJson() const;
  bool ready() const { return ready_.load(); }
  // The status page's data, refreshed every second; nullptr before Start().
  std::shared_ptr<const StatusSnapshot> Status() const { return status_.Latest(); }

 private:
  std::vector<SourceStart> Restore();
  void OnChunk(size_t source, std::string_view lines);
  void OnRoundDone();
  void Commit();
  void PublishCommitted();
  void ScheduleEvaluation();
  void EvaluateAlerts();
  uint64_t ChangeSignature() const;
  // The tail counters as committed: bytes of an unfinished line are left out.
  TailStats CommittedTail(size_t source) const;

  boost::asio::io_context& io_;
  std::shared_ptr<const Setup> setup_;
  std::vector<SourceCounts> counts_;
  Exporter exporter_;
  Tailer tailer_;
  StateStore store_;
  boost::asio::steady_timer commit_timer_;
  bool commit_scheduled_ = false;
  std::chrono::steady_clock::time_point last_commit_{};
  uint64_t committed_signature_ = 0;
  bool commit_failing_ = false;
  std::unique_ptr<AlertDispatcher> alerting_;  // when there are alert rules
  boost::asio::steady_timer evaluation_timer_;
  bool alert_events_pending_ = false;
  std::chrono::steady_clock::time_point last_evaluation_{};
  mutable std::mutex alerts_json_mutex_;  // guards alerts_json_ (read by the HTTP thread)
  std::string alerts_json_;
  std::atomic<bool> ready_{false};

  // Status page (status/): a snapshot every second from what is kept above.
  void RefreshStatus();
  void ScheduleStatus();
  StatusPublisher status_;
  boost::asio::steady_timer status_timer_;
  int64_t last_commit_wall_ms_ = 0;  // last successful commit
};

}  // namespace errpulse
