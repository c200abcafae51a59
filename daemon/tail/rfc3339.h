// ParseRfc3339: reads the timestamp container runtimes put on every log line
// (containerd/CRI-O `2026-12-07T10:12:09.123456789Z`, `...+08:00`; dockerd's
// RFC3339Nano with trailing zeros trimmed) as milliseconds since the epoch.
//
// Accepted: `YYYY-MM-DD(T|t| )HH:MM:SS[.F{1,9}](Z|z|±HH:MM)`, with the field
// ranges checked (the day against its month, leap years included; second 60
// is allowed, RFC 3339 permits a leap second). The fraction is truncated to
// milliseconds. The calendar is computed with days-from-civil arithmetic, not
// timegm(): no time zone database, no locale, no allocation. It runs once per
// container log line.
//
// Pure function; thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace errpulse {

// Parses the timestamp at the start of `text` (what follows it is not
// looked at). On success sets *ms_since_epoch and *consumed (the timestamp's
// length) and returns true; otherwise leaves them alone.
bool ParseRfc3339(std::string_view text, int64_t* ms_since_epoch, size_t* consumed);

// The same, for a run of timestamps that mostly share their second and zone
// (consecutive lines of one container): remembers the last one's date and
// time up to the second and its zone, and then reads only the fraction.
// Not thread-safe; one per reader.
class Rfc3339Cache {
 public:
  bool Parse(std::string_view text, int64_t* ms_since_epoch, size_t* consumed);

 private:
  bool valid_ = false;
  char second_[19] = {};  // YYYY-MM-DDTHH:MM:SS
  char zone_[6] = {};     // Z, z or ±HH:MM
  size_t zone_size_ = 0;
  int64_t base_ms_ = 0;   // the time of second_ in zone_, fraction 0
};

}  // namespace errpulse
