// ISO 8601 text for tidemark's exact temporal values (DESIGN.md §4), used by the
// JSON envelope. Pure functions over the integer representations of value.proto.
//
// Conventions (the envelope's documented contract):
// - Calendar: proleptic Gregorian with astronomical year numbering, as PostgreSQL
//   stores dates: year 0 is 1 BC, year -43 is 44 BC. Years 0000..9999 print with four
//   digits; others in ISO 8601 expanded form with a sign and at least four digits:
//   "-0043-03-15", "+12345-01-01".
// - Fractional seconds: printed only when non-zero, with trailing zeros removed
//   (".5", ".123456"), as java.time's ISO formatters (and thus Debezium) do.
// - Every function is total: any int64 input gives a well-formed string.
#ifndef TIDEMARK_APPLY_FORMAT_TEMPORAL_H_
#define TIDEMARK_APPLY_FORMAT_TEMPORAL_H_

#include <cstdint>
#include <string>

#include "tidemark/v1/value.pb.h"

namespace tidemark::temporal {

// Days since 1970-01-01 → "YYYY-MM-DD".
std::string FormatDate(int64_t days);

// Micros since 1970-01-01T00:00 → "YYYY-MM-DDTHH:MM:SS[.f]", plus "Z" when `utc`
// (timestamptz instants); without it for local date-times (timestamp without zone).
std::string FormatTimestamp(int64_t micros, bool utc);

// A time of day or a MySQL TIME duration: "HH:MM:SS[.f]"; hours grow past two
// digits and negative durations get a leading '-': "-838:59:59".
std::string FormatTime(int64_t micros);

// "HH:MM:SS[.f]+05:30" (offset east of UTC; "+00:00" for UTC; seconds of offset
// printed only when non-zero: "+05:30:15").
std::string FormatTimeTz(const v1::TimeTz& t);

// ISO 8601 duration, exact: months as years and months, days, then the micros as
// hours, minutes and seconds: "P1Y2M3DT4H5M6.789S". Each non-zero component
// carries its own sign as in java.time ("P-1Y-2M3DT-4H-5M-6.789S"); zero
// components are left out; the zero interval is "PT0S".
std::string FormatInterval(const v1::Interval& iv);

}  // namespace tidemark::temporal

#endif  // TIDEMARK_APPLY_FORMAT_TEMPORAL_H_
