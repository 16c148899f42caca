// DDL for target tables of the database sinks (DESIGN.md §1 Schema): CREATE TABLE
// from a source TableSchema through the type mapping (schema/type_mapping.h), and
// ALTER TABLE ADD/DROP COLUMN for `schema_changes: apply`. Pure; thread-safe.
#ifndef TIDEMARK_SCHEMA_TARGET_DDL_H_
#define TIDEMARK_SCHEMA_TARGET_DDL_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "tidemark/v1/schema.pb.h"

namespace tidemark {

enum class TargetEngine { kPostgres, kMysql };

// "ident" with '"' doubled (PostgreSQL); `ident` with '`' doubled (MySQL).
std::string QuotePgIdent(std::string_view ident);
std::string QuoteMysqlIdent(std::string_view ident);
std::string QuoteIdent(TargetEngine engine, std::string_view ident);

// The key the sink uses to match rows of `schema`: the source's key columns,
// except under PostgreSQL REPLICA IDENTITY FULL when they are every column (PG
// capture reports the primary key under FULL when the table has one; all columns
// mean none or unknown): empty then. MySQL sources report their primary key (empty
// when the table has none).
std::vector<std::string> SourceKey(const v1::TableSchema& schema);

// CREATE TABLE `qualified` (already quoted, e.g. "public"."t" or `db`.`t`) with one
// column per source column (mapped type; NOT NULL for key columns) and PRIMARY KEY
// (`key`) when `key` is non-empty. kUnimplemented naming the column when a type
// has no mapping.
absl::StatusOr<std::string> CreateTableSql(TargetEngine engine, const v1::TableSchema& schema,
                                           const std::vector<std::string>& key,
                                           std::string_view qualified);

// ALTER TABLE `qualified` ADD COLUMN <column> <mapped type> (nullable).
absl::StatusOr<std::string> AddColumnSql(TargetEngine engine, const v1::Column& column,
                                         std::string_view qualified);
// ALTER TABLE `qualified` DROP COLUMN <name>.
std::string DropColumnSql(TargetEngine engine, std::string_view column, std::string_view qualified);

}  // namespace tidemark

#endif  // TIDEMARK_SCHEMA_TARGET_DDL_H_
