// Finding a log file's rotations on disk: the siblings logrotate leaves
// (app.log.1, app.log-20261126, app.log.2.gz ...), and recognising which of
// them is which by content, since renames keep the inode but compression and
// copytruncate copies do not.
//
// Stateless functions doing blocking file I/O (a stat per sibling, at most
// kFingerprintBytes read per file examined); used at start and after a
// truncation, never per line.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tail/file_identity.h"

namespace errpulse {

// Regular files beside `path` named the way logrotate names its rotations
// (app.log.1, app.log-20261126, app-20261126.log) and ending with `suffix`,
// newest first; `path` itself excluded.
std::vector<std::string> RotationCandidates(const std::string& path, const char* suffix);

// The first kFingerprintBytes of a file, decompressed when it is gzip.
struct FilePrefix {
  std::string bytes;
  bool compressed = false;
  uint64_t inode = 0;
  int64_t mtime_ms = 0;
};
bool ReadFilePrefix(const std::string& path, FilePrefix* out);

// Whether a file starting with `prefix` is the one `fingerprint` was taken of.
// An empty fingerprint matches nothing: it tells nothing apart.
bool PrefixMatches(const FilePrefix& prefix, const Fingerprint& fingerprint);

// A file in `record`'s directory with its device, inode and fingerprint: where
// it went when it was renamed. Empty when there is none, or when the record
// has no fingerprint (the file was empty) to tell it from a reused inode.
std::string FindRenamed(const FileRecord& record);

}  // namespace errpulse
