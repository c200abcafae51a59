#include "status/sparkline.h"

#include <algorithm>
#include <cstdio>

#include "status/html_text.h"

namespace errpulse {
namespace {

std::string Fixed(double v) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.1f", v);
  return text;
}

// "11:05": the minute's start, UTC (the page says UTC elsewhere).
std::string ClockMinute(int64_t minute) { return DisplayTime(minute * 60'000).substr(11, 5); }

// The first minute with the most errors.
size_t Peak(const std::vector<uint64_t>& per_minute) {
  return static_cast<size_t>(std::max_element(per_minute.begin(), per_minute.end()) -
                             per_minute.begin());
}

}  // namespace

std::string SparkCaption(const std::vector<uint64_t>& per_minute, int64_t last_minute) {
  if (per_minute.empty() || per_minute[Peak(per_minute)] == 0) return "none in the last hour";
  const size_t peak = Peak(per_minute);
  const int64_t first_minute = last_minute - static_cast<int64_t>(per_minute.size()) + 1;
  return "peak " + GroupDigits(per_minute[peak]) + " at " +
         ClockMinute(first_minute + static_cast<int64_t>(peak)) + " UTC";
}

std::string Sparkline(const std::vector<uint64_t>& per_minute, int64_t last_minute,
                      int64_t mark_ms) {
  const size_t n = per_minute.size();
  if (n == 0) return "";
  const int64_t first_minute = last_minute - static_cast<int64_t>(n) + 1;
  const size_t peak = Peak(per_minute);
  const uint64_t max = per_minute[peak];
  auto x = [&](size_t i) { return kSparkLeft + static_cast<double>(i) * kSparkStep; };
  auto y = [&](uint64_t count) {
    if (max == 0) return kSparkBottom;
    return kSparkBottom - static_cast<double>(count) * (kSparkBottom - kSparkTop) /
                              static_cast<double>(max);
  };
  std::string points, counts;
  for (size_t i = 0; i < n; ++i) {
    points += (i ? " " : "") + Fixed(x(i)) + "," + Fixed(y(per_minute[i]));
    counts += (i ? "," : "") + std::to_string(per_minute[i]);
  }
  const std::string span = ClockMinute(first_minute) + "&ndash;" + ClockMinute(last_minute) +
                           " UTC";
  const std::string text =
      max == 0 ? "No errors per minute " + span
               : "Errors per minute " + span + ": " + SparkCaption(per_minute, last_minute) +
                     ", last minute " + GroupDigits(per_minute.back()) + " (so far)";
  // Inline in HTML an <svg> needs no xmlns (the parser knows it), and the
  // page names no URL at all.
  std::string svg = "<svg class=\"spark\" width=\"" +
                    std::to_string(kSparkWidth) + "\" height=\"" + std::to_string(kSparkHeight) +
                    "\" viewBox=\"0 0 " + std::to_string(kSparkWidth) + " " +
                    std::to_string(kSparkHeight) +
                    "\" preserveAspectRatio=\"none\" role=\"img\" aria-label=\"" + text +
                    "\" data-counts=\"" + counts + "\" data-last-minute=\"" +
                    std::to_string(last_minute) + "\"><title>" + text + "</title>";
  const std::string bottom = Fixed(kSparkBottom);
  svg += "<line x1=\"0\" y1=\"" + bottom + "\" x2=\"" + std::to_string(kSparkWidth) + "\" y2=\"" +
         bottom + "\" stroke=\"#d1d5db\" stroke-width=\"1\"/>";
  const int64_t mark_minute = mark_ms / 60'000;
  if (mark_ms > 0 && mark_minute >= first_minute && mark_minute <= last_minute) {
    const std::string mx = Fixed(x(static_cast<size_t>(mark_minute - first_minute)));
    svg += "<line class=\"mark\" x1=\"" + mx + "\" y1=\"0\" x2=\"" + mx + "\" y2=\"" +
           std::to_string(kSparkHeight) +
           "\" stroke=\"#6b7280\" stroke-width=\"1\" stroke-dasharray=\"2 2\"/>";
  }
  if (max > 0) {
    svg += "<polygon points=\"" + Fixed(x(0)) + "," + bottom + " " + points + " " +
           Fixed(x(n - 1)) + "," + bottom + "\" fill=\"#fecaca\" stroke=\"none\"/>";
  }
  svg += "<polyline points=\"" + points + "\" fill=\"none\" stroke=\"" +
         std::string(max > 0 ? "#dc2626" : "#9ca3af") +
         "\" stroke-width=\"1.5\" stroke-linejoin=\"round\"/>";
  if (max > 0)
    svg += "<circle cx=\"" + Fixed(x(peak)) + "\" cy=\"" + Fixed(y(max)) +
           "\" r=\"2.5\" fill=\"#b91c1c\"/>";
  svg += "</svg>";
  return svg;
}

}  // namespace errpulse
