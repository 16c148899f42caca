#include "apply/pg/pg_table.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>

#include "apply/pg/pg_exec.h"
#include "apply/pg/pg_text.h"
#include "common/json_writer.h"
#include "common/status_macros.h"
#include "common/strings.h"
#include "schema/registry.h"
#include "schema/target_ddl.h"

namespace tidemark::pgsink {
namespace {

constexpr char kSep = '\x01';

std::vector<std::string> SplitSep(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    size_t at = s.find(kSep, start);
    out.push_back(s.substr(start, at == std::string::npos ? std::string::npos : at - start));
    if (at == std::string::npos) break;
    start = at + 1;
  }
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

// The 1-based data line a failed COPY names in its CONTEXT ("COPY t, line 3, column c: ..."),
// or 0.
size_t CopyErrorLine(const absl::Status& s) {
  const std::string_view msg(s.message().data(), s.message().size());
  const size_t at = msg.find(", line ");
  if (at == std::string_view::npos) return 0;
  return std::strtoull(std::string(msg.substr(at + 7, 20)).c_str(), nullptr, 10);
}

std::string Join(const std::vector<std::string>& v, std::string_view sep) {
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) out += (i ? std::string(sep) : "") + v[i];
  return out;
}

}  // namespace

absl::StatusOr<TargetColumns> DescribeTarget(PgConn* conn, const std::string& schema,
                                             const std::string& table) {
  TargetColumns out;
  const std::string rel = conn->QuoteLiteral(QuotePgIdent(schema) + "." + QuotePgIdent(table));
  TM_ASSIGN_OR_RETURN(PgResult cols,
                      Exec(conn,
                           fmt::format("SELECT a.attname, format_type(a.atttypid, a.atttypmod) "
                                       "FROM pg_attribute a WHERE a.attrelid = to_regclass({}) "
                                       "AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum",
                                       rel),
                           fmt::format("describe target table {}.{}", schema, table)));
  for (int i = 0; i < PQntuples(cols.get()); ++i) {
    out.columns.emplace_back(PgValue(cols, i, 0), PgValue(cols, i, 1));
  }
  out.exists = !out.columns.empty();
  if (!out.exists) return out;
  TM_ASSIGN_OR_RETURN(
      PgResult keys,
      Exec(conn,
           fmt::format("SELECT i.indisprimary, (SELECT string_agg(a.attname, E'\\x01' ORDER BY "
                       "k.ord) FROM unnest(i.indkey::int2[]) WITH ORDINALITY k(attnum, ord) JOIN "
                       "pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum) FROM "
                       "pg_index i WHERE i.indrelid = to_regclass({}) AND i.indisunique AND "
                       "i.indpred IS NULL AND i.indexprs IS NULL ORDER BY i.indisprimary DESC",
                       rel),
           fmt::format("describe keys of target table {}.{}", schema, table)));
  for (int i = 0; i < PQntuples(keys.get()); ++i) {
    if (PgValue(keys, i, 0) == "t") out.has_primary_key = true;
    out.unique_keys.push_back(SplitSep(PgValue(keys, i, 1)));
  }
  return out;
}

