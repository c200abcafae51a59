// UTC time formatting shared by the CLI, the alert payloads and the API.
//
// Stateless functions; thread-safe.
#pragma once

#include <cstdint>
#include <string>

namespace errpulse {

// RFC 3339 in UTC: 2026-11-26T02:00:29Z, or with milliseconds
// 2026-11-26T02:00:29.123Z (as Alertmanager expects).
std::string FormatUtc(int64_t unix_ms, bool with_millis);

// The wall clock now, in milliseconds since the Unix epoch.
int64_t WallClockMs();

// The current year (UTC), for log times that carry none.
int CurrentYear();
// The year (UTC) of `ms` since the Unix epoch.
int YearOfMs(int64_t ms);

}  // namespace errpulse
