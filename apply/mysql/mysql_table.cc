#include "apply/mysql/mysql_table.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "apply/mysql/mysql_text.h"
#include "common/status_macros.h"
#include "common/strings.h"
#include "schema/registry.h"
#include "schema/target_ddl.h"

namespace tidemark::mysqlsink {
namespace {

constexpr size_t kMaxStatement = 4 << 20;

std::string Join(const std::vector<std::string>& v, std::string_view sep) {
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) out += (i ? std::string(sep) : "") + v[i];
  return out;
}

bool HasColumn(const TargetColumns& t, const std::string& name) {
  return std::any_of(t.columns.begin(), t.columns.end(),
                     [&](const auto& c) { return c.first == name; });
}

bool SameSet(std::vector<std::string> a, std::vector<std::string> b) {
  std::sort(a.begin(), a.end());
  std::sort(b.begin(), b.end());
  return a == b;
}

}  // namespace

absl::Status Run(MysqlConn* conn, const std::string& sql, std::string_view what,
                 uint64_t* affected) {
  absl::Status s = conn->Exec(sql, what);
  if (!s.ok()) {
    const unsigned err = mysql_errno(conn->raw());
    if (err == 1213 || err == 1205) return absl::AbortedError(s.message());
    if (err == 1153 || err == 2020) {  // ER_NET_PACKET_TOO_LARGE, CR_NET_PACKET_TOO_LARGE
      return absl::Status(s.code(), fmt::format(
          "{} (the statement is {} bytes; raise the target's max_allowed_packet, e.g. SET GLOBAL "
          "max_allowed_packet = 1073741824, the most it takes: one row with its key must fit)",
          s.message(), sql.size()));
    }
    return s;
  }
  if (affected) *affected = conn->affected_rows();
  return absl::OkStatus();
}

absl::StatusOr<TargetColumns> DescribeTarget(MysqlConn* conn, const std::string& database,
                                             const std::string& table) {
  TargetColumns out;
  std::string db = "'" + conn->Escape(database) + "'", tb = "'" + conn->Escape(table) + "'";
  TM_ASSIGN_OR_RETURN(auto cols, conn->Query(fmt::format(
      "SELECT COLUMN_NAME, LOWER(DATA_TYPE), LOWER(COLUMN_TYPE) FROM information_schema.COLUMNS "
      "WHERE TABLE_SCHEMA = {} AND TABLE_NAME = {} ORDER BY ORDINAL_POSITION", db, tb),
      fmt::format("describe target table {}.{}", database, table)));
  for (const auto& r : cols) {
    out.columns.emplace_back(r[0].value_or(""), r[1].value_or(""));
    out.column_types.push_back(r[2].value_or(""));
  }
  out.exists = !out.columns.empty();
  if (!out.exists) return out;
  TM_ASSIGN_OR_RETURN(auto keys, conn->Query(fmt::format(
      "SELECT INDEX_NAME, COLUMN_NAME FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = {} "
      "AND TABLE_NAME = {} AND NON_UNIQUE = 0 ORDER BY INDEX_NAME <> 'PRIMARY', INDEX_NAME, "
      "SEQ_IN_INDEX", db, tb),
      fmt::format("describe keys of target table {}.{}", database, table)));
  std::string current;
  for (const auto& r : keys) {
    std::string index = r[0].value_or("");
    if (index != current || out.unique_keys.empty()) {
      out.unique_keys.emplace_back();
      current = index;
      if (index == "PRIMARY") out.has_primary_key = true;
    }
    out.unique_keys.back().push_back(r[1].value_or(""));
  }
  return out;
}

