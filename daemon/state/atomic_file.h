// WriteFileAtomically: replaces a file so that after a crash at any moment the
// path holds either the old content or the new, never a mix: write a temp file
// beside it, fsync it, rename it over the path, fsync the directory.
//
// Stateless; thread-safe for different paths.
#pragma once

#include <string>
#include <string_view>

namespace errpulse {

// Returns an error message ("" on success) naming the step and the errno text.
// `dir_fd`: the path's directory, already open (the state store keeps it
// open); -1 opens it for the fsync. `replaced` (optional) tells whether the
// new content is at the path: true also when only the directory's fsync
// failed after the rename.
std::string WriteFileAtomically(const std::string& path, std::string_view content,
                                int dir_fd = -1, bool* replaced = nullptr);

}  // namespace errpulse
