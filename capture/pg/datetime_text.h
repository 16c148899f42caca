// PostgreSQL date/time text output → exact v1::Value fields. Pure.
// Assumes the replication session's settings: DateStyle=ISO, IntervalStyle=iso_8601
// (any printed zone offset is honoured, so TimeZone only changes the offsets printed).
// Every function returns kInvalidArgument with a short reason when the text does not
// have the expected shape; callers add the column and type.
#ifndef TIDEMARK_CAPTURE_PG_DATETIME_TEXT_H_
#define TIDEMARK_CAPTURE_PG_DATETIME_TEXT_H_

#include <cstdint>
#include <string_view>

#include "absl/status/status.h"
#include "tidemark/v1/value.pb.h"

namespace tidemark::pg {

// Days since 1970-01-01 in the proleptic Gregorian calendar; `year` is astronomical
// (1 BC is year 0, 2 BC is -1). No validation.
int64_t DaysFromCivil(int64_t year, int month, int day);

// "2024-02-29", "0044-03-15 BC", "infinity", "-infinity" → date_days or infinity.
absl::Status ParseDateText(std::string_view text, v1::Value* out);
// "13:45:00.25" → time_micros (24:00:00 allowed); with_zone: "13:45:00+05:30" → timetz.
absl::Status ParseTimeText(std::string_view text, bool with_zone, v1::Value* out);
// "2024-01-02 03:04:05.000006[ BC]" → timestamp_micros; with_zone also needs an offset
// ("...+00", "...-08:00", "...+05:30:15") and gives the UTC instant timestamptz_micros.
// "infinity" / "-infinity" → infinity. Times after 294247-01-10T04:00:54.775807 do not
// fit int64 Unix microseconds: kInvalidArgument (PostgreSQL allows up to 294276 AD).
absl::Status ParseTimestampText(std::string_view text, bool with_zone, v1::Value* out);
// ISO 8601 interval as IntervalStyle=iso_8601 prints it: "P1Y2M3DT4H5M6.789S",
// "P-1Y-2M3DT-4H-5M-6.789S", "PT0S" → interval{months, days, micros}.
absl::Status ParseIntervalText(std::string_view text, v1::Value* out);

}  // namespace tidemark::pg

#endif  // TIDEMARK_CAPTURE_PG_DATETIME_TEXT_H_
