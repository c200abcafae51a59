// Varint: the compact byte encoding of the state journal (state_journal.h)
// and of its flattened entries (state_entries.h): unsigned LEB128 integers,
// zigzag for signed ones, and length-prefixed strings.
//
// Value types and inline functions; thread-compatible.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace errpulse {

inline void PutVarint(std::string* out, uint64_t v) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

inline uint64_t Zigzag(int64_t v) {
  return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
}
inline int64_t Unzigzag(uint64_t v) {
  return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1);
}

inline void PutSigned(std::string* out, int64_t v) { PutVarint(out, Zigzag(v)); }

inline void PutBytes(std::string* out, std::string_view bytes) {
  PutVarint(out, bytes.size());
  out->append(bytes);
}

// Reads what the Put functions wrote. Every Get returns false (and leaves
// the reader failed) when the input ends early or a varint is too long.
class VarintReader {
 public:
  explicit VarintReader(std::string_view data) : data_(data) {}

  bool Get(uint64_t* v) {
    uint64_t result = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (at_ >= data_.size()) return Fail();
      const auto byte = static_cast<uint8_t>(data_[at_++]);
      result |= static_cast<uint64_t>(byte & 0x7f) << shift;
      if (!(byte & 0x80)) {
        *v = result;
        return true;
      }
    }
    return Fail();
  }
  bool GetSigned(int64_t* v) {
    uint64_t raw = 0;
    if (!Get(&raw)) return false;
    *v = Unzigzag(raw);
    return true;
  }
  bool GetBytes(std::string_view* bytes) {
    uint64_t size = 0;
    if (!Get(&size) || size > data_.size() - at_) return Fail();
    *bytes = data_.substr(at_, size);
    at_ += size;
    return true;
  }
  bool GetByte(char* c) {
    if (at_ >= data_.size()) return Fail();
    *c = data_[at_++];
    return true;
  }
  bool done() const { return at_ == data_.size(); }
  bool failed() const { return failed_; }
  size_t position() const { return at_; }
  std::string_view rest() const { return data_.substr(at_); }
  // The bytes read since position() was `start`.
  std::string_view ReadSince(size_t start) const { return data_.substr(start, at_ - start); }

 private:
  bool Fail() {
    failed_ = true;
    return false;
  }
  std::string_view data_;
  size_t at_ = 0;
  bool failed_ = false;
};

}  // namespace errpulse
