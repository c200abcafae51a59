// FileIdentity: what makes a log file the same file across renames,
// truncations, restarts and inode reuse: device + inode + a fingerprint of its
// first bytes. Device and inode alone are not enough: a deleted file's inode
// is soon given to a new file, and copytruncate keeps the inode while
// replacing the content. Size alone is not enough either: a file truncated and
// rewritten past the old offset between two looks keeps growing.
//
// The value types (Fingerprint, FileIdentity, FileRecord) are in
// source/file_record.h, where the state and the checkpoint see them.
//
// Thread-compatible. The functions do one pread each.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>

#include "source/file_record.h"

namespace errpulse {

// Fingerprints the first min(size, kFingerprintBytes) bytes of `fd`.
// Returns false on a read error.
bool ComputeFingerprint(int fd, uint64_t size, Fingerprint* out);

// Whether the first `expected.length` bytes of `fd` still hash the same (a
// file with fewer bytes than that no longer matches).
bool FingerprintMatches(int fd, const Fingerprint& expected);

}  // namespace errpulse
