// MYSQL_TYPE_* codes as they appear in TABLE_MAP events and the per-type column
// metadata layout (MySQL sql/log_event.cc Table_map_log_event::save_field_metadata,
// MariaDB sql/field.h binlog_type_info).
#ifndef TIDEMARK_CAPTURE_MYSQL_COLUMN_TYPE_H_
#define TIDEMARK_CAPTURE_MYSQL_COLUMN_TYPE_H_

#include <cstdint>
#include <string>

namespace tidemark::mysql {

enum ColumnTypeCode : uint8_t {
  MYSQL_TYPE_DECIMAL = 0,
  MYSQL_TYPE_TINY = 1,
  MYSQL_TYPE_SHORT = 2,
  MYSQL_TYPE_LONG = 3,
  MYSQL_TYPE_FLOAT = 4,
  MYSQL_TYPE_DOUBLE = 5,
  MYSQL_TYPE_NULL = 6,
  MYSQL_TYPE_TIMESTAMP = 7,
  MYSQL_TYPE_LONGLONG = 8,
  MYSQL_TYPE_INT24 = 9,
  MYSQL_TYPE_DATE = 10,
  MYSQL_TYPE_TIME = 11,
  MYSQL_TYPE_DATETIME = 12,
  MYSQL_TYPE_YEAR = 13,
  MYSQL_TYPE_NEWDATE = 14,
  MYSQL_TYPE_VARCHAR = 15,
  MYSQL_TYPE_BIT = 16,
  MYSQL_TYPE_TIMESTAMP2 = 17,
  MYSQL_TYPE_DATETIME2 = 18,
  MYSQL_TYPE_TIME2 = 19,
  MYSQL_TYPE_JSON = 245,
  MYSQL_TYPE_NEWDECIMAL = 246,
  MYSQL_TYPE_ENUM = 247,
  MYSQL_TYPE_SET = 248,
  MYSQL_TYPE_TINY_BLOB = 249,
  MYSQL_TYPE_MEDIUM_BLOB = 250,
  MYSQL_TYPE_LONG_BLOB = 251,
  MYSQL_TYPE_BLOB = 252,
  MYSQL_TYPE_VAR_STRING = 253,
  MYSQL_TYPE_STRING = 254,
  MYSQL_TYPE_GEOMETRY = 255,
};

// Column metadata as tidemark stores it in TableMapEvent::column_meta:
//   FLOAT, DOUBLE, *BLOB, GEOMETRY, JSON, TIMESTAMP2, DATETIME2, TIME2: the 1 byte
//   VARCHAR, VAR_STRING: max length in bytes (2 bytes LE)
//   BIT: bits_in_last_byte | bytes << 8 (2 bytes as written)
//   NEWDECIMAL: precision << 8 | scale
//   STRING, ENUM, SET: real_type << 8 | pack_or_field_length (as written, before the
//   >255-length encoding is undone; see RealType / StringFieldLength)
// Number of metadata bytes each type uses in TABLE_MAP; -1 for an unknown type.
int MetadataBytes(uint8_t type);

// ENUM/SET are written as STRING with the real type in the metadata's high byte.
uint8_t RealType(uint8_t type, uint16_t meta);
// Maximum byte length of a CHAR column (STRING), undoing the >255 encoding.
uint32_t StringFieldLength(uint16_t meta);

// Types whose signedness the SIGNEDNESS metadata covers.
bool IsNumericType(uint8_t real_type);
// Types the DEFAULT_CHARSET/COLUMN_CHARSET metadata covers.
bool IsCharacterType(uint8_t real_type);

std::string TypeName(uint8_t real_type);

}  // namespace tidemark::mysql

#endif  // TIDEMARK_CAPTURE_MYSQL_COLUMN_TYPE_H_
