#include "common/newline_scan.h"

#include <cstring>

#if defined(__x86_64__)
#include <immintrin.h>
#define ERRPULSE_NEWLINE_AVX2 1
#endif

namespace errpulse {
namespace {

uint64_t CountNewlinesPlain(const char* p, const char* end) {
  uint64_t count = 0;
  while (const void* nl = std::memchr(p, '\n', static_cast<size_t>(end - p))) {
    ++count;
    p = static_cast<const char*>(nl) + 1;
  }
  return count;
}

#if ERRPULSE_NEWLINE_AVX2
const bool kHasAvx2 = __builtin_cpu_supports("avx2");

// Bit i set: p[i] is '\n', for the 64 bytes at p.
__attribute__((target("avx2"))) inline uint64_t NewlineMask64(const char* p) {
  const __m256i newline = _mm256_set1_epi8('\n');
  const __m256i a = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
  const __m256i b = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + 32));
  const uint64_t low = static_cast<uint32_t>(_mm256_movemask_epi8(_mm256_cmpeq_epi8(a, newline)));
  const uint64_t high = static_cast<uint32_t>(_mm256_movemask_epi8(_mm256_cmpeq_epi8(b, newline)));
  return low | (high << 32);
}

__attribute__((target("avx2,popcnt"))) uint64_t CountNewlinesAvx2(std::string_view text) {
  uint64_t count = 0;
  size_t i = 0;
  for (; i + 64 <= text.size(); i += 64)
    count += static_cast<uint64_t>(__builtin_popcountll(NewlineMask64(text.data() + i)));
  return count + CountNewlinesPlain(text.data() + i, text.data() + text.size());
}

#endif

}  // namespace

uint64_t CountNewlines(std::string_view text) {
#if ERRPULSE_NEWLINE_AVX2
  if (kHasAvx2) return CountNewlinesAvx2(text);
#endif
  return CountNewlinesPlain(text.data(), text.data() + text.size());
}

bool HasLineLongerThan(std::string_view text, size_t limit) {
  // Hop from window to window: a line longer than `limit` exists exactly when
  // some window of limit + 1 bytes, starting right after a newline (or at the
  // start), holds no newline. The last newline of each window starts the
  // next, so with limit at 64 KiB it costs one short memrchr per 64 KiB.
  size_t line_start = 0;
  while (text.size() - line_start > limit) {
    const void* last = ::memrchr(text.data() + line_start, '\n', limit + 1);
    if (last == nullptr) return true;
    line_start = static_cast<size_t>(static_cast<const char*>(last) - text.data()) + 1;
  }
  return false;
}

}  // namespace errpulse
