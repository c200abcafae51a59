// Container runtime logs as LineDecoders (see line_decoder.h):
//
//   cri     containerd / CRI-O, /var/log/pods/<ns>_<pod>_<uid>/<container>/0.log:
//           `2026-12-07T10:12:09.123456789Z stdout F message` per raw line. A
//           message longer than the runtime's buffer (16 KiB) comes as `P`
//           pieces ended by an `F` piece; tags may carry more `:` fields.
//   docker  dockerd json-file, /var/lib/docker/containers/<id>/<id>-json.log:
//           `{"log":"message\n","stream":"stdout","time":"..."}` per raw line,
//           the message JSON-escaped. Messages over 16 KiB come as several
//           entries, only the last of whose `log` ends with "\n".
//
// Both are one raw line per piece, with the pieces of stdout and stderr
// interleaved, so one class does the work for both: it cuts raw lines, joins
// each stream's pieces into messages, cuts over-long messages and keeps the
// restart position; the formats differ only in how one raw line is read
// (a parse function each).
//
// Output: each message once, its pieces joined, without the time/stream
// envelope, '\n'-terminated; with LineTimes carrying the time of the message's
// final piece (of the piece that made it too long, for a cut message). A raw
// line that is not of the format (garbage, a line cut by a crash) is passed on
// as it is, so nothing is lost, counted in decode_errors and reported in one
// warning per damaged stretch (at most one a minute per file).
//
// Bounds: a message is cut at max_line_bytes (counted in lines_cut; the rest
// of it skipped); a raw line is kept up to max_line_bytes plus an envelope of
// 256 bytes, and of a longer one only that head and its last 256 bytes (where
// dockerd writes "stream" and "time") are read. So a decoder holds at most
// that raw head plus one max_line_bytes message per stream, whatever the file.
//
// Restarts: see ContainerDecoder::Position() in container_decoder.cc for the
// exact rule. In short, the restart point is the raw line starting the oldest
// unfinished message (or the partial raw line), and a restart suppresses every
// message completed by a raw line that ends before the old read position, so a
// line re-read for the second time is never counted twice, whichever stream's
// message it finishes.
//
// Ownership: a decoder owns its pending state; output goes through the
// caller's scratch buffer (which must not alias the bytes fed). Not
// thread-safe; one per followed file, pipeline thread only. The LooksLike*
// functions are pure and thread-safe.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "tail/line_decoder.h"

namespace errpulse {

std::unique_ptr<LineDecoder> MakeCriDecoder(const std::string& path, size_t max_line_bytes);
std::unique_ptr<LineDecoder> MakeDockerDecoder(const std::string& path, size_t max_line_bytes);

// For format detection: whether `line` (one raw line without its '\n') is a
// CRI line / a docker json-file line, as the decoders would read it.
bool LooksLikeCriLine(std::string_view line);
bool LooksLikeDockerLine(std::string_view line);

}  // namespace errpulse
