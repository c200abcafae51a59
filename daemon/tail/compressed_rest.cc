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

bool ReadCompressedRest(const std::string& gz_path, const FileRecord& record,
                        size_t max_line_bytes, const LineSplitter::Emit& emit, TailStats* stats) {
  std::unique_ptr<gzFile_s, GzCloser> file(gzopen(gz_path.c_str(), "rb"));
  if (!file || gzdirect(file.get())) return false;  // missing, or not compressed
  // Is it our file? Compare the fingerprinted prefix, then skip to the offset.
  std::vector<char> buffer(max_line_bytes + (1 << 20));
  const Fingerprint& fp = record.fingerprint;
  if (fp.length == 0 || !ReadExactly(file.get(), buffer.data(), fp.length) ||
      FingerprintHash(buffer.data(), fp.length) != fp.hash || gzrewind(file.get()) != 0)
    return false;
  for (uint64_t at = 0; at < record.offset;) {
    const size_t step = static_cast<size_t>(std::min<uint64_t>(record.offset - at, 1 << 20));
    // Shorter than our offset: we had read further (from the open file, after
    // it was compressed and deleted), so there is nothing left to count.
    if (!ReadExactly(file.get(), buffer.data(), step)) return true;
    at += step;
  }
  LineSplitter splitter(max_line_bytes);
  splitter.set_skipping(record.skipping);
  for (;;) {
    const size_t carried = splitter.LoadPending(buffer.data());
    const int n = gzread(file.get(), buffer.data() + carried, 1 << 20);
    if (n <= 0) break;
    stats->bytes_read += static_cast<uint64_t>(n);
    splitter.Split(std::string_view(buffer.data(), carried + static_cast<size_t>(n)), emit, stats);
  }
  splitter.Flush(emit);
  return true;
}

}  // namespace errpulse
