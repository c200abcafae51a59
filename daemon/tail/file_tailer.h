// FileTailer: one open log file, read from a remembered offset and cut into
// chunks of complete lines by a LineSplitter (see line_splitter.h for how
// partial and over-long lines are handled).
//
// Started "at end", it skips to the end of the file and, when the last byte is
// not a newline, also skips the rest of that half-written line.
//
// Reads go into a buffer the caller lends (one per Tailer, shared by all
// files), so a thousand open files cost a thousand small pending lines, not a
// thousand read buffers.
//
// Ownership: owns its file descriptor. Not thread-safe; used by the pipeline
// thread only.
#pragma once

#include <sys/stat.h>

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "tail/file_identity.h"
#include "tail/line_splitter.h"
#include "tail/tail_stats.h"

namespace errpulse {

// Receives each chunk of complete lines of a source.
using ChunkSink = std::function<void(size_t source, std::string_view lines)>;

class FileTailer {
 public:
  FileTailer(std::string path, size_t source, size_t max_line_bytes);
  ~FileTailer();
  FileTailer(const FileTailer&) = delete;
  FileTailer& operator=(const FileTailer&) = delete;

  // Opens the path; returns errno on failure (0 on success).
  int Open(bool at_end);
  // Opens the path and resumes at a remembered offset (see FileRecord).
  int OpenAt(uint64_t offset, bool skipping);

  enum class ReadStatus { kData, kEndOfFile, kError, kReplaced };
  // Reads up to `max_bytes` into `buffer` (which must hold at least
  // max_line_bytes + max_bytes) and hands complete lines to `sink`.
  // kReplaced: the file's first bytes changed (truncated and rewritten past
  // our offset): nothing was handed on; the caller restarts the file. The
  // check comes after the read, so bytes read before a rewrite are never
  // taken for new ones.
  ReadStatus ReadSome(size_t max_bytes, std::vector<char>* buffer, const ChunkSink& sink,
                      TailStats* stats);
  // Hands on the partial last line, if any (the file is being let go).
  void FlushPartial(const ChunkSink& sink);
  // The file shrank below our offset: start again from its beginning.
  void Restart();
  // Whether the file's first bytes are no longer the ones fingerprinted (it
  // was truncated and rewritten, or its inode now holds another file). Also
  // extends a fingerprint taken while the file was short.
  bool ContentReplaced(uint64_t size);
  // The poll's shortcut around ContentReplaced(): true when `st` (a stat of
  // this file) shows the same size, mtime and ctime as at the last check
  // that found the content in place, so the 1 KiB read can be skipped (a
  // rewrite changes mtime; data read is still checked after every read).
  bool StatUnchangedSinceCheck(const struct stat& st) const;
  void MarkContentChecked(const struct stat& st);

  // Bounded open files: closes the descriptor but keeps offset, identity and
  // the pending line, to go on later with Unpark().
  void Park();
  bool parked() const { return parked_; }
  // Reopens the path. False when it no longer names the same file (inode and
  // fingerprint) or cannot be opened; the file stays parked then.
  bool Unpark();

  // What the state file keeps: the offset of the first byte not yet counted.
  FileRecord Record(bool retired) const;

  const std::string& path() const { return path_; }
  // Where the file really is, when path() is (or goes through) a symlink.
  const std::string& real_path() const { return real_path_; }
  size_t source() const { return source_; }
  const FileIdentity& identity() const { return identity_; }
  const Fingerprint& fingerprint() const { return fingerprint_; }
  bool is_open() const { return fd_ >= 0; }
  int fd() const { return fd_; }
  // Bytes consumed from the file (including the pending partial line).
  uint64_t read_offset() const { return read_offset_; }

  // Scheduling state, owned by the Tailer.
  bool queued = false;
  int64_t last_growth_ms = 0;
  int64_t last_seen_wall_ms = 0;  // when its path last named it (for CatchUpRotated)
  uint64_t known_size = 0;  // the file's size when last seen, for the lag gauge

 private:
  std::string path_;
  std::string real_path_;
  size_t source_;
  int fd_ = -1;
  bool parked_ = false;
  // The stat at the last content check (StatUnchangedSinceCheck).
  struct StatStamp {
    int64_t size = -1;
    int64_t mtime_ns = 0;
    int64_t ctime_ns = 0;
  } checked_;
  FileIdentity identity_;
  Fingerprint fingerprint_;
  uint64_t read_offset_ = 0;
  LineSplitter splitter_;
};

}  // namespace errpulse
