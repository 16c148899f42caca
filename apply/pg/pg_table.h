// One source table version as the PostgreSQL sink writes it: the target table
// (found, or created with `create_tables`), its columns, the key rows are matched
// by, the session's staging table, and the statements that apply a folded batch
// (apply/db/change_fold.h). Not thread-safe; valid for the connection it was
// resolved on.
//
// Apply of a keyed table, inside the sink's open transaction:
//   TRUNCATE (when the batch truncated); one COPY of every final state into the
//   staging table (TEMP, ON COMMIT DELETE ROWS; column _tm_g: -1 delete, else the
//   upsert group); DELETE ... USING staging; per group of rows with the same set of
//   unchanged (TOAST) columns: INSERT ... SELECT ... ON CONFLICT (key) DO UPDATE SET
//   every column, or, for rows with unchanged columns, UPDATE ... FROM staging SET
//   only the changed columns (a row missing on the target is then an error: its
//   unchanged value is not in the stream).
// A bulk statement the target rejects (a constraint, a value) is reported with the
// key and journal offset of the change it refuses (Pinpoint, pg_pinpoint.cc).
// Unkeyed tables: statements in order; a run of INSERTs is one COPY into the target
// table; UPDATE/DELETE match one row on every column
// (json compared as text) via its ctid; a row not found is an error.
#ifndef TIDEMARK_APPLY_PG_PG_TABLE_H_
#define TIDEMARK_APPLY_PG_PG_TABLE_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "apply/db/change_fold.h"
#include "apply/db/db_sink_options.h"
#include "common/libpq.h"
#include "tidemark/v1/schema.pb.h"

namespace tidemark::pgsink {

// A target table's catalog entry.
struct TargetColumns {
  bool exists = false;
  std::vector<std::pair<std::string, std::string>> columns;  // name, format_type()
  std::vector<std::vector<std::string>> unique_keys;         // primary key first, if any
  bool has_primary_key = false;
};
absl::StatusOr<TargetColumns> DescribeTarget(PgConn* conn, const std::string& schema,
                                             const std::string& table);

class PgTable {
 public:
  // Resolves `schema` on the target: creates the table (create_tables) or checks it,
  // applies added/dropped columns (apply_schema_changes; `previous` is the source's
  // previous version of the table, if known), picks the key, creates the staging
  // table named tm_stage_<stage_id>. Errors: kFailedPrecondition naming the table,
  // the column and the fix; PgStatus codes for server errors.
  static absl::StatusOr<std::unique_ptr<PgTable>> Resolve(
      PgConn* conn, const DbSinkOptions& options, const v1::TableSchema& schema,
      const std::optional<v1::TableSchema>& previous, int stage_id);

  const std::vector<std::string>& key() const { return key_; }
  const std::string& qualified() const { return qualified_; }

  // Applies `fold` (built with key()) in the open transaction.
  absl::Status Apply(PgConn* conn, const TableFold& fold);

 private:
  PgTable() = default;
  absl::Status ApplyKeyed(PgConn* conn, const TableFold& fold);
  absl::Status ApplyUnkeyed(PgConn* conn, const TableFold& fold);
  absl::StatusOr<std::string> MatchRow(const v1::Row& row) const;
  absl::Status RowError(const absl::Status& s, const TableFold& fold, uint64_t first_offset,
                        uint64_t last_offset) const;
  // `failed` (a bulk statement's error for changes at offsets lo..hi), naming the
  // change the target rejects when it can be found (apply/pg/pg_pinpoint.cc). Ends
  // the connection's transaction.
  absl::Status Pinpoint(PgConn* conn, const TableFold& fold, const absl::Status& failed,
                        uint64_t lo, uint64_t hi) const;
  // One key's final state as one statement ("" when there is nothing to write).
  absl::StatusOr<std::string> SingleRowSql(const KeyState& s) const;

  std::string qualified_;              // "schema"."table"
  std::string stage_;                  // pg_temp.tm_stage_N
  std::vector<std::string> names_;     // source column names, quoted, in source order
  std::vector<bool> is_json_;          // json (no equality operator): compare as text
  std::vector<std::string> key_;       // key column names (unquoted)
  std::vector<int> key_index_;
  std::string table_name_;             // source table for messages
};

}  // namespace tidemark::pgsink

#endif  // TIDEMARK_APPLY_PG_PG_TABLE_H_