absl::StatusOr<std::unique_ptr<MysqlTable>> MysqlTable::Resolve(
    MysqlConn* conn, const DbSinkOptions& options, const std::string& dsn_database,
    const v1::TableSchema& schema, const std::optional<v1::TableSchema>& previous) {
  std::unique_ptr<MysqlTable> t(new MysqlTable());
  t->table_name_ = TableKey(schema.table());
  const std::string database = TargetSchemaFor(options, schema.table(), dsn_database);
  const std::string& name = schema.table().table();
  t->qualified_ = QuoteMysqlIdent(database) + "." + QuoteMysqlIdent(name);
  const std::vector<std::string> source_key = SourceKey(schema);
  TM_ASSIGN_OR_RETURN(TargetColumns target, DescribeTarget(conn, database, name));
  if (!target.exists) {
    if (!options.create_tables) {
      return absl::FailedPreconditionError(fmt::format(
          "sink {}: target table {} (for source table {}) does not exist; create it, or set "
          "create_tables: true on the sink",
          options.name, t->qualified_, t->table_name_));
    }
    TM_ASSIGN_OR_RETURN(std::string ddl,
                        CreateTableSql(TargetEngine::kMysql, schema, source_key, t->qualified_));
    TM_RETURN_IF_ERROR(Run(conn, ddl + " ENGINE=InnoDB", fmt::format("create target table {}", t->qualified_)));
    TM_ASSIGN_OR_RETURN(target, DescribeTarget(conn, database, name));
  }
  std::vector<std::string> missing;
  for (const v1::Column& c : schema.columns()) {
    if (HasColumn(target, c.name())) continue;
    if (!options.apply_schema_changes) {
      missing.push_back(c.name());
      continue;
    }
    TM_ASSIGN_OR_RETURN(std::string ddl, AddColumnSql(TargetEngine::kMysql, c, t->qualified_));
    TM_RETURN_IF_ERROR(Run(conn, ddl, fmt::format("add column to {}", t->qualified_)));
  }
  if (!missing.empty()) {
    return absl::FailedPreconditionError(fmt::format(
        "sink {}: target table {} lacks column(s) {} of source table {}; add them to the target, "
        "or set schema_changes: apply on the sink",
        options.name, t->qualified_, Join(missing, ", "), t->table_name_));
  }
  if (options.apply_schema_changes && previous.has_value()) {
    for (const v1::Column& old : previous->columns()) {
      bool kept = std::any_of(schema.columns().begin(), schema.columns().end(),
                              [&](const v1::Column& c) { return c.name() == old.name(); });
      if (!kept && HasColumn(target, old.name())) {
        TM_RETURN_IF_ERROR(Run(conn, DropColumnSql(TargetEngine::kMysql, old.name(), t->qualified_),
                               fmt::format("drop column from {}", t->qualified_)));
      }
    }
  }
  TM_ASSIGN_OR_RETURN(target, DescribeTarget(conn, database, name));
  std::map<std::string, std::string> types(target.columns.begin(), target.columns.end());
  t->key_ = source_key;
  if (t->key_.empty() && target.has_primary_key) t->key_ = target.unique_keys[0];
  if (!t->key_.empty()) {
    if (!std::any_of(target.unique_keys.begin(), target.unique_keys.end(),
                     [&](const auto& u) { return SameSet(u, t->key_); })) {
      return absl::FailedPreconditionError(fmt::format(
          "sink {}: target table {} has no primary key or unique index on ({}), the key of source "
          "table {}; add one (ALTER TABLE {} ADD PRIMARY KEY (...))",
          options.name, t->qualified_, Join(t->key_, ", "), t->table_name_, t->qualified_));
    }
  } else if (schema.replica_identity() != v1::REPLICA_IDENTITY_FULL) {
    return absl::FailedPreconditionError(fmt::format(
        "sink {}: source table {} has no primary key and the source does not send full before "
        "images, so updates and deletes cannot be matched on the target; add a primary key, or "
        "on PostgreSQL run ALTER TABLE {} REPLICA IDENTITY FULL",
        options.name, t->table_name_, t->table_name_));
  }
  for (const v1::Column& c : schema.columns()) {
    t->names_.push_back(QuoteMysqlIdent(c.name()));
    t->types_.push_back(types[c.name()]);
  }
  for (const auto& k : t->key_) {
    for (int i = 0; i < schema.columns_size(); ++i) {
      if (schema.columns(i).name() == k) t->key_index_.push_back(i);
    }
  }
  if (t->key_index_.size() != t->key_.size()) {
    return absl::FailedPreconditionError(fmt::format(
        "sink {}: the key ({}) of target table {} includes columns the source table {} does not "
        "have", options.name, Join(t->key_, ", "), t->qualified_, t->table_name_));
  }
  return t;
}

absl::Status MysqlTable::Where(const absl::Status& s, uint64_t lo, uint64_t hi) const {
  return absl::Status(s.code(), fmt::format("table {} (target {}), changes at journal offsets "
                                            "{}..{}: {}",
                                            table_name_, qualified_, lo, hi, s.message()));
}

