// MysqlTable::Pinpoint (apply/mysql/mysql_table.h): which change of a rejected
// multi-row statement the target refuses.
//
// A batch writes each table with multi-row DELETE and INSERT ... ON DUPLICATE KEY
// UPDATE statements, so the server's error names the statement, not the change.
// InnoDB rolls back only the failed statement, so the table's folded changes are
// applied again one row at a time in the same transaction (each is idempotent: the
// final state of its key); the first that fails with the same error number is
// named with its key (or, unkeyed, its row) and journal offset. The sink then drops
// the connection, which rolls the transaction back. Only the error path pays.
#include <fmt/format.h>

#include <algorithm>

#include "apply/mysql/mysql_table.h"
#include "common/status_macros.h"
#include "common/strings.h"

namespace tidemark::mysqlsink {
namespace {

constexpr size_t kMaxTries = 20000;

}  // namespace

absl::StatusOr<std::string> MysqlTable::SingleRowSql(const KeyState& s) const {
  TM_ASSIGN_OR_RETURN(std::string tuple, KeyTuple(s));
  std::string key_cols;
  for (int i : key_index_) key_cols += (key_cols.empty() ? "" : ", ") + names_[i];
  if (key_index_.size() > 1) key_cols = "(" + key_cols + ")";
  if (s.deleted) return fmt::format("DELETE FROM {} WHERE {} IN ({})", qualified_, key_cols, tuple);
  std::string cols, values, set;
  for (size_t i = 0; i < names_.size(); ++i) {
    const v1::Value& v = s.row->values(static_cast<int>(i));
    if (v.has_unchanged()) continue;
    cols += (cols.empty() ? "" : ", ") + names_[i];
    if (!values.empty()) values += ", ";
    TM_RETURN_IF_ERROR(Literal(&values, v, static_cast<int>(i), s.offset, &s.key));
    if (std::find(key_index_.begin(), key_index_.end(), static_cast<int>(i)) == key_index_.end()) {
      set += fmt::format("{}{} = VALUES({})", set.empty() ? "" : ", ", names_[i], names_[i]);
    }
  }
  if (set.empty()) set = fmt::format("{0} = {0}", names_[key_index_[0]]);
  return fmt::format("INSERT INTO {} ({}) VALUES ({}) ON DUPLICATE KEY UPDATE {}", qualified_, cols,
                     values, set);
}

absl::Status MysqlTable::Pinpoint(MysqlConn* conn, const TableFold& fold, const absl::Status& failed,
                                  unsigned error_number, uint64_t lo, uint64_t hi) const {
  const absl::Status general = Where(failed, lo, hi);
  // Client errors (2000..2999: connection lost, ...) and transient ones (deadlock:
  // the transaction is gone) name no change.
  const bool client_error = error_number >= 2000 && error_number < 3000;
  if (error_number == 0 || client_error || absl::IsAborted(failed)) return general;
  size_t tries = 0;
  // Runs `sql`; the error naming the change when it fails as `failed` did.
  auto culprit = [&](const std::string& sql, const std::string& what,
                     uint64_t offset) -> std::optional<absl::Status> {
    absl::Status s = Run(conn, sql, sql.starts_with("DELETE") ? "delete" : "upsert");
    if (s.ok() || mysql_errno(conn->raw()) != error_number) return std::nullopt;
    return absl::Status(failed.code(), fmt::format("table {} (target {}), {}, journal offset {}: {}",
                                                   table_name_, qualified_, what, offset,
                                                   s.message()));
  };
  if (fold.keyed()) {
    for (bool deletes : {true, false}) {  // as ApplyKeyed: deletes first
      for (const KeyState* s : fold.OrderedStates()) {
        if (s->deleted != deletes) continue;
        if (++tries > kMaxTries) return general;
        auto sql = SingleRowSql(*s);
        if (!sql.ok()) continue;
        if (auto found = culprit(*sql, "key " + KeyText(s->key), s->offset)) return *found;
      }
    }
    return general;
  }
  for (const RowOp& op : fold.ops()) {
    if (op.op != v1::OP_INSERT) continue;  // updates and deletes already run one by one
    if (++tries > kMaxTries) return general;
    std::string values, cols;
    bool ok = true;
    for (int c = 0; c < static_cast<int>(names_.size()) && ok; ++c) {
      if (c) values += ", ";
      cols += (c ? ", " : "") + names_[c];
      ok = Literal(&values, op.after->values(c), c, op.offset, nullptr).ok();
    }
    std::vector<v1::Value> row(op.after->values().begin(), op.after->values().end());
    if (!ok) continue;
    if (auto found = culprit(fmt::format("INSERT INTO {} ({}) VALUES ({})", qualified_, cols, values),
                             "row " + KeyText(row), op.offset)) {
      return *found;
    }
  }
  return general;
}

}  // namespace tidemark::mysqlsink
