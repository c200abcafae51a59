// LogSource: the seam between the pipeline and what it reads. A LogSource
// reads one kind of input (files: tail/Tailer; the systemd journal:
// journal/JournalSource) for one or more configured sources, and hands their
// complete lines to a ChunkSink as chunks. Everything else in the pipeline —
// matching, counting, commits, /metrics, alerts, the status page — is the
// same for every kind.
//
// The contract that makes counts exact across restarts:
//   - chunks and the checkpoint move together on the pipeline thread: after
//     a sink call returns, TakeCheckpoint() describes the position just past
//     the lines handed on, never a line more or less;
//   - Start() resumes from the checkpoint the last commit stored, so a line
//     is counted by exactly one run;
//   - what the source has read but not yet handed on (an unfinished last
//     line) is PendingBytes(), which the committed bytes_read leaves out.
//
// A source calls the pipeline's RoundDone (given at construction) after each
// round of reads, so counts are committed and published once per round, not
// per chunk.
//
// Sources are addressed by their index in Config::sources; a LogSource only
// ever receives the indices it was built for (SourceSet routes them).
//
// Ownership: a LogSource owns its descriptors and buffers. Not thread-safe:
// every call, and every sink and RoundDone call it makes, is on the
// pipeline's io_context thread.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "common/log_format.h"
#include "source/file_record.h"
#include "source/source_stats.h"

namespace errpulse {

// Where a source is, as the state file keeps it. Each kind fills its part:
// files and known (file sources), cursor (journal sources). The pipeline
// stores and hands it back without looking inside.
struct SourceCheckpoint {
  std::vector<FileRecord> files;
  // files holds only the records that changed since MarkCommitted() (the
  // set of files did not change); the others are as committed.
  bool files_partial = false;
  std::vector<Fingerprint> known;  // files already read to their end
  std::string cursor;              // journal: the last entry counted ("": none)
};

// How a source starts: from the committed state, or without one.
struct SourceStart {
  enum class Mode {
    kStartAt,    // no state for this source: existing input per start_at
    kResume,     // continue from `checkpoint`; what appeared since, from its beginning
    kBeginning,  // unusable state, on_corrupt_state: beginning
    kEnd,        // unusable state, on_corrupt_state: end
  };
  Mode mode = Mode::kStartAt;
  SourceCheckpoint checkpoint;  // kResume only
  int64_t committed_at_ms = 0;  // kResume only: wall-clock time of the commit
};

// One thing a source follows, as the status page shows it: a file, or a
// journal.
struct FollowedFile {
  std::string path;     // a file's path; a journal's description
  uint64_t offset = 0;  // bytes read so far (including an unfinished last line)
  uint64_t size = 0;    // size when last looked at (0: not known, e.g. a journal)
  bool retired = false; // rotated away, being read to its end
  bool parked = false;  // closed for max_open_files, reopened when it grows
  std::string format;   // "plain", "clog", ..., "journal"; "auto": not decided yet
};

class LogSource {
 public:
  // Called after every round of reads, so the pipeline can commit.
  using RoundDone = std::function<void()>;

  virtual ~LogSource() = default;

  // Starts reading. `starts` has one entry per configured source; only this
  // LogSource's own are looked at. Call once.
  virtual void Start(const std::vector<SourceStart>& starts) = 0;
  // Stops reading; no sink or RoundDone call after it returns.
  virtual void Stop() = 0;

  // The counters continue from the last commit (call before Start()).
  virtual void RestoreStats(size_t source, const SourceStats& stats) = 0;
  virtual const SourceStats& Stats(size_t source) const = 0;
  // Bytes read but not yet handed on as a complete line, which a restart
  // reads again: the committed bytes_read leaves them out.
  virtual uint64_t PendingBytes(size_t source) const = 0;

  // Where `source` is now; with `only_changed`, file records only for the
  // files that moved since MarkCommitted() (see SourceCheckpoint).
  virtual SourceCheckpoint TakeCheckpoint(size_t source, bool only_changed) const = 0;
  // The checkpoint last taken for `source` is committed.
  virtual void MarkCommitted(size_t source) = 0;
  // Moves whenever something of the checkpoint changes that neither the
  // counters (Stats) nor generation() show: known files, a cursor.
  virtual uint64_t CheckpointSignature(size_t source) const = 0;
  // Moves whenever the set of things followed changes (a file opened,
  // retired or let go; a journal opened): a commit then sends every record.
  virtual uint64_t generation() const = 0;

  // What `source` follows now (status page).
  virtual std::vector<FollowedFile> Followed(size_t source) const = 0;
};

}  // namespace errpulse
