#include "capture/pg/datetime_text.h"

#include <fmt/format.h>

#include <limits>

namespace tidemark::pg {
namespace {

constexpr int64_t kMicrosPerSecond = 1000000;
constexpr int64_t kMicrosPerDay = 86400 * kMicrosPerSecond;

absl::Status Bad(std::string_view why) { return absl::InvalidArgumentError(std::string(why)); }

// A cursor over ASCII text; every method returns false instead of reading past the end.
struct Cursor {
  std::string_view s;
  size_t pos = 0;

  bool AtEnd() const { return pos >= s.size(); }
  bool Peek(char c) const { return pos < s.size() && s[pos] == c; }
  bool Eat(char c) {
    if (!Peek(c)) return false;
    ++pos;
    return true;
  }
  // Between `min` and `max` decimal digits (max <= 18); `*n` counts them.
  bool Digits(int min, int max, int64_t* v, int* n = nullptr) {
    int count = 0;
    int64_t value = 0;
    while (pos < s.size() && count < max && s[pos] >= '0' && s[pos] <= '9') {
      value = value * 10 + (s[pos] - '0');
      ++pos;
      ++count;
    }
    if (count < min || (pos < s.size() && s[pos] >= '0' && s[pos] <= '9')) return false;
    *v = value;
    if (n != nullptr) *n = count;
    return true;
  }
  // ".ffffff" (1..6 digits) as microseconds; 0 when there is no '.'.
  bool Fraction(int64_t* micros) {
    *micros = 0;
    if (!Eat('.')) return true;
    int64_t f = 0;
    int n = 0;
    if (!Digits(1, 6, &f, &n)) return false;
    for (; n < 6; ++n) f *= 10;
    *micros = f;
    return true;
  }
};

bool IsLeap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int DaysInMonth(int64_t year, int month) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return month == 2 && IsLeap(year) ? 29 : kDays[month - 1];
}

// Strips a trailing " BC" (PostgreSQL prints it after the whole value).
bool StripBc(std::string_view* text) {
  if (!text->ends_with(" BC")) return false;
  text->remove_suffix(3);
  return true;
}

// "YYYY-MM-DD" (4 or more year digits) → days since 1970-01-01.
bool ReadDate(Cursor& c, bool bc, int64_t* days) {
  int64_t y = 0, m = 0, d = 0;
  if (!c.Digits(4, 9, &y) || !c.Eat('-') || !c.Digits(2, 2, &m) || !c.Eat('-') ||
      !c.Digits(2, 2, &d)) {
    return false;
  }
  if (bc) {
    if (y == 0) return false;
    y = 1 - y;  // 1 BC is astronomical year 0
  }
  if (m < 1 || m > 12 || d < 1 || d > DaysInMonth(y, static_cast<int>(m))) return false;
  *days = DaysFromCivil(y, static_cast<int>(m), static_cast<int>(d));
  return true;
}

// "HH:MM:SS[.ffffff]" → micros since midnight; `max_hour` 24 for time, 23 for timestamps.
bool ReadTime(Cursor& c, int max_hour, int64_t* micros) {
  int64_t h = 0, m = 0, s = 0, f = 0;
  if (!c.Digits(2, 2, &h) || !c.Eat(':') || !c.Digits(2, 2, &m) || !c.Eat(':') ||
      !c.Digits(2, 2, &s) || !c.Fraction(&f)) {
    return false;
  }
  if (h > max_hour || m > 59 || s > 59) return false;
  if (h == 24 && (m != 0 || s != 0 || f != 0)) return false;
  *micros = ((h * 60 + m) * 60 + s) * kMicrosPerSecond + f;
  return true;
}

// "+HH[:MM[:SS]]" / "-HH..." → seconds east of UTC.
bool ReadOffset(Cursor& c, int32_t* seconds) {
  int sign = 0;
  if (c.Eat('+')) {
    sign = 1;
  } else if (c.Eat('-')) {
    sign = -1;
  } else {
    return false;
  }
  int64_t h = 0, m = 0, s = 0;
  if (!c.Digits(2, 2, &h)) return false;
  if (c.Eat(':')) {
    if (!c.Digits(2, 2, &m)) return false;
    if (c.Eat(':') && !c.Digits(2, 2, &s)) return false;
  }
  if (h > 15 || m > 59 || s > 59) return false;  // PostgreSQL limits offsets to ±15:59:59
  *seconds = static_cast<int32_t>(sign * (h * 3600 + m * 60 + s));
  return true;
}

bool IsInfinity(std::string_view text, v1::Value* out) {
  if (text == "infinity" || text == "-infinity") {
    out->mutable_infinity()->set_negative(text[0] == '-');
    return true;
  }
  return false;
}

}  // namespace

