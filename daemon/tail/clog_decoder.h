// ClogDecoder: LiteAV/TRTC SDK `.clog` files (SDK 9.6 and later) as text lines.
//
// A .clog is a raw deflate stream (no zlib header) that the SDK sync-flushes
// (an empty stored block, `00 00 ff ff`) after each line or batch and never
// finishes, appended to while the app runs; each process start appends a new
// stream. Streams concatenated after a sync flush inflate as one, so one
// inflater follows the whole file; a finished stream (Z_STREAM_END) starts a
// fresh inflater for the bytes after it.
//
// Damage (a process killed mid-write, bytes lost or flipped) makes inflate
// fail. It is counted once per damaged stretch in decode_errors[clog] and
// logged once, the unfinished line is dropped, and decoding starts again at
// the first later offset where a fresh inflater decodes one whole flush unit
// (up to the next `00 00 ff ff`) to text ending in a newline, searching from
// the last clean line boundary before the failure: the next process
// session's start, or a sync-flush point. Lines after a mid-session restart
// point decode as long as they do not refer back past it. A restart point is
// only taken once its first unit is proven, but deflate cannot always tell
// damage at once: the bytes of a torn write read with the old stream's codes
// can give one garbled line before inflate fails.
//
// Restart (line_decoder.h): the position is (where the current inflater
// started, decoded bytes already counted): a restart inflates again from
// that stream start and suppresses what was counted. Worst case, a restart
// re-inflates the whole file (the SDK splits at about 10 MB).
//
// Ownership: owns two zlib inflaters (the stream's and a trial one for
// restart points) and the raw bytes of the current flush unit (bounded).
// Not thread-safe; one per followed file, on the pipeline thread.
#pragma once

#include <memory>
#include <string>

#include "tail/line_decoder.h"

namespace errpulse {

std::unique_ptr<LineDecoder> MakeClogDecoder(const std::string& path, size_t max_line_bytes);

}  // namespace errpulse
