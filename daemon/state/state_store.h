// StateStore: what errpulse has committed, under state_dir: the state file
// (`state`, a full Snapshot, see snapshot.h) and the journal of the commits
// since it was written (`state.journal`, see state_journal.h). Holds an
// exclusive lock on state_dir/lock for the daemon's lifetime, so two
// errpulsed never share one state directory, and keeps the directory open
// for its fsyncs.
//
// Two kinds of safety, two operations:
// - Append() (every commit_interval): the changed entries, one write() to
//   the journal. A process crash (SIGKILL, OOM kill) loses nothing Append()
//   returned from: the kernel holds the bytes.
// - Sync() (at most every sync_interval): fdatasync of the journal, so the
//   commits also survive a power loss or kernel crash.
// - Commit(): the state file replaced atomically (temp file, fsync, rename,
//   fsync of the directory) and the journal started afresh. At start, at
//   shutdown, and at a sync point once the journal has grown (compaction).
//
// A state file that cannot be used (damaged, truncated, foreign, from a newer
// errpulse) is moved aside as `state.corrupt-<unix time>` for inspection, and
// the caller starts from a safe point instead of crash-looping.
//
// Owned by the pipeline; not thread-safe.
#pragma once

#include <string>

#include "state/snapshot.h"
#include "state/state_journal.h"

namespace errpulse {

class StateStore {
 public:
  explicit StateStore(std::string dir);
  ~StateStore();
  StateStore(const StateStore&) = delete;
  StateStore& operator=(const StateStore&) = delete;

  // Creates the directory if needed, takes the lock and opens the directory.
  // Returns an error message, or "" on success.
  std::string Open();

  enum class LoadResult { kNone, kLoaded, kUnusable };
  // The state file with the journal's commits applied. kUnusable: `problem`
  // says why, and the file was moved aside.
  LoadResult Load(Snapshot* out, std::string* problem);
  // What the last Load() found worth saying about the journal (a torn last
  // record, a journal of an earlier state file), or "".
  const std::string& load_note() const { return load_note_; }

  // A full, durable commit (see above). Returns an error message, or "".
  std::string Commit(const Snapshot& snapshot);
  // A commit safe against a process crash (see above); a full Commit() when
  // the journal cannot be used (none yet, or an earlier append failed).
  std::string Append(const Snapshot& snapshot);
  // Whether Append() can take an incremental snapshot (the journal holds the
  // rest); else it needs a complete one, and commits it in full.
  bool CanAppend() const { return journal_.usable(); }
  // Makes the appended commits durable. Returns an error message, or "".
  std::string Sync();
  // Whether some commit is not durable yet.
  bool needs_sync() const { return unsynced_; }
  // The journal has outgrown the state file: the next sync point should be a
  // Commit() instead, which writes everything once and empties the journal.
  bool ShouldCompact() const;
  uint64_t journal_bytes() const { return journal_.size(); }
  // Why the journal is not used (commits are then written in full), or "".
  const std::string& journal_problem() const { return journal_problem_; }

  // Releases the lock, so another StateStore (a reloaded pipeline) can take
  // the directory. Idempotent; the destructor calls it.
  void Close();

  const std::string& path() const { return path_; }

 private:
  std::string dir_;
  std::string path_;
  int lock_fd_ = -1;
  int dir_fd_ = -1;
  StateJournal journal_;
  uint64_t state_bytes_ = 0;  // size of the state file last written
  bool unsynced_ = false;
  std::string load_note_;
  std::string journal_problem_;
};

}  // namespace errpulse
