// LineDecoder: the stage between reading a file and matching its lines, for
// files that are not plain text (see log_format.h). FileTailer reads the
// bytes appended to a file and feeds them to its decoder; the decoder hands
// out complete text lines, exactly as LineSplitter does for plain files
// ('\n'-terminated runs, over-long lines cut to max_line_bytes and counted in
// lines_cut, an unfinished last line kept until more arrives or Flush()).
// Rotation, fingerprints, fairness and the state file stay in the file
// source; a decoder only knows bytes in, lines out, and where it could start
// again.
//
// Exactly-once across restarts: the state of an inflater cannot be stored, so
// a decoder describes its position as (resume_offset, skip): a fresh decoder
// fed the file from resume_offset, after Resume(), re-creates the same lines
// and suppresses what `skip` says was already counted.
//   clog, xlog  resume_offset = where the current deflate stream (or the xlog
//               block holding the first uncounted byte) starts; skip = decoded
//               bytes after it already counted.
//   cri, docker resume_offset = the raw line where the oldest unfinished
//               message (a `P` piece, a docker line without "\n") starts;
//               skip = raw bytes after it whose completed messages were
//               already counted.
// Plain files keep LineSplitter and need none of this (offset = first byte
// not yet counted, skip = 0).
//
// Event times: cri and docker carry a time per line outside the message;
// those decoders hand it on as LineTimes beside the chunk, so alert windows
// follow the container runtime's clock. Formats whose lines carry their own
// time (LiteAV's `[E][03-13/10:42:25.736+8.0]...`) hand out empty LineTimes.
//
// Ownership: a decoder owns its inflater/pending state (a few KiB plus the
// partial line); output goes through `scratch`, the tailer's buffer shared by
// all files. Not thread-safe; one per followed file, pipeline thread only.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "source/chunk.h"
#include "tail/log_format.h"
#include "source/source_stats.h"

namespace errpulse {

// Where a decoder could start again (see the file comment).
struct DecoderPosition {
  uint64_t resume_offset = 0;
  uint64_t skip = 0;
  // Raw bytes up to which the bytes_read counter has counted (>= resume_offset):
  // a restart re-reads [resume_offset, counted_offset) without counting it again.
  uint64_t counted_offset = 0;
  bool skipping = false;  // inside a cut line: skip to its end first
};

class LineDecoder {
 public:
  using Emit = std::function<void(std::string_view lines, LineTimes times)>;

  virtual ~LineDecoder() = default;
  virtual LogFormat format() const = 0;

  // Decodes `bytes`: the file's content at [offset, offset + bytes.size()),
  // following on from the previous call (the first call after construction,
  // Reset() or Resume() starts at 0 or at the resume offset). Complete lines
  // go to `emit`, written into `scratch` (grown as needed and reused: no
  // allocation per line). Damage is counted in stats->decode_errors[format],
  // reported once per damaged stretch, and decoding goes on past it.
  virtual void Feed(uint64_t offset, std::string_view bytes, std::vector<char>* scratch,
                    const Emit& emit, SourceStats* stats) = 0;
  // The file is being let go (rotated away and finished): emit a partial
  // last line, if any (a cut or damage found there is counted in `stats`).
  virtual void Flush(std::vector<char>* scratch, const Emit& emit, SourceStats* stats) = 0;

  // The position a restart resumes from (see the file comment).
  virtual DecoderPosition Position() const = 0;
  // Continue from a committed position: the next Feed starts at
  // position.resume_offset, and what `skip` covers is not emitted again.
  virtual void Resume(const DecoderPosition& position) = 0;
  // The file starts again from its beginning (truncated and rewritten).
  virtual void Reset() = 0;
};

// A decoder for `format` (not kAuto, not kPlain). `path` names the file in
// warnings; lines are cut at `max_line_bytes`.
std::unique_ptr<LineDecoder> MakeLineDecoder(LogFormat format, const std::string& path,
                                             size_t max_line_bytes);

}  // namespace errpulse
