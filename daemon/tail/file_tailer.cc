#include "tail/file_tailer.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace errpulse {

FileTailer::FileTailer(std::string path, size_t source, size_t max_line_bytes)
    : path_(std::move(path)), source_(source), splitter_(max_line_bytes) {}

FileTailer::~FileTailer() {
  if (fd_ >= 0) ::close(fd_);
}

int FileTailer::Open(bool at_end) {
  fd_ = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd_ < 0) return errno;
  struct stat st;
  if (::fstat(fd_, &st) != 0) {
    int err = errno;
    ::close(fd_);
    fd_ = -1;
    return err;
  }
  identity_ = {static_cast<uint64_t>(st.st_dev), static_cast<uint64_t>(st.st_ino)};
  char* real = ::realpath(path_.c_str(), nullptr);
  real_path_ = real ? real : path_;
  std::free(real);
  ComputeFingerprint(fd_, static_cast<uint64_t>(st.st_size), &fingerprint_);
  if (at_end && st.st_size > 0) {
    read_offset_ = static_cast<uint64_t>(st.st_size);
    char last = '\n';
    if (::pread(fd_, &last, 1, st.st_size - 1) == 1 && last != '\n') splitter_.set_skipping(true);
  }
  return 0;
}

int FileTailer::OpenAt(uint64_t offset, bool skipping) {
  if (int err = Open(/*at_end=*/false); err != 0) return err;
  read_offset_ = offset;
  splitter_.set_skipping(skipping);
  return 0;
}

void FileTailer::Restart() {
  read_offset_ = 0;
  splitter_.Reset();
  fingerprint_ = {};
}

void FileTailer::Park() {
  if (fd_ < 0) return;
  ::close(fd_);
  fd_ = -1;
  parked_ = true;
}

bool FileTailer::Unpark() {
  if (!parked_) return true;
  int fd = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return false;
  struct stat st;
  const bool same = ::fstat(fd, &st) == 0 &&
                    static_cast<uint64_t>(st.st_dev) == identity_.device &&
                    static_cast<uint64_t>(st.st_ino) == identity_.inode &&
                    (fingerprint_.length == 0 || FingerprintMatches(fd, fingerprint_));
  if (!same) {
    ::close(fd);
    return false;
  }
  fd_ = fd;
  parked_ = false;
  return true;
}

bool FileTailer::ContentReplaced(uint64_t size) {
  if (fd_ < 0) return false;  // parked: Unpark() checks the fingerprint
  if (fingerprint_.length > 0 && !FingerprintMatches(fd_, fingerprint_)) return true;
  if (fingerprint_.length < kFingerprintBytes && size > fingerprint_.length)
    ComputeFingerprint(fd_, size, &fingerprint_);
  return false;
}

namespace {
int64_t Nanoseconds(const struct timespec& t) {
  return static_cast<int64_t>(t.tv_sec) * 1'000'000'000 + t.tv_nsec;
}
}  // namespace

bool FileTailer::StatUnchangedSinceCheck(const struct stat& st) const {
  return checked_.size == static_cast<int64_t>(st.st_size) &&
         checked_.mtime_ns == Nanoseconds(st.st_mtim) &&
         checked_.ctime_ns == Nanoseconds(st.st_ctim);
}

void FileTailer::MarkContentChecked(const struct stat& st) {
  checked_ = {static_cast<int64_t>(st.st_size), Nanoseconds(st.st_mtim), Nanoseconds(st.st_ctim)};
}

FileRecord FileTailer::Record(bool retired) const {
  FileRecord record;
  // A rotated-away file is looked for where it really was: through a swapped
  // symlink, path_ now leads to its successor.
  record.path = retired ? real_path_ : path_;
  record.identity = identity_;
  record.fingerprint = fingerprint_;
  record.offset = read_offset_ - splitter_.pending_bytes();
  record.skipping = splitter_.skipping();
  record.retired = retired;
  return record;
}

FileTailer::ReadStatus FileTailer::ReadSome(size_t max_bytes, std::vector<char>* buffer,
                                            const ChunkSink& sink, TailStats* stats) {
  char* data = buffer->data();
  const size_t carried = splitter_.LoadPending(data);
  ssize_t n;
  do {
    n = ::pread(fd_, data + carried, max_bytes, static_cast<off_t>(read_offset_));
  } while (n < 0 && errno == EINTR);
  if (n <= 0) {
    if (n < 0) ++stats->read_errors;
    return n < 0 ? ReadStatus::kError : ReadStatus::kEndOfFile;
  }
  if (fingerprint_.length > 0 && !FingerprintMatches(fd_, fingerprint_)) return ReadStatus::kReplaced;
  read_offset_ += static_cast<uint64_t>(n);
  stats->bytes_read += static_cast<uint64_t>(n);
  // A file fingerprinted while short: extend it now that there is more, so a
  // compressed or copied rotation of it can be recognised after a restart.
  if (fingerprint_.length < kFingerprintBytes && fingerprint_.length < read_offset_ &&
      (fingerprint_.length == 0 || FingerprintMatches(fd_, fingerprint_)))
    ComputeFingerprint(fd_, read_offset_, &fingerprint_);
  splitter_.Split(std::string_view(data, carried + static_cast<size_t>(n)),
                  [&](std::string_view lines) { sink(source_, lines); }, stats);
  return ReadStatus::kData;
}

void FileTailer::FlushPartial(const ChunkSink& sink) {
  splitter_.Flush([&](std::string_view line) { sink(source_, line); });
}

}  // namespace errpulse
