// Whether an existing target column holds a source column's values exactly as the
// database sinks write them (schema/type_mapping.h, DESIGN.md §4): the check behind
// `tidemark check` for target tables that already exist. Pure; thread-safe.
//
// Both types are classified into a family (integer, decimal, float, text, bytes,
// date, time, timestamp, ...) with what they declare (integer width and sign,
// precision and scale, length, fractional seconds). The target holds the source
// when it is of the source's family and at least as wide wherever both declare a
// size, or of a family that holds the source's exact text form (text for decimals,
// date-times, intervals, uuids, JSON, enums, ...), or the type create_tables would
// use (mapped types always pass). Where the source declares no size (MySQL VARCHAR
// arrives without its length) the width is not judged: the target rejects a value
// too long for it when written, and the sink stops naming it.
//
// Target types tidemark does not classify (user-defined types, domains,
// extensions) pass as well, for the same reason.
#ifndef TIDEMARK_SCHEMA_TYPE_COMPAT_H_
#define TIDEMARK_SCHEMA_TYPE_COMPAT_H_

#include <string_view>

#include "absl/status/status.h"
#include "schema/target_ddl.h"
#include "tidemark/v1/schema.pb.h"

namespace tidemark {

// OK, or kFailedPrecondition saying why `target_type` cannot hold `source` (and
// the type create_tables would use). `target_type` as the target spells it:
// PostgreSQL format_type() ("numeric(12,2)", "character varying(20)", "integer[]"),
// MySQL information_schema COLUMN_TYPE ("int(11) unsigned", "varchar(255)").
absl::Status TargetTypeHolds(TargetEngine engine, const v1::ColumnType& source,
                             std::string_view target_type);

}  // namespace tidemark

#endif  // TIDEMARK_SCHEMA_TYPE_COMPAT_H_
