// MySQL 8 binary JSON (sql-common/json_binary.cc) → JSON text. Pure.
// Spec: https://dev.mysql.com/doc/dev/mysql-server/latest/json__binary_8h.html
//
//   doc     := type:1 value
//   value   := object | array | literal:1 (0 null, 1 true, 2 false) | int16:2 | uint16:2
//            | int32:4 | uint32:4 | int64:8 | uint64:8 | double:8
//            | string (len:varlen utf8) | opaque (field_type:1 len:varlen bytes)
//   object  := count size key_entry*count value_entry*count keys values
//   array   := count size value_entry*count values
//   count, size, key offset, value offset: 2 bytes (small, types 0x00/0x02) or 4 (large,
//   0x01/0x03); key_entry := offset key_len:2; value_entry := type:1 offset_or_inline
//   (literals, int16 and uint16 inline; int32 and uint32 inline in large containers);
//   offsets are relative to the container's first byte (after its type byte);
//   varlen := 7 bits per byte, least significant first, high bit = more (≤ 5 bytes).
// Output follows MySQL's JSON printing: ", " and ": " separators, keys in stored order,
// doubles with a ".0" when integral, opaque DECIMAL as a number, DATE/TIME/DATETIME/
// TIMESTAMP as quoted strings, other opaque values as "base64:typeN:<base64>".
#ifndef TIDEMARK_CAPTURE_MYSQL_JSON_BINARY_H_
#define TIDEMARK_CAPTURE_MYSQL_JSON_BINARY_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace tidemark::mysql {

// An empty input is the JSON null MySQL writes for a NULL-equivalent empty document
// ("null"). Errors: kInvalidArgument with the byte offset for malformed bytes.
absl::StatusOr<std::string> JsonBinaryToText(std::string_view doc);

// Appends `s` as a JSON string literal (quotes, escapes) to `out`.
void AppendJsonString(std::string* out, std::string_view s);

}  // namespace tidemark::mysql

#endif  // TIDEMARK_CAPTURE_MYSQL_JSON_BINARY_H_
