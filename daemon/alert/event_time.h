// EventTime: the time a log line was written, read from the line itself, so
// alert windows (and `replay` backtests) follow the log's own clock.
//
// Recognised near the start of the line (first 96 bytes), the formats the
// SDKs, the IM SDK and app servers write:
//   2026-11-26T10:12:09.900+08:00   2026-11-26 10:12:09.900Z   [2025-03-14T02:02:12.701Z]
//   TIM: 2020-01-21 09:55:35.297    2019-11-12 14:18:06.251701+0800 (iOS console)
//   03-15 17:19:55.201 (logcat)     [I][12-26/17:15:06.619+8.0] (LiteAV)
//   [E][2020-01-21 +8.0 09:55:35.297] (mars xlog: the zone before the time)
// A time without a zone is taken as UTC; a date without a year gets
// `default_year`.
//
// Stateless; thread-safe; no allocation.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace errpulse {

// Milliseconds since the Unix epoch, or nullopt when the line carries no time.
std::optional<int64_t> ParseEventTime(std::string_view line, int default_year);

}  // namespace errpulse
