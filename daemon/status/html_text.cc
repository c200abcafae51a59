#include "status/html_text.h"

#include <cstdio>
#include <iterator>

#include "common/time_format.h"

namespace errpulse {

std::string HtmlEscapeBreakable(std::string_view text, std::string_view break_after) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
    if (break_after.find(c) != std::string_view::npos) out += "<wbr>";
  }
  return out;
}

std::string HtmlEscape(std::string_view text) { return HtmlEscapeBreakable(text, ""); }

std::string GroupDigits(uint64_t value) {
  const std::string digits = std::to_string(value);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

std::string HumanBytes(uint64_t bytes) {
  if (bytes < 1024) return std::to_string(bytes) + " B";
  static const char* const kUnits[] = {"KiB", "MiB", "GiB", "TiB", "PiB"};
  double value = static_cast<double>(bytes) / 1024;
  size_t unit = 0;
  while (value >= 1024 && unit + 1 < std::size(kUnits)) {
    value /= 1024;
    ++unit;
  }
  char text[32];
  std::snprintf(text, sizeof(text), "%.1f %s", value, kUnits[unit]);
  return text;
}

std::string HumanDuration(int64_t ms) {
  if (ms < 0) ms = 0;
  const int64_t s = ms / 1000;
  char text[32];
  if (s < 60) {
    std::snprintf(text, sizeof(text), "%llds", static_cast<long long>(s));
  } else if (s < 3600) {
    std::snprintf(text, sizeof(text), "%lldm %02llds", static_cast<long long>(s / 60),
                  static_cast<long long>(s % 60));
  } else if (s < 86400) {
    std::snprintf(text, sizeof(text), "%lldh %02lldm", static_cast<long long>(s / 3600),
                  static_cast<long long>(s % 3600 / 60));
  } else {
    std::snprintf(text, sizeof(text), "%lldd %lldh", static_cast<long long>(s / 86400),
                  static_cast<long long>(s % 86400 / 3600));
  }
  return text;
}

std::string DisplayTime(int64_t unix_ms) {
  std::string text = FormatUtc(unix_ms, /*with_millis=*/false);  // 2026-11-26T02:00:29Z
  if (const size_t t = text.find('T'); t != std::string::npos) text[t] = ' ';
  if (!text.empty() && text.back() == 'Z') text.replace(text.size() - 1, 1, " UTC");
  return text;
}

}  // namespace errpulse
