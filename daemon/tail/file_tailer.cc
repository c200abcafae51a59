#include "tail/file_tailer.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace errpulse {

FileTailer::FileTailer(std::string path, size_t source, size_t max_line_bytes, LogFormat format)
    : path_(std::move(path)),
      source_(source),
      splitter_(max_line_bytes),
      max_line_bytes_(max_line_bytes),
      configured_(format),
      format_(LogFormat::kAuto) {
  if (format != LogFormat::kAuto) SetFormat(format);
}

void FileTailer::SetFormat(LogFormat format) {
  format_ = format;
  decoder_ = MakeLineDecoder(format, path_, max_line_bytes_);
}

ssize_t FileTailer::ReadAt(char* into, size_t size, uint64_t offset) const {
  ssize_t n;
  do {
    n = ::pread(fd_, into, size, static_cast<off_t>(offset));
  } while (n < 0 && errno == EINTR);
  return n;
}

bool FileTailer::DecideFormat(bool complete) {
  if (format_ != LogFormat::kAuto) return true;
  if (fd_ < 0) return false;
  char head[kDetectBytes];
  const ssize_t n = ReadAt(head, sizeof(head), 0);
  if (n < 0) return false;
  const auto decided = DetectFormat(path_, std::string_view(head, static_cast<size_t>(n)), complete);
  if (!decided) return false;
  SetFormat(*decided);
  spdlog::info("{}: format {} (decided by format: auto)", path_, LogFormatName(*decided));
  if (decoder_ && read_offset_ > 0) {
    // Opened at its end while undecided: decode up to there, counting nothing.
    catch_up_to_ = read_offset_;
    counted_floor_ = std::max(counted_floor_, read_offset_);
    read_offset_ = 0;
    tail_length_ = 0;
    splitter_.Reset();
  }
  return true;
}

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
  if (format_ == LogFormat::kAuto) DecideFormat(/*complete=*/false);
  if (at_end && st.st_size > 0 && decoder_) {
    catch_up_to_ = counted_floor_ = static_cast<uint64_t>(st.st_size);
  } else if (at_end && st.st_size > 0) {
    read_offset_ = static_cast<uint64_t>(st.st_size);
    char last = '\n';
    if (::pread(fd_, &last, 1, st.st_size - 1) == 1 && last != '\n') splitter_.set_skipping(true);
  }
  return 0;
}

int FileTailer::OpenAt(uint64_t offset, bool skipping) {
  FileRecord record;
  record.format = format_ == LogFormat::kAuto ? configured_ : format_;
  record.offset = record.counted_offset = offset;
  record.skipping = skipping;
  if (record.format != LogFormat::kPlain && record.format != LogFormat::kAuto && offset > 0) {
    // A decoder cannot start in the middle: catch up to the offset.
    record.catch_up_to = offset;
    record.offset = record.counted_offset = 0;
  }
  return OpenAt(record);
}

int FileTailer::OpenAt(const FileRecord& record) {
  LogFormat format = record.format;
  if (configured_ != LogFormat::kAuto && format != LogFormat::kAuto && format != configured_) {
    spdlog::warn("{}: its format was {} and is now configured as {}: reading it from the "
                 "beginning", path_, LogFormatName(format), LogFormatName(configured_));
    FileRecord fresh;
    fresh.format = configured_;
    return OpenAt(fresh);
  }
  if (format != LogFormat::kAuto && format != format_) SetFormat(format);
  if (int err = Open(/*at_end=*/false); err != 0) return err;
  if (record.format == LogFormat::kAuto && decoder_) {
    // Not decided when committed (opened at its end), decided now: decode
    // up to that end, counting nothing.
    catch_up_to_ = counted_floor_ = record.offset;
    return 0;
  }
  read_offset_ = record.offset;
  catch_up_to_ = record.catch_up_to;
  counted_floor_ = std::max(record.counted_offset, record.catch_up_to);
  if (decoder_) {
    decoder_->Resume({record.offset, record.decode_skip, record.counted_offset, record.skipping});
  } else {
    splitter_.set_skipping(record.skipping);
  }
  return 0;
}

