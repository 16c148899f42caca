#include "capture/mysql/schema_history.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <sstream>

#include "common/file_util.h"

namespace tidemark::mysql {
namespace {

bool SameName(const std::string& a, const std::string& b) {  // column names: case-insensitive
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

bool IsCharacterColumn(const v1::MysqlColumnDef& c) {
  static const char* kTypes[] = {"char", "varchar", "tinytext", "text", "mediumtext",
                                 "longtext", "enum", "set", "json"};
  for (const char* t : kTypes) {
    if (c.data_type() == t) return c.charset() != "binary";
  }
  return false;
}

v1::MysqlColumnDef ToDef(const KnownColumn& k) {
  v1::MysqlColumnDef d;
  d.set_name(k.name);
  d.set_data_type(k.data_type);
  d.set_column_type(k.column_type);
  d.set_charset(k.charset);
  d.set_is_unsigned(k.is_unsigned);
  d.set_is_json(k.is_json);
  d.set_part_of_key(k.part_of_key);
  d.set_nullable(k.nullable);
  for (const auto& l : k.labels) d.add_labels(l);
  return d;
}

int FindColumn(const v1::MysqlTableVersion& v, const std::string& name) {
  for (int i = 0; i < v.columns_size(); ++i) {
    if (SameName(v.columns(i).name(), name)) return i;
  }
  return -1;
}

// Splits "base.000012" into ("base", 12); suffix -1 when not numeric.
std::pair<std::string_view, int64_t> SplitFile(std::string_view f) {
  size_t dot = f.rfind('.');
  if (dot == std::string_view::npos || dot + 1 == f.size()) return {f, -1};
  int64_t n = 0;
  for (char c : f.substr(dot + 1)) {
    if (!std::isdigit(static_cast<unsigned char>(c)) || n > (INT64_MAX / 10 - 10)) return {f, -1};
    n = n * 10 + (c - '0');
  }
  return {f.substr(0, dot), n};
}

}  // namespace

int CompareBinlogPos(const BinlogPos& a, const BinlogPos& b) {
  if (a.file != b.file) {
    auto [ab, an] = SplitFile(a.file);
    auto [bb, bn] = SplitFile(b.file);
    if (ab == bb && an >= 0 && bn >= 0) return an < bn ? -1 : 1;
    return a.file < b.file ? -1 : 1;
  }
  return a.pos < b.pos ? -1 : a.pos > b.pos ? 1 : 0;
}

std::string PosText(const BinlogPos& p) { return fmt::format("{}:{}", p.file, p.pos); }

std::string HistoryKey(const std::string& db, const std::string& table) { return db + "." + table; }

KnownTable ToKnownTable(const v1::MysqlTableVersion& v) {
  KnownTable t;
  if (v.state() == v1::MysqlTableVersion::UNKNOWN) {
    t.unknown = v.reason();
    return t;
  }
  if (v.state() == v1::MysqlTableVersion::ABSENT) {
    t.unknown = fmt::format(
        "tidemark's schema history says the table does not exist at {}:{}{}", v.file(), v.pos(),
        v.ddl().empty() ? "" : fmt::format(" (after `{}`)", v.ddl()));
    return t;
  }
  for (const auto& d : v.columns()) {
    KnownColumn k;
    k.name = d.name();
    k.data_type = d.data_type();
    k.column_type = d.column_type();
    k.charset = d.charset();
    k.is_unsigned = d.is_unsigned();
    k.is_json = d.is_json();
    k.part_of_key = d.part_of_key();
    k.nullable = d.nullable();
    k.labels.assign(d.labels().begin(), d.labels().end());
    t.columns.push_back(std::move(k));
  }
  return t;
}

// --- SchemaState ---

const v1::MysqlTableVersion* SchemaState::Find(const std::string& db, const std::string& table) const {
  auto it = entries_.find(HistoryKey(db, table));
  return it == entries_.end() ? nullptr : &it->second;
}

void SchemaState::Put(v1::MysqlTableVersion v) {
  std::string key = HistoryKey(v.database(), v.table());
  entries_[key] = std::move(v);
}

std::string SchemaState::DefaultCharset(const std::string& db, const std::string& table_charset) const {
  if (!table_charset.empty()) return table_charset;
  if (const auto* d = Find(db, ""); d != nullptr && !d->charset().empty()) return d->charset();
  return server_charset_;
}

v1::MysqlTableVersion SchemaState::Unknown(const TableRef& t, std::string reason) const {
  v1::MysqlTableVersion v;
  v.set_database(t.db);
  v.set_table(t.table);
  v.set_state(v1::MysqlTableVersion::UNKNOWN);
  v.set_reason(std::move(reason));
  return v;
}

bool SchemaState::AlterColumns(const DdlStatement& stmt, v1::MysqlTableVersion* v,
                               std::string* why) const {
  auto place = [&](const AlterOp& op, v1::MysqlColumnDef def, int at_old) -> bool {
    auto* cols = v->mutable_columns();
    if (at_old >= 0 && (op.first || !op.after.empty())) {
      cols->DeleteSubrange(at_old, 1);
      at_old = -1;
    }
    if (at_old >= 0) {
      *cols->Mutable(at_old) = std::move(def);
      return true;
    }
    int idx = cols->size();
    if (op.first) {
      idx = 0;
    } else if (!op.after.empty()) {
      int a = FindColumn(*v, op.after);
      if (a < 0) {
        *why = fmt::format("AFTER names column '{}', which the table does not have", op.after);
        return false;
      }
      idx = a + 1;
    }
    cols->Add(std::move(def));
    for (int i = cols->size() - 1; i > idx; --i) cols->SwapElements(i, i - 1);
    return true;
  };
  auto resolve_charset = [&](KnownColumn c) {
    v1::MysqlColumnDef d = ToDef(c);
    if (IsCharacterColumn(d) && d.charset().empty()) d.set_charset(DefaultCharset(v->database(), v->charset()));
    return d;
  };
  for (const AlterOp& op : stmt.ops) {
    switch (op.kind) {
      case AlterOp::kAddColumn: {
        if (FindColumn(*v, op.column.name) >= 0) {
          if (op.if_exists) break;
          *why = fmt::format("ADD COLUMN '{}': the table already has it", op.column.name);
          return false;
        }
        if (!place(op, resolve_charset(op.column), -1)) return false;
        break;
      }
      case AlterOp::kDropColumn: {
        int i = FindColumn(*v, op.name);
        if (i < 0) {
          if (op.if_exists) break;
          *why = fmt::format("DROP COLUMN '{}': the table does not have it", op.name);
          return false;
        }
        v->mutable_columns()->DeleteSubrange(i, 1);
        break;
      }
      case AlterOp::kModifyColumn:
      case AlterOp::kChangeColumn: {
        int i = FindColumn(*v, op.name);
        if (i < 0) {
          if (op.if_exists) break;
          *why = fmt::format("{} COLUMN '{}': the table does not have it",
                             op.kind == AlterOp::kModifyColumn ? "MODIFY" : "CHANGE", op.name);
          return false;
        }
        v1::MysqlColumnDef d = resolve_charset(op.column);
        d.set_part_of_key(v->columns(i).part_of_key());
        if (!place(op, std::move(d), i)) return false;
        break;
      }
      case AlterOp::kRenameColumn: {
        int i = FindColumn(*v, op.name);
        if (i < 0) {
          *why = fmt::format("RENAME COLUMN '{}': the table does not have it", op.name);
          return false;
        }
        v->mutable_columns(i)->set_name(op.new_name);
        break;
      }
      case AlterOp::kAddPrimaryKey:
        for (const std::string& k : op.key_columns) {
          int i = FindColumn(*v, k);
          if (i < 0) {
            *why = fmt::format("PRIMARY KEY names column '{}', which the table does not have", k);
            return false;
          }
          v->mutable_columns(i)->set_part_of_key(true);
          v->mutable_columns(i)->set_nullable(false);
        }
        break;
      case AlterOp::kDropPrimaryKey:
        for (auto& c : *v->mutable_columns()) c.set_part_of_key(false);
        break;
      case AlterOp::kRenameTable:
        break;  // the caller moves the version
      case AlterOp::kConvertCharset:
        for (auto& c : *v->mutable_columns()) {
          if (IsCharacterColumn(c) && !c.is_json()) c.set_charset(op.charset);
        }
        v->set_charset(op.charset);
        break;
      case AlterOp::kTableCharset:
        v->set_charset(op.charset);
        break;
    }
  }
  return true;
}

std::vector<v1::MysqlTableVersion> SchemaState::Apply(const DdlStatement& stmt,
                                                      const std::string& default_db,
                                                      std::vector<TableRef>* unparsed,
                                                      std::string* why) const {
  auto full = [&](const TableRef& t) { return TableRef{t.db.empty() ? default_db : t.db, t.table}; };
  auto absent = [&](const TableRef& t) {
    v1::MysqlTableVersion v;
    v.set_database(t.db);
    v.set_table(t.table);
    v.set_state(v1::MysqlTableVersion::ABSENT);
    return v;
  };
  std::vector<v1::MysqlTableVersion> out;
  switch (stmt.kind) {
    case DdlStatement::kNone:
      return out;
    case DdlStatement::kUnparsed:
      for (const TableRef& t : stmt.tables) unparsed->push_back(full(t));
      *why = stmt.reason;
      return out;
    case DdlStatement::kCreateTable: {
      if (stmt.temporary) return out;
      TableRef t = full(stmt.table);
      const auto* cur = Find(t.db, t.table);
      bool exists = cur != nullptr && cur->state() != v1::MysqlTableVersion::ABSENT;
      if (stmt.if_not_exists && exists) return out;  // nothing was created
      v1::MysqlTableVersion v;
      v.set_database(t.db);
      v.set_table(t.table);
      v.set_state(v1::MysqlTableVersion::PRESENT);
      v.set_charset(DefaultCharset(t.db, stmt.table_charset));
      for (const KnownColumn& k : stmt.columns) {
        v1::MysqlColumnDef d = ToDef(k);
        if (IsCharacterColumn(d) && d.charset().empty()) d.set_charset(v.charset());
        *v.add_columns() = std::move(d);
      }
      out.push_back(std::move(v));
      return out;
    }
    case DdlStatement::kCreateTableLike: {
      TableRef t = full(stmt.table), from = full(stmt.like);
      const auto* cur = Find(t.db, t.table);
      bool exists = cur != nullptr && cur->state() != v1::MysqlTableVersion::ABSENT;
      if (stmt.if_not_exists && exists) return out;
      const auto* src = Find(from.db, from.table);
      if (src == nullptr || src->state() != v1::MysqlTableVersion::PRESENT) {
        out.push_back(Unknown(t, fmt::format("created LIKE {}.{}, whose definition tidemark does not know",
                                             from.db, from.table)));
        return out;
      }
      v1::MysqlTableVersion v = *src;
      v.set_database(t.db);
      v.set_table(t.table);
      out.push_back(std::move(v));
      return out;
    }
    case DdlStatement::kAlterTable: {
      TableRef t = full(stmt.table);
      const auto* cur = Find(t.db, t.table);
      v1::MysqlTableVersion v;
      if (cur == nullptr || cur->state() != v1::MysqlTableVersion::PRESENT) {
        v = cur != nullptr && cur->state() == v1::MysqlTableVersion::UNKNOWN
                ? *cur
                : Unknown(t, "altered, but tidemark never saw its definition");
      } else {
        v = *cur;
        std::string problem;
        if (!AlterColumns(stmt, &v, &problem)) {
          unparsed->push_back(t);
          *why = problem;
          return out;
        }
      }
      TableRef to = t;
      for (const AlterOp& op : stmt.ops) {
        if (op.kind == AlterOp::kRenameTable) to = full(op.to);
      }
      if (!(to == t)) {
        out.push_back(absent(t));
        v.set_database(to.db);
        v.set_table(to.table);
      }
      out.push_back(std::move(v));
      return out;
    }
    case DdlStatement::kRenameTables: {
      SchemaState after = *this;  // renames apply in order (a→tmp, b→a, tmp→b)
      for (const auto& [a0, b0] : stmt.renames) {
        TableRef a = full(a0), b = full(b0);
        const auto* cur = after.Find(a.db, a.table);
        v1::MysqlTableVersion v =
            cur != nullptr && cur->state() != v1::MysqlTableVersion::ABSENT
                ? *cur
                : Unknown(b, fmt::format("renamed from {}.{}, whose definition tidemark never saw", a.db, a.table));
        v.set_database(b.db);
        v.set_table(b.table);
        after.Put(absent(a));
        after.Put(std::move(v));
      }
      for (const auto& [a0, b0] : stmt.renames) {
        for (const TableRef& x : {full(a0), full(b0)}) {
          const auto* v = after.Find(x.db, x.table);
          bool dup = false;
          for (const auto& o : out) dup = dup || (o.database() == x.db && o.table() == x.table);
          if (!dup) out.push_back(*v);
        }
      }
      return out;
    }
    case DdlStatement::kDropTables:
      if (stmt.temporary) return out;
      for (const TableRef& t : stmt.tables) out.push_back(absent(full(t)));
      return out;
    case DdlStatement::kCreateDatabase:
    case DdlStatement::kAlterDatabase: {
      v1::MysqlTableVersion v;
      v.set_database(stmt.database.empty() ? default_db : stmt.database);
      v.set_state(v1::MysqlTableVersion::PRESENT);
      const auto* cur = Find(v.database(), "");
      if (stmt.kind == DdlStatement::kCreateDatabase && stmt.if_not_exists && cur != nullptr &&
          cur->state() == v1::MysqlTableVersion::PRESENT) {
        return out;
      }
      v.set_charset(!stmt.charset.empty()                ? stmt.charset
                    : cur != nullptr && stmt.kind == DdlStatement::kAlterDatabase ? cur->charset()
                                                                                 : server_charset_);
      out.push_back(std::move(v));
      return out;
    }
    case DdlStatement::kDropDatabase:
      for (const auto& [key, v] : entries_) {
        if (v.database() == stmt.database && v.state() != v1::MysqlTableVersion::ABSENT) {
          out.push_back(absent({v.database(), v.table()}));
        }
      }
      return out;
  }
  return out;
}

// --- SchemaHistory ---

absl::StatusOr<std::unique_ptr<SchemaHistory>> SchemaHistory::Open(std::string path) {
  std::unique_ptr<SchemaHistory> h(new SchemaHistory(std::move(path)));
  if (h->path_.empty()) return h;
  std::ifstream f(h->path_, std::ios::binary);
  if (!f) return h;
  std::stringstream ss;
  ss << f.rdbuf();
  if (!h->history_.ParseFromString(ss.str())) {
    return absl::DataLossError(fmt::format(
        "{}: the MySQL schema history is not readable (corrupt); restore it from a backup or "
        "re-create the pipeline's data_dir and start from a snapshot",
        h->path_));
  }
  return h;
}

BinlogPos SchemaHistory::First() const {
  BinlogPos first;
  for (const auto& v : history_.versions()) {
    BinlogPos p{v.file(), v.pos()};
    if (first.file.empty() || CompareBinlogPos(p, first) < 0) first = p;
  }
  return first;
}

SchemaState SchemaHistory::At(const BinlogPos& p) const {
  SchemaState s;
  s.set_server_charset(history_.server_charset());
  for (const auto& v : history_.versions()) {  // sorted: later versions replace earlier
    if (CompareBinlogPos({v.file(), v.pos()}, p) <= 0) s.Put(v);
  }
  return s;
}

bool SchemaHistory::Knows(const std::string& key) const {
  for (const auto& v : history_.versions()) {
    if (HistoryKey(v.database(), v.table()) == key) return true;
  }
  return false;
}

const v1::MysqlTableVersion* SchemaHistory::Exactly(const BinlogPos& p, const std::string& db,
                                                    const std::string& table) const {
  for (const auto& v : history_.versions()) {
    if (v.file() == p.file && v.pos() == p.pos && v.database() == db && v.table() == table) return &v;
  }
  return nullptr;
}

absl::Status SchemaHistory::Record(const std::vector<v1::MysqlTableVersion>& versions) {
  if (versions.empty()) return absl::OkStatus();
  auto* all = history_.mutable_versions();
  for (const auto& v : versions) {
    bool replaced = false;
    for (auto& o : *all) {
      if (o.file() == v.file() && o.pos() == v.pos() && o.database() == v.database() &&
          o.table() == v.table()) {
        o = v;
        replaced = true;
      }
    }
    if (!replaced) *all->Add() = v;
  }
  std::stable_sort(all->begin(), all->end(), [](const auto& a, const auto& b) {
    return CompareBinlogPos({a.file(), a.pos()}, {b.file(), b.pos()}) < 0;
  });
  if (path_.empty()) return absl::OkStatus();
  return WriteFileAtomically(path_, history_.SerializeAsString());
}

}  // namespace tidemark::mysql