absl::StatusOr<std::unique_ptr<PgTable>> PgTable::Resolve(
    PgConn* conn, const DbSinkOptions& options, const v1::TableSchema& schema,
    const std::optional<v1::TableSchema>& previous, int stage_id) {
  std::unique_ptr<PgTable> t(new PgTable());
  t->table_name_ = TableKey(schema.table());
  const std::string target_schema = TargetSchemaFor(options, schema.table(), "");
  const std::string& name = schema.table().table();
  t->qualified_ = QuotePgIdent(target_schema) + "." + QuotePgIdent(name);
  const std::vector<std::string> source_key = SourceKey(schema);
  TM_ASSIGN_OR_RETURN(TargetColumns target, DescribeTarget(conn, target_schema, name));
  if (!target.exists) {
    if (!options.create_tables) {
      return absl::FailedPreconditionError(fmt::format(
          "sink {}: target table {} (for source table {}) does not exist; create it, or set "
          "create_tables: true on the sink",
          options.name, t->qualified_, t->table_name_));
    }
    TM_RETURN_IF_ERROR(Exec(conn, fmt::format("CREATE SCHEMA IF NOT EXISTS {}",
                                              QuotePgIdent(target_schema)),
                            "create target schema").status());
    TM_ASSIGN_OR_RETURN(std::string ddl, CreateTableSql(TargetEngine::kPostgres, schema,
                                                        source_key, t->qualified_));
    TM_RETURN_IF_ERROR(Exec(conn, ddl, fmt::format("create target table {}", t->qualified_)).status());
    TM_ASSIGN_OR_RETURN(target, DescribeTarget(conn, target_schema, name));
  }
  // Columns the target lacks, and columns the source dropped.
  std::vector<std::string> missing;
  for (const v1::Column& c : schema.columns()) {
    if (HasColumn(target, c.name())) continue;
    if (!options.apply_schema_changes) {
      missing.push_back(c.name());
      continue;
    }
    TM_ASSIGN_OR_RETURN(std::string ddl, AddColumnSql(TargetEngine::kPostgres, c, t->qualified_));
    TM_RETURN_IF_ERROR(Exec(conn, ddl, fmt::format("add column to {}", t->qualified_)).status());
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
        TM_RETURN_IF_ERROR(Exec(conn, DropColumnSql(TargetEngine::kPostgres, old.name(),
                                                    t->qualified_),
                                fmt::format("drop column from {}", t->qualified_)).status());
      }
    }
  }
  TM_ASSIGN_OR_RETURN(target, DescribeTarget(conn, target_schema, name));
  std::map<std::string, std::string> types(target.columns.begin(), target.columns.end());

  // The key: the source's, else the target's primary key when the source cannot say
  // (PostgreSQL REPLICA IDENTITY FULL).
  t->key_ = source_key;
  if (t->key_.empty() && target.has_primary_key) {
    bool all_known = true;
    for (const auto& k : target.unique_keys[0]) {
      all_known &= std::any_of(schema.columns().begin(), schema.columns().end(),
                               [&](const v1::Column& c) { return c.name() == k; });
    }
    if (all_known) t->key_ = target.unique_keys[0];
  }
  if (!t->key_.empty()) {
    bool indexed = std::any_of(target.unique_keys.begin(), target.unique_keys.end(),
                               [&](const auto& u) { return SameSet(u, t->key_); });
    if (!indexed) {
      std::vector<std::string> quoted;
      for (const auto& k : t->key_) quoted.push_back(QuotePgIdent(k));
      return absl::FailedPreconditionError(fmt::format(
          "sink {}: target table {} has no primary key or unique index on ({}), the key of source "
          "table {}; add one: ALTER TABLE {} ADD PRIMARY KEY ({})",
          options.name, t->qualified_, Join(t->key_, ", "), t->table_name_, t->qualified_,
          Join(quoted, ", ")));
    }
  } else if (schema.replica_identity() != v1::REPLICA_IDENTITY_FULL) {
    return absl::FailedPreconditionError(fmt::format(
        "sink {}: source table {} has no primary key and the source does not send full before "
        "images, so updates and deletes cannot be matched on the target; add a primary key, or "
        "on PostgreSQL run ALTER TABLE {} REPLICA IDENTITY FULL (MySQL/MariaDB: "
        "binlog_row_image=FULL)",
        options.name, t->table_name_, t->table_name_));
  }
  std::string stage_cols;
  for (int i = 0; i < schema.columns_size(); ++i) {
    const v1::Column& c = schema.columns(i);
    t->names_.push_back(QuotePgIdent(c.name()));
    const std::string& type = types[c.name()];
    t->is_json_.push_back(type == "json");
    stage_cols += fmt::format("{} {}, ", t->names_.back(), type);
    if (std::find(t->key_.begin(), t->key_.end(), c.name()) != t->key_.end()) {
      t->key_index_.push_back(i);
    }
  }
  // key_index_ in key order.
  t->key_index_.clear();
  for (const auto& k : t->key_) {
    for (int i = 0; i < schema.columns_size(); ++i) {
      if (schema.columns(i).name() == k) t->key_index_.push_back(i);
    }
  }
  t->stage_ = fmt::format("pg_temp.tm_stage_{}", stage_id);
  TM_RETURN_IF_ERROR(Exec(conn,
                          fmt::format("DROP TABLE IF EXISTS {0}; CREATE TEMP TABLE tm_stage_{1} "
                                      "({2}_tm_g int) ON COMMIT DELETE ROWS",
                                      t->stage_, stage_id, stage_cols),
                          fmt::format("create staging table for {}", t->qualified_))
                         .status());
  return t;
}

absl::Status PgTable::Apply(PgConn* conn, const TableFold& fold) {
  if (fold.truncate()) {
    TM_RETURN_IF_ERROR(Exec(conn, fmt::format("TRUNCATE {}", qualified_),
                            fmt::format("truncate {}", qualified_)).status());
  }
  return fold.keyed() ? ApplyKeyed(conn, fold) : ApplyUnkeyed(conn, fold);
}

