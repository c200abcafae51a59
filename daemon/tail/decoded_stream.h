// DecodedStream: the line-cutting half of a decoder whose output is one
// stream of decoded text counted from a resume point (clog, xlog): it cuts
// the decoded bytes into lines with a LineSplitter, suppresses the `skip`
// bytes a restart must not count again, and keeps the (resume_offset, skip)
// position up to date (see line_decoder.h).
//
// Usage, for each piece of decoded output:
//   char* out = stream.Prepare(scratch, room);   // after the pending line
//   size_t n = inflate_into(out, room);
//   stream.Commit(n, scratch, emit, stats);
// and when the raw input has been consumed up to `raw_end`:
//   stream.SetConsumed(raw_end);
// A decoder that may start a fresh inflater at a later raw offset (the next
// xlog block, a resync point) calls MoveResumePoint(raw_offset) at a place
// where that fresh start re-creates the rest of the stream.
//
// Not thread-safe; one per decoder.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "tail/line_decoder.h"
#include "tail/line_splitter.h"

namespace errpulse {

class DecodedStream {
 public:
  explicit DecodedStream(size_t max_line_bytes);

  // Room for `room` decoded bytes in `scratch`, after the pending partial
  // line (copied to its start). Returns where to write them.
  char* Prepare(std::vector<char>* scratch, size_t room);
  // `n` bytes were written at the place Prepare() returned: skip what a
  // restart must not count again, emit the complete lines, keep the rest.
  void Commit(size_t n, std::vector<char>* scratch, const LineDecoder::Emit& emit,
              SourceStats* stats);
  // The raw input is consumed up to `raw_end`: when no partial line is
  // pending, bytes_read may count up to there.
  void SetConsumed(uint64_t raw_end);
  // A fresh decoder started at `raw_offset` re-creates everything from here
  // on. Only moves forward; a pending partial line keeps the old point (its
  // start would be lost), and so does a restart still catching up to its
  // skip. With `drop_pending` the stream broke and a fresh decoder does start
  // there: the partial line is discarded, the catch-up abandoned, and the
  // point moves even backwards.
  void MoveResumePoint(uint64_t raw_offset, bool drop_pending = false);
  // The file is let go: emit the partial line.
  void Flush(std::vector<char>* scratch, const LineDecoder::Emit& emit);

  DecoderPosition Position() const;
  void Resume(const DecoderPosition& position);
  void Reset();

  // Whether bytes are being suppressed (a restart catching up to its skip).
  bool catching_up() const { return skip_left_ > 0; }
  size_t pending_bytes() const { return splitter_.pending_bytes(); }

 private:
  size_t max_line_bytes_;
  LineSplitter splitter_;
  size_t carried_ = 0;          // pending bytes Prepare() copied ahead of the output
  uint64_t resume_offset_ = 0;  // raw offset of the resume point
  uint64_t decoded_ = 0;        // decoded bytes since the resume point, pending included
  uint64_t skip_left_ = 0;      // decoded bytes still to suppress after a Resume()
  uint64_t counted_offset_ = 0;
};

// StreamDecoder: a LineDecoder whose output is one DecodedStream (clog,
// xlog). Position, resume, reset and flush go through the stream; the
// decoder says how its own state (inflater, raw bytes kept) starts over at a
// raw offset, and whether a partial line may be flushed.
class StreamDecoder : public LineDecoder {
 public:
  explicit StreamDecoder(size_t max_line_bytes) : stream_(max_line_bytes) {}

  void Flush(std::vector<char>* scratch, const Emit& emit, SourceStats* stats) override {
    if (CanFlush()) stream_.Flush(scratch, emit);
  }
  DecoderPosition Position() const override { return stream_.Position(); }
  void Resume(const DecoderPosition& position) override {
    stream_.Resume(position);
    StartAt(position.resume_offset);
  }
  void Reset() override {
    stream_.Reset();
    StartAt(0);
  }

 protected:
  // The decoder's own state starts over at raw `offset` (a fresh decoder).
  virtual void StartAt(uint64_t offset) = 0;
  // Whether a partial line may be flushed (not while the stream is broken).
  virtual bool CanFlush() const { return true; }

  DecodedStream stream_;
};

}  // namespace errpulse
