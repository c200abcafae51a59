#include "tail/decoded_stream.h"

#include <algorithm>

namespace errpulse {

DecodedStream::DecodedStream(size_t max_line_bytes)
    : max_line_bytes_(max_line_bytes), splitter_(max_line_bytes) {}

char* DecodedStream::Prepare(std::vector<char>* scratch, size_t room) {
  const size_t need = max_line_bytes_ + room;
  if (scratch->size() < need) scratch->resize(need);
  carried_ = splitter_.LoadPending(scratch->data());
  return scratch->data() + carried_;
}

void DecodedStream::Commit(size_t n, std::vector<char>* scratch, const LineDecoder::Emit& emit,
                           SourceStats* stats) {
  const char* base = scratch->data();  // the pending line (carried_ bytes), then the n new ones
  size_t start = 0;                    // where the bytes still to split begin
  size_t carried = carried_;
  carried_ = 0;
  decoded_ += n;
  size_t skipped = 0;
  if (skip_left_ > 0) {
    // A restart catching up: these bytes were counted before it. They still
    // go through the splitter (emitting nothing), so that its state (the
    // partial line, a cut line being skipped) is what it was at this point
    // before the restart, and so are the decoder's decisions that look at it.
    skipped = static_cast<size_t>(std::min<uint64_t>(skip_left_, n));
    skip_left_ -= skipped;
    SourceStats counted_before;
    splitter_.Split(std::string_view(base, carried + skipped), [](std::string_view) {},
                    &counted_before);
    // The splitter keeps the tail of those bytes pending: it sits right
    // before the rest in `scratch`.
    const size_t pending = splitter_.pending_bytes();
    start = carried + skipped - pending;
    carried = pending;
  }
  const size_t rest = n - skipped;
  if (rest > 0)
    splitter_.Split(std::string_view(base + start, carried + rest),
                    [&](std::string_view lines) { emit(lines, LineTimes{}); }, stats);
}

void DecodedStream::SetConsumed(uint64_t raw_end) {
  if (splitter_.pending_bytes() == 0 && skip_left_ == 0)
    counted_offset_ = std::max(counted_offset_, raw_end);
}

void DecodedStream::MoveResumePoint(uint64_t raw_offset, bool drop_pending) {
  if (drop_pending) {
    // The stream broke and a fresh decoder starts at raw_offset (wherever
    // that is): what was pending cannot be finished, and a restart still
    // catching up cannot reach its skip through the damage.
    splitter_.Reset();
    skip_left_ = 0;
  } else if (raw_offset <= resume_offset_ || skip_left_ > 0 || splitter_.pending_bytes() > 0 ||
             splitter_.skipping()) {
    // Catching up, or a line is unfinished or being skipped: the old point
    // re-creates it. A resume point is always a clean line start, so that a
    // restart's splitter, starting empty there, goes through the same states.
    return;
  }
  resume_offset_ = raw_offset;
  decoded_ = 0;
  counted_offset_ = std::max(counted_offset_, raw_offset);
}

void DecodedStream::Flush(std::vector<char>* scratch, const LineDecoder::Emit& emit) {
  splitter_.Flush([&](std::string_view line) { emit(line, LineTimes{}); });
}

DecoderPosition DecodedStream::Position() const {
  DecoderPosition p;
  p.resume_offset = resume_offset_;
  p.skip = decoded_ + skip_left_ - splitter_.pending_bytes();
  p.counted_offset = std::max(counted_offset_, resume_offset_);
  p.skipping = splitter_.skipping();
  return p;
}

void DecodedStream::Resume(const DecoderPosition& position) {
  splitter_.Reset();
  // With a skip, catching up through it re-creates the splitter's state
  // (a cut line being skipped included) from the clean resume point.
  if (position.skip == 0) splitter_.set_skipping(position.skipping);
  resume_offset_ = position.resume_offset;
  decoded_ = 0;
  skip_left_ = position.skip;
  counted_offset_ = std::max(position.counted_offset, position.resume_offset);
}

void DecodedStream::Reset() { Resume(DecoderPosition{}); }

}  // namespace errpulse
