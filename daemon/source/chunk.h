// Chunk: what every source hands the pipeline — a run of complete lines of
// one configured source, with what comes beside them (each line's time when
// the source knows it from outside the line, the container it came from).
//
// Views only: valid during the sink call that receives them, so a source can
// lend its own buffers and nothing is allocated per line.
//
// Value types; thread-compatible.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string_view>

#include "source/container_labels.h"

namespace errpulse {

// One line's time, by the offset of the line's first byte within the chunk.
struct LineTime {
  size_t offset = 0;
  int64_t ms = 0;  // milliseconds since the Unix epoch
};

// The times of a chunk's lines, sorted by offset; empty when the lines carry
// their own. A view: valid only during the call that receives it.
struct LineTimes {
  const LineTime* data = nullptr;
  size_t size = 0;
  bool empty() const { return size == 0; }
  // The time of the line starting at `line_offset` (a Match's line_offset),
  // or -1 when the chunk has none for it.
  int64_t At(size_t line_offset) const;
};

// What comes with a chunk besides its lines.
struct ChunkMeta {
  // cri, docker (their envelope), journal (the entry's realtime stamp): each
  // line's time; else empty (the line's own time, if any, is used).
  LineTimes times;
  // kubernetes_labels: the container the file belongs to; else nullptr.
  const ContainerLabels* labels = nullptr;
};

// Receives each chunk of complete lines of configured source `source` (its
// index in Config::sources).
using ChunkSink = std::function<void(size_t source, std::string_view lines, const ChunkMeta& meta)>;

}  // namespace errpulse
