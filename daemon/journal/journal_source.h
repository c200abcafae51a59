// JournalSource: the systemd journal source (a LogSource, see
// source/log_source.h). Reads, for each configured source with `journal:`,
// the entries its units and identifiers select, from the system journal or
// a directory, and hands each entry's MESSAGE on as one line with the
// entry's realtime stamp as its time (journal_lines.h).
//
// Exactly once across restarts: the checkpoint is the cursor of the last
// entry handed on, taken after each batch whose lines went to the sink, so
// the committed counts and cursor always agree. A restart seeks to the entry
// after it. When that entry is gone (vacuumed or rotated away while
// errpulse was stopped), reading resumes at the oldest entry still there,
// and the loss is logged and counted (files_lost).
//
// Following: one JournalReader per configured source. sd-journal's inotify
// descriptor is waited on in the io_context; after a round of reads the
// next wait starts no sooner than commit_interval later (entries that came
// meanwhile are read then, in one round), so a busy journal costs at most
// one wake-up per commit, like the file source. sd-journal's own timeout
// (journals on file systems without reliable inotify) is honoured.
//
// Faults: a journal directory that does not exist yet is opened as soon as
// it appears (every poll_interval; it is then read from its beginning: all
// of it is new); a journal that cannot be opened is retried at the same
// pace, counted in read_errors and logged once; the system journal opened
// without the right to read it (not in the systemd-journal group) is
// logged once as such.
//
// Self-metrics (SourceStats): bytes_read = message bytes and newlines
// handed on; lines_cut = messages longer than max_line_bytes; read_errors =
// unreadable entries and failures to open or read; rotations = the set of
// journal files changed (rotation, vacuuming); files_lost = the committed
// cursor's entry was gone at start; files_open = 1 while the journal is open.
//
// Ownership: owns its readers, their timers and the io_context's view of
// their descriptors (sd-journal owns the descriptors themselves). Not
// thread-safe: the pipeline's io_context thread only.
#pragma once

#include <boost/asio/io_context.hpp>

#include <memory>
#include <vector>

#include "config/config.h"
#include "journal/journal_reader.h"
#include "source/chunk.h"
#include "source/log_source.h"

namespace errpulse {

// What a journal source's selection reads: its units, identifiers and
// directory, messages cut at max_line_bytes. Also what `check` and `replay`
// open, so all three read the same entries.
JournalSpec JournalSpecOf(const JournalSelection& selection, int64_t max_line_bytes);

class JournalSource : public LogSource {
 public:
  // `sources`: the indices of the configured sources it reads (each with
  // `journal:` set). `config` must outlive it.
  JournalSource(boost::asio::io_context& io, const Config& config, std::vector<size_t> sources,
                ChunkSink sink, RoundDone round_done);
  ~JournalSource() override;

  void Start(const std::vector<SourceStart>& starts) override;
  void Stop() override;
  void RestoreStats(size_t source, const SourceStats& stats) override;
  const SourceStats& Stats(size_t source) const override;
  // Always 0: an entry is handed on whole or not at all.
  uint64_t PendingBytes(size_t) const override { return 0; }
  // The cursor of the last entry handed on.
  SourceCheckpoint TakeCheckpoint(size_t source, bool only_changed) const override;
  void MarkCommitted(size_t) override {}
  // How often the cursor moved.
  uint64_t CheckpointSignature(size_t source) const override;
  // Moves when a journal is opened.
  uint64_t generation() const override { return generation_; }
  // One row: the journal and its selection.
  std::vector<FollowedFile> Followed(size_t source) const override;

 private:
  struct Follower;

  Follower& Of(size_t source) const;
  void TryOpen(Follower& f);
  void Position(Follower& f);
  void RetryLater(Follower& f);
  // Reads until the end (or a round's budget), hands the lines on, then
  // calls RoundDone and waits for the next change.
  void Round(Follower& f);
  void WaitForChange(Follower& f);
  void StartWait(Follower& f);
  void OnChange(Follower& f);
  // Logs `problem` once (until it changes or clears) and counts it.
  void Problem(Follower& f, const std::string& problem);

  boost::asio::io_context& io_;
  const Config& config_;
  ChunkSink sink_;
  RoundDone round_done_;
  std::vector<std::unique_ptr<Follower>> followers_;
  std::vector<Follower*> by_source_;  // per configured source; nullptr: not ours
  uint64_t generation_ = 0;
  bool stopped_ = false;
};

}  // namespace errpulse
