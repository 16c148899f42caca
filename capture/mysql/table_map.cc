// TABLE_MAP_EVENT body (MySQL libbinlogevents rows_event.h Table_map_event,
// MariaDB sql/log_event.h):
//   table_id:6 (4 when post_header_len is 6) flags:2
//   db_len:1 db NUL table_len:1 table NUL column_count:packed column_types:column_count
//   metadata_len:packed metadata:metadata_len null_bitmap:(column_count+7)/8
//   { optional_metadata_type:1 length:packed value:length }*
// Optional metadata types (binlog_row_metadata=MINIMAL sends 1,2/3,7,8/9; FULL adds
// 4,5,6,10/11,12): 1 SIGNEDNESS (bit per numeric column, MSB first), 2 DEFAULT_CHARSET
// (default collation, then {char column index, collation}*), 3 COLUMN_CHARSET
// (collation per char column), 4 COLUMN_NAME ({len:packed name}*), 5 SET_STR_VALUE and
// 6 ENUM_STR_VALUE ({count:packed {len:packed str}*}* per SET/ENUM column),
// 7 GEOMETRY_TYPE (packed per geometry column), 8 SIMPLE_PRIMARY_KEY (packed indexes),
// 9 PRIMARY_KEY_WITH_PREFIX ({index prefix}*), 10/11 as 2/3 for ENUM and SET columns,
// 12 COLUMN_VISIBILITY (bit per column, MSB first).
#include <fmt/format.h>

#include "capture/mysql/binlog_parser.h"
#include "capture/mysql/column_type.h"
#include "capture/mysql/context_buf.h"
#include "common/status_macros.h"
#include "common/strings.h"

