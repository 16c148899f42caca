// TABLE_MAP (+ what tidemark knows from outside the binlog) → column definitions for
// row decoding and the v1::TableSchema the journal carries. Pure.
//
// Column names, signedness, charsets, ENUM/SET labels and the primary key come from
// the TABLE_MAP optional metadata when the server sends it (binlog_row_metadata=FULL;
// MINIMAL sends signedness, charsets and the key but no names or labels); whatever is
// missing comes from `known` (the schema history, schema_history.h); MariaDB JSON columns
// (LONGTEXT + CHECK json_valid) are known only from there. A table whose column names
// are known from neither is an error naming the table, why, and the fix.
#ifndef TIDEMARK_CAPTURE_MYSQL_TABLE_SCHEMA_H_
#define TIDEMARK_CAPTURE_MYSQL_TABLE_SCHEMA_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "capture/mysql/binlog_event.h"
#include "capture/mysql/value_decoder.h"
#include "tidemark/v1/schema.pb.h"

namespace tidemark::mysql {

// A column as information_schema.COLUMNS describes it.
struct KnownColumn {
  std::string name;
  std::string data_type;    // "int", "varchar", "enum", "json", ...
  std::string column_type;  // "int(10) unsigned", "enum('a','b')"
  std::string charset;      // CHARACTER_SET_NAME ("" for non-character columns)
  bool is_unsigned = false;
  bool is_json = false;
  bool part_of_key = false;
  bool nullable = true;
  std::vector<std::string> labels;  // ENUM/SET, parsed from column_type
};
struct KnownTable {
  std::vector<KnownColumn> columns;
  std::string unknown;  // non-empty: the definition is not known here, and why
};

// Collation id → charset name overrides (information_schema.COLLATIONS); ids not
// listed fall back to CharsetForCollation.
using CollationMap = std::map<uint32_t, std::string>;

// `known` may be null. kFailedPrecondition when names or charsets cannot be known.
absl::StatusOr<std::vector<ColumnDef>> ColumnsFromTableMap(const TableMapEvent& tm,
                                                           const KnownTable* known,
                                                           const CollationMap& collations);

// The TableSchema (version 0: the registry assigns it) for `tm` decoded as `columns`.
v1::TableSchema SchemaFromColumns(const TableMapEvent& tm, const std::vector<ColumnDef>& columns);

// The column definition capture would decode `k` with, from its information_schema
// description alone (no table map): type code, metadata (precision and scale,
// bits, fractional seconds), signedness, charset ("binary" for binary strings),
// JSON, labels.
ColumnDef ColumnDefFromKnown(const KnownColumn& k);
// The TableSchema capture would report for `db`.`table` defined as `known` (for
// `tidemark check` of database sinks).
v1::TableSchema SchemaFromKnown(const std::string& db, const std::string& table,
                                const KnownTable& known);

// Labels of "enum('a','b''c')" / "set(...)" in declaration order.
std::vector<std::string> ParseEnumLabels(std::string_view column_type);

}  // namespace tidemark::mysql

#endif  // TIDEMARK_CAPTURE_MYSQL_TABLE_SCHEMA_H_
