// SourceStats: self-metrics of one source, as plain integers owned by the
// pipeline thread and published by the Exporter. Every kind of source fills
// the fields that mean something for it; a journal source reads "file" as
// "the journal" (see journal/journal_source.h for its mapping).
//
// Not thread-safe: written and read on the pipeline thread only.
#pragma once

#include <array>
#include <cstdint>

#include "common/log_format.h"

namespace errpulse {

struct SourceStats {
  uint64_t bytes_read = 0;
  uint64_t read_errors = 0;   // open/read/stat failures, permission denied
  uint64_t lines_cut = 0;     // lines longer than max_line_bytes
  uint64_t rotations = 0;     // the path now names another file
  uint64_t truncations = 0;   // the file shrank under us, or was rewritten
  uint64_t files_lost = 0;    // gone before being read to the end (while stopped);
                              // journal: the committed cursor's entry was gone
  // Decoded formats (line_decoder.h): damaged stretches, by LogFormat index;
  // xlog blocks skipped because they are encrypted (no key); xlog sequence
  // numbers that jumped (blocks lost by the writer).
  std::array<uint64_t, kLogFormatCount> decode_errors{};
  uint64_t encrypted_blocks = 0;
  uint64_t seq_gaps = 0;
  int64_t files_open = 0;     // gauge
  int64_t lag_bytes = 0;      // gauge: bytes written but not yet read
};

}  // namespace errpulse
