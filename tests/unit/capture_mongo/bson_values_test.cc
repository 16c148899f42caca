// Every BSON type → exact Value (capture/mongo/bson_values.h).
#include "capture/mongo/bson_values.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace tidemark::mongo {
namespace {

// The Value of field "v" of the document built from canonical Extended JSON.
absl::StatusOr<v1::Value> Of(const std::string& ejson) {
  bson_error_t err;
  bson_t* doc = bson_new_from_json(reinterpret_cast<const uint8_t*>(ejson.data()),
                                   static_cast<ssize_t>(ejson.size()), &err);
  EXPECT_NE(doc, nullptr) << err.message;
  bson_iter_t it;
  EXPECT_TRUE(bson_iter_init_find(&it, doc, "v"));
  auto v = BsonValueToValue(it, "v");
  bson_destroy(doc);
  return v;
}

v1::Value Ok(const std::string& ejson) {
  auto v = Of(ejson);
  EXPECT_TRUE(v.ok()) << v.status();
  return v.ok() ? *v : v1::Value();
}

TEST(BsonValues, Numbers) {
  EXPECT_EQ(Ok(R"({"v": {"$numberInt": "-2147483648"}})").int_value(), -2147483648LL);
  EXPECT_TRUE(Ok(R"({"v": {"$numberInt": "-2147483648"}})").bson_int32());
  EXPECT_EQ(Ok(R"({"v": {"$numberLong": "9223372036854775807"}})").int_value(),
            std::numeric_limits<int64_t>::max());
  // The width is kept: an int64 that would fit in 32 bits stays an int64.
  EXPECT_FALSE(Ok(R"({"v": {"$numberLong": "5"}})").bson_int32());
  EXPECT_TRUE(Ok(R"({"v": {"$numberInt": "5"}})").bson_int32());
  EXPECT_EQ(Ok(R"({"v": {"$numberDouble": "0.1"}})").double_value(), 0.1);
  EXPECT_TRUE(std::isnan(Ok(R"({"v": {"$numberDouble": "NaN"}})").double_value()));
  EXPECT_EQ(Ok(R"({"v": {"$numberDouble": "Infinity"}})").double_value(),
            std::numeric_limits<double>::infinity());
  EXPECT_EQ(Ok(R"({"v": {"$numberDouble": "-Infinity"}})").double_value(),
            -std::numeric_limits<double>::infinity());
  v1::Value negzero = Ok(R"({"v": {"$numberDouble": "-0.0"}})");
  EXPECT_TRUE(std::signbit(negzero.double_value()));
  EXPECT_EQ(Ok(R"({"v": {"$numberDecimal": "-12.3400"}})").decimal_value(), "-12.3400");
  EXPECT_EQ(Ok(R"({"v": {"$numberDecimal": "1.23E+5"}})").decimal_value(), "1.23E+5");
  EXPECT_EQ(Ok(R"({"v": {"$numberDecimal": "NaN"}})").decimal_value(), "NaN");
  EXPECT_EQ(Ok(R"({"v": {"$numberDecimal": "-Infinity"}})").decimal_value(), "-Infinity");
  EXPECT_EQ(Ok(R"({"v": {"$numberDecimal": "0.000000000000000000000000000000001"}})").decimal_value(),
            "1E-33");
}

TEST(BsonValues, ScalarsAndSpecials) {
  EXPECT_TRUE(Ok(R"({"v": true})").bool_value());
  EXPECT_EQ(Ok(R"({"v": null})").kind_case(), v1::Value::kNullValue);
  EXPECT_EQ(Ok(R"({"v": "h\u00e9"})").text_value(), "h\xc3\xa9");
  EXPECT_EQ(Ok(R"({"v": {"$oid": "65a1b2c3d4e5f60718293a4b"}})").object_id(),
            std::string("\x65\xa1\xb2\xc3\xd4\xe5\xf6\x07\x18\x29\x3a\x4b", 12));
  EXPECT_EQ(Ok(R"({"v": {"$date": {"$numberLong": "-1"}}})").timestamptz_micros(), -1000);
  EXPECT_EQ(Ok(R"({"v": {"$date": {"$numberLong": "1704164645500"}}})").timestamptz_micros(),
            1704164645500000);
  auto far = Of(R"({"v": {"$date": {"$numberLong": "9223372036854775807"}}})");
  EXPECT_EQ(far.status().code(), absl::StatusCode::kOutOfRange);
  v1::Value ts = Ok(R"({"v": {"$timestamp": {"t": 4294967295, "i": 7}}})");
  EXPECT_EQ(ts.bson_timestamp().t(), 4294967295u);
  EXPECT_EQ(ts.bson_timestamp().i(), 7u);
  v1::Value re = Ok(R"({"v": {"$regularExpression": {"pattern": "^a", "options": "im"}}})");
  EXPECT_EQ(re.regex().pattern(), "^a");
  EXPECT_EQ(re.regex().options(), "im");
  EXPECT_EQ(Ok(R"j({"v": {"$code": "f()"}})j").code().code(), "f()");
  v1::Value cws = Ok(R"j({"v": {"$code": "g()", "$scope": {"x": {"$numberInt": "1"}}}})j");
  EXPECT_EQ(cws.code().code(), "g()");
  ASSERT_EQ(cws.code().scope().fields_size(), 1);
  EXPECT_EQ(cws.code().scope().fields(0).value().int_value(), 1);
  EXPECT_EQ(Ok(R"({"v": {"$minKey": 1}})").bson_key(), v1::BSON_MIN_KEY);
  EXPECT_EQ(Ok(R"({"v": {"$maxKey": 1}})").bson_key(), v1::BSON_MAX_KEY);
  EXPECT_EQ(Ok(R"({"v": {"$symbol": "s"}})").bson_symbol(), "s");
  auto undef = Of(R"({"v": {"$undefined": true}})");
  EXPECT_EQ(undef.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(undef.status().message().find("undefined"), absl::string_view::npos);
  auto dbp = Of(R"({"v": {"$dbPointer": {"$ref": "c", "$id": {"$oid": "65a1b2c3d4e5f60718293a4b"}}}})");
  EXPECT_EQ(dbp.status().code(), absl::StatusCode::kFailedPrecondition);
}

TEST(BsonValues, BinarySubtypes) {
  EXPECT_EQ(Ok(R"({"v": {"$binary": {"base64": "AAH+", "subType": "00"}}})").bytes_value(),
            std::string("\x00\x01\xfe", 3));
  v1::Value uuid = Ok(R"({"v": {"$binary": {"base64": "EjRWeJq8TeGSNFZ4mrze8A==", "subType": "04"}}})");
  EXPECT_EQ(uuid.uuid().size(), 16u);
  v1::Value short_uuid = Ok(R"({"v": {"$binary": {"base64": "AAH+", "subType": "04"}}})");
  EXPECT_EQ(short_uuid.binary().subtype(), 4u);
  for (const char* st : {"01", "03", "05", "06", "07", "08", "80", "ff"}) {
    v1::Value b = Ok(std::string(R"({"v": {"$binary": {"base64": "AAH+", "subType": ")") + st + "\"}}}");
    EXPECT_EQ(b.binary().subtype(), std::stoul(st, nullptr, 16)) << st;
    EXPECT_EQ(b.binary().data(), std::string("\x00\x01\xfe", 3)) << st;
  }
}

TEST(BsonValues, NestedDocumentsAndArraysKeepOrder) {
  v1::Value v = Ok(R"({"v": {"z": 1, "a": [null, {"b": {"$numberLong": "2"}}, []], "e": {}}})");
  const auto& d = v.document();
  ASSERT_EQ(d.fields_size(), 3);
  EXPECT_EQ(d.fields(0).name(), "z");
  EXPECT_EQ(d.fields(1).name(), "a");
  const auto& arr = d.fields(1).value().array();
  ASSERT_EQ(arr.elements_size(), 3);
  EXPECT_EQ(arr.elements(0).kind_case(), v1::Value::kNullValue);
  EXPECT_EQ(arr.elements(1).document().fields(0).value().int_value(), 2);
  EXPECT_EQ(arr.elements(2).array().elements_size(), 0);
  EXPECT_EQ(d.fields(2).value().kind_case(), v1::Value::kDocument);
  // Errors name the path.
  auto bad = Of(R"({"v": {"x": [1, {"u": {"$undefined": true}}]}})");
  EXPECT_NE(bad.status().message().find("v.x.1.u"), absl::string_view::npos) << bad.status();
}

}  // namespace
}  // namespace tidemark::mongo
