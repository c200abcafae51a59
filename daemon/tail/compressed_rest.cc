#include "tail/compressed_rest.h"

#include <zlib.h>

#include <algorithm>
#include <memory>
#include <vector>

namespace errpulse {
namespace {

struct GzCloser {
  void operator()(gzFile_s* f) const { gzclose(f); }
};

// Reads exactly `size` decompressed bytes; false at end or on error.
bool ReadExactly(gzFile file, char* out, size_t size) {
  size_t done = 0;
  while (done < size) {
    int n = gzread(file, out + done, static_cast<unsigned>(size - done));
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

}  // namespace

// Whether the gzip stream decompresses to its end without error. logrotate
// may still be writing it (gzip runs after the rename): a partial stream
// looks like a shorter file, and its plain original is still there to read.
bool CompleteGzip(const std::string& gz_path, std::vector<char>* buffer) {
  std::unique_ptr<gzFile_s, GzCloser> file(gzopen(gz_path.c_str(), "rb"));
  if (!file) return false;
  int n;
  while ((n = gzread(file.get(), buffer->data(), static_cast<unsigned>(buffer->size()))) > 0) {
  }
  int error = Z_OK;
  gzerror(file.get(), &error);
  return n == 0 && (error == Z_OK || error == Z_STREAM_END);
}

bool ReadCompressedRest(const std::string& gz_path, const FileRecord& record,
                        size_t max_line_bytes, const LineSplitter::Emit& emit, SourceStats* stats) {
  std::unique_ptr<gzFile_s, GzCloser> file(gzopen(gz_path.c_str(), "rb"));
  if (!file || gzdirect(file.get())) return false;  // missing, or not compressed
  // Is it our file? Compare the fingerprinted prefix, then skip to the offset.
  std::vector<char> buffer(max_line_bytes + (1 << 20));
  const Fingerprint& fp = record.fingerprint;
  if (fp.length == 0 || !ReadExactly(file.get(), buffer.data(), fp.length) ||
      FingerprintHash(buffer.data(), fp.length) != fp.hash)
    return false;
  if (!CompleteGzip(gz_path, &buffer)) return false;  // still being written
  // The prefix just read may already hold bytes past the offset.
  const std::string head = record.offset < fp.length
                               ? std::string(buffer.data() + record.offset, fp.length - record.offset)
                               : std::string();
  for (uint64_t at = fp.length; at < record.offset;) {
    const size_t step = static_cast<size_t>(std::min<uint64_t>(record.offset - at, 1 << 20));
    // Shorter than our offset: we had read further (from the open file, after
    // it was compressed and deleted), so there is nothing left to count.
    if (!ReadExactly(file.get(), buffer.data(), step)) return true;
    at += step;
  }
  LineSplitter splitter(max_line_bytes);
  splitter.set_skipping(record.skipping);
  bool first = true;
  for (;;) {
    const size_t carried = splitter.LoadPending(buffer.data());
    size_t got = 0;
    if (first && !head.empty()) {
      std::copy(head.begin(), head.end(), buffer.begin() + static_cast<long>(carried));
      got = head.size();
    } else {
      const int n = gzread(file.get(), buffer.data() + carried, 1 << 20);
      if (n <= 0) break;
      got = static_cast<size_t>(n);
    }
    first = false;
    stats->bytes_read += got;
    splitter.Split(std::string_view(buffer.data(), carried + got), emit, stats);
  }
  splitter.Flush(emit);
  return true;
}

}  // namespace errpulse
