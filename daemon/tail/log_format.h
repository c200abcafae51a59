// DetectFormat: how `format: auto` decides a file's format (see
// common/log_format.h for the formats) from its name and its first bytes,
// the way an operator would: a .clog/.xlog name or an xlog block header, a raw
// deflate stream that inflates to LiteAV lines, a `{"log":` object, a CRI
// timestamp-stream-tag prefix. It answers "not yet" while the file is too
// short to tell (an empty file just created, a first line not finished), so
// the caller asks again when bytes arrive.
//
// Pure function; thread-safe.
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

#include "common/log_format.h"

namespace errpulse {

// How many leading bytes DetectFormat() wants to see when the file has them.
inline constexpr size_t kDetectBytes = 4096;

// The format of the file at `path` whose first bytes are `head` (at most
// kDetectBytes; fewer when the file is shorter). `file_complete`: `head` is
// the whole file as it will stay (a rotated file, `replay`), so a short head
// is decided now instead of waiting. nullopt: not decidable yet (too few
// bytes); never kAuto.
std::optional<LogFormat> DetectFormat(std::string_view path, std::string_view head,
                                      bool file_complete);

}  // namespace errpulse