void FileTailer::Restart() {
  read_offset_ = 0;
  tail_length_ = 0;
  catch_up_to_ = counted_floor_ = 0;
  splitter_.Reset();
  fingerprint_ = {};
  // The content was rewritten: decide its format again.
  if (configured_ == LogFormat::kAuto) {
    format_ = LogFormat::kAuto;
    decoder_.reset();
  } else if (decoder_) {
    decoder_->Reset();
  }
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
  record.retired = retired;
  record.format = format_;
  if (!decoder_) {
    record.offset = CountedOffset();
    record.counted_offset = record.offset;
    record.skipping = splitter_.skipping();
    return record;
  }
  const DecoderPosition position = decoder_->Position();
  record.offset = position.resume_offset;
  record.decode_skip = position.skip;
  record.skipping = position.skipping;
  record.counted_offset = CountedOffset();
  if (read_offset_ < catch_up_to_) record.catch_up_to = catch_up_to_;
  return record;
}

uint64_t FileTailer::RecordSignature(bool retired) const {
  // Record()'s fields but the path (which never changes without a new
  // FileTailer or a retirement), hashed without copying anything.
  DecoderPosition position;
  if (decoder_) position = decoder_->Position();
  const bool skipping = decoder_ ? position.skipping : splitter_.skipping();
  const uint64_t fields[] = {identity_.device,
                             identity_.inode,
                             fingerprint_.length,
                             fingerprint_.hash,
                             static_cast<uint64_t>(format_),
                             retired ? 1u : 0u,
                             CountedOffset(),
                             skipping ? 1u : 0u,
                             position.resume_offset,
                             position.skip,
                             read_offset_ < catch_up_to_ ? catch_up_to_ : 0};
  return FingerprintHash(reinterpret_cast<const char*>(fields), sizeof(fields));
}

uint64_t FileTailer::CountedOffset() const {
  if (!decoder_) return read_offset_ - splitter_.pending_bytes();
  return std::max(decoder_->Position().counted_offset, counted_floor_);
}

uint64_t FileTailer::pending_bytes() const {
  const uint64_t counted = CountedOffset();
  return read_offset_ > counted ? read_offset_ - counted : 0;
}

FileTailer::ReadStatus FileTailer::ReadSome(size_t max_bytes, ReadBuffers* buffers,
                                            const ChunkSink& sink, SourceStats* stats) {
  if (format_ == LogFormat::kAuto && !DecideFormat(/*complete=*/false))
    return ReadStatus::kEndOfFile;  // too few bytes to tell yet
  if (decoder_) return ReadDecoded(max_bytes, buffers, sink, stats);
  char* data = buffers->raw.data();
  const size_t carried = splitter_.LoadPending(data);
  size_t n = 0;
  if (const ReadStatus status = ReadChecked(data + carried, max_bytes, &n, stats);
      status != ReadStatus::kData)
    return status;
  splitter_.Split(std::string_view(data, carried + n),
                  [&](std::string_view lines) { sink(source_, lines, ChunkMeta{{}, labels_.get()}); }, stats);
  return ReadStatus::kData;
}

FileTailer::ReadStatus FileTailer::ReadDecoded(size_t max_bytes, ReadBuffers* buffers,
                                               const ChunkSink& sink, SourceStats* stats) {
  const uint64_t at = read_offset_;
  const bool catching_up = at < catch_up_to_;
  if (catching_up) max_bytes = static_cast<size_t>(std::min<uint64_t>(max_bytes, catch_up_to_ - at));
  char* data = buffers->raw.data();
  size_t n = 0;
  if (const ReadStatus status = ReadChecked(data, max_bytes, &n, stats);
      status != ReadStatus::kData)
    return status;
  const std::string_view bytes(data, n);
  if (catching_up) {
    decoder_->Feed(at, bytes, &buffers->decoded, [](std::string_view, LineTimes) {}, stats);
  } else {
    decoder_->Feed(at, bytes, &buffers->decoded,
                   [&](std::string_view lines, LineTimes times) {
                      sink(source_, lines, ChunkMeta{times, labels_.get()});
                    },
                   stats);
  }
  return ReadStatus::kData;
}

