#include "alert/event_time.h"

#include <cctype>

namespace errpulse {
namespace {

// Days from 1970-01-01 to y-m-d (proleptic Gregorian), Howard Hinnant's algorithm.
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

class Cursor {
 public:
  Cursor(std::string_view s, size_t at) : s_(s), at_(at) {}
  // Exactly `count` digits; on failure the cursor does not move.
  bool Digits(int count, int* out) {
    int value = 0;
    for (int i = 0; i < count; ++i) {
      const size_t at = at_ + static_cast<size_t>(i);
      if (at >= s_.size() || !std::isdigit(static_cast<unsigned char>(s_[at]))) return false;
      value = value * 10 + (s_[at] - '0');
    }
    at_ += static_cast<size_t>(count);
    *out = value;
    return true;
  }
  bool Char(char c) {
    if (at_ < s_.size() && s_[at_] == c) {
      ++at_;
      return true;
    }
    return false;
  }
  bool OneOf(const char* set) {
    for (const char* p = set; *p; ++p)
      if (Char(*p)) return true;
    return false;
  }
  // Fraction of a second, any number of digits: returns milliseconds.
  int Fraction() {
    int ms = 0, digits = 0;
    while (at_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[at_]))) {
      if (digits < 3) ms = ms * 10 + (s_[at_] - '0');
      ++digits;
      ++at_;
    }
    while (digits > 0 && digits < 3) ms *= 10, ++digits;
    return ms;
  }
  // Zone: Z, +08:00, +0800, +08, or LiteAV's +8.0 (hours). Returns minutes east.
  int Zone() {
    if (Char('Z')) return 0;
    const size_t start = at_;
    int sign = Char('+') ? 1 : (Char('-') ? -1 : 0);
    if (sign == 0) return 0;
    int hours = 0, minutes = 0;
    if (Digits(2, &hours)) {
      Char(':');
      Digits(2, &minutes);
      return sign * (hours * 60 + minutes);
    }
    int one = 0;
    if (Digits(1, &one)) {  // +8.0
      int tenths = 0;
      if (Char('.')) Digits(1, &tenths);
      return sign * (one * 60 + tenths * 6);
    }
    at_ = start;
    return 0;
  }

 private:
  std::string_view s_;
  size_t at_;
};

int64_t ToMs(int year, int month, int day, int h, int m, int s, int ms, int zone_minutes) {
  const int64_t days = DaysFromCivil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
  return ((days * 86400 + h * 3600 + m * 60 + s) - zone_minutes * 60) * 1000 + ms;
}

bool Valid(int month, int day, int h, int m, int s) {
  return month >= 1 && month <= 12 && day >= 1 && day <= 31 && h <= 23 && m <= 59 && s <= 60;
}

// HH:MM:SS[.fff][zone] after the date.
std::optional<int64_t> Time(Cursor c, int year, int month, int day) {
  int h, m, s;
  if (!c.Digits(2, &h) || !c.Char(':') || !c.Digits(2, &m) || !c.Char(':') || !c.Digits(2, &s))
    return std::nullopt;
  if (!Valid(month, day, h, m, s)) return std::nullopt;
  const int ms = (c.OneOf(".,")) ? c.Fraction() : 0;
  return ToMs(year, month, day, h, m, s, ms, c.Zone());
}

}  // namespace

std::optional<int64_t> ParseEventTime(std::string_view line, int default_year) {
  const size_t limit = line.size() < 96 ? line.size() : 96;
  for (size_t at = 0; at + 8 <= limit; ++at) {
    if (!std::isdigit(static_cast<unsigned char>(line[at]))) continue;
    if (at > 0 && std::isdigit(static_cast<unsigned char>(line[at - 1]))) continue;
    Cursor c(line, at);
    int year, month, day;
    // YYYY-MM-DD[T ]time
    if (c.Digits(4, &year) && c.Char('-') && c.Digits(2, &month) && c.Char('-') &&
        c.Digits(2, &day) && c.OneOf("T ")) {
      if (auto t = Time(c, year, month, day)) return t;
      // mars xlog (older SDKs, the IM SDK): the zone before the time,
      // `[E][2020-01-21 +8.0 09:55:35.297]`.
      Cursor zoned = c;
      const int zone = zoned.Zone();
      if (zone != 0 && zoned.Char(' ')) {
        if (auto t = Time(zoned, year, month, day)) return *t - int64_t{zone} * 60'000;
      }
      continue;
    }
    // MM-DD time (logcat) or MM-DD/time (LiteAV)
    Cursor d(line, at);
    if (d.Digits(2, &month) && d.Char('-') && d.Digits(2, &day) && d.OneOf(" /")) {
      if (auto t = Time(d, default_year, month, day)) return t;
    }
  }
  return std::nullopt;
}

}  // namespace errpulse
