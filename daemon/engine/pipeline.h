// Pipeline: the running daemon's data path, wired together:
//   LogSources (files, the journal -> chunks; source/log_source.h)
//   -> CountChunk (extract + classify + count)
//   -> SourceCounts -> commit (StateStore) -> Exporter (Prometheus counters).
//
// Commit, then expose: counts and file offsets are taken together on this
// thread, written atomically to the state file, and only then copied into
// the Prometheus counters. /metrics therefore only ever shows values a restart
// restores, so a kill -9 at any moment neither loses nor double-counts a line
// and no counter goes backwards. Commits happen after a round of reads that
// changed something, at most every commit_interval, and at shutdown.
//
// Reload (see PipelineHost) replaces the whole Pipeline: the old one stops and
// hands its last snapshot to the new one, which resumes from it exactly as a
// restart resumes from the state file, without the round trip through disk.
//
// Ownership: owns the counts, the exporter, the sources and the state store;
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
#include "count/container_counts.h"
#include "count/source_counts.h"
#include "engine/setup.h"
#include "engine/split_counter.h"
#include "metrics/exporter.h"
#include "state/state_store.h"
#include "status/status_publisher.h"
#include "source/chunk.h"
#include "source/source_set.h"

namespace errpulse {

class Pipeline {
 public:
  Pipeline(boost::asio::io_context& io, std::shared_ptr<const Setup> setup);

  // Opens the state and starts the sources, resuming from `handed_over`
  // (a reload) or else from the state file. Returns an error message (e.g.
  // the state directory is unusable), or "".
  std::string Start(const Snapshot* handed_over = nullptr);
  // Stops reading, commits what was counted, releases the state directory
  // and returns the snapshot it committed (also when the commit failed).
  // Pending handlers may still run: destroy the Pipeline from a handler
  // posted after Stop() (PipelineHost does).
  Snapshot Stop();

  // A one-line summary for the service manager (systemd STATUS=).
  struct Summary {
    int64_t files_open = 0;
    int64_t lag_bytes = 0;
    uint64_t lines = 0;
    uint64_t errors = 0;
  };
  Summary Summarize() const;
  const std::shared_ptr<const Setup>& setup() const { return setup_; }

  // Thread-safe.
  const Exporter& exporter() const { return exporter_; }
  // Current alerts as JSON (the /api/v1/alerts body).
  std::string AlertsJson() const;
  bool ready() const { return ready_.load(); }
  // The status page's data, refreshed every second; nullptr before Start().
  std::shared_ptr<const StatusSnapshot> Status() const { return status_.Latest(); }
  // Before Start(): keep the status page's recent history across a reload.
  void ContinueStatusFrom(const Pipeline& previous) { status_.ContinueFrom(previous.status_); }

 private:
  std::vector<SourceStart> Restore(const Snapshot* handed_over);
  std::vector<SourceStart> ResumeFrom(Snapshot snapshot);
  // Per source, what a commit looks at: its counters as committed
  // (CommittedStats) and SourceSignature(), taken once per commit (each walks
  // the source's files).
  struct SourceLook {
    SourceStats stats;
    uint64_t signature = 0;
  };
  std::vector<SourceLook> LookAtSources() const;
  // What a commit writes. `incremental`: sources and alert instances that
  // have not changed since the last commit are stubs or partial lists (the
  // journal keeps the rest); else complete, as a state file needs.
  Snapshot TakeSnapshot(bool incremental, const std::vector<SourceLook>& looks) const;
  // Moves whenever anything committed of source `s` changes: its counts,
  // counters (`stats`, as committed) or checkpoint (files opened, read, let
  // go; known rotations; a journal cursor).
  uint64_t SourceSignature(size_t source, const SourceStats& stats) const;
  void OnChunk(size_t source, std::string_view lines, const ChunkMeta& meta);
  void OnRoundDone();
  // kAppend: the changes to the journal (safe against a process crash);
  // kFull: the whole state file, durably (start, stop, compaction).
  enum class CommitKind { kAppend, kFull };
  Snapshot Commit(CommitKind kind);
  // Makes appended commits durable at most every sync_interval: arms the
  // sync timer when some commit is not durable yet.
  void ScheduleSync();
  void SyncState();
  void NoteCommitResult(const std::string& error, int64_t written_at_ms);
  // Copies the committed counts into the exporter: every source, or only
  // those whose signature moved since the last publish.
  void PublishCommitted(bool changed_only, const std::vector<SourceLook>& looks);
  void ScheduleEvaluation();
  void EvaluateAlerts();
  uint64_t ChangeSignature() const;
  // The source's counters as committed: bytes of an unfinished line are left out.
  SourceStats CommittedStats(size_t source) const;

  std::shared_ptr<const Setup> setup_;
  std::vector<SourceCounts> counts_;
  std::vector<ContainerCounts> containers_;  // per source; used by kubernetes_labels sources
  SplitCounter split_counter_;  // matches big chunks on two threads
  Exporter exporter_;
  SourceSet sources_;
  StateStore store_;
  boost::asio::steady_timer commit_timer_;
  bool commit_scheduled_ = false;
  std::chrono::steady_clock::time_point last_commit_{};
  uint64_t committed_signature_ = 0;
  bool commit_failing_ = false;
  // Per source, SourceSignature() at the last commit and at the last publish.
  std::vector<uint64_t> committed_sources_, published_sources_;
  uint64_t committed_generation_ = ~uint64_t{0};  // sources_.generation() then
  // The counts as last committed, to commit only the codes that moved.
  std::vector<SourceCounts> committed_counts_;
  boost::asio::steady_timer sync_timer_;
  bool sync_scheduled_ = false;
  bool stopping_ = false;
  std::chrono::steady_clock::time_point last_sync_{};
  bool sync_failing_ = false;
  std::string journal_problem_logged_;
  std::unique_ptr<AlertDispatcher> alerting_;  // when there are alert rules
  boost::asio::steady_timer evaluation_timer_;
  bool alert_events_pending_ = false;
  std::chrono::steady_clock::time_point last_evaluation_{};
  uint64_t alerts_published_generation_ = ~uint64_t{0};
  int64_t alerts_published_ms_ = 0;
  bool alerts_active_ = false;  // some instance pending or firing at the last publish
  mutable std::mutex alerts_json_mutex_;  // guards alerts_json_ (read by the HTTP thread)
  std::string alerts_json_;
  std::atomic<bool> ready_{false};

  // Status page (status/): a snapshot every second from what is kept above.
  void RefreshStatus();
  uint64_t status_signature_ = ~uint64_t{0};  // ChangeSignature() at the last snapshot
  int64_t status_refreshed_ms_ = 0;
  void ScheduleStatus();
  StatusPublisher status_;
  uint64_t committed_minutes_ = ~uint64_t{0};  // status_.minutes().generation() at the last commit
  boost::asio::steady_timer status_timer_;
  int64_t last_commit_wall_ms_ = 0;  // last successful commit
};

}  // namespace errpulse
