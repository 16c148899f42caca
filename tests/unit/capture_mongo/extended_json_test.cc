// BSON → Value (capture/mongo/bson_values.h) → canonical Extended JSON
// (apply/format/json_value.h) → BSON again through libbson's own parser: the same
// bytes, for every BSON type tidemark decodes. libbson is the independent judge.
#include <bson/bson.h>
#include <gtest/gtest.h>

#include <string>

#include "apply/format/json_value.h"
#include "capture/mongo/bson_values.h"

namespace tidemark::mongo {
namespace {

bson_t* Parse(const std::string& ejson) {
  bson_error_t err;
  bson_t* doc = bson_new_from_json(reinterpret_cast<const uint8_t*>(ejson.data()),
                                   static_cast<ssize_t>(ejson.size()), &err);
  EXPECT_NE(doc, nullptr) << err.message << "\n" << ejson;
  return doc;
}

std::string Canonical(const bson_t* b) {
  char* s = bson_as_canonical_extended_json(b, nullptr);
  std::string out = s ? s : "";
  bson_free(s);
  return out;
}

// The document → Value → Extended JSON → libbson must give the document's bytes back.
void RoundTrips(const std::string& ejson) {
  SCOPED_TRACE(ejson);
  bson_t* want = Parse(ejson);
  ASSERT_NE(want, nullptr);
  auto value = BsonDocumentToValue(*want, "");
  ASSERT_TRUE(value.ok()) << value.status();
  std::string text;
  absl::Status s = json::AppendExtendedJson(&text, *value);
  ASSERT_TRUE(s.ok()) << s;
  bson_t* got = Parse(text);
  ASSERT_NE(got, nullptr);
  EXPECT_TRUE(got->len == want->len && memcmp(bson_get_data(got), bson_get_data(want), want->len) == 0)
      << "want " << Canonical(want) << "\n got " << Canonical(got) << "\n via " << text;
  bson_destroy(got);
  bson_destroy(want);
}

TEST(ExtendedJsonRoundTrip, EveryBsonType) {
  RoundTrips(R"J({"_id": {"$oid": "65a1b2c3d4e5f60718293a4b"},
    "i32": {"$numberInt": "-2147483648"}, "i32max": {"$numberInt": "2147483647"},
    "i64": {"$numberLong": "9223372036854775807"}, "i64small": {"$numberLong": "5"},
    "dbl": {"$numberDouble": "0.1"}, "one": {"$numberDouble": "1.0"},
    "negzero": {"$numberDouble": "-0.0"}, "big": {"$numberDouble": "1.7976931348623157E+308"},
    "tiny": {"$numberDouble": "5E-324"}, "nan": {"$numberDouble": "NaN"},
    "inf": {"$numberDouble": "Infinity"}, "ninf": {"$numberDouble": "-Infinity"},
    "dec": {"$numberDecimal": "-12.3400"}, "decexp": {"$numberDecimal": "1.23E+5"},
    "decnan": {"$numberDecimal": "NaN"}, "decnz": {"$numberDecimal": "-0.00"},
    "t": true, "f": false, "nul": null,
    "date": {"$date": {"$numberLong": "1704164645500"}},
    "predate": {"$date": {"$numberLong": "-62135596800001"}},
    "ts": {"$timestamp": {"t": 4294967295, "i": 7}},
    "raw": {"$binary": {"base64": "AAH+", "subType": "00"}},
    "func": {"$binary": {"base64": "AAH+", "subType": "01"}},
    "olduuid": {"$binary": {"base64": "AAECAwQFBgcICQoLDA0ODw==", "subType": "03"}},
    "uuid": {"$binary": {"base64": "AAECAwQFBgcICQoLDA0ODw==", "subType": "04"}},
    "shortuuid": {"$binary": {"base64": "AAE=", "subType": "04"}},
    "md5": {"$binary": {"base64": "AAECAwQFBgcICQoLDA0ODw==", "subType": "05"}},
    "user": {"$binary": {"base64": "", "subType": "80"}},
    "re": {"$regularExpression": {"pattern": "^a\"b\\d.*", "options": "imsx"}},
    "code": {"$code": "function(){ return 1; }"},
    "cws": {"$code": "f(x)", "$scope": {"x": {"$numberInt": "1"}}},
    "sym": {"$symbol": "sym"},
    "min": {"$minKey": 1}, "max": {"$maxKey": 1},
    "s": "h\u00e9llo \u2713 tab\t quote\" back\\ nul\u0000 end",
    "empty": "", "nested": {"a": [{"$numberInt": "1"}, {"b": "c"}, [], {}], "z": {"$numberLong": "2"}},
    "dup": {"k": {"$numberInt": "1"}}, "order": {"z": 1, "a": 2}})J");
}

TEST(ExtendedJsonRoundTrip, IdsOfEveryKeyType) {
  for (const char* id :
       {R"({"$oid": "000000000000000000000000"})", R"("k1")", R"({"$numberInt": "5"})",
        R"({"$numberLong": "5"})", R"({"$numberDouble": "5.0"})", R"({"a": 1, "b": [2]})",
        R"({"$binary": {"base64": "AAECAwQFBgcICQoLDA0ODw==", "subType": "04"}})"}) {
    RoundTrips(std::string(R"({"_id": )") + id + "}");
  }
}

}  // namespace
}  // namespace tidemark::mongo
