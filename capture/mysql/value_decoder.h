// Binlog row value decoding (layer 2): one column value in the row-image encoding
// (MySQL sql/field.cc Field_*::pack / MariaDB the same) → an exact v1::Value.
// Pure. Specs: https://dev.mysql.com/doc/dev/mysql-server/latest/classbinary__log_1_1Rows__event.html
//              https://mariadb.com/kb/en/rows_event_v1v2-rows_compressed_event_v1/
//
// Decisions (the contract consumers rely on):
// - Integers: int_value, or uint_value for UNSIGNED columns; YEAR: int_value (0 for
//   the zero year 0000, else 1901..2155).
// - DECIMAL: decimal_value with exactly `scale` fraction digits ("-12.3400").
// - FLOAT → float_value, DOUBLE → double_value. BIT(n) → bit_string of n characters.
// - DATE → date_days; DATETIME → timestamp_micros (local, no zone); TIMESTAMP →
//   timestamptz_micros (UTC instant, as the server stores it); TIME → time_micros,
//   signed, may exceed 24h (-838:59:59 .. 838:59:59).
// - Zero and partial-zero dates (DATE '0000-00-00', '2024-00-15', DATETIME
//   '0000-00-00 00:00:00', TIMESTAMP 0) are NOT valid instants: they are passed as
//   text_value in MySQL's own spelling ("0000-00-00", "2024-00-15",
//   "0000-00-00 00:00:00.000" with the column's fsp digits), never NULL and never now.
//   A text_value in a DATE/DATETIME/TIMESTAMP column means exactly this.
// - CHAR/VARCHAR/TEXT: text_value converted to UTF-8 from the column's charset
//   (utf8mb3/utf8mb4 validated, latin1 = MySQL's cp1252 variant, ascii); binary
//   charset (BINARY, VARBINARY, BLOB) → bytes_value; BINARY(n) re-padded with 0x00 to
//   n bytes (the row image may omit trailing zero bytes). Any other charset is an
//   error naming the column and charset.
// - ENUM → enum_label (index 0, MySQL's invalid-value '', gives ""); SET → set_labels.
// - JSON: MySQL binary JSON → json_text (json_binary.h); MariaDB JSON (a LONGTEXT the
//   schema marks as JSON) → json_text as stored.
// - GEOMETRY → geometry {wkb, srid}.
#ifndef TIDEMARK_CAPTURE_MYSQL_VALUE_DECODER_H_
#define TIDEMARK_CAPTURE_MYSQL_VALUE_DECODER_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "common/byte_reader.h"
#include "tidemark/v1/value.pb.h"

namespace tidemark::mysql {

// Everything needed to decode one column.
struct ColumnDef {
  std::string name;
  uint8_t type = 0;       // as written in TABLE_MAP
  uint8_t real_type = 0;  // ENUM/SET resolved (RealType)
  uint16_t meta = 0;
  bool is_unsigned = false;
  std::string charset;    // "utf8mb4", "utf8mb3", "latin1", "ascii", "binary"; empty: not character
  bool is_json = false;   // MariaDB JSON alias of LONGTEXT
  std::vector<std::string> labels;  // ENUM/SET labels in declaration order
  bool nullable = true;
  bool part_of_key = false;
};

// Charset name for a collation id: from `extra` (id → charset, e.g. loaded from
// information_schema.COLLATIONS) else the built-in table of common ids; empty when unknown.
std::string CharsetForCollation(uint32_t collation_id);

// Converts `bytes` in `charset` to UTF-8 text. Error (kInvalidArgument) for bytes that
// are not valid in the charset; kFailedPrecondition for an unsupported charset.
absl::StatusOr<std::string> ToUtf8(std::string_view bytes, std::string_view charset);

// Decodes one non-NULL value of `col` at the reader's position and advances past it.
// Errors: kDataLoss for truncated bytes, kInvalidArgument for bytes that are not a
// valid value of the type (naming the column), kFailedPrecondition for a type or
// charset tidemark does not decode.
absl::StatusOr<v1::Value> DecodeValue(ByteReader& r, const ColumnDef& col);

// The exact DECIMAL(precision, scale) text of the binary form in `bytes`
// (DecimalBinarySize(precision, scale) bytes).
absl::StatusOr<std::string> DecodeDecimal(std::string_view bytes, int precision, int scale);
size_t DecimalBinarySize(int precision, int scale);

// Days since 1970-01-01 of a proleptic Gregorian date.
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d);

}  // namespace tidemark::mysql

#endif  // TIDEMARK_CAPTURE_MYSQL_VALUE_DECODER_H_
