// Values in PostgreSQL's text input format (the form COPY ... FROM STDIN and
// string literals take), exactly (DESIGN.md §4). Pure; thread-safe.
//
//   bool t|f; integers and decimals as their digits ("NaN", "Infinity" kept);
//   doubles/floats shortest round-trip ("NaN", "Infinity", "-Infinity");
//   bytes "\x" + lowercase hex; dates "YYYY-MM-DD" (" BC" for year <= 0);
//   timestamps "YYYY-MM-DD HH:MM:SS.ffffff" (timestamptz with "+00": the UTC
//   instant); times "HH:MM:SS.ffffff" (durations past 24h and negative ones as
//   interval input takes them); intervals "M mons D days U microseconds";
//   uuid 8-4-4-4-12; JSON as its text; enum label; set labels joined by ',';
//   bit strings as '0'/'1'; arrays as "{...}" with every element double-quoted
//   and '"'/'\' escaped, NULL elements as NULL; geometry as bytea of SRID
//   (little-endian uint32) + WKB, MySQL's internal form; ±infinity.
// `unchanged`, NULL (the caller writes those) and MongoDB kinds are kInvalidArgument.
#ifndef TIDEMARK_APPLY_PG_PG_TEXT_H_
#define TIDEMARK_APPLY_PG_PG_TEXT_H_

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "tidemark/v1/value.pb.h"

namespace tidemark::pgsink {

// Appends the text input form of `v` to `out`.
absl::Status AppendPgText(std::string* out, const v1::Value& v);

// Appends `s` escaped for COPY text format (backslash, tab, newline, CR).
void AppendCopyEscaped(std::string* out, std::string_view s);

// Appends one COPY field: "\N" for NULL, else the escaped text form.
absl::Status AppendCopyField(std::string* out, const v1::Value& v);

// A standard-conforming SQL string literal: 'it''s'. "NULL" for a NULL value.
absl::Status AppendLiteral(std::string* out, const v1::Value& v);

}  // namespace tidemark::pgsink

#endif  // TIDEMARK_APPLY_PG_PG_TEXT_H_
