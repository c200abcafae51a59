#include "state/state_store.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <fstream>
#include <sstream>

#include "state/atomic_file.h"
#include "state/state_entries.h"
#include "source/file_record.h"

namespace errpulse {
namespace {

// The journal is compacted into the state file once it is this much bigger
// than the state file (and at least this big): a restart replays at most a
// few times the state's size, and compaction's cost stays small per commit.
constexpr uint64_t kCompactFactor = 4;
constexpr uint64_t kCompactMinBytes = 1 << 20;

bool IsComplete(const Snapshot& snapshot) {
  if (snapshot.alerts_partial || snapshot.minutes_unchanged) return false;
  for (const auto& s : snapshot.sources)
    if (s.unchanged || s.codes_partial || s.files_partial) return false;
  for (const auto& a : snapshot.alerts)
    if (a.unchanged || a.removed || a.windows_partial) return false;
  return true;
}

}  // namespace

StateStore::StateStore(std::string dir)
    : dir_(std::move(dir)), path_(dir_ + "/state"), journal_(path_ + ".journal") {}

StateStore::~StateStore() { Close(); }

void StateStore::Close() {
  journal_.Close();
  if (dir_fd_ >= 0) ::close(dir_fd_);
  dir_fd_ = -1;
  if (lock_fd_ >= 0) ::close(lock_fd_);  // closing the descriptor drops the flock
  lock_fd_ = -1;
}

std::string StateStore::Open() {
  if (::mkdir(dir_.c_str(), 0750) != 0 && errno != EEXIST)
    return "cannot create state_dir " + dir_ + ": " + std::strerror(errno);
  const std::string lock = dir_ + "/lock";
  lock_fd_ = ::open(lock.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0640);
  if (lock_fd_ < 0) return "cannot open " + lock + ": " + std::strerror(errno);
  if (::flock(lock_fd_, LOCK_EX | LOCK_NB) != 0) {
    return errno == EWOULDBLOCK
               ? "another errpulsed is using state_dir " + dir_
               : "cannot lock " + lock + ": " + std::strerror(errno);
  }
  dir_fd_ = ::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd_ < 0) return "cannot open state_dir " + dir_ + ": " + std::strerror(errno);
  return "";
}

StateStore::LoadResult StateStore::Load(Snapshot* out, std::string* problem) {
  load_note_.clear();
  struct stat st;
  std::string text;
  if (::stat(path_.c_str(), &st) != 0) {
    if (errno == ENOENT) return LoadResult::kNone;
    *problem = std::string("cannot stat: ") + std::strerror(errno);
  } else if (!S_ISREG(st.st_mode)) {
    *problem = S_ISDIR(st.st_mode) ? "it is a directory, not a file" : "it is not a regular file";
  } else {
    std::ifstream in(path_, std::ios::binary);
    std::stringstream buffer;
    buffer << in.rdbuf();
    text = buffer.str();
    *problem = in ? ParseSnapshot(text, out) : std::string("cannot read: ") + std::strerror(errno);
  }
  if (problem->empty()) {
    state_bytes_ = text.size();
    std::map<std::string, std::string> entries = FlattenToMap(*out);
    const auto replay = StateJournal::Replay(
        journal_.path(), FingerprintHash(text.data(), text.size()), &entries);
    if (!replay.note.empty()) load_note_ = journal_.path() + ": " + replay.note;
    if (replay.records > 0) {
      Snapshot journaled;
      if (std::string error = UnflattenSnapshot(entries, &journaled); !error.empty()) {
        load_note_ = journal_.path() + ": its commits cannot be applied (" + error +
                     "); the state file alone is used: the lines since it was written are "
                     "read again from its offsets, and counted once";
      } else {
        *out = std::move(journaled);
      }
    }
    return LoadResult::kLoaded;
  }
  const std::string aside = path_ + ".corrupt-" + std::to_string(std::time(nullptr));
  if (::rename(path_.c_str(), aside.c_str()) == 0) {
    *problem += "; moved aside to " + aside;
  } else {
    *problem += std::string("; could not move it aside: ") + std::strerror(errno);
  }
  // The journal only means something on top of the state file it continues.
  if (::unlink(journal_.path().c_str()) == 0) *problem += " (its journal was removed)";
  return LoadResult::kUnusable;
}

std::string StateStore::Commit(const Snapshot& snapshot) {
  const std::string text = SerializeSnapshot(snapshot);
  bool replaced = false;
  const std::string error = WriteFileAtomically(path_, text, dir_fd_, &replaced);
  // Not at the path: the state file and its journal are as they were, and
  // appends can go on. At the path (also when only the directory's fsync
  // failed): the journal must continue this state file, as a stale one
  // would be ignored at restart with the commits appended to it. A journal
  // that cannot be started leaves Append() committing in full
  // (journal_problem() says why).
  if (replaced) {
    state_bytes_ = text.size();
    journal_problem_ = journal_.Reset(FingerprintHash(text.data(), text.size()), snapshot);
  }
  if (error.empty()) unsynced_ = false;  // the state file holds everything, durably
  return error;
}

std::string StateStore::Append(const Snapshot& snapshot) {
  if (!journal_.usable()) {
    // A state file needs everything: a snapshot with stubs or partial lists
    // (taken for a journal) cannot stand in for it.
    if (!IsComplete(snapshot))
      return "the journal cannot take this commit and it is not complete enough to be written "
             "in full";
    return Commit(snapshot);
  }
  const uint64_t before = journal_.size();
  if (std::string error = journal_.Append(snapshot); !error.empty()) {
    // Nothing of this commit counts; the next one writes the state in full.
    journal_problem_ = error;
    return error;
  }
  if (journal_.size() != before) unsynced_ = true;
  return "";
}

std::string StateStore::Sync() {
  if (!unsynced_) return "";
  std::string error = journal_.Sync();
  if (error.empty()) {
    unsynced_ = false;
  } else {
    journal_problem_ = error;
  }
  return error;
}

bool StateStore::ShouldCompact() const {
  return journal_.size() > std::max(kCompactMinBytes, kCompactFactor * state_bytes_);
}

}  // namespace errpulse
