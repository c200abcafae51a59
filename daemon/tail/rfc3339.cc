#include "tail/rfc3339.h"

#include <cstring>

namespace errpulse {
namespace {

// Days from 1970-01-01 to the proleptic Gregorian date y-m-d (Howard
// Hinnant's days_from_civil): eras of 400 years, years starting in March so
// the leap day is the last day of the year.
int64_t DaysFromCivil(int64_t y, int m, int d) {
  y -= m <= 2 ? 1 : 0;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;                                    // [0, 399]
  const int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;  // [0, 365]
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;            // [0, 146096]
  return era * 146097 + doe - 719468;
}

bool IsLeapYear(int y) { return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0); }

int DaysInMonth(int y, int m) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && IsLeapYear(y) ? 29 : kDays[m - 1];
}

// The `count` decimal digits at text[pos...], or -1 when one is not a digit.
int Digits(std::string_view text, size_t pos, size_t count) {
  int value = 0;
  for (size_t i = pos; i < pos + count; ++i) {
    const char c = text[i];
    if (c < '0' || c > '9') return -1;
    value = value * 10 + (c - '0');
  }
  return value;
}

}  // namespace

bool ParseRfc3339(std::string_view text, int64_t* ms_since_epoch, size_t* consumed) {
  // The fixed part, "YYYY-MM-DDTHH:MM:SS", then at least one zone byte.
  if (text.size() < 20) return false;
  if (text[4] != '-' || text[7] != '-' || text[13] != ':' || text[16] != ':') return false;
  if (text[10] != 'T' && text[10] != 't' && text[10] != ' ') return false;
  const int year = Digits(text, 0, 4);
  const int month = Digits(text, 5, 2);
  const int day = Digits(text, 8, 2);
  const int hour = Digits(text, 11, 2);
  const int minute = Digits(text, 14, 2);
  const int second = Digits(text, 17, 2);
  if (year < 0 || month < 1 || month > 12 || day < 1 || day > DaysInMonth(year, month) ||
      hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 60)
    return false;

  size_t pos = 19;
  int millis = 0;
  if (text[pos] == '.') {
    size_t digits = 0;
    for (++pos; pos < text.size() && text[pos] >= '0' && text[pos] <= '9'; ++pos, ++digits) {
      if (digits < 3) millis = millis * 10 + (text[pos] - '0');
    }
    if (digits == 0 || digits > 9) return false;
    for (; digits < 3; ++digits) millis *= 10;  // ".5" is 500 ms
  }

  if (pos >= text.size()) return false;
  int64_t zone_seconds = 0;
  const char zone = text[pos];
  if (zone == 'Z' || zone == 'z') {
    pos += 1;
  } else if (zone == '+' || zone == '-') {
    if (text.size() < pos + 6 || text[pos + 3] != ':') return false;
    const int zone_hour = Digits(text, pos + 1, 2);
    const int zone_minute = Digits(text, pos + 4, 2);
    if (zone_hour < 0 || zone_hour > 23 || zone_minute < 0 || zone_minute > 59) return false;
    zone_seconds = (zone_hour * 3600 + zone_minute * 60) * (zone == '+' ? 1 : -1);
    pos += 6;
  } else {
    return false;
  }

  // Local time minus its offset from UTC is UTC.
  const int64_t seconds =
      DaysFromCivil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second - zone_seconds;
  *ms_since_epoch = seconds * 1000 + millis;
  *consumed = pos;
  return true;
}

namespace {

// The fraction after `text[20]` (text[19] is '.'): its digits (to where the
// zone starts) and their value in milliseconds, truncated.
size_t FractionEnd(std::string_view text, int* ms) {
  size_t end = 20;
  int value = 0, digits = 0;
  while (end < text.size() && text[end] >= '0' && text[end] <= '9') {
    if (digits < 3) value = value * 10 + (text[end] - '0');
    ++digits;
    ++end;
  }
  for (; digits < 3; ++digits) value *= 10;
  *ms = value;
  return end;
}

}  // namespace

bool Rfc3339Cache::Parse(std::string_view text, int64_t* ms_since_epoch, size_t* consumed) {
  if (valid_ && text.size() > 20 && text[19] == '.' &&
      std::memcmp(text.data(), second_, sizeof(second_)) == 0) {
    int fraction = 0;
    const size_t zone = FractionEnd(text, &fraction);
    if (zone > 20 && zone <= 29 && text.size() - zone >= zone_size_ &&
        std::memcmp(text.data() + zone, zone_, zone_size_) == 0) {
      *ms_since_epoch = base_ms_ + fraction;
      *consumed = zone + zone_size_;
      return true;
    }
  }
  if (!ParseRfc3339(text, ms_since_epoch, consumed)) return false;
  // Remember the shape `date T time . fraction zone` only.
  if (*consumed > 20 && text[19] == '.') {
    int fraction = 0;
    const size_t zone = FractionEnd(text, &fraction);
    if (zone < *consumed && *consumed - zone <= sizeof(zone_)) {
      std::memcpy(second_, text.data(), sizeof(second_));
      zone_size_ = *consumed - zone;
      std::memcpy(zone_, text.data() + zone, zone_size_);
      base_ms_ = *ms_since_epoch - fraction;
      valid_ = true;
    }
  }
  return true;
}

}  // namespace errpulse
