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

// `last_newline`: the offset of the last '\n' before `from`, or -1.
bool HasLineLongerThanPlain(std::string_view text, size_t from, int64_t last_newline,
                            size_t limit) {
  for (size_t pos = from; pos < text.size();) {
    const void* nl = std::memchr(text.data() + pos, '\n', text.size() - pos);
    const size_t at = nl ? static_cast<size_t>(static_cast<const char*>(nl) - text.data())
                         : text.size();
    if (static_cast<int64_t>(at) - last_newline - 1 > static_cast<int64_t>(limit)) return true;
    last_newline = static_cast<int64_t>(at);
    pos = at + 1;
  }
  return static_cast<int64_t>(text.size()) - last_newline - 1 > static_cast<int64_t>(limit);
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

__attribute__((target("avx2"))) bool HasLineLongerThanAvx2(std::string_view text, size_t limit) {
  int64_t last_newline = -1;
  size_t i = 0;
  const auto limit_signed = static_cast<int64_t>(limit);
  for (; i + 64 <= text.size(); i += 64) {
    const uint64_t mask = NewlineMask64(text.data() + i);
    if (mask == 0) continue;  // the line goes on: judged at its end
    // Lines that start and end inside the block are shorter than 64 <= limit.
    const auto first = static_cast<int64_t>(i) + __builtin_ctzll(mask);
    if (first - last_newline - 1 > limit_signed) return true;
    last_newline = static_cast<int64_t>(i) + 63 - __builtin_clzll(mask);
  }
  return HasLineLongerThanPlain(text, i, last_newline, limit);
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
  if (text.size() <= limit) return false;
#if ERRPULSE_NEWLINE_AVX2
  if (kHasAvx2 && limit >= 64) return HasLineLongerThanAvx2(text, limit);
#endif
  return HasLineLongerThanPlain(text, 0, -1, limit);
}

}  // namespace errpulse
