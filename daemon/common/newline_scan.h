// Newline scans over whole chunks: how many lines a chunk holds, and whether
// any of its lines is longer than a limit. Both run over every byte the
// daemon reads (the line count for errpulse_lines_total, the length check
// for max_line_bytes). The count compares 64 bytes at a time with AVX2 where
// the CPU has it; the length check hops a window at a time (one memchr call
// per line cost ~8% of a replay's CPU before).
//
// Pure functions; thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace errpulse {

// The number of '\n' bytes in `text`.
uint64_t CountNewlines(std::string_view text);

// Whether some run of bytes between two newlines (or before the first, or
// after the last) is longer than `limit` bytes.
bool HasLineLongerThan(std::string_view text, size_t limit);

}  // namespace errpulse
