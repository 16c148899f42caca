#include "capture/mysql/table_schema.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>

#include "capture/mysql/column_type.h"
#include "common/status_macros.h"

namespace tidemark::mysql {
namespace {

v1::TypeKind Kind(const ColumnDef& c) {
  switch (c.real_type) {
    case MYSQL_TYPE_TINY: case MYSQL_TYPE_SHORT:
      return c.is_unsigned ? v1::TYPE_UINT64 : v1::TYPE_INT16;
    case MYSQL_TYPE_INT24: case MYSQL_TYPE_LONG:
      return c.is_unsigned ? v1::TYPE_UINT64 : v1::TYPE_INT32;
    case MYSQL_TYPE_LONGLONG:
      return c.is_unsigned ? v1::TYPE_UINT64 : v1::TYPE_INT64;
    case MYSQL_TYPE_FLOAT: return v1::TYPE_FLOAT32;
    case MYSQL_TYPE_DOUBLE: return v1::TYPE_FLOAT64;
    case MYSQL_TYPE_NEWDECIMAL: return v1::TYPE_DECIMAL;
    case MYSQL_TYPE_YEAR: return v1::TYPE_YEAR;
    case MYSQL_TYPE_BIT: return v1::TYPE_BIT;
    case MYSQL_TYPE_DATE: case MYSQL_TYPE_NEWDATE: return v1::TYPE_DATE;
    case MYSQL_TYPE_TIME: case MYSQL_TYPE_TIME2: return v1::TYPE_TIME;
    case MYSQL_TYPE_DATETIME: case MYSQL_TYPE_DATETIME2: return v1::TYPE_TIMESTAMP;
    case MYSQL_TYPE_TIMESTAMP: case MYSQL_TYPE_TIMESTAMP2: return v1::TYPE_TIMESTAMPTZ;
    case MYSQL_TYPE_ENUM: return v1::TYPE_ENUM;
    case MYSQL_TYPE_SET: return v1::TYPE_SET;
    case MYSQL_TYPE_JSON: return v1::TYPE_JSON;
    case MYSQL_TYPE_GEOMETRY: return v1::TYPE_GEOMETRY;
    default:
      if (c.is_json) return v1::TYPE_JSON;
      return c.charset == "binary" ? v1::TYPE_BYTES : v1::TYPE_TEXT;
  }
}

std::string SourceType(const ColumnDef& c) {
  std::string t;
  switch (c.real_type) {
    case MYSQL_TYPE_NEWDECIMAL: t = fmt::format("decimal({},{})", c.meta >> 8, c.meta & 0xff); break;
    case MYSQL_TYPE_BIT: t = fmt::format("bit({})", (c.meta >> 8) * 8 + (c.meta & 0xff)); break;
    case MYSQL_TYPE_TIME2: case MYSQL_TYPE_DATETIME2: case MYSQL_TYPE_TIMESTAMP2: {
      std::string n = TypeName(c.real_type);
      for (char& ch : n) ch = static_cast<char>(std::tolower(ch));
      t = c.meta ? fmt::format("{}({})", n, c.meta) : n;
      break;
    }
    default: {
      t = c.is_json ? "json" : TypeName(c.real_type);
      for (char& ch : t) ch = static_cast<char>(std::tolower(ch));
      if (c.real_type == MYSQL_TYPE_VARCHAR || c.real_type == MYSQL_TYPE_STRING) {
        if (c.charset == "binary") t = c.real_type == MYSQL_TYPE_VARCHAR ? "varbinary" : "binary";
      }
    }
  }
  if (c.is_unsigned) t += " unsigned";
  return t;
}

bool SameColumnName(const std::string& a, const std::string& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

}  // namespace

std::vector<std::string> ParseEnumLabels(std::string_view ct) {
  std::vector<std::string> out;
  size_t i = ct.find('(');
  if (i == std::string_view::npos) return out;
  ++i;
  while (i < ct.size()) {
    if (ct[i] != '\'') break;
    ++i;
    std::string label;
    while (i < ct.size()) {
      if (ct[i] == '\'' && i + 1 < ct.size() && ct[i + 1] == '\'') {
        label.push_back('\'');
        i += 2;
      } else if (ct[i] == '\'') {
        ++i;
        break;
      } else if (ct[i] == '\\' && i + 1 < ct.size()) {
        label.push_back(ct[i + 1]);
        i += 2;
      } else {
        label.push_back(ct[i++]);
      }
    }
    out.push_back(std::move(label));
    if (i < ct.size() && ct[i] == ',') ++i;
  }
  return out;
}

absl::StatusOr<std::vector<ColumnDef>> ColumnsFromTableMap(const TableMapEvent& tm,
                                                           const KnownTable* known,
                                                           const CollationMap& collations) {
  const size_t n = tm.column_types.size();
  std::string table = fmt::format("{}.{}", tm.database, tm.table);
  if (known != nullptr && !known->unknown.empty()) {
    if (tm.column_names.empty()) {
      return absl::FailedPreconditionError(fmt::format(
          "table {}: schema unknown: the table map carries no column names (binlog_row_metadata "
          "is not FULL) and {}; set binlog_row_metadata=FULL on the server (SET GLOBAL "
          "binlog_row_metadata=FULL) before the rows to capture are written, or start from a "
          "position after the table's last DDL",
          table, known->unknown));
    }
    known = nullptr;
  }
  if (known != nullptr && known->columns.size() != n) {
    if (tm.column_names.empty()) {
      return absl::FailedPreconditionError(fmt::format(
          "table {}: the binlog row has {} columns but tidemark's schema history has {}; the "
          "history does not match this position (set binlog_row_metadata=FULL, or restart from "
          "a snapshot)",
          table, n, known->columns.size()));
    }
    known = nullptr;  // names come from the metadata; the history is stale for this table
  }
  if (known != nullptr && !tm.column_names.empty()) {
    for (size_t i = 0; i < n; ++i) {  // the history is for another shape of the table
      if (!SameColumnName(tm.column_names[i], known->columns[i].name)) known = nullptr;
      if (known == nullptr) break;
    }
  }
  if (tm.column_names.empty() && known == nullptr) {
    return absl::FailedPreconditionError(fmt::format(
        "table {}: schema unknown: the table map carries no column names "
        "(binlog_row_metadata is not FULL) and tidemark has no schema history for the table; "
        "set binlog_row_metadata=FULL on the server (SET GLOBAL binlog_row_metadata=FULL)",
        table));
  }
  auto charset_of = [&](uint32_t coll) {
    auto it = collations.find(coll);
    return it != collations.end() ? it->second : CharsetForCollation(coll);
  };
  std::vector<ColumnDef> cols(n);
  size_t numeric = 0, character = 0, enums = 0, sets = 0;
  for (size_t i = 0; i < n; ++i) {
    ColumnDef& c = cols[i];
    const KnownColumn* k = known ? &known->columns[i] : nullptr;
    c.type = tm.column_types[i];
    c.meta = tm.column_meta[i];
    c.real_type = RealType(c.type, c.meta);
    c.name = !tm.column_names.empty() ? tm.column_names[i] : k->name;
    c.nullable = i < tm.nullable.size() ? tm.nullable[i] : true;
    if (IsNumericType(c.real_type)) {
      if (tm.has_signedness && numeric < tm.signedness.size()) {
        c.is_unsigned = tm.signedness[numeric];
      } else if (k) {
        c.is_unsigned = k->is_unsigned;
      }
      ++numeric;
    }
    if (IsCharacterType(c.real_type)) {
      if (character < tm.column_charsets.size()) {
        uint32_t coll = tm.column_charsets[character];
        c.charset = charset_of(coll);
        if (c.charset.empty()) {
          return absl::FailedPreconditionError(fmt::format(
              "table {} column {}: collation id {} is unknown to tidemark", table, c.name, coll));
        }
      } else if (k && !k->charset.empty()) {
        c.charset = k->charset;
      } else {
        return absl::FailedPreconditionError(fmt::format(
            "table {} column {}: character set unknown (no charset metadata, no schema history)",
            table, c.name));
      }
      ++character;
    }
    if (c.real_type == MYSQL_TYPE_ENUM || c.real_type == MYSQL_TYPE_SET) {
      const auto& from = c.real_type == MYSQL_TYPE_ENUM ? tm.enum_values : tm.set_values;
      size_t& idx = c.real_type == MYSQL_TYPE_ENUM ? enums : sets;
      if (idx < from.size()) {
        c.labels = from[idx];
      } else if (k) {
        c.labels = k->labels;
      }
      ++idx;
    }
    if (k) c.is_json = k->is_json;
  }
  if (!tm.primary_key.empty()) {
    for (uint32_t idx : tm.primary_key) cols[idx].part_of_key = true;
  } else if (known) {
    for (size_t i = 0; i < n; ++i) cols[i].part_of_key = known->columns[i].part_of_key;
  }
  return cols;
}

v1::TableSchema SchemaFromColumns(const TableMapEvent& tm, const std::vector<ColumnDef>& columns) {
  v1::TableSchema s;
  s.mutable_table()->set_database(tm.database);
  s.mutable_table()->set_table(tm.table);
  s.set_replica_identity(v1::REPLICA_IDENTITY_FULL);
  for (const ColumnDef& c : columns) {
    v1::Column* col = s.add_columns();
    col->set_name(c.name);
    col->set_part_of_key(c.part_of_key);
    col->set_nullable(c.nullable);
    col->mutable_type()->set_kind(Kind(c));
    col->mutable_type()->set_source_type(SourceType(c));
    col->mutable_type()->set_type_modifier(-1);
    for (const auto& l : c.labels) col->mutable_type()->add_labels(l);
  }
  if (!tm.primary_key.empty()) {
    for (uint32_t idx : tm.primary_key) s.add_key_columns(columns[idx].name);
  } else {
    for (const ColumnDef& c : columns) {
      if (c.part_of_key) s.add_key_columns(c.name);
    }
  }
  return s;
}

ColumnDef ColumnDefFromKnown(const KnownColumn& k) {
  ColumnDef c;
  c.name = k.name;
  c.is_unsigned = k.is_unsigned;
  c.is_json = k.is_json;
  c.labels = k.labels;
  c.nullable = k.nullable;
  c.part_of_key = k.part_of_key;
  c.charset = k.charset;
  int a = -1, b = 0;
  if (size_t open = k.column_type.find('('); open != std::string::npos) {
    if (std::sscanf(k.column_type.c_str() + open + 1, "%d,%d", &a, &b) < 1) a = -1;  // NOLINT
  }
  const std::string& t = k.data_type;
  auto type = [&](uint8_t code, uint16_t meta = 0) {
    c.type = c.real_type = code;
    c.meta = meta;
  };
  const uint16_t fsp = static_cast<uint16_t>(std::max(a, 0));
  if (t == "tinyint") type(MYSQL_TYPE_TINY);
  else if (t == "smallint") type(MYSQL_TYPE_SHORT);
  else if (t == "mediumint") type(MYSQL_TYPE_INT24);
  else if (t == "int" || t == "integer") type(MYSQL_TYPE_LONG);
  else if (t == "bigint") type(MYSQL_TYPE_LONGLONG);
  else if (t == "float") type(MYSQL_TYPE_FLOAT);
  else if (t == "double") type(MYSQL_TYPE_DOUBLE);
  else if (t == "decimal") type(MYSQL_TYPE_NEWDECIMAL, static_cast<uint16_t>(std::max(a, 0) << 8 | std::max(b, 0)));
  else if (t == "year") type(MYSQL_TYPE_YEAR);
  else if (t == "bit") type(MYSQL_TYPE_BIT, static_cast<uint16_t>((std::max(a, 1) / 8) << 8 | std::max(a, 1) % 8));
  else if (t == "date") type(MYSQL_TYPE_DATE);
  else if (t == "time") type(MYSQL_TYPE_TIME2, fsp);
  else if (t == "datetime") type(MYSQL_TYPE_DATETIME2, fsp);
  else if (t == "timestamp") type(MYSQL_TYPE_TIMESTAMP2, fsp);
  else if (t == "enum") type(MYSQL_TYPE_ENUM);
  else if (t == "set") type(MYSQL_TYPE_SET);
  else if (t == "json") type(MYSQL_TYPE_JSON);
  else if (t == "char" || t == "binary") type(MYSQL_TYPE_STRING);
  else if (t == "varchar" || t == "varbinary") type(MYSQL_TYPE_VARCHAR);
  else if (t.ends_with("text") || t.ends_with("blob")) type(MYSQL_TYPE_BLOB);
  else type(MYSQL_TYPE_GEOMETRY);  // geometry, point, polygon, ...
  if ((t == "binary" || t == "varbinary" || t.ends_with("blob")) && c.charset.empty()) c.charset = "binary";
  return c;
}

v1::TableSchema SchemaFromKnown(const std::string& db, const std::string& table,
                                const KnownTable& known) {
  TableMapEvent tm;
  tm.database = db;
  tm.table = table;
  std::vector<ColumnDef> cols;
  for (size_t i = 0; i < known.columns.size(); ++i) {
    cols.push_back(ColumnDefFromKnown(known.columns[i]));
    if (known.columns[i].part_of_key) tm.primary_key.push_back(static_cast<uint32_t>(i));
  }
  return SchemaFromColumns(tm, cols);
}

}  // namespace tidemark::mysql
