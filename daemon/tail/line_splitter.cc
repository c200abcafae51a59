#include "tail/line_splitter.h"

#include <cstring>

#include "common/newline_scan.h"

namespace errpulse {

size_t LineSplitter::LoadPending(char* buffer) {
  const size_t size = pending_.size();
  std::memcpy(buffer, pending_.data(), size);
  return size;
}

void LineSplitter::Split(std::string_view data, const Emit& emit, SourceStats* stats) {
  pending_.clear();  // `data` starts with it
  if (skipping_) {
    const size_t newline = data.find('\n');
    if (newline == std::string_view::npos) return;  // still inside the skipped line
    data.remove_prefix(newline + 1);
    skipping_ = false;
  }
  const size_t last_newline = data.rfind('\n');
  const std::string_view complete =
      last_newline == std::string_view::npos ? std::string_view() : data.substr(0, last_newline + 1);
  const std::string_view partial = data.substr(complete.size());
  if (!complete.empty()) EmitComplete(complete, emit, stats);
  if (partial.size() > max_line_bytes_) {
    // A line with no end in sight: count its first max_line_bytes, skip the rest.
    emit(partial.substr(0, max_line_bytes_));
    ++stats->lines_cut;
    skipping_ = true;
    return;
  }
  pending_.assign(partial.data(), partial.size());
}

void LineSplitter::EmitComplete(std::string_view complete, const Emit& emit, SourceStats* stats) {
  if (!HasLineLongerThan(complete, max_line_bytes_)) {  // the common case: one SIMD pass
    emit(complete);
    return;
  }
  size_t run_start = 0;  // start of the lines not emitted yet
  for (size_t pos = 0; pos < complete.size();) {
    const char* newline =
        static_cast<const char*>(std::memchr(complete.data() + pos, '\n', complete.size() - pos));
    const size_t end = static_cast<size_t>(newline - complete.data());  // complete ends in '\n'
    if (end - pos > max_line_bytes_) {
      if (pos > run_start) emit(complete.substr(run_start, pos - run_start));
      emit(complete.substr(pos, max_line_bytes_));
      ++stats->lines_cut;
      run_start = end + 1;
    }
    pos = end + 1;
  }
  if (run_start < complete.size()) emit(complete.substr(run_start));
}

void LineSplitter::Flush(const Emit& emit) {
  if (!pending_.empty() && !skipping_) emit(pending_);
  pending_.clear();
}

void LineSplitter::Reset() {
  pending_.clear();
  skipping_ = false;
}

}  // namespace errpulse