int64_t DaysFromCivil(int64_t y, int m, int d) {
  // Howard Hinnant's days_from_civil, valid for the whole proleptic Gregorian range.
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

absl::Status ParseDateText(std::string_view text, v1::Value* out) {
  if (IsInfinity(text, out)) return absl::OkStatus();
  bool bc = StripBc(&text);
  Cursor c{text};
  int64_t days = 0;
  if (!ReadDate(c, bc, &days) || !c.AtEnd()) return Bad("expected YYYY-MM-DD[ BC]");
  if (days < std::numeric_limits<int32_t>::min() || days > std::numeric_limits<int32_t>::max()) {
    return Bad("date out of range");
  }
  out->set_date_days(static_cast<int32_t>(days));
  return absl::OkStatus();
}

absl::Status ParseTimeText(std::string_view text, bool with_zone, v1::Value* out) {
  Cursor c{text};
  int64_t micros = 0;
  if (!ReadTime(c, 24, &micros)) return Bad("expected HH:MM:SS[.ffffff]");
  if (!with_zone) {
    if (!c.AtEnd()) return Bad("unexpected text after the time");
    out->set_time_micros(micros);
    return absl::OkStatus();
  }
  int32_t offset = 0;
  if (!ReadOffset(c, &offset) || !c.AtEnd()) return Bad("expected a zone offset like +05:30");
  out->mutable_timetz()->set_micros(micros);
  out->mutable_timetz()->set_offset_seconds(offset);
  return absl::OkStatus();
}

absl::Status ParseTimestampText(std::string_view text, bool with_zone, v1::Value* out) {
  if (IsInfinity(text, out)) return absl::OkStatus();
  bool bc = StripBc(&text);
  Cursor c{text};
  int64_t days = 0, micros = 0;
  if (!ReadDate(c, bc, &days) || !c.Eat(' ') || !ReadTime(c, 23, &micros)) {
    return Bad("expected YYYY-MM-DD HH:MM:SS[.ffffff]");
  }
  int32_t offset = 0;
  if (with_zone && !ReadOffset(c, &offset)) return Bad("expected a zone offset like +00");
  if (!c.AtEnd()) return Bad("unexpected text after the timestamp");
  // PostgreSQL counts microseconds from 2000-01-01, tidemark from 1970-01-01: the
  // last ~30 years of PostgreSQL's range (after 294247-01-10) do not fit an int64.
  int64_t local = 0;
  if (__builtin_mul_overflow(days, kMicrosPerDay, &local) ||
      __builtin_add_overflow(local, micros, &local) ||
      __builtin_sub_overflow(local, static_cast<int64_t>(offset) * kMicrosPerSecond, &local)) {
    return Bad("timestamp beyond 294247-01-10, the last instant tidemark represents");
  }
  if (with_zone) {
    out->set_timestamptz_micros(local);
  } else {
    out->set_timestamp_micros(local);
  }
  return absl::OkStatus();
}

absl::Status ParseIntervalText(std::string_view text, v1::Value* out) {
  Cursor c{text};
  if (!c.Eat('P')) return Bad("expected an ISO 8601 interval starting with P");
  int64_t months = 0, days = 0, micros = 0;
  bool time_part = false, any = false;
  while (!c.AtEnd()) {
    if (!time_part && c.Eat('T')) {
      time_part = true;
      continue;
    }
    bool negative = c.Eat('-');
    int64_t n = 0, frac = 0;
    if (!c.Digits(1, 18, &n)) return Bad("expected a number");
    if (c.Peek('.') && !c.Fraction(&frac)) return Bad("bad fraction");
    if (c.AtEnd()) return Bad("number without a unit");
    char unit = c.s[c.pos++];
    if (frac != 0 && !(time_part && unit == 'S')) return Bad("fraction outside seconds");
    int64_t scale = 0;  // multiplier into the field below
    int64_t* field = nullptr;
    if (!time_part) {
      if (unit == 'Y') field = &months, scale = 12;
      if (unit == 'M') field = &months, scale = 1;
      if (unit == 'W') field = &days, scale = 7;
      if (unit == 'D') field = &days, scale = 1;
    } else {
      if (unit == 'H') field = &micros, scale = 3600 * kMicrosPerSecond;
      if (unit == 'M') field = &micros, scale = 60 * kMicrosPerSecond;
      if (unit == 'S') field = &micros, scale = kMicrosPerSecond;
    }
    if (field == nullptr) return Bad(fmt::format("unexpected unit '{}'", unit));
    int64_t part = 0;
    if (__builtin_mul_overflow(n, scale, &part) || __builtin_add_overflow(part, frac, &part)) {
      return Bad("interval out of range");
    }
    if (negative) part = -part;
    if (__builtin_add_overflow(*field, part, field)) return Bad("interval out of range");
    any = true;
  }
  if (!any) return Bad("empty interval");
  constexpr int64_t kMin = std::numeric_limits<int32_t>::min();
  constexpr int64_t kMax = std::numeric_limits<int32_t>::max();
  if (months < kMin || months > kMax || days < kMin || days > kMax) {
    return Bad("interval months or days out of range");
  }
  v1::Interval* iv = out->mutable_interval();
  iv->set_months(static_cast<int32_t>(months));
  iv->set_days(static_cast<int32_t>(days));
  iv->set_micros(micros);
  return absl::OkStatus();
}

}  // namespace tidemark::pg
