#include "tail/file_identity.h"

#include <unistd.h>

#include <algorithm>

namespace errpulse {

namespace {

bool ReadPrefix(int fd, uint32_t length, char* buffer) {
  size_t done = 0;
  while (done < length) {
    ssize_t n = ::pread(fd, buffer + done, length - done, static_cast<off_t>(done));
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

}  // namespace

bool ComputeFingerprint(int fd, uint64_t size, Fingerprint* out) {
  const uint32_t length = static_cast<uint32_t>(std::min<uint64_t>(size, kFingerprintBytes));
  char buffer[kFingerprintBytes];
  if (!ReadPrefix(fd, length, buffer)) return false;
  *out = {length, FingerprintHash(buffer, length)};
  return true;
}

bool FingerprintMatches(int fd, const Fingerprint& expected) {
  char buffer[kFingerprintBytes];
  if (!ReadPrefix(fd, expected.length, buffer)) return false;
  return FingerprintHash(buffer, expected.length) == expected.hash;
}

}  // namespace errpulse
