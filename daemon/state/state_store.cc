#include "state/state_store.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <fstream>
#include <sstream>

#include "state/atomic_file.h"

namespace errpulse {

StateStore::StateStore(std::string dir) : dir_(std::move(dir)), path_(dir_ + "/state") {}

StateStore::~StateStore() { Close(); }

void StateStore::Close() {
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
  return "";
}

StateStore::LoadResult StateStore::Load(Snapshot* out, std::string* problem) {
  struct stat st;
  if (::stat(path_.c_str(), &st) != 0) {
    if (errno == ENOENT) return LoadResult::kNone;
    *problem = std::string("cannot stat: ") + std::strerror(errno);
  } else if (!S_ISREG(st.st_mode)) {
    *problem = S_ISDIR(st.st_mode) ? "it is a directory, not a file" : "it is not a regular file";
  } else {
    std::ifstream in(path_, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    *problem = in ? ParseSnapshot(text.str(), out)
                  : std::string("cannot read: ") + std::strerror(errno);
  }
  if (problem->empty()) return LoadResult::kLoaded;
  const std::string aside = path_ + ".corrupt-" + std::to_string(std::time(nullptr));
  if (::rename(path_.c_str(), aside.c_str()) == 0) {
    *problem += "; moved aside to " + aside;
  } else {
    *problem += std::string("; could not move it aside: ") + std::strerror(errno);
  }
  return LoadResult::kUnusable;
}

std::string StateStore::Commit(const Snapshot& snapshot) {
  return WriteFileAtomically(path_, SerializeSnapshot(snapshot));
}

}  // namespace errpulse