absl::Status PgTable::RowError(const absl::Status& s, const TableFold& fold, uint64_t first_offset,
                               uint64_t last_offset) const {
  (void)fold;
  return absl::Status(s.code(), fmt::format("table {} (target {}), changes at journal offsets "
                                            "{}..{}: {}",
                                            table_name_, qualified_, first_offset, last_offset,
                                            s.message()));
}

absl::Status PgTable::ApplyKeyed(PgConn* conn, const TableFold& fold) {
  if (fold.states().empty()) return absl::OkStatus();
  const int n = static_cast<int>(names_.size());
  // Groups of upserts by their set of unchanged columns.
  std::map<std::vector<bool>, int> groups;
  std::vector<const KeyState*> rows;  // in COPY line order
  std::vector<size_t> group_sizes;
  bool any_delete = false;
  uint64_t lo = UINT64_MAX, hi = 0;
  std::vector<bool> row_unchanged(n);
  std::vector<bool> last_unchanged;  // the previous upsert's set, and its group
  int last_group = -1;
  rows.reserve(fold.states().size());
  std::string data;
  data.reserve(fold.states().size() * 64);
  // One pass over the rows, in key order (the target's statements then walk its key
  // index in order): each row's values are read once, as they are written.
  for (const KeyState* s : fold.OrderedStates()) {
    lo = std::min(lo, s->offset);
    hi = std::max(hi, s->offset);
    rows.push_back(s);
    for (int i = 0; i < n; ++i) {
      const v1::Value* v = nullptr;
      if (s->deleted) {
        auto pos = std::find(key_index_.begin(), key_index_.end(), i);
        if (pos != key_index_.end()) v = &s->key[pos - key_index_.begin()];
      } else {
        const v1::Value& value = s->row->values(i);
        row_unchanged[i] = value.has_unchanged();
        if (!row_unchanged[i]) v = &value;
      }
      if (v == nullptr) {
        data += "\\N";
      } else if (absl::Status st = AppendCopyField(&data, *v); !st.ok()) {
        return absl::InvalidArgumentError(fmt::format(
            "table {}, column {}, key {}, journal offset {}: {}", table_name_, names_[i],
            KeyText(s->key), s->offset, st.message()));
      }
      data += '\t';
    }
    int g = -1;
    if (s->deleted) {
      any_delete = true;
    } else if (last_group >= 0 && row_unchanged == last_unchanged) {
      g = last_group;
    } else {
      auto [it, added] = groups.try_emplace(row_unchanged, static_cast<int>(groups.size()));
      if (added) group_sizes.push_back(0);
      g = last_group = it->second;
      last_unchanged = row_unchanged;
    }
    if (g >= 0) ++group_sizes[g];
    json::AppendInt(&data, g);
    data += '\n';
  }
  const std::string cols = Join(names_, ", ");
  absl::Status copied = CopyIn(conn, fmt::format("COPY {} ({}, _tm_g) FROM STDIN", stage_, cols),
                               data, fmt::format("COPY into staging for {}", qualified_));
  if (!copied.ok()) {
    // The CONTEXT names the line: say which key and journal offset it was.
    const size_t l = CopyErrorLine(copied);
    if (l >= 1 && l <= rows.size()) {
      const KeyState* s = rows[l - 1];
      return absl::Status(copied.code(), fmt::format("table {} (target {}), key {}, journal "
                                                     "offset {}: {}",
                                                     table_name_, qualified_, KeyText(s->key),
                                                     s->offset, copied.message()));
    }
    return RowError(copied, fold, lo, hi);
  }
  std::string key_match;
  for (int i : key_index_) {
    key_match += fmt::format("{}t.{} = s.{}", key_match.empty() ? "" : " AND ", names_[i], names_[i]);
  }
  if (any_delete) {
    auto r = Exec(conn, fmt::format("DELETE FROM {} t USING {} s WHERE s._tm_g = -1 AND {}",
                                    qualified_, stage_, key_match),
                  fmt::format("delete from {}", qualified_));
    if (!r.ok()) return Pinpoint(conn, fold, r.status(), lo, hi);
  }
  std::string conflict;
  for (int i : key_index_) conflict += (conflict.empty() ? "" : ", ") + names_[i];
  for (const auto& [unchanged, g] : groups) {
    std::string set;
    std::vector<std::string> changed;
    for (int i = 0; i < n; ++i) {
      if (unchanged[i]) continue;
      changed.push_back(names_[i]);
      if (std::find(key_index_.begin(), key_index_.end(), i) != key_index_.end()) continue;
      set += fmt::format("{}{} = {}.{}", set.empty() ? "" : ", ", names_[i],
                         std::count(unchanged.begin(), unchanged.end(), true) ? "s" : "EXCLUDED",
                         names_[i]);
    }
    const bool partial = std::count(unchanged.begin(), unchanged.end(), true) > 0;
    if (!partial) {
      std::string sql = fmt::format("INSERT INTO {} ({}) SELECT {} FROM {} WHERE _tm_g = {} ON "
                                    "CONFLICT ({}) DO {}",
                                    qualified_, cols, cols, stage_, g, conflict,
                                    set.empty() ? "NOTHING" : "UPDATE SET " + set);
      auto r = Exec(conn, sql, fmt::format("upsert into {}", qualified_));
      if (!r.ok()) return Pinpoint(conn, fold, r.status(), lo, hi);
      continue;
    }
    if (set.empty()) continue;  // only key columns changed... and they match: nothing to do
    auto r = Exec(conn, fmt::format("UPDATE {} t SET {} FROM {} s WHERE s._tm_g = {} AND {}",
                                    qualified_, set, stage_, g, key_match),
                  fmt::format("update (unchanged TOAST columns kept) {}", qualified_));
    if (!r.ok()) return Pinpoint(conn, fold, r.status(), lo, hi);
    if (Affected(*r) != group_sizes[g]) {
      return absl::FailedPreconditionError(fmt::format(
          "table {} (target {}), journal offsets {}..{}: {} of {} updated rows with unchanged "
          "(TOAST) columns are missing on the target, so their unchanged values cannot be kept; "
          "the target has drifted from the source: resynchronise the table",
          table_name_, qualified_, lo, hi, group_sizes[g] - Affected(*r), group_sizes[g]));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> PgTable::MatchRow(const v1::Row& row) const {
  std::string where;
  for (size_t i = 0; i < names_.size(); ++i) {
    std::string lit;
    TM_RETURN_IF_ERROR(AppendLiteral(&lit, row.values(static_cast<int>(i))));
    where += fmt::format("{}{}{} IS NOT DISTINCT FROM {}", where.empty() ? "" : " AND ", names_[i],
                         is_json_[i] ? "::text" : "", lit);
  }
  return where;
}

absl::Status PgTable::ApplyUnkeyed(PgConn* conn, const TableFold& fold) {
  const auto& ops = fold.ops();
  const std::string cols = Join(names_, ", ");
  for (size_t i = 0; i < ops.size();) {
    const RowOp& op = ops[i];
    auto fail = [&](const absl::Status& s) { return RowError(s, fold, op.offset, op.offset); };
    if (op.op == v1::OP_INSERT) {
      // A run of inserts: one COPY straight into the target (no staging: nothing to match).
      size_t j = i;
      std::string data;
      for (; j < ops.size() && ops[j].op == v1::OP_INSERT; ++j) {
        for (size_t c = 0; c < names_.size(); ++c) {
          if (c) data += '\t';
          if (absl::Status s = AppendCopyField(&data, ops[j].after->values(static_cast<int>(c)));
              !s.ok()) {
            return RowError(absl::InvalidArgumentError(fmt::format("column {}: {}", names_[c],
                                                                   s.message())),
                            fold, ops[j].offset, ops[j].offset);
          }
        }
        data += '\n';
      }
      absl::Status copied = CopyIn(conn, fmt::format("COPY {} ({}) FROM STDIN", qualified_, cols),
                                   data, fmt::format("COPY into {}", qualified_));
      if (!copied.ok()) return Pinpoint(conn, fold, copied, op.offset, ops[j - 1].offset);
      i = j;
      continue;
    }
    auto where = MatchRow(*op.before);
    if (!where.ok()) return fail(where.status());
    std::string target = fmt::format("ctid = (SELECT ctid FROM {} WHERE {} LIMIT 1)", qualified_, *where);
    std::string sql;
    if (op.op == v1::OP_DELETE) {
      sql = fmt::format("DELETE FROM {} WHERE {}", qualified_, target);
    } else {
      std::string set;
      for (size_t c = 0; c < names_.size(); ++c) {
        set += fmt::format("{}{} = ", c ? ", " : "", names_[c]);
        if (absl::Status s = AppendLiteral(&set, op.after->values(static_cast<int>(c))); !s.ok()) {
          return fail(s);
        }
      }
      sql = fmt::format("UPDATE {} SET {} WHERE {}", qualified_, set, target);
    }
    auto r = Exec(conn, sql, fmt::format("full-row match on {}", qualified_));
    if (!r.ok()) return fail(r.status());
    if (Affected(*r) != 1) {
      return fail(absl::FailedPreconditionError(
          "no target row equals the before image (the table has no key, so rows are matched on "
          "every column); the target has drifted from the source: resynchronise the table"));
    }
    ++i;
  }
  return absl::OkStatus();
}

}  // namespace tidemark::pgsink
