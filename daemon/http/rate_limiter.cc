// See rate_limiter.h: what this is, ownership and thread-safety.
#include "http/rate_limiter.h"

#include <algorithm>

namespace errpulse {

RateLimiter::RateLimiter(std::chrono::nanoseconds interval, int64_t burst)
    : interval_(interval),
      burst_(static_cast<double>(burst)),
      tokens_(static_cast<double>(burst)),
      last_(std::chrono::steady_clock::now()) {}

bool RateLimiter::Allow() {
  std::lock_guard<std::mutex> lock(mutex_);
  const auto now = std::chrono::steady_clock::now();
  if (interval_.count() > 0) {
    const double earned = std::chrono::duration<double>(now - last_).count() /
                          std::chrono::duration<double>(interval_).count();
    tokens_ = std::min(burst_, tokens_ + earned);
  }
  last_ = now;
  if (tokens_ < 1) return false;
  tokens_ -= 1;
  return true;
}

}  // namespace errpulse
