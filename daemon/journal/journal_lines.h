// JournalLines: turns journal entries into a chunk of lines for the
// extractor — each entry's MESSAGE one line (a newline inside it becomes a
// space: a journal message is one event, whatever it holds), with the
// entry's realtime stamp as the line's time. Shared by the journal source
// and `replay --journal-file`, so both count the same lines.
//
// The buffers are reused from chunk to chunk: nothing is allocated per entry
// once they have grown to a batch's size.
//
// Ownership: owns its buffers. Not thread-safe.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "journal/journal_reader.h"
#include "source/chunk.h"

namespace errpulse {

class JournalLines {
 public:
  // Appends `entry` as one line. Returns the bytes it added (the message and
  // its newline).
  size_t Add(const JournalEntry& entry);
  bool empty() const { return text_.empty(); }
  // The lines so far and their times; valid until Clear() or Add().
  std::string_view lines() const { return {text_.data(), text_.size()}; }
  ChunkMeta meta() const { return {LineTimes{times_.data(), times_.size()}, nullptr}; }
  void Clear() {
    text_.clear();
    times_.clear();
  }

 private:
  std::vector<char> text_;
  std::vector<LineTime> times_;
};

}  // namespace errpulse