FileTailer::ReadStatus FileTailer::ReadChecked(char* into, size_t max_bytes, size_t* got,
                                               SourceStats* stats) {
  const uint64_t at = read_offset_;
  const size_t check = tail_length_;
  char before[kTailCheckBytes];
  struct iovec parts[2] = {{before, check}, {into, max_bytes}};
  ssize_t n;
  do {
    n = ::preadv(fd_, parts, 2, static_cast<off_t>(at - check));
  } while (n < 0 && errno == EINTR);
  if (n < 0) {
    ++stats->read_errors;
    return ReadStatus::kError;
  }
  // Shorter than our offset now: the caller's end-of-file check sees the
  // truncation.
  if (static_cast<size_t>(n) <= check) return ReadStatus::kEndOfFile;
  n -= static_cast<ssize_t>(check);
  // The bytes before the offset changed: rewritten, unless the first bytes
  // are still the fingerprinted ones. Then it was filled in place (a writer
  // that extends its file first and writes later: mmap, fallocate, an NFS
  // client's out-of-order writes), and reading on is what the fingerprint
  // check alone always did.
  const bool tail_moved = std::memcmp(before, tail_, check) != 0;
  if ((tail_moved || check == 0 || !vouched_) && fingerprint_.length > 0 &&
      !FingerprintMatches(fd_, fingerprint_))
    return ReadStatus::kReplaced;
  if (tail_moved && fingerprint_.length == 0) return ReadStatus::kReplaced;
  read_offset_ += static_cast<uint64_t>(n);
  read_to_end_ = static_cast<size_t>(n) < max_bytes;
  RememberTail(into, static_cast<size_t>(n));
  // A decoded file's restart reads again from where its decoder can resume,
  // and one opened at its end decodes up to there first: bytes before
  // counted_floor_ were counted already, or are not to be (plain files start
  // at their floor, so every byte read counts).
  if (read_offset_ > counted_floor_) stats->bytes_read += read_offset_ - std::max(at, counted_floor_);
  ExtendShortFingerprint();
  *got = static_cast<size_t>(n);
  return ReadStatus::kData;
}

void FileTailer::RememberTail(const char* data, size_t size) {
  if (size >= kTailCheckBytes) {
    std::memcpy(tail_, data + size - kTailCheckBytes, kTailCheckBytes);
    tail_length_ = kTailCheckBytes;
    return;
  }
  const size_t keep = std::min(tail_length_, kTailCheckBytes - size);
  std::memmove(tail_, tail_ + tail_length_ - keep, keep);
  std::memcpy(tail_ + keep, data, size);
  tail_length_ = keep + size;
}

void FileTailer::ExtendShortFingerprint() {
  // A file fingerprinted while short: extend it now that there is more, so a
  // compressed or copied rotation of it can be recognised after a restart.
  if (fingerprint_.length < kFingerprintBytes && fingerprint_.length < read_offset_ &&
      (fingerprint_.length == 0 || FingerprintMatches(fd_, fingerprint_)))
    ComputeFingerprint(fd_, read_offset_, &fingerprint_);
}

void FileTailer::FlushPartial(ReadBuffers* buffers, const ChunkSink& sink, SourceStats* stats) {
  if (decoder_) {
    decoder_->Flush(&buffers->decoded,
                    [&](std::string_view lines, LineTimes times) {
                      sink(source_, lines, ChunkMeta{times, labels_.get()});
                    },
                    stats);
    return;
  }
  splitter_.Flush([&](std::string_view line) { sink(source_, line, ChunkMeta{{}, labels_.get()}); });
}

}  // namespace errpulse
