// RateLimiter: the web config's `rate_limit` (interval, burst), a token bucket
// over all requests as the exporter toolkit has it (Go's rate.Limiter): it
// starts full with `burst` tokens, gains one every `interval`, and a request
// that finds no token is answered 429.
//
// Thread-safe (one small mutex); shared by every connection of a server.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>

namespace errpulse {

class RateLimiter {
 public:
  RateLimiter(std::chrono::nanoseconds interval, int64_t burst);

  // Takes a token when there is one.
  bool Allow();

 private:
  const std::chrono::nanoseconds interval_;
  const double burst_;
  std::mutex mutex_;
  double tokens_;
  std::chrono::steady_clock::time_point last_;
};

}  // namespace errpulse
