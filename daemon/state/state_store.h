// StateStore: the state file under state_dir (`state`), written atomically on
// every commit and read once at start. Holds an exclusive lock on
// state_dir/lock for the daemon's lifetime, so two errpulsed never share one
// state directory.
//
// A state file that cannot be used (damaged, truncated, foreign, from a newer
// errpulse) is moved aside as `state.corrupt-<unix time>` for inspection, and
// the caller starts from a safe point instead of crash-looping.
//
// Owned by the pipeline; not thread-safe.
#pragma once

#include <string>

#include "state/snapshot.h"

namespace errpulse {

class StateStore {
 public:
  explicit StateStore(std::string dir);
  ~StateStore();
  StateStore(const StateStore&) = delete;
  StateStore& operator=(const StateStore&) = delete;

  // Creates the directory if needed and takes the lock. Returns an error
  // message, or "" on success.
  std::string Open();

  enum class LoadResult { kNone, kLoaded, kUnusable };
  // kUnusable: `problem` says why, and the file was moved aside.
  LoadResult Load(Snapshot* out, std::string* problem);

  // Returns an error message, or "" once the snapshot is durable.
  std::string Commit(const Snapshot& snapshot);

  // Releases the lock, so another StateStore (a reloaded pipeline) can take
  // the directory. Idempotent; the destructor calls it.
  void Close();

  const std::string& path() const { return path_; }

 private:
  std::string dir_;
  std::string path_;
  int lock_fd_ = -1;
};

}  // namespace errpulse
