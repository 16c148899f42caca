// One tidemark Value (value.proto) as JSON, exactly (DESIGN.md §4 "JSON form"):
//
//   null_value       null
//   bool_value       true | false
//   int_value        number, every digit (never via double): -9223372036854775808
//   uint_value       number, every digit: 18446744073709551615
//   decimal_value    string, exactly as captured: "-12.3400", "NaN", "Infinity"
//   double_value     shortest round-trip number ("0.1", "1e+300"); -0.0 as -0.0;
//                    NaN/±Inf as the strings "NaN", "Infinity", "-Infinity"
//   float_value      the same at float precision: 1.1f is 1.1, not 1.100000023841858
//   text_value       string (invalid UTF-8 is an error, see json_writer.h)
//   bytes_value      string, standard base64 with padding
//   date_days        "YYYY-MM-DD" (temporal.h: BC and 5+ digit years in ISO expanded form)
//   timestamp_micros "2024-01-02T03:04:05.123456" (local date-time: no offset)
//   timestamptz_micros "2024-01-02T03:04:05.123456Z" (instant, UTC)
//   time_micros      "HH:MM:SS[.f]", durations "-838:59:59"
//   timetz           "HH:MM:SS[.f]+05:30"
//   interval         ISO 8601 duration "P1Y2M3DT4H5M6.789S"
//   uuid             "8-4-4-4-12" lowercase hex; a uuid that is not 16 bytes is an error
//   json_text        embedded as JSON (validated and minified, json_writer.h); an
//                    invalid document is an error, never a string fallback
//   enum_label       string
//   set_labels       array of strings
//   bit_string       string of '0'/'1'
//   array            array of values, NULL elements as null
//   geometry         {"wkb": "<base64>", "srid": n}
//   infinity         "infinity" | "-infinity"
//   BSON kinds (MongoDB) as MongoDB Extended JSON v2 canonical wrappers:
//   object_id        {"$oid":"<24 lowercase hex>"} (not 12 bytes: an error)
//   bson_timestamp   {"$timestamp":{"t":<seconds>,"i":<ordinal>}}
//   binary           {"$binary":{"base64":"<base64>","subType":"<2 hex digits>"}}
//   regex            {"$regularExpression":{"pattern":"..","options":".."}}
//   code             {"$code":".."} or, with a scope, {"$code":"..","$scope":{..}}
//   bson_key         {"$minKey":1} | {"$maxKey":1}
//   bson_symbol      {"$symbol":".."}
//   document         an object, fields in document order, values as above (a
//                    field named like a wrapper, e.g. "$oid", is printed as is)
//   unchanged        never printed: rows leave the column out (json_envelope.h);
//                    here it is kInvalidArgument, as is a Value with no kind set.
#ifndef TIDEMARK_APPLY_FORMAT_JSON_VALUE_H_
#define TIDEMARK_APPLY_FORMAT_JSON_VALUE_H_

#include <string>

#include "absl/status/status.h"
#include "tidemark/v1/value.pb.h"

namespace tidemark::json {

// Appends `v` to `out`. Errors are kInvalidArgument describing the value (the
// caller adds the column name); `out` is then partially written.
absl::Status AppendValue(std::string* out, const v1::Value& v);

// Appends a MongoDB value (capture/mongo/bson_values.h) as canonical MongoDB
// Extended JSON v2 (https://github.com/mongodb/specifications, extended-json.md),
// which keeps every BSON type: parsed back (e.g. bson_new_from_json) it gives the
// same BSON. The kinds whose form differs from AppendValue's above:
//   int_value          {"$numberInt":"-5"} when bson_int32, else {"$numberLong":"-5"}
//   double_value       {"$numberDouble":"0.1"}: shortest round-trip digits, with
//                      ".0" added to integral values ("1.0", "-0.0", "1e+300"),
//                      "NaN", "Infinity", "-Infinity"
//   decimal_value      {"$numberDecimal":"-12.3400"}
//   timestamptz_micros {"$date":{"$numberLong":"<ms since epoch>"}} (not whole
//                      milliseconds: an error)
//   bytes_value        {"$binary":{"base64":"..","subType":"00"}}
//   uuid               {"$binary":{"base64":"..","subType":"04"}}
// null, bool, text, arrays, documents and the BSON-only kinds print as above, with
// nested values in this form. Kinds no BSON value decodes to (uint, float, dates
// without zone, intervals, json_text, ...) are kInvalidArgument naming the kind.
absl::Status AppendExtendedJson(std::string* out, const v1::Value& v);

// The JSON number text of a double/float (no NaN/Inf: callers handle those).
std::string FormatDouble(double d);
std::string FormatFloat(float f);

}  // namespace tidemark::json

#endif  // TIDEMARK_APPLY_FORMAT_JSON_VALUE_H_
