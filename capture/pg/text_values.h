// PostgreSQL text output of one value → exact v1::Value (DESIGN.md §4). Pure.
//
// The text must come from a session with exactly these settings, which the
// replication connection sets:
//   DateStyle=ISO, IntervalStyle=iso_8601, TimeZone=UTC, extra_float_digits=3,
//   bytea_output=hex, lc_monetary=C
// Mapping by ColumnType.kind (see TypeCatalog::ColumnTypeFor):
//   BOOL "t"/"f" → bool_value; INT16/32/64 → int_value (range-checked); UINT64 (oid)
//   → uint_value; FLOAT32 → float_value, FLOAT64 → double_value (NaN, ±Infinity,
//   -0 kept); DECIMAL → decimal_value exactly as printed (NaN, ±Infinity too);
//   MONEY "$1,234.56" / "-$1,234.56" → decimal_value "1234.56" / "-1234.56";
//   TEXT, INET, CIDR, MACADDR, MACADDR8 → text_value; BYTES "\x.." → bytes_value;
//   DATE → date_days; TIME → time_micros; TIMETZ → timetz; TIMESTAMP →
//   timestamp_micros; TIMESTAMPTZ → timestamptz_micros (UTC); ±infinity → infinity;
//   INTERVAL → interval; UUID → uuid (16 bytes); JSON/JSONB → json_text as printed;
//   BIT/VARBIT → bit_string; ENUM → enum_label; ARRAY (one-dimensional, lower bound 1)
//   → array of element values (NULL elements are null_value).
// Errors: kInvalidArgument "invalid <type> value "<text>": <reason>" when the text
// does not parse as the type; kFailedPrecondition for arrays tidemark does not
// represent (multi-dimensional, explicit bounds) and kinds it does not decode.
// Callers prefix the column.
#ifndef TIDEMARK_CAPTURE_PG_TEXT_VALUES_H_
#define TIDEMARK_CAPTURE_PG_TEXT_VALUES_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "tidemark/v1/schema.pb.h"
#include "tidemark/v1/value.pb.h"

namespace tidemark::pg {

absl::StatusOr<v1::Value> ParseTextValue(const v1::ColumnType& type, std::string_view text);

// Splits a one-dimensional array literal as array_out prints it ("{1,NULL,\"a b\"}")
// into its elements, unescaped; std::nullopt for a NULL element. "{}" is empty.
// kFailedPrecondition for multi-dimensional arrays and explicit bounds
// ("[0:1]={1,2}"); kInvalidArgument for anything else malformed.
absl::StatusOr<std::vector<std::optional<std::string>>> SplitArrayLiteral(
    std::string_view text);

}  // namespace tidemark::pg

#endif  // TIDEMARK_CAPTURE_PG_TEXT_VALUES_H_
