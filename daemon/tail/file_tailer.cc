#include "tail/file_tailer.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace errpulse {

FileTailer::FileTailer(std::string path, size_t source, size_t max_line_bytes)
    : path_(std::move(path)), source_(source), max_line_bytes_(max_line_bytes) {}

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
  identity_ = {st.st_dev, st.st_ino};
  if (at_end && st.st_size > 0) {
    read_offset_ = static_cast<uint64_t>(st.st_size);
    char last = '\n';
    if (::pread(fd_, &last, 1, st.st_size - 1) == 1 && last != '\n') skipping_ = true;
  }
  return 0;
}

void FileTailer::Restart() {
  read_offset_ = 0;
  carry_.clear();
  skipping_ = false;
}

FileTailer::ReadStatus FileTailer::ReadSome(size_t max_bytes, std::vector<char>* buffer,
                                            const ChunkSink& sink, TailStats* stats) {
  char* data = buffer->data();
  const size_t carried = carry_.size();
  std::memcpy(data, carry_.data(), carried);
  ssize_t n;
  do {
    n = ::pread(fd_, data + carried, max_bytes, static_cast<off_t>(read_offset_));
  } while (n < 0 && errno == EINTR);
  if (n < 0) {
    ++stats->read_errors;
    return ReadStatus::kError;
  }
  if (n == 0) return ReadStatus::kEndOfFile;
  read_offset_ += static_cast<uint64_t>(n);
  stats->bytes_read += static_cast<uint64_t>(n);
  carry_.clear();
  Deliver(std::string_view(data, carried + static_cast<size_t>(n)), sink, stats);
  return ReadStatus::kData;
}

void FileTailer::Deliver(std::string_view data, const ChunkSink& sink, TailStats* stats) {
  if (skipping_) {
    const size_t newline = data.find('\n');
    if (newline == std::string_view::npos) return;  // still inside the skipped line
    data.remove_prefix(newline + 1);
    skipping_ = false;
  }
  const size_t last_newline = data.rfind('\n');
  std::string_view complete =
      last_newline == std::string_view::npos ? std::string_view() : data.substr(0, last_newline + 1);
  std::string_view partial = data.substr(complete.size());
  if (!complete.empty()) DeliverComplete(complete, sink, stats);
  if (partial.size() > max_line_bytes_) {
    // A line with no end in sight: count its first max_line_bytes and skip the rest.
    sink(source_, partial.substr(0, max_line_bytes_));
    ++stats->lines_cut;
    skipping_ = true;
    return;
  }
  carry_.assign(partial.data(), partial.size());
}

void FileTailer::DeliverComplete(std::string_view complete, const ChunkSink& sink,
                                 TailStats* stats) {
  if (complete.size() <= max_line_bytes_) {  // no line in it can be too long
    sink(source_, complete);
    return;
  }
  size_t run_start = 0;  // start of the lines not handed on yet
  for (size_t pos = 0; pos < complete.size();) {
    const char* newline =
        static_cast<const char*>(std::memchr(complete.data() + pos, '\n', complete.size() - pos));
    const size_t end = static_cast<size_t>(newline - complete.data());  // complete ends in '\n'
    if (end - pos > max_line_bytes_) {
      if (pos > run_start) sink(source_, complete.substr(run_start, pos - run_start));
      sink(source_, complete.substr(pos, max_line_bytes_));
      ++stats->lines_cut;
      run_start = end + 1;
    }
    pos = end + 1;
  }
  if (run_start < complete.size()) sink(source_, complete.substr(run_start));
}

void FileTailer::FlushPartial(const ChunkSink& sink) {
  if (!carry_.empty() && !skipping_) sink(source_, carry_);
  carry_.clear();
}

}  // namespace errpulse