absl::Status MysqlTable::Literal(std::string* out, const v1::Value& v, int column, uint64_t offset,
                                 const std::vector<v1::Value>* key) const {
  absl::Status s = AppendMysqlLiteral(out, v, types_[column]);
  if (s.ok()) return s;
  return absl::InvalidArgumentError(fmt::format(
      "table {} (target {}), column {}{}, journal offset {}: {}", table_name_, qualified_,
      names_[column], key ? ", key " + KeyText(*key) : "", offset, s.message()));
}

absl::StatusOr<std::string> MysqlTable::KeyTuple(const KeyState& s) const {
  std::string out = key_index_.size() > 1 ? "(" : "";
  for (size_t i = 0; i < key_index_.size(); ++i) {
    if (i) out += ", ";
    TM_RETURN_IF_ERROR(Literal(&out, s.key[i], key_index_[i], s.offset, &s.key));
  }
  return key_index_.size() > 1 ? out + ")" : out;
}

absl::Status MysqlTable::Apply(MysqlConn* conn, const TableFold& fold) {
  if (fold.truncate()) {
    TM_RETURN_IF_ERROR(Run(conn, fmt::format("DELETE FROM {}", qualified_),
                           fmt::format("truncate {}", qualified_)));
  }
  return fold.keyed() ? ApplyKeyed(conn, fold) : ApplyUnkeyed(conn, fold);
}

absl::Status MysqlTable::ApplyKeyed(MysqlConn* conn, const TableFold& fold) {
  const int n = static_cast<int>(names_.size());
  std::string key_cols;
  for (int i : key_index_) key_cols += (key_cols.empty() ? "" : ", ") + names_[i];
  if (key_index_.size() > 1) key_cols = "(" + key_cols + ")";
  // Deletes.
  std::string sql;
  uint64_t lo = UINT64_MAX, hi = 0;
  auto flush = [&](const std::string& what) -> absl::Status {
    if (sql.empty()) return absl::OkStatus();
    absl::Status s = Run(conn, sql, what);
    sql.clear();
    return s.ok() ? s : Pinpoint(conn, fold, s, mysql_errno(conn->raw()), lo, hi);
  };
  // In key order: the target then walks its primary key in order.
  const std::vector<const KeyState*> ordered = fold.OrderedStates();
  for (const KeyState* s : ordered) {
    if (!s->deleted) continue;
    lo = std::min(lo, s->offset);
    hi = std::max(hi, s->offset);
    sql += sql.empty() ? fmt::format("DELETE FROM {} WHERE {} IN (", qualified_, key_cols) : ", ";
    TM_ASSIGN_OR_RETURN(std::string tuple, KeyTuple(*s));
    sql += tuple;
    if (sql.size() > kMaxStatement) {
      sql += ")";
      TM_RETURN_IF_ERROR(flush("delete"));
    }
  }
  if (!sql.empty()) sql += ")";
  TM_RETURN_IF_ERROR(flush("delete"));
  // Upserts, grouped by their unchanged columns.
  std::map<std::vector<bool>, std::vector<const KeyState*>> groups;
  for (const KeyState* s : ordered) {
    if (s->deleted) continue;
    std::vector<bool> unchanged(n);
    for (int i = 0; i < n; ++i) unchanged[i] = s->row->values(i).has_unchanged();
    groups[unchanged].push_back(s);
  }
  for (const auto& [unchanged, rows] : groups) {
    const bool partial = std::count(unchanged.begin(), unchanged.end(), true) > 0;
    std::vector<std::string> cols, set;
    for (int i = 0; i < n; ++i) {
      if (unchanged[i]) continue;
      cols.push_back(names_[i]);
      if (std::find(key_index_.begin(), key_index_.end(), i) == key_index_.end()) {
        set.push_back(fmt::format("{0} = VALUES({0})", names_[i]));
      }
    }
    if (set.empty()) set.push_back(fmt::format("{0} = {0}", names_[key_index_[0]]));
    if (partial) {
      // Unchanged columns keep the target's values: every key must be there.
      std::string in;
      for (const KeyState* s : rows) {
        TM_ASSIGN_OR_RETURN(std::string tuple, KeyTuple(*s));
        in += (in.empty() ? "" : ", ") + tuple;
      }
      TM_ASSIGN_OR_RETURN(auto have, conn->QueryValue(fmt::format(
          "SELECT COUNT(*) FROM {} WHERE {} IN ({})", qualified_, key_cols, in), "count keys"));
      if (have.value_or("") != std::to_string(rows.size())) {
        return absl::FailedPreconditionError(fmt::format(
            "table {} (target {}): {} updated rows with unchanged (TOAST) columns, but only {} of "
            "their keys exist on the target, so the unchanged values cannot be kept; the target "
            "has drifted from the source: resynchronise the table",
            table_name_, qualified_, rows.size(), have.value_or("?")));
      }
    }
    const std::string head = fmt::format("INSERT INTO {} ({}) VALUES ", qualified_, Join(cols, ", "));
    const std::string tail = " ON DUPLICATE KEY UPDATE " + Join(set, ", ");
    lo = UINT64_MAX;
    hi = 0;
    for (const KeyState* s : rows) {
      lo = std::min(lo, s->offset);
      hi = std::max(hi, s->offset);
      sql += sql.empty() ? head + "(" : ", (";
      bool first = true;
      for (int i = 0; i < n; ++i) {
        if (unchanged[i]) continue;
        if (!first) sql += ", ";
        first = false;
        TM_RETURN_IF_ERROR(Literal(&sql, s->row->values(i), i, s->offset, &s->key));
      }
      sql += ")";
      if (sql.size() > kMaxStatement) {
        sql += tail;
        TM_RETURN_IF_ERROR(flush("upsert"));
        lo = UINT64_MAX;
        hi = 0;
      }
    }
    if (!sql.empty()) sql += tail;
    TM_RETURN_IF_ERROR(flush("upsert"));
  }
  return absl::OkStatus();
}

