// One source table version as the MySQL/MariaDB sink writes it: the target table
// (found, or created with `create_tables`), its columns and their DATA_TYPEs, the
// key, and the statements that apply a folded batch (apply/db/change_fold.h). Not
// thread-safe; valid for the connection it was resolved on.
//
// Apply of a keyed table, inside the sink's open transaction: DELETE FROM t (the
// batch truncated: TRUNCATE would commit implicitly); multi-row DELETE ... WHERE
// (k1, k2) IN (...); per group of rows with the same set of unchanged (TOAST)
// columns, multi-row INSERT ... ON DUPLICATE KEY UPDATE of the changed columns
// (for rows with unchanged columns the target must already hold every key: checked
// first, an error otherwise). Statements are cut at about 4 MiB.
// A statement the target rejects (a constraint, a value) is reported with the key
// and journal offset of the change it refuses (Pinpoint, mysql_pinpoint.cc).
// Unkeyed tables: statements in order; UPDATE/DELETE match one row with <=> on
// every column (LIMIT 1); a row not found is an error.
// Resolve() may run DDL, which MySQL commits implicitly: call it outside a transaction.
#ifndef TIDEMARK_APPLY_MYSQL_MYSQL_TABLE_H_
#define TIDEMARK_APPLY_MYSQL_MYSQL_TABLE_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "apply/db/change_fold.h"
#include "apply/db/db_sink_options.h"
#include "common/libmariadb.h"
#include "tidemark/v1/schema.pb.h"

namespace tidemark::mysqlsink {

struct TargetColumns {
  bool exists = false;
  std::vector<std::pair<std::string, std::string>> columns;  // name, DATA_TYPE
  std::vector<std::string> column_types;                     // COLUMN_TYPE, as columns
  std::vector<std::vector<std::string>> unique_keys;         // PRIMARY first
  bool has_primary_key = false;
};
absl::StatusOr<TargetColumns> DescribeTarget(MysqlConn* conn, const std::string& database,
                                             const std::string& table);

// Runs `sql`; deadlocks (1213) and lock wait timeouts (1205) become kAborted, the
// rest as MysqlStatus (common/libmariadb.h). `affected` (optional) gets the row count.
absl::Status Run(MysqlConn* conn, const std::string& sql, std::string_view what,
                 uint64_t* affected = nullptr);

class MysqlTable {
 public:
  static absl::StatusOr<std::unique_ptr<MysqlTable>> Resolve(
      MysqlConn* conn, const DbSinkOptions& options, const std::string& dsn_database,
      const v1::TableSchema& schema, const std::optional<v1::TableSchema>& previous);

  const std::vector<std::string>& key() const { return key_; }
  const std::string& qualified() const { return qualified_; }  // `db`.`table`
  absl::Status Apply(MysqlConn* conn, const TableFold& fold);

 private:
  MysqlTable() = default;
  absl::Status ApplyKeyed(MysqlConn* conn, const TableFold& fold);
  absl::Status ApplyUnkeyed(MysqlConn* conn, const TableFold& fold);
  absl::Status Literal(std::string* out, const v1::Value& v, int column, uint64_t offset,
                       const std::vector<v1::Value>* key) const;
  absl::StatusOr<std::string> KeyTuple(const KeyState& s) const;
  absl::Status Where(const absl::Status& s, uint64_t lo, uint64_t hi) const;
  // `failed` (a multi-row statement's error, server error `error_number`, for changes
  // at offsets lo..hi), naming the change the target rejects when it can be found
  // (apply/mysql/mysql_pinpoint.cc). Runs statements in the open transaction.
  absl::Status Pinpoint(MysqlConn* conn, const TableFold& fold, const absl::Status& failed,
                        unsigned error_number, uint64_t lo, uint64_t hi) const;
  // One key's final state as one statement.
  absl::StatusOr<std::string> SingleRowSql(const KeyState& s) const;

  std::string qualified_;
  std::vector<std::string> names_;   // quoted, source order
  std::vector<std::string> types_;   // target DATA_TYPE per source column
  std::vector<std::string> key_;
  std::vector<int> key_index_;
  std::string table_name_;
};

}  // namespace tidemark::mysqlsink

#endif  // TIDEMARK_APPLY_MYSQL_MYSQL_TABLE_H_
