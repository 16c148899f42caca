// BSON → tidemark Value, exactly (DESIGN.md §4). Pure: no I/O, no clock.
//
//   double       double_value (NaN, ±Inf and -0.0 kept)
//   string       text_value (invalid UTF-8: kDataLoss)
//   document     document (fields in order, repeated names kept)
//   array        array (elements in index order)
//   binary       subtype 0 → bytes_value; subtype 4 of 16 bytes → uuid; every other
//                subtype (and 4 of another length) → binary {data, subtype}
//   undefined    kFailedPrecondition (deprecated type, named in the error)
//   ObjectId     object_id (12 bytes)
//   bool         bool_value
//   date         timestamptz_micros (BSON millis × 1000; beyond int64 micros: kOutOfRange)
//   null         null_value
//   regex        regex {pattern, options}
//   DBPointer    kFailedPrecondition (deprecated type, named in the error)
//   code         code {code}; code with scope → code {code, scope}
//   symbol       bson_symbol
//   int32        int_value with bson_int32 set
//   int64        int_value
//   timestamp    bson_timestamp {t, i}
//   Decimal128   decimal_value, the Decimal128 spec's exact string form
//                ("1.23E+5", "-0.00", "NaN", "Infinity", "-Infinity")
//   MinKey/MaxKey bson_key
// `path` names the value in errors ("fullDocument.items.3.price").
#ifndef TIDEMARK_CAPTURE_MONGO_BSON_VALUES_H_
#define TIDEMARK_CAPTURE_MONGO_BSON_VALUES_H_

#include <bson/bson.h>

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "tidemark/v1/value.pb.h"

namespace tidemark::mongo {

// The value `it` points at.
absl::StatusOr<v1::Value> BsonValueToValue(const bson_iter_t& it, std::string_view path);

// A whole document as a Value of kind `document`.
absl::StatusOr<v1::Value> BsonDocumentToValue(const bson_t& doc, std::string_view path);

// The BSON type name ("double", "objectId", ...), for messages.
std::string_view BsonTypeName(bson_type_t type);

}  // namespace tidemark::mongo

#endif  // TIDEMARK_CAPTURE_MONGO_BSON_VALUES_H_
