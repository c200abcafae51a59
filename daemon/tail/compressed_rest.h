// ReadCompressedRest: the rest of a file that logrotate compressed (gzip)
// while errpulse was stopped. The compressed file is a new inode, so it is
// recognised by its content: its first decompressed bytes must match the
// remembered fingerprint. Lines from the remembered offset to the end are
// emitted through a LineSplitter, exactly as if the file had been tailed, and
// the last unterminated line is flushed (a rotated file grows no more).
//
// Stateless function; blocking file I/O (run at start, before tailing).
#pragma once

#include <string>

#include "tail/file_identity.h"
#include "tail/line_splitter.h"

namespace errpulse {

// Returns false, emitting nothing, when `gz_path` is not gzip or not the file
// `record` describes (fingerprint mismatch). A compressed copy shorter than
// the offset is found but has nothing left: the file grew after compression,
// and we had read that from the open file.
bool ReadCompressedRest(const std::string& gz_path, const FileRecord& record,
                        size_t max_line_bytes, const LineSplitter::Emit& emit, SourceStats* stats);

}  // namespace errpulse
