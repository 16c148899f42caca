// Values as MySQL/MariaDB SQL literals, exactly (DESIGN.md §4), for a session with
// sql_mode NO_BACKSLASH_ESCAPES (strings quote only '), time_zone '+00:00'. The
// target column's DATA_TYPE (information_schema, lowercase) picks the form where it
// matters. Pure; thread-safe.
//
//   NULL; bool 1|0; integers as digits; decimals as quoted digits ('NaN' is rejected
//   by a DECIMAL column, kept by a text one); doubles/floats as shortest round-trip
//   numbers, NaN/±Infinity as quoted words (a text column keeps them, DOUBLE rejects
//   them); text/enum/json quoted; set labels 'a,b'; bytes _binary'<the bytes, '
//   doubled>'; dates 'YYYY-MM-DD'
//   and date-times 'YYYY-MM-DD HH:MM:SS.ffffff' (timestamptz: the UTC instant) for
//   years 1..9999 — other years and ±infinity are kInvalidArgument unless the column
//   is text; times 'HH:MM:SS.ffffff' (durations up to ±838h); timetz, interval (ISO
//   8601), uuid as quoted text; bit strings b'0101' into BIT columns, else quoted;
//   arrays as their JSON text (apply/format/json_value.h); geometry
//   ST_GeomFromWKB(X'..', srid) into spatial columns, else X'<SRID LE><WKB>'.
// `unchanged` and MongoDB kinds are kInvalidArgument.
#ifndef TIDEMARK_APPLY_MYSQL_MYSQL_TEXT_H_
#define TIDEMARK_APPLY_MYSQL_MYSQL_TEXT_H_

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "tidemark/v1/value.pb.h"

namespace tidemark::mysqlsink {

// Appends the literal for `v` written into a column of type `data_type`.
absl::Status AppendMysqlLiteral(std::string* out, const v1::Value& v, std::string_view data_type);

// 'text' with ' doubled (NO_BACKSLASH_ESCAPES).
void AppendQuoted(std::string* out, std::string_view text);

}  // namespace tidemark::mysqlsink

#endif  // TIDEMARK_APPLY_MYSQL_MYSQL_TEXT_H_