absl::Status MysqlTable::ApplyUnkeyed(MysqlConn* conn, const TableFold& fold) {
  const int n = static_cast<int>(names_.size());
  const auto& ops = fold.ops();
  for (size_t i = 0; i < ops.size();) {
    const RowOp& op = ops[i];
    if (op.op == v1::OP_INSERT) {
      std::string sql = fmt::format("INSERT INTO {} ({}) VALUES ", qualified_, Join(names_, ", "));
      size_t j = i;
      for (; j < ops.size() && j - i < 1000 && ops[j].op == v1::OP_INSERT; ++j) {
        sql += j > i ? ", (" : "(";
        for (int c = 0; c < n; ++c) {
          if (c) sql += ", ";
          TM_RETURN_IF_ERROR(Literal(&sql, ops[j].after->values(c), c, ops[j].offset, nullptr));
        }
        sql += ")";
      }
      if (absl::Status s = Run(conn, sql, "insert"); !s.ok()) {
        return Pinpoint(conn, fold, s, mysql_errno(conn->raw()), op.offset, ops[j - 1].offset);
      }
      i = j;
      continue;
    }
    std::string where;
    for (int c = 0; c < n; ++c) {
      where += fmt::format("{}{} <=> ", c ? " AND " : "", names_[c]);
      TM_RETURN_IF_ERROR(Literal(&where, op.before->values(c), c, op.offset, nullptr));
    }
    std::string sql;
    if (op.op == v1::OP_DELETE) {
      sql = fmt::format("DELETE FROM {} WHERE {} LIMIT 1", qualified_, where);
    } else {
      std::string set;
      for (int c = 0; c < n; ++c) {
        set += fmt::format("{}{} = ", c ? ", " : "", names_[c]);
        TM_RETURN_IF_ERROR(Literal(&set, op.after->values(c), c, op.offset, nullptr));
      }
      sql = fmt::format("UPDATE {} SET {} WHERE {} LIMIT 1", qualified_, set, where);
    }
    uint64_t affected = 0;
    if (absl::Status s = Run(conn, sql, "full-row match", &affected); !s.ok()) {
      return Where(s, op.offset, op.offset);
    }
    if (affected != 1 && op.op == v1::OP_DELETE) {
      return Where(absl::FailedPreconditionError(
                       "no target row equals the before image (the table has no key, so rows are "
                       "matched on every column); the target has drifted: resynchronise the table"),
                   op.offset, op.offset);
    }
    ++i;
  }
  return absl::OkStatus();
}

}  // namespace tidemark::mysqlsink
