// PgTable::Pinpoint (apply/pg/pg_table.h): which change of a rejected bulk
// statement the target refuses.
//
// A batch writes each table with a few bulk statements (COPY into staging, then
// INSERT ... SELECT / DELETE ... USING / UPDATE ... FROM), so the server's error
// names the statement, not the change. When the error is the target rejecting data
// (SQLSTATE class 22, data exception, or 23, integrity constraint violation), the
// table's folded changes are applied again one row at a time, each under a
// savepoint, in a separate transaction that is rolled back; the first one that
// fails with the same SQLSTATE is named with its key (or, unkeyed, its row) and
// journal offset. Only the error path pays for this.
#include <fmt/format.h>

#include "apply/pg/pg_exec.h"
#include "apply/pg/pg_table.h"
#include "apply/pg/pg_text.h"
#include "common/status_macros.h"
#include "common/strings.h"

namespace tidemark::pgsink {
namespace {

// At most this many single-row statements are tried.
constexpr size_t kMaxTries = 20000;

// The SQLSTATE that PgStatus (common/libpq.h) puts at the end of the message.
std::string SqlState(const absl::Status& s) {
  const std::string m(s.message());
  size_t at = m.rfind("(SQLSTATE ");
  return at == std::string::npos ? "" : m.substr(at + 10, 5);
}

}  // namespace

absl::StatusOr<std::string> PgTable::SingleRowSql(const KeyState& s) const {
  std::string key_match;
  for (size_t k = 0; k < key_index_.size(); ++k) {
    key_match += fmt::format("{}{} = ", k ? " AND " : "", names_[key_index_[k]]);
    TM_RETURN_IF_ERROR(AppendLiteral(&key_match, s.key[k]));
  }
  if (s.deleted) return fmt::format("DELETE FROM {} WHERE {}", qualified_, key_match);
  std::vector<std::string> cols, values, set;
  bool partial = false;
  for (size_t i = 0; i < names_.size(); ++i) {
    const v1::Value& v = s.row->values(static_cast<int>(i));
    if (v.has_unchanged()) {
      partial = true;
      continue;
    }
    std::string lit;
    TM_RETURN_IF_ERROR(AppendLiteral(&lit, v));
    cols.push_back(names_[i]);
    values.push_back(lit);
    if (std::find(key_index_.begin(), key_index_.end(), static_cast<int>(i)) == key_index_.end()) {
      set.push_back(fmt::format("{} = {}", names_[i], lit));
    }
  }
  auto join = [](const std::vector<std::string>& v) {
    std::string out;
    for (size_t i = 0; i < v.size(); ++i) out += (i ? ", " : "") + v[i];
    return out;
  };
  if (partial) {
    if (set.empty()) return std::string();
    return fmt::format("UPDATE {} SET {} WHERE {}", qualified_, join(set), key_match);
  }
  std::string conflict;
  for (int i : key_index_) conflict += (conflict.empty() ? "" : ", ") + names_[i];
  return fmt::format("INSERT INTO {} ({}) VALUES ({}) ON CONFLICT ({}) DO {}", qualified_, join(cols),
                     join(values), conflict, set.empty() ? "NOTHING" : "UPDATE SET " + join(set));
}

absl::Status PgTable::Pinpoint(PgConn* conn, const TableFold& fold, const absl::Status& failed,
                               uint64_t lo, uint64_t hi) const {
  const absl::Status general = RowError(failed, fold, lo, hi);
  const std::string state = SqlState(failed);
  if (!state.starts_with("22") && !state.starts_with("23")) return general;
  // The batch's transaction is aborted: try the rows in a new one, rolled back below.
  if (!Exec(conn, "ROLLBACK", "rollback").ok() || !Exec(conn, "BEGIN", "begin").ok()) return general;
  absl::Status found = general;
  bool hit = false, stop = false;
  size_t tries = 0;
  // Runs `sql` under a savepoint; true (and `found` set) when it fails like `failed`.
  auto culprit = [&](const std::string& sql, const std::string& what, uint64_t offset) {
    if (sql.empty() || stop || hit) return false;
    if (++tries > kMaxTries || !Exec(conn, "SAVEPOINT tm_pinpoint", "savepoint").ok()) {
      stop = true;
      return false;
    }
    auto r = Exec(conn, sql, fmt::format("{} {}", sql.starts_with("DELETE") ? "delete from" : "write to",
                                         qualified_));
    if (r.ok()) {
      stop = !Exec(conn, "RELEASE SAVEPOINT tm_pinpoint", "release").ok();
      return false;
    }
    stop = !Exec(conn, "ROLLBACK TO SAVEPOINT tm_pinpoint", "rollback to savepoint").ok();
    if (SqlState(r.status()) != state) return false;
    found = absl::Status(failed.code(), fmt::format("table {} (target {}), {}, journal offset {}: {}",
                                                    table_name_, qualified_, what, offset,
                                                    r.status().message()));
    return hit = true;
  };
  if (fold.truncate()) stop = !Exec(conn, fmt::format("TRUNCATE {}", qualified_), "truncate").ok();
  if (fold.keyed()) {
    // As ApplyKeyed: deletes first, then upserts.
    for (bool deletes : {true, false}) {
      for (const KeyState* s : fold.OrderedStates()) {
        if (s->deleted != deletes) continue;
        auto sql = SingleRowSql(*s);
        if (sql.ok() && culprit(*sql, "key " + KeyText(s->key), s->offset)) break;
      }
    }
  } else {
    for (const RowOp& op : fold.ops()) {
      if (op.op != v1::OP_INSERT) continue;  // updates and deletes already fail one by one
      std::string values;
      bool ok = true;
      for (int c = 0; c < op.after->values_size() && ok; ++c) {
        values += c ? ", " : "";
        ok = AppendLiteral(&values, op.after->values(c)).ok();
      }
      std::vector<v1::Value> row(op.after->values().begin(), op.after->values().end());
      std::string cols;
      for (const auto& n : names_) cols += (cols.empty() ? "" : ", ") + n;
      if (ok && culprit(fmt::format("INSERT INTO {} ({}) VALUES ({})", qualified_, cols, values),
                        "row " + KeyText(row), op.offset)) {
        break;
      }
    }
  }
  (void)Exec(conn, "ROLLBACK", "rollback");
  return found;
}

}  // namespace tidemark::pgsink
