// FileTailer: one open log file, read from a remembered offset, cut into
// chunks of complete lines.
//
// Rules it follows:
// - Only complete lines ('\n'-terminated) are handed on; the partial last line
//   is kept (`carry_`) until its newline arrives, or until the file is let go
//   after a rotation (FlushPartial), when it is handed on as a line.
// - A line longer than max_line_bytes is handed on cut to that length and
//   counted in lines_cut; the rest of it is skipped, up to its newline even
//   when that has not been written yet. A long line never stalls the file.
// - Started "at end", it skips to the end of the file and, when the last byte
//   is not a newline, also skips the rest of that half-written line.
// - NUL bytes and invalid UTF-8 are just bytes: nothing here interprets them.
//
// Reads go into a buffer the caller lends (one per Tailer, shared by all
// files), so a thousand open files cost a thousand small carries, not a
// thousand read buffers.
//
// Ownership: owns its file descriptor. Not thread-safe; used by the pipeline
// thread only.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "tail/tail_stats.h"

namespace errpulse {

// Receives each chunk of complete lines of a source.
using ChunkSink = std::function<void(size_t source, std::string_view lines)>;

struct FileIdentity {
  dev_t device = 0;
  ino_t inode = 0;
  bool operator==(const FileIdentity& o) const {
    return device == o.device && inode == o.inode;
  }
  bool operator!=(const FileIdentity& o) const { return !(*this == o); }
};

class FileTailer {
 public:
  FileTailer(std::string path, size_t source, size_t max_line_bytes);
  ~FileTailer();
  FileTailer(const FileTailer&) = delete;
  FileTailer& operator=(const FileTailer&) = delete;

  // Opens the path; returns errno on failure (0 on success).
  int Open(bool at_end);

  enum class ReadStatus { kData, kEndOfFile, kError };
  // Reads up to `max_bytes` into `buffer` (which must hold at least
  // max_line_bytes + max_bytes) and hands complete lines to `sink`.
  ReadStatus ReadSome(size_t max_bytes, std::vector<char>* buffer, const ChunkSink& sink,
                      TailStats* stats);
  // Hands on the partial last line, if any (the file is being let go).
  void FlushPartial(const ChunkSink& sink);
  // The file shrank below our offset: start again from its beginning.
  void Restart();

  const std::string& path() const { return path_; }
  size_t source() const { return source_; }
  const FileIdentity& identity() const { return identity_; }
  bool is_open() const { return fd_ >= 0; }
  int fd() const { return fd_; }
  // Bytes consumed from the file (including the pending partial line).
  uint64_t read_offset() const { return read_offset_; }

  // Scheduling state, owned by the Tailer.
  bool queued = false;
  int64_t last_growth_ms = 0;
  uint64_t known_size = 0;  // the file's size when last seen, for the lag gauge

 private:
  void Deliver(std::string_view data, const ChunkSink& sink, TailStats* stats);
  void DeliverComplete(std::string_view complete, const ChunkSink& sink, TailStats* stats);

  std::string path_;
  size_t source_;
  size_t max_line_bytes_;
  int fd_ = -1;
  FileIdentity identity_;
  uint64_t read_offset_ = 0;
  std::string carry_;        // partial last line, at most max_line_bytes
  bool skipping_ = false;    // discarding the rest of a cut (or half-seen) line
};

}  // namespace errpulse
