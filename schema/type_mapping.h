// Type mapping (DESIGN.md §1 Schema): the target column type that holds a source
// column's values exactly, per target engine. Pure functions; thread-safe.
//
// The full table is in README.md ("Database sinks: type mapping"). Principles:
// - A PostgreSQL source column of a built-in type keeps its own spelling on a
//   PostgreSQL target (format_type(): "numeric(10,4)", "character(5)", "time(3)
//   without time zone"), arrays included. Enums and domains become their base
//   (enum → text) so the target needs no user types.
// - Where the target has no type holding every value exactly, the lossless text
//   form is used and documented: PG interval → MySQL VARCHAR holding the ISO 8601
//   duration; timetz, inet, cidr, macaddr → VARCHAR text; unconstrained numeric →
//   MySQL LONGTEXT (it holds any scale and NaN/±Infinity); arrays → MySQL JSON.
// - timestamptz (and MySQL TIMESTAMP) → MySQL/MariaDB DATETIME(6) holding the UTC
//   instant (the sink writes UTC; no session time zone is involved).
// - Values a target type cannot hold (a date before year 1000 or ±infinity in
//   MySQL DATE/DATETIME, NaN/±Infinity in DOUBLE or DECIMAL) are rejected by the
//   target when written: the sink stops naming the value; it never alters it.
#ifndef TIDEMARK_SCHEMA_TYPE_MAPPING_H_
#define TIDEMARK_SCHEMA_TYPE_MAPPING_H_

#include <string>

#include "absl/status/statusor.h"
#include "tidemark/v1/schema.pb.h"

namespace tidemark {

// True when the column type came from PostgreSQL capture (it carries a type oid).
inline bool IsPgSourceType(const v1::ColumnType& t) { return t.source_oid() != 0; }

// PostgreSQL DDL type for `t`. kUnimplemented naming the kind for kinds no
// PostgreSQL column can hold exactly (none today besides TYPE_UNSPECIFIED).
absl::StatusOr<std::string> PgTargetType(const v1::ColumnType& t);

// MySQL/MariaDB DDL type for `t`. `key`: the column is part of the primary key, so
// it must be indexable (VARCHAR/VARBINARY with a bounded length instead of
// LONGTEXT/LONGBLOB). Text columns use utf8mb4 with the binary collation so that
// keys differing in case or accents stay distinct.
absl::StatusOr<std::string> MysqlTargetType(const v1::ColumnType& t, bool key);

}  // namespace tidemark

#endif  // TIDEMARK_SCHEMA_TYPE_MAPPING_H_
