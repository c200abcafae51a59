// Sparkline: the small chart of errors per minute over the last hour that
// the status page draws in a top code's or an alert's row: inline SVG, a line
// over the minutes (oldest left, the current minute right) scaled to the
// peak, the area under it shaded, the peak marked, and optionally a dashed
// line at a moment (when an alert became active). Its <title> (the tooltip)
// and aria-label say the span, the peak and its minute, and the last
// minute's count; data-counts carries the counts drawn, so a test can check
// the points against them.
//
// Plain SVG elements and presentation attributes only: no script, no style
// sheet, no external reference, so the page's Content Security Policy
// (default-src 'none') lets it through and an isolated host draws it.
//
// Stateless functions; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace errpulse {

// The chart's geometry: x of point i is kSparkLeft + i * kSparkStep; y is
// kSparkBottom for 0 and kSparkTop for the peak, linear in between (one
// decimal).
constexpr double kSparkLeft = 1, kSparkStep = 2.5, kSparkTop = 3, kSparkBottom = 30;
constexpr int kSparkWidth = 150, kSparkHeight = 32;

// `per_minute`: errors per minute, oldest first; the last is `last_minute`
// (wall ms / 60'000). `mark_ms`: a moment to draw as a dashed line (0: none).
std::string Sparkline(const std::vector<uint64_t>& per_minute, int64_t last_minute,
                      int64_t mark_ms = 0);
// The line under a chart: "peak 71 at 23:46 UTC", or "none in the last hour".
std::string SparkCaption(const std::vector<uint64_t>& per_minute, int64_t last_minute);

}  // namespace errpulse
