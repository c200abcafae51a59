// Text for the status page: HTML escaping and the number, size, time and
// duration formats an on-call reader wants (1,234,567; 1.2 MiB;
// 2026-11-26 02:00:29 UTC; 3m 12s).
//
// Every string that comes from outside the binary (log paths, config values,
// alert labels, catalog text) goes through HtmlEscape() before it reaches the
// page, in element content and in quoted attribute values alike.
//
// Stateless functions; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace errpulse {

// Escapes & < > " ' so the text is inert in element content and in quoted
// attribute values.
std::string HtmlEscape(std::string_view text);

// HtmlEscape(), plus a line-break opportunity (<wbr>) after each character
// of `break_after`: long paths break after '/', long names after '_' or '.'.
std::string HtmlEscapeBreakable(std::string_view text, std::string_view break_after);

// 1234567 -> "1,234,567".
std::string GroupDigits(uint64_t value);
// Bytes in binary units: "0 B", "512 B", "1.5 KiB", "12.0 MiB", "3.2 GiB".
std::string HumanBytes(uint64_t bytes);
// A duration, its two largest units: "45s", "3m 12s", "2h 05m", "3d 4h".
std::string HumanDuration(int64_t ms);
// Wall-clock time in UTC: "2026-11-26 02:00:29 UTC".
std::string DisplayTime(int64_t unix_ms);

}  // namespace errpulse
