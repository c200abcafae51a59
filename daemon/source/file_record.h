// FileRecord and its parts: one followed file as a file source's checkpoint
// (and so the state file) remembers it. Identity is device + inode + a
// fingerprint of the first bytes; tail/file_identity.h computes them and
// says why all three are needed.
//
// Value types; thread-compatible.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "common/log_format.h"

namespace errpulse {

// How many leading bytes are fingerprinted. A file shorter than this is
// fingerprinted over what it has, and again once it has grown.
inline constexpr uint32_t kFingerprintBytes = 1024;

// FNV-1a, the fingerprint hash (the state file's checksum too).
uint64_t FingerprintHash(const char* data, size_t size);

struct Fingerprint {
  uint32_t length = 0;  // bytes covered; 0 = the file was empty
  uint64_t hash = 0;    // FNV-1a of those bytes
  bool operator==(const Fingerprint& o) const { return length == o.length && hash == o.hash; }
};

struct FileIdentity {
  uint64_t device = 0;
  uint64_t inode = 0;
  bool SameInode(const FileIdentity& o) const { return device == o.device && inode == o.inode; }
};

struct FileRecord {
  std::string path;      // where it was last seen
  FileIdentity identity;
  Fingerprint fingerprint;
  // Plain files: the first byte not yet counted (start of a partial line).
  // Decoded formats: where a fresh decoder resumes (see line_decoder.h).
  uint64_t offset = 0;
  bool skipping = false; // inside a cut line: skip to the next newline first
  bool retired = false;  // rotated away, being read to its end
  LogFormat format = LogFormat::kPlain;  // as decided; kAuto: not decided yet
  // Decoded formats only (line_decoder.h's DecoderPosition):
  uint64_t decode_skip = 0;     // what the decoder suppresses after resuming
  uint64_t counted_offset = 0;  // raw bytes the bytes_read counter has counted
  // Opened at its end (start_at: end): decode from `offset` up to
  // `catch_up_to`, counting nothing, to reach that end with the decoder's
  // state (an inflater cannot start in the middle of its stream).
  uint64_t catch_up_to = 0;
};

}  // namespace errpulse
