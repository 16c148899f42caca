#include "apply/format/temporal.h"

#include <fmt/format.h>

namespace tidemark::temporal {
namespace {

constexpr int64_t kMicrosPerSecond = 1'000'000;
constexpr int64_t kMicrosPerDay = 86'400 * kMicrosPerSecond;

struct Civil {
  int64_t year;
  unsigned month;
  unsigned day;
};

// Howard Hinnant's civil_from_days (http://howardhinnant.github.io/date_algorithms.html),
// valid for every int64 day count a date or timestamp value can hold.
Civil CivilFromDays(int64_t z) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const uint64_t doe = static_cast<uint64_t>(z - era * 146097);
  const uint64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const uint64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const uint64_t mp = (5 * doy + 2) / 153;
  const unsigned d = static_cast<unsigned>(doy - (153 * mp + 2) / 5 + 1);
  const unsigned m = static_cast<unsigned>(mp < 10 ? mp + 3 : mp - 9);
  const int64_t y = static_cast<int64_t>(yoe) + era * 400 + (m <= 2 ? 1 : 0);
  return {y, m, d};
}

void AppendYear(std::string* out, int64_t y) {
  if (y >= 0 && y <= 9999) {
    fmt::format_to(std::back_inserter(*out), "{:04d}", y);
  } else if (y < 0) {
    fmt::format_to(std::back_inserter(*out), "-{:04d}", -static_cast<uint64_t>(y));
  } else {
    fmt::format_to(std::back_inserter(*out), "+{:04d}", y);
  }
}

void AppendDate(std::string* out, int64_t days) {
  const Civil c = CivilFromDays(days);
  AppendYear(out, c.year);
  fmt::format_to(std::back_inserter(*out), "-{:02d}-{:02d}", c.month, c.day);
}

// ".123456" with trailing zeros trimmed, nothing for 0. `frac` < 1e6.
void AppendFraction(std::string* out, uint64_t frac) {
  if (frac == 0) return;
  std::string digits = fmt::format("{:06d}", frac);
  digits.erase(digits.find_last_not_of('0') + 1);
  out->push_back('.');
  out->append(digits);
}

// HH:MM:SS[.f] of a non-negative micros count (hours unbounded).
void AppendClock(std::string* out, uint64_t micros) {
  const uint64_t secs = micros / kMicrosPerSecond;
  fmt::format_to(std::back_inserter(*out), "{:02d}:{:02d}:{:02d}", secs / 3600, secs / 60 % 60,
                 secs % 60);
  AppendFraction(out, micros % kMicrosPerSecond);
}

uint64_t Abs(int64_t v) { return v < 0 ? 0 - static_cast<uint64_t>(v) : static_cast<uint64_t>(v); }

}  // namespace

std::string FormatDate(int64_t days) {
  std::string out;
  AppendDate(&out, days);
  return out;
}

std::string FormatTimestamp(int64_t micros, bool utc) {
  // Floor division so that instants before 1970 land on the previous day.
  int64_t days = micros / kMicrosPerDay;
  int64_t rem = micros % kMicrosPerDay;
  if (rem < 0) {
    rem += kMicrosPerDay;
    --days;
  }
  std::string out;
  AppendDate(&out, days);
  out.push_back('T');
  AppendClock(&out, static_cast<uint64_t>(rem));
  if (utc) out.push_back('Z');
  return out;
}

std::string FormatTime(int64_t micros) {
  std::string out;
  if (micros < 0) out.push_back('-');
  AppendClock(&out, Abs(micros));
  return out;
}

std::string FormatTimeTz(const v1::TimeTz& t) {
  std::string out = FormatTime(t.micros());
  const int32_t off = t.offset_seconds();
  const uint64_t a = Abs(off);
  fmt::format_to(std::back_inserter(out), "{}{:02d}:{:02d}", off < 0 ? '-' : '+', a / 3600,
                 a / 60 % 60);
  if (a % 60 != 0) fmt::format_to(std::back_inserter(out), ":{:02d}", a % 60);
  return out;
}

std::string FormatInterval(const v1::Interval& iv) {
  std::string out = "P";
  const auto component = [&](int64_t sign_source, uint64_t magnitude, char unit) {
    if (magnitude == 0) return;
    fmt::format_to(std::back_inserter(out), "{}{}{}", sign_source < 0 ? "-" : "", magnitude, unit);
  };
  const int32_t months = iv.months();
  component(months, Abs(months / 12), 'Y');
  component(months, Abs(months % 12), 'M');
  component(iv.days(), Abs(iv.days()), 'D');
  const int64_t micros = iv.micros();
  if (micros != 0) {
    out.push_back('T');
    const uint64_t a = Abs(micros);
    const uint64_t secs = a / kMicrosPerSecond;
    const uint64_t frac = a % kMicrosPerSecond;
    component(micros, secs / 3600, 'H');
    component(micros, secs / 60 % 60, 'M');
    if (secs % 60 != 0 || frac != 0) {
      if (micros < 0) out.push_back('-');
      fmt::format_to(std::back_inserter(out), "{}", secs % 60);
      AppendFraction(&out, frac);
      out.push_back('S');
    }
  }
  if (out == "P") out = "PT0S";
  return out;
}

}  // namespace tidemark::temporal
