// LineSplitter: cuts a byte stream, arriving in pieces, into complete lines.
//
// - Only complete ('\n'-terminated) lines are emitted; an unterminated tail is
//   kept as the pending partial line until more bytes arrive, or until Flush()
//   (the file is being let go), which emits it as a line.
// - A line longer than max_line_bytes is emitted cut to that length (without a
//   newline) and counted in lines_cut; the rest of it is skipped up to its
//   newline, even when that arrives in a later piece. Nothing stalls.
// - Runs of complete lines are emitted as one chunk: the scanner works on
//   buffers, not lines. Bytes are bytes: NUL and invalid UTF-8 pass through.
//
// Used by FileTailer for live files and by the gzip reader for rotated,
// compressed ones, so both cut lines the same way.
//
// Usage, with a caller-owned buffer of at least max_line_bytes + n bytes:
//   size_t carried = splitter.LoadPending(buffer);
//   n = read(fd, buffer + carried, n);
//   splitter.Split({buffer, carried + n}, emit, &stats);
//
// Not thread-safe; one per file.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

#include "source/source_stats.h"

namespace errpulse {

class LineSplitter {
 public:
  using Emit = std::function<void(std::string_view lines)>;

  explicit LineSplitter(size_t max_line_bytes) : max_line_bytes_(max_line_bytes) {}

  // Copies the pending partial line to the start of `buffer`; returns its
  // size. The line stays pending until the next Split().
  size_t LoadPending(char* buffer);
  // `data` starts with the bytes LoadPending() put there, then the new ones.
  void Split(std::string_view data, const Emit& emit, SourceStats* stats);
  // Emits the pending partial line, if any, as a line.
  void Flush(const Emit& emit);
  // Forgets everything (the file restarts from its beginning).
  void Reset();

  size_t pending_bytes() const { return pending_.size(); }
  bool skipping() const { return skipping_; }
  // Start inside a line whose beginning was not seen: skip to its newline.
  void set_skipping(bool skipping) { skipping_ = skipping; }

 private:
  void EmitComplete(std::string_view complete, const Emit& emit, SourceStats* stats);

  size_t max_line_bytes_;
  std::string pending_;   // the partial last line, at most max_line_bytes
  bool skipping_ = false;
};

}  // namespace errpulse
