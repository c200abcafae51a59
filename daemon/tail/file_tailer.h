// FileTailer: one open log file, read from a remembered offset and cut into
// chunks of complete lines: by a LineSplitter for plain text (see
// line_splitter.h for how partial and over-long lines are handled), or by a
// LineDecoder for the SDKs' compressed logs and container runtime logs (see
// line_decoder.h). `format: auto` is decided here, from the file's name and
// first bytes (log_format.h), as soon as there are enough of them; until
// then nothing is read.
//
// Started "at end", it skips to the end of the file and, when the last byte is
// not a newline, also skips the rest of that half-written line. A decoded
// format cannot start in the middle (an inflater needs its stream from the
// start), so it decodes up to that end first, counting nothing.
//
// Reads go into buffers the caller lends (one set per Tailer, shared by all
// files), so a thousand open files cost a thousand small pending lines (and,
// for compressed formats, a thousand inflaters), not a thousand read buffers.
//
// Ownership: owns its file descriptor and decoder. Not thread-safe; used by
// the pipeline thread only.
#pragma once

#include <sys/stat.h>

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "source/chunk.h"
#include "tail/file_identity.h"
#include "tail/line_decoder.h"
#include "tail/line_splitter.h"
#include "source/source_stats.h"

namespace errpulse {

// The buffers reads go through: one set per reader, shared by all its files.
struct ReadBuffers {
  std::vector<char> raw;      // at least max_line_bytes + the most read at once
  std::vector<char> decoded;  // decoders' output, grown as needed
};

class FileTailer {
 public:
  // `format`: the source's configured format; kAuto decides from the file.
  FileTailer(std::string path, size_t source, size_t max_line_bytes,
             LogFormat format = LogFormat::kPlain);
  ~FileTailer();
  FileTailer(const FileTailer&) = delete;
  FileTailer& operator=(const FileTailer&) = delete;

  // Opens the path; returns errno on failure (0 on success).
  int Open(bool at_end);
  // Opens the path and resumes at a remembered offset (see FileRecord).
  int OpenAt(uint64_t offset, bool skipping);
  // Opens the path and resumes where `record` says: its offset and, for a
  // decoded format, the decoder's position.
  int OpenAt(const FileRecord& record);

  // format: auto, not decided yet: decide now from the first bytes. With
  // `complete` (the file will not grow: `replay`, a rotated file), a short
  // file is decided as it is. Returns whether the format is decided.
  bool DecideFormat(bool complete);
  // The decided format; kAuto until then.
  LogFormat format() const { return format_; }

  enum class ReadStatus { kData, kEndOfFile, kError, kReplaced };
  // Reads up to `max_bytes` into `buffers` (raw must hold at least
  // max_line_bytes + max_bytes) and hands complete lines to `sink`.
  // Returns kEndOfFile while format: auto cannot be decided yet.
  // kReplaced: the file's first bytes changed (truncated and rewritten past
  // our offset): nothing was handed on; the caller restarts the file. The
  // check comes after the read, so bytes read before a rewrite are never
  // taken for new ones.
  ReadStatus ReadSome(size_t max_bytes, ReadBuffers* buffers, const ChunkSink& sink,
                      SourceStats* stats);
  // Whether the last ReadSome() that returned kData reached the end of the
  // file (read less than it asked for): then there is nothing more to read
  // until the file grows again.
  bool read_to_end() const { return read_to_end_; }
  // Whether inotify reports every write to this file (set by the Tailer).
  // Then a read is checked against the bytes just before it (see
  // ReadChecked) instead of re-reading the fingerprinted first bytes.
  void set_vouched(bool vouched) { vouched_ = vouched; }
  // Hands on the partial last line, if any (the file is being let go).
  void FlushPartial(ReadBuffers* buffers, const ChunkSink& sink, SourceStats* stats);
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
  // Moves whenever Record() would change (a hash of its fields but the
  // path), without copying anything.
  uint64_t RecordSignature(bool retired) const;

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
  // The container the file belongs to (kubernetes_labels), handed on with
  // every chunk.
  void set_labels(std::shared_ptr<const ContainerLabels> labels) { labels_ = std::move(labels); }
  // Bytes counted in bytes_read that a restart from Record() reads again.
  uint64_t pending_bytes() const;

  // Scheduling state, owned by the Tailer.
  bool queued = false;
  // RecordSignature() as last committed, and as taken for the commit under
  // way (see Tailer::Records).
  uint64_t committed_signature = 0;
  uint64_t pending_signature = 0;
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
  // The decoded-format half of ReadSome().
  ReadStatus ReadDecoded(size_t max_bytes, ReadBuffers* buffers, const ChunkSink& sink,
                         SourceStats* stats);
  // Reads up to `max_bytes` at read_offset_ into `into`. kData: *got bytes
  // came, the file is still the one read so far, read_offset_ moved past
  // them and bytes_read counted them (from counted_floor_ on).
  //
  // "Still the one read so far": the same pread also reads the last bytes
  // before read_offset_ again (up to kTailCheckBytes), which must be the
  // ones read last time; when they are not, the fingerprint of the first
  // bytes decides (a file truncated and rewritten past our offset fails
  // both). Files inotify does not vouch for, and the first read after
  // opening (no tail known yet), always re-check the fingerprint.
  ReadStatus ReadChecked(char* into, size_t max_bytes, size_t* got, SourceStats* stats);
  // Remembers the last bytes read (`data`, just before read_offset_).
  void RememberTail(const char* data, size_t size);
  // The raw offset up to which bytes_read has counted what a restart keeps.
  uint64_t CountedOffset() const;
  void ExtendShortFingerprint();
  // Sets the decided format (and makes its decoder).
  void SetFormat(LogFormat format);
  // pread that retries EINTR.
  ssize_t ReadAt(char* into, size_t size, uint64_t offset) const;

  uint64_t read_offset_ = 0;
  static constexpr size_t kTailCheckBytes = 64;
  char tail_[kTailCheckBytes];  // the tail_length_ bytes before read_offset_
  size_t tail_length_ = 0;      // 0: not known (just opened, restarted)
  bool read_to_end_ = false;
  bool vouched_ = false;
  LineSplitter splitter_;
  size_t max_line_bytes_;
  const LogFormat configured_;  // the source's format: kAuto, or fixed
  LogFormat format_;            // decided; kAuto until then
  std::unique_ptr<LineDecoder> decoder_;  // decoded formats only
  // Decoded formats: opened at its end, the decoder catches up to here
  // counting nothing; bytes_read counts raw bytes from counted_floor_ on.
  uint64_t catch_up_to_ = 0;
  uint64_t counted_floor_ = 0;
  std::shared_ptr<const ContainerLabels> labels_;
};

}  // namespace errpulse