namespace tidemark::mysql {

int MetadataBytes(uint8_t type) {
  switch (type) {
    case MYSQL_TYPE_FLOAT: case MYSQL_TYPE_DOUBLE: case MYSQL_TYPE_TINY_BLOB:
    case MYSQL_TYPE_MEDIUM_BLOB: case MYSQL_TYPE_LONG_BLOB: case MYSQL_TYPE_BLOB:
    case MYSQL_TYPE_GEOMETRY: case MYSQL_TYPE_JSON: case MYSQL_TYPE_TIMESTAMP2:
    case MYSQL_TYPE_DATETIME2: case MYSQL_TYPE_TIME2:
      return 1;
    case MYSQL_TYPE_VARCHAR: case MYSQL_TYPE_VAR_STRING: case MYSQL_TYPE_BIT:
    case MYSQL_TYPE_NEWDECIMAL: case MYSQL_TYPE_STRING: case MYSQL_TYPE_ENUM:
    case MYSQL_TYPE_SET:
      return 2;
    case MYSQL_TYPE_DECIMAL: case MYSQL_TYPE_TINY: case MYSQL_TYPE_SHORT: case MYSQL_TYPE_LONG:
    case MYSQL_TYPE_NULL: case MYSQL_TYPE_TIMESTAMP: case MYSQL_TYPE_LONGLONG:
    case MYSQL_TYPE_INT24: case MYSQL_TYPE_DATE: case MYSQL_TYPE_TIME: case MYSQL_TYPE_DATETIME:
    case MYSQL_TYPE_YEAR: case MYSQL_TYPE_NEWDATE:
      return 0;
    default:
      return -1;
  }
}

uint8_t RealType(uint8_t type, uint16_t meta) {
  if (type != MYSQL_TYPE_STRING) return type;
  uint8_t b0 = static_cast<uint8_t>(meta >> 8);
  if ((b0 & 0x30) != 0x30) return static_cast<uint8_t>(b0 | 0x30);  // long CHAR encoding
  if (b0 == MYSQL_TYPE_ENUM || b0 == MYSQL_TYPE_SET) return b0;
  return MYSQL_TYPE_STRING;
}

uint32_t StringFieldLength(uint16_t meta) {
  uint8_t b0 = static_cast<uint8_t>(meta >> 8), b1 = static_cast<uint8_t>(meta & 0xff);
  if ((b0 & 0x30) != 0x30) return static_cast<uint32_t>(((b0 & 0x30) ^ 0x30) << 4) | b1;
  return b1;
}

bool IsNumericType(uint8_t t) {
  switch (t) {
    case MYSQL_TYPE_TINY: case MYSQL_TYPE_SHORT: case MYSQL_TYPE_INT24: case MYSQL_TYPE_LONG:
    case MYSQL_TYPE_LONGLONG: case MYSQL_TYPE_NEWDECIMAL: case MYSQL_TYPE_DECIMAL:
    case MYSQL_TYPE_FLOAT: case MYSQL_TYPE_DOUBLE:
      return true;
    default:
      return false;
  }
}

bool IsCharacterType(uint8_t t) {
  switch (t) {
    case MYSQL_TYPE_STRING: case MYSQL_TYPE_VAR_STRING: case MYSQL_TYPE_VARCHAR:
    case MYSQL_TYPE_BLOB: case MYSQL_TYPE_TINY_BLOB: case MYSQL_TYPE_MEDIUM_BLOB:
    case MYSQL_TYPE_LONG_BLOB:
      return true;
    default:
      return false;
  }
}

std::string TypeName(uint8_t t) {
  switch (t) {
    case MYSQL_TYPE_DECIMAL: return "DECIMAL(old)";
    case MYSQL_TYPE_TINY: return "TINYINT";
    case MYSQL_TYPE_SHORT: return "SMALLINT";
    case MYSQL_TYPE_LONG: return "INT";
    case MYSQL_TYPE_FLOAT: return "FLOAT";
    case MYSQL_TYPE_DOUBLE: return "DOUBLE";
    case MYSQL_TYPE_NULL: return "NULL";
    case MYSQL_TYPE_TIMESTAMP: return "TIMESTAMP(old)";
    case MYSQL_TYPE_LONGLONG: return "BIGINT";
    case MYSQL_TYPE_INT24: return "MEDIUMINT";
    case MYSQL_TYPE_DATE: return "DATE";
    case MYSQL_TYPE_TIME: return "TIME(old)";
    case MYSQL_TYPE_DATETIME: return "DATETIME(old)";
    case MYSQL_TYPE_YEAR: return "YEAR";
    case MYSQL_TYPE_NEWDATE: return "NEWDATE";
    case MYSQL_TYPE_VARCHAR: return "VARCHAR";
    case MYSQL_TYPE_BIT: return "BIT";
    case MYSQL_TYPE_TIMESTAMP2: return "TIMESTAMP";
    case MYSQL_TYPE_DATETIME2: return "DATETIME";
    case MYSQL_TYPE_TIME2: return "TIME";
    case MYSQL_TYPE_JSON: return "JSON";
    case MYSQL_TYPE_NEWDECIMAL: return "DECIMAL";
    case MYSQL_TYPE_ENUM: return "ENUM";
    case MYSQL_TYPE_SET: return "SET";
    case MYSQL_TYPE_TINY_BLOB: return "TINYBLOB";
    case MYSQL_TYPE_MEDIUM_BLOB: return "MEDIUMBLOB";
    case MYSQL_TYPE_LONG_BLOB: return "LONGBLOB";
    case MYSQL_TYPE_BLOB: return "BLOB";
    case MYSQL_TYPE_VAR_STRING: return "VAR_STRING";
    case MYSQL_TYPE_STRING: return "CHAR";
    case MYSQL_TYPE_GEOMETRY: return "GEOMETRY";
    default: return fmt::format("MYSQL_TYPE {}", t);
  }
}

namespace {

std::vector<bool> MsbBits(std::string_view v, size_t n) {
  std::vector<bool> out;
  for (size_t i = 0; i < n && i / 8 < v.size(); ++i) {
    out.push_back((static_cast<uint8_t>(v[i / 8]) >> (7 - i % 8)) & 1);
  }
  return out;
}

size_t CountIf(const TableMapEvent& e, bool (*pred)(uint8_t)) {
  size_t n = 0;
  for (size_t i = 0; i < e.column_types.size(); ++i) {
    if (pred(RealType(e.column_types[i], e.column_meta[i]))) ++n;
  }
  return n;
}

bool IsEnumOrSet(uint8_t t) { return t == MYSQL_TYPE_ENUM || t == MYSQL_TYPE_SET; }

// DEFAULT_CHARSET form → one collation per covered column.
absl::StatusOr<std::vector<uint32_t>> DefaultCharsets(ByteReader& r, size_t n) {
  TM_ASSIGN_OR_RETURN(uint64_t def, ReadPacked(r, "default collation"));
  std::vector<uint32_t> out(n, static_cast<uint32_t>(def));
  while (!r.empty()) {
    TM_ASSIGN_OR_RETURN(uint64_t idx, ReadPacked(r, "charset column index"));
    TM_ASSIGN_OR_RETURN(uint64_t coll, ReadPacked(r, "charset collation"));
    if (idx >= n) return r.Malformed(fmt::format("charset column index {} of {}", idx, n));
    out[idx] = static_cast<uint32_t>(coll);
  }
  return out;
}

absl::StatusOr<std::vector<uint32_t>> PackedList(ByteReader& r, std::string_view what) {
  std::vector<uint32_t> out;
  while (!r.empty()) {
    TM_ASSIGN_OR_RETURN(uint64_t v, ReadPacked(r, what));
    out.push_back(static_cast<uint32_t>(v));
  }
  return out;
}

absl::StatusOr<std::vector<std::vector<std::string>>> StrValues(ByteReader& r) {
  std::vector<std::vector<std::string>> out;
  while (!r.empty()) {
    TM_ASSIGN_OR_RETURN(uint64_t count, ReadPacked(r, "value count"));
    std::vector<std::string> labels;
    for (uint64_t i = 0; i < count; ++i) {
      TM_ASSIGN_OR_RETURN(uint64_t len, ReadPacked(r, "value length"));
      TM_ASSIGN_OR_RETURN(std::string_view s, r.Bytes(len, "value"));
      labels.emplace_back(s);
    }
    out.push_back(std::move(labels));
  }
  return out;
}

absl::Status ParseOptionalMetadata(ByteReader& outer, TableMapEvent& e) {
  while (!outer.empty()) {
    TM_ASSIGN_OR_RETURN(uint8_t type, outer.U8("optional metadata type"));
    TM_ASSIGN_OR_RETURN(uint64_t len, ReadPacked(outer, "optional metadata length"));
    TM_ASSIGN_OR_RETURN(std::string_view v, outer.Bytes(len, "optional metadata value"));
    ContextBuf ctx;
    ctx << "TABLE_MAP " << e.database << "." << e.table << " optional metadata " << uint64_t{type};
    ByteReader r(v, ctx.view());
    switch (type) {
      case 1:
        e.signedness = MsbBits(v, CountIf(e, IsNumericType));
        e.has_signedness = true;
        break;
      case 2: {
        TM_ASSIGN_OR_RETURN(e.column_charsets, DefaultCharsets(r, CountIf(e, IsCharacterType)));
        break;
      }
      case 3: {
        TM_ASSIGN_OR_RETURN(e.column_charsets, PackedList(r, "column collation"));
        break;
      }
      case 4:
        while (!r.empty()) {
          TM_ASSIGN_OR_RETURN(uint64_t n, ReadPacked(r, "column name length"));
          TM_ASSIGN_OR_RETURN(std::string_view name, r.Bytes(n, "column name"));
          e.column_names.emplace_back(name);
        }
        break;
      case 5: {
        TM_ASSIGN_OR_RETURN(e.set_values, StrValues(r));
        break;
      }
      case 6: {
        TM_ASSIGN_OR_RETURN(e.enum_values, StrValues(r));
        break;
      }
      case 7: {
        TM_ASSIGN_OR_RETURN(e.geometry_types, PackedList(r, "geometry type"));
        break;
      }
      case 8: {
        TM_ASSIGN_OR_RETURN(e.primary_key, PackedList(r, "primary key column"));
        break;
      }
      case 9:
        while (!r.empty()) {
          TM_ASSIGN_OR_RETURN(uint64_t idx, ReadPacked(r, "primary key column"));
          TM_RETURN_IF_ERROR(ReadPacked(r, "primary key prefix").status());
          e.primary_key.push_back(static_cast<uint32_t>(idx));
        }
        break;
      case 10: {
        TM_ASSIGN_OR_RETURN(e.enum_set_charsets, DefaultCharsets(r, CountIf(e, IsEnumOrSet)));
        break;
      }
      case 11: {
        TM_ASSIGN_OR_RETURN(e.enum_set_charsets, PackedList(r, "enum/set collation"));
        break;
      }
      case 12:
        e.visibility = MsbBits(v, e.column_types.size());
        break;
      default:
        break;  // newer metadata kinds are self-delimiting and safe to skip
    }
  }
  for (uint32_t idx : e.primary_key) {
    if (idx >= e.column_types.size()) {
      return outer.Malformed(fmt::format("primary key column index {} of {} columns", idx,
                                         e.column_types.size()));
    }
  }
  if (!e.column_names.empty() && e.column_names.size() != e.column_types.size()) {
    return outer.Malformed(fmt::format("{} column names for {} columns", e.column_names.size(),
                                       e.column_types.size()));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<TableMapEvent> ParseTableMap(ByteReader& r, uint8_t post_header_len) {
  TableMapEvent e;
  TM_ASSIGN_OR_RETURN(e.table_id, r.UintLE(post_header_len == 6 ? 4 : 6, "table_id"));
  TM_ASSIGN_OR_RETURN(e.flags, r.UintLE(2, "flags"));
  TM_ASSIGN_OR_RETURN(uint8_t db_len, r.U8("db_len"));
  TM_ASSIGN_OR_RETURN(std::string_view db, r.Bytes(db_len, "db"));
  TM_RETURN_IF_ERROR(r.Skip(1, "db NUL"));
  TM_ASSIGN_OR_RETURN(uint8_t tbl_len, r.U8("table_len"));
  TM_ASSIGN_OR_RETURN(std::string_view tbl, r.Bytes(tbl_len, "table"));
  TM_RETURN_IF_ERROR(r.Skip(1, "table NUL"));
  e.database = std::string(db);
  e.table = std::string(tbl);
  TM_ASSIGN_OR_RETURN(uint64_t n, ReadPacked(r, "column_count"));
  if (n > 4096) return r.Malformed(fmt::format("column_count {} exceeds 4096", n));
  TM_ASSIGN_OR_RETURN(std::string_view types, r.Bytes(n, "column_types"));
  e.column_types.assign(types.begin(), types.end());
  TM_ASSIGN_OR_RETURN(uint64_t meta_len, ReadPacked(r, "metadata_len"));
  TM_ASSIGN_OR_RETURN(std::string_view meta, r.Bytes(meta_len, "metadata"));
  ByteReader m(meta, "TABLE_MAP column metadata");
  for (uint64_t i = 0; i < n; ++i) {
    uint8_t t = e.column_types[i];
    int bytes = MetadataBytes(t);
    uint16_t v = 0;
    if (bytes < 0) {
      return r.Malformed(fmt::format("column {} of {}.{} has unknown type {}", i, e.database,
                                     e.table, t));
    } else if (bytes == 1) {
      TM_ASSIGN_OR_RETURN(v, m.U8("column metadata"));
    } else if (bytes == 2) {
      TM_ASSIGN_OR_RETURN(uint8_t b0, m.U8("column metadata"));
      TM_ASSIGN_OR_RETURN(uint8_t b1, m.U8("column metadata"));
      bool big = t == MYSQL_TYPE_NEWDECIMAL || t == MYSQL_TYPE_STRING || t == MYSQL_TYPE_ENUM ||
                 t == MYSQL_TYPE_SET;
      v = big ? static_cast<uint16_t>(b0 << 8 | b1) : static_cast<uint16_t>(b0 | b1 << 8);
    }
    e.column_meta.push_back(v);
  }
  if (!m.empty()) {
    return r.Malformed(fmt::format("{} unused column metadata bytes", m.remaining()));
  }
  TM_ASSIGN_OR_RETURN(e.nullable, ReadBitmap(r, n, "null_bitmap"));
  TM_RETURN_IF_ERROR(ParseOptionalMetadata(r, e));
  return e;
}

}  // namespace tidemark::mysql
