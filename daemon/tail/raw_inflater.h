// RawInflater: a zlib inflater for raw deflate (no zlib header, 32 KiB
// window): the SDKs' .clog streams, mars xlog deflate blocks, and the look
// format: auto takes at a file's first bytes. One class so that every user
// sets it up, resets it and frees it the same way.
//
// Ownership: owns its z_stream (inflateEnd on destruction); not copyable.
// Not thread-safe.
#pragma once

#include <zlib.h>

namespace errpulse {

class RawInflater {
 public:
  RawInflater() { ok_ = inflateInit2(&z_, -MAX_WBITS) == Z_OK; }
  ~RawInflater() {
    if (ok_) inflateEnd(&z_);
  }
  RawInflater(const RawInflater&) = delete;
  RawInflater& operator=(const RawInflater&) = delete;

  // False when zlib could not set it up (out of memory): inflate() on it
  // fails with Z_STREAM_ERROR.
  bool ok() const { return ok_; }
  // A fresh stream (the window forgotten), keeping the allocation.
  void Reset() {
    if (ok_) inflateReset(&z_);
  }
  z_stream* get() { return &z_; }

 private:
  z_stream z_{};
  bool ok_ = false;
};

}  // namespace errpulse
