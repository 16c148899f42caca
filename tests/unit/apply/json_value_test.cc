// Every Value kind as JSON, with edge values (DESIGN.md §4, apply/format/json_value.h).
#include "apply/format/json_value.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <utility>

#include "common/json_writer.h"
#include "apply/format/temporal.h"

namespace tidemark {
namespace {

using v1::Value;

std::string J(const Value& v) {
  std::string out;
  absl::Status s = json::AppendValue(&out, v);
  EXPECT_TRUE(s.ok()) << s;
  // Whatever we print must be valid JSON that our validating minifier leaves unchanged.
  std::string again;
  EXPECT_TRUE(json::AppendMinified(&again, out).ok()) << out;
  EXPECT_EQ(again, out);
  return out;
}

std::string Err(const Value& v) {
  std::string out;
  absl::Status s = json::AppendValue(&out, v);
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  return std::string(s.message());
}

Value Int(int64_t x) { Value v; v.set_int_value(x); return v; }
Value Uint(uint64_t x) { Value v; v.set_uint_value(x); return v; }
Value Dbl(double x) { Value v; v.set_double_value(x); return v; }
Value Flt(float x) { Value v; v.set_float_value(x); return v; }
Value Text(std::string s) { Value v; v.set_text_value(std::move(s)); return v; }
Value Date(int32_t d) { Value v; v.set_date_days(d); return v; }
Value Ts(int64_t m) { Value v; v.set_timestamp_micros(m); return v; }
Value Tstz(int64_t m) { Value v; v.set_timestamptz_micros(m); return v; }
Value Time(int64_t m) { Value v; v.set_time_micros(m); return v; }
Value Json(std::string s) { Value v; v.set_json_text(std::move(s)); return v; }
Value Null() { Value v; v.set_null_value(v1::NULL_VALUE); return v; }
Value Interval(int32_t months, int32_t days, int64_t micros) {
  Value v;
  v.mutable_interval()->set_months(months);
  v.mutable_interval()->set_days(days);
  v.mutable_interval()->set_micros(micros);
  return v;
}

constexpr int64_t kSec = 1'000'000;

TEST(JsonValue, NullAndBool) {
  EXPECT_EQ(J(Null()), "null");
  Value t; t.set_bool_value(true);
  Value f; f.set_bool_value(false);
  EXPECT_EQ(J(t), "true");
  EXPECT_EQ(J(f), "false");
}

TEST(JsonValue, IntegersKeepEveryDigit) {
  EXPECT_EQ(J(Int(std::numeric_limits<int64_t>::min())), "-9223372036854775808");
  EXPECT_EQ(J(Int(std::numeric_limits<int64_t>::max())), "9223372036854775807");
  EXPECT_EQ(J(Int(0)), "0");
  EXPECT_EQ(J(Uint(18446744073709551615ull)), "18446744073709551615");
  // 2^53 + 1 is not representable as a double.
  EXPECT_EQ(J(Int(9007199254740993)), "9007199254740993");
}

TEST(JsonValue, DecimalsAreExactStrings) {
  Value v;
  v.set_decimal_value("-12.3400");
  EXPECT_EQ(J(v), "\"-12.3400\"");
  v.set_decimal_value("1234567890123456789012345678901234567890.0123456789");
  EXPECT_EQ(J(v), "\"1234567890123456789012345678901234567890.0123456789\"");
  v.set_decimal_value("NaN");
  EXPECT_EQ(J(v), "\"NaN\"");
  v.set_decimal_value("-Infinity");
  EXPECT_EQ(J(v), "\"-Infinity\"");
}

TEST(JsonValue, DoublesShortestRoundTrip) {
  EXPECT_EQ(J(Dbl(0.1)), "0.1");
  EXPECT_EQ(J(Dbl(1.5)), "1.5");
  EXPECT_EQ(J(Dbl(100)), "100");
  EXPECT_EQ(J(Dbl(1e300)), "1e+300");
  EXPECT_EQ(J(Dbl(-2.5e-310)), "-2.5e-310");  // subnormal
  EXPECT_EQ(J(Dbl(std::numeric_limits<double>::max())), "1.7976931348623157e+308");
  EXPECT_EQ(J(Dbl(-0.0)), "-0.0");
  EXPECT_EQ(J(Dbl(0.0)), "0");
  EXPECT_EQ(J(Dbl(std::nan(""))), "\"NaN\"");
  EXPECT_EQ(J(Dbl(std::numeric_limits<double>::infinity())), "\"Infinity\"");
  EXPECT_EQ(J(Dbl(-std::numeric_limits<double>::infinity())), "\"-Infinity\"");
  // Round trip: the printed text parses back to the same bits.
  for (double d : {0.1 + 0.2, 1.0 / 3, 123456.789e-20, 5e-324}) {
    EXPECT_EQ(std::strtod(J(Dbl(d)).c_str(), nullptr), d);
  }
}

TEST(JsonValue, FloatsAtFloatPrecision) {
  EXPECT_EQ(J(Flt(1.1f)), "1.1");
  EXPECT_EQ(J(Flt(3.4028235e38f)), "3.4028235e+38");
  EXPECT_EQ(J(Flt(-0.0f)), "-0.0");
  EXPECT_EQ(J(Flt(std::nanf(""))), "\"NaN\"");
  EXPECT_EQ(J(Flt(-std::numeric_limits<float>::infinity())), "\"-Infinity\"");
}

TEST(JsonValue, TextEscaping) {
  EXPECT_EQ(J(Text("a\"b\\c")), R"("a\"b\\c")");
  EXPECT_EQ(J(Text("\n\r\t\b\f")), R"("\n\r\t\b\f")");
  EXPECT_EQ(J(Text(std::string("\x00\x01\x1f\x7f", 4))), R"("\u0000\u0001\u001f\u007f")");
  EXPECT_EQ(J(Text("héllo €𝄞 日本")), "\"héllo €𝄞 日本\"");  // UTF-8 passes through
  EXPECT_EQ(J(Text("a\u2028b\u2029c")), R"("a\u2028b\u2029c")");
  EXPECT_EQ(J(Text("</script>")), "\"</script>\"");
}

// AppendString skips 8 plain bytes at a time: every byte that needs escaping or
// checking must still be found at every position of such a word.
TEST(JsonValue, TextEscapingAtEveryPositionOfALongString) {
  const std::string plain = "abcdefghijklmnopqrstuvwxyz 0123456789~!";
  const std::pair<std::string, std::string> specials[] = {
      {"\"", R"(\")"}, {"\\", R"(\\)"}, {"\n", R"(\n)"}, {std::string(1, '\0'), R"(\u0000)"},
      {"\x1f", R"(\u001f)"}, {"\x7f", R"(\u007f)"}, {"é", "é"}, {"\u2028", R"(\u2028)"}};
  for (const auto& [raw, escaped] : specials) {
    for (size_t at = 0; at <= plain.size(); ++at) {
      const std::string text = plain.substr(0, at) + raw + plain.substr(at);
      EXPECT_EQ(J(Text(text)), "\"" + plain.substr(0, at) + escaped + plain.substr(at) + "\"")
          << "special " << escaped << " at " << at;
    }
  }
  EXPECT_EQ(J(Text(plain)), "\"" + plain + "\"");
  for (size_t at = 0; at < plain.size(); ++at) {  // invalid UTF-8 is found anywhere
    const std::string text = plain.substr(0, at) + "\xff" + plain.substr(at);
    EXPECT_EQ(Err(Text(text)), fmt::format("invalid UTF-8 at byte {} of {}", at, text.size()));
  }
}

TEST(JsonValue, InvalidUtf8IsAnError) {
  EXPECT_EQ(Err(Text("ab\xff")), "invalid UTF-8 at byte 2 of 3");
  EXPECT_EQ(Err(Text("\xc3")), "invalid UTF-8 at byte 0 of 1");          // truncated
  EXPECT_EQ(Err(Text("x\xc0\xaf")), "invalid UTF-8 at byte 1 of 3");     // overlong '/'
  EXPECT_EQ(Err(Text("\xed\xa0\x80")), "invalid UTF-8 at byte 0 of 3");  // surrogate
  EXPECT_EQ(Err(Text("\xf4\x90\x80\x80")), "invalid UTF-8 at byte 0 of 4");  // > U+10FFFF
  EXPECT_EQ(Err(Text("\x80")), "invalid UTF-8 at byte 0 of 1");
}

TEST(JsonValue, TrustedStringEscapesBadBytes) {
  std::string out;
  json::AppendTrustedString(&out, "a\xff");
  EXPECT_EQ(out, R"("a\u00ff")");
}

TEST(JsonValue, BytesAsBase64) {
  Value v;
  v.set_bytes_value("");
  EXPECT_EQ(J(v), "\"\"");
  v.set_bytes_value("f");
  EXPECT_EQ(J(v), "\"Zg==\"");
  v.set_bytes_value("fo");
  EXPECT_EQ(J(v), "\"Zm8=\"");
  v.set_bytes_value("foobar");
  EXPECT_EQ(J(v), "\"Zm9vYmFy\"");
  v.set_bytes_value(std::string("\x00\xff\xfe", 3));
  EXPECT_EQ(J(v), "\"AP/+\"");
}

TEST(JsonValue, Dates) {
  EXPECT_EQ(J(Date(0)), "\"1970-01-01\"");
  EXPECT_EQ(J(Date(19723)), "\"2024-01-01\"");
  EXPECT_EQ(J(Date(-1)), "\"1969-12-31\"");
  EXPECT_EQ(J(Date(11016)), "\"2000-02-29\"");
  EXPECT_EQ(J(Date(-719528)), "\"0000-01-01\"");  // 1 BC
  EXPECT_EQ(J(Date(-735234)), "\"-0044-12-31\"");
  EXPECT_EQ(J(Date(-735160)), "\"-0043-03-15\"");  // 44 BC (astronomical -43)
  EXPECT_EQ(J(Date(2932896)), "\"9999-12-31\"");
  EXPECT_EQ(J(Date(2932897)), "\"+10000-01-01\"");
  EXPECT_EQ(J(Date(3789391)), "\"+12345-01-01\"");
  EXPECT_EQ(temporal::FormatDate(-2440588 - 1), "-4713-11-23");  // day before JD 0
  Value inf; inf.mutable_infinity()->set_negative(false);
  EXPECT_EQ(J(inf), "\"infinity\"");
  inf.mutable_infinity()->set_negative(true);
  EXPECT_EQ(J(inf), "\"-infinity\"");
}

TEST(JsonValue, Timestamps) {
  const int64_t t = 1704164645 * kSec;  // 2024-01-02T03:04:05Z
  EXPECT_EQ(J(Tstz(t + 123456)), "\"2024-01-02T03:04:05.123456Z\"");
  EXPECT_EQ(J(Tstz(t)), "\"2024-01-02T03:04:05Z\"");
  EXPECT_EQ(J(Tstz(t + 500000)), "\"2024-01-02T03:04:05.5Z\"");
  EXPECT_EQ(J(Tstz(t + 10)), "\"2024-01-02T03:04:05.00001Z\"");
  EXPECT_EQ(J(Ts(t + 123456)), "\"2024-01-02T03:04:05.123456\"");
  EXPECT_EQ(J(Tstz(-1)), "\"1969-12-31T23:59:59.999999Z\"");
  EXPECT_EQ(J(Ts(0)), "\"1970-01-01T00:00:00\"");
  // 4713 BC, PostgreSQL's lower bound.
  EXPECT_EQ(J(Ts(-210866803200LL * kSec)), "\"-4713-11-24T00:00:00\"");
  EXPECT_EQ(J(Ts(std::numeric_limits<int64_t>::min())), "\"-290308-12-21T19:59:05.224192\"");
  EXPECT_EQ(J(Tstz(std::numeric_limits<int64_t>::max())), "\"+294247-01-10T04:00:54.775807Z\"");
}

TEST(JsonValue, Times) {
  EXPECT_EQ(J(Time(0)), "\"00:00:00\"");
  EXPECT_EQ(J(Time(13 * 3600 * kSec + 4 * 60 * kSec + 5 * kSec + 60)), "\"13:04:05.00006\"");
  EXPECT_EQ(J(Time(24 * 3600 * kSec)), "\"24:00:00\"");
  EXPECT_EQ(J(Time(-(838 * 3600 + 59 * 60 + 59) * kSec)), "\"-838:59:59\"");
  EXPECT_EQ(J(Time(-1)), "\"-00:00:00.000001\"");
  Value tz;
  tz.mutable_timetz()->set_micros((10 * 3600 + 30 * 60) * kSec + 250000);
  tz.mutable_timetz()->set_offset_seconds(19800);
  EXPECT_EQ(J(tz), "\"10:30:00.25+05:30\"");
  tz.mutable_timetz()->set_offset_seconds(-(3 * 3600 + 30 * 60 + 15));
  EXPECT_EQ(J(tz), "\"10:30:00.25-03:30:15\"");
  tz.mutable_timetz()->set_offset_seconds(0);
  tz.mutable_timetz()->set_micros(0);
  EXPECT_EQ(J(tz), "\"00:00:00+00:00\"");
}

TEST(JsonValue, Intervals) {
  EXPECT_EQ(J(Interval(14, 3, (4 * 3600 + 5 * 60 + 6) * kSec + 789000)),
            "\"P1Y2M3DT4H5M6.789S\"");
  EXPECT_EQ(J(Interval(0, 0, 0)), "\"PT0S\"");
  EXPECT_EQ(J(Interval(-14, -3, -((4 * 3600 + 5 * 60 + 6) * kSec + 789000))),
            "\"P-1Y-2M-3DT-4H-5M-6.789S\"");
  EXPECT_EQ(J(Interval(1, -1, 0)), "\"P1M-1D\"");  // mixed signs stay exact
  EXPECT_EQ(J(Interval(0, 0, -1)), "\"PT-0.000001S\"");
  EXPECT_EQ(J(Interval(12, 0, 0)), "\"P1Y\"");
  EXPECT_EQ(J(Interval(0, 0, 100 * 3600 * kSec)), "\"PT100H\"");
  EXPECT_EQ(J(Interval(0, 0, 90 * kSec)), "\"PT1M30S\"");
  EXPECT_EQ(temporal::FormatInterval(Interval(std::numeric_limits<int32_t>::min(), 0,
                                              std::numeric_limits<int64_t>::min())
                                         .interval()),
            "P-178956970Y-8MT-2562047788H-54.775808S");
}

TEST(JsonValue, Uuid) {
  Value v;
  v.set_uuid(std::string("\x12\x3e\x45\x67\xe8\x9b\x12\xd3\xa4\x56\x42\x66\x14\x17\x40\x00", 16));
  EXPECT_EQ(J(v), "\"123e4567-e89b-12d3-a456-426614174000\"");
  v.set_uuid("short");
  EXPECT_EQ(Err(v), "uuid of 5 bytes (want 16)");
}

TEST(JsonValue, JsonIsEmbeddedAndMinified) {
  EXPECT_EQ(J(Json("{\"a\": [1, 2.5e3, -0, true, false, null],\n  \"b\": {\"c\": \"x y\\n\"}}")),
            R"({"a":[1,2.5e3,-0,true,false,null],"b":{"c":"x y\n"}})");
  EXPECT_EQ(J(Json(" \"just a string\" ")), "\"just a string\"");
  EXPECT_EQ(J(Json("123456789012345678901234567890")), "123456789012345678901234567890");
  EXPECT_EQ(J(Json("{\"dup\":1,\"dup\":2}")), "{\"dup\":1,\"dup\":2}");  // kept as sent
  EXPECT_EQ(J(Json("[\"\\u00e9\\ud83d\\ude00\", \"é\"]")), "[\"\\u00e9\\ud83d\\ude00\",\"é\"]");
  EXPECT_EQ(J(Json("{}")), "{}");
  EXPECT_EQ(J(Json("[ ]")), "[]");
}

TEST(JsonValue, InvalidJsonIsAnError) {
  EXPECT_EQ(Err(Json("{\"a\":1,}")), "invalid JSON: expected a string key at byte 7 of 8");
  EXPECT_EQ(Err(Json("[1 2]")), "invalid JSON: expected ',' or ']' at byte 3 of 5");
  EXPECT_EQ(Err(Json("")), "invalid JSON: unexpected end at byte 0 of 0");
  EXPECT_EQ(Err(Json("01")), "invalid JSON: trailing characters after the JSON value at byte 1 of 2");
  EXPECT_EQ(Err(Json("\"a\nb\"")), "invalid JSON: control character in string at byte 2 of 5");
  EXPECT_EQ(Err(Json("\"\\x\"")), "invalid JSON: bad escape at byte 1 of 4");
  EXPECT_EQ(Err(Json("\"\xff\"")), "invalid JSON: invalid UTF-8 at byte 1 of 3");
  EXPECT_EQ(Err(Json("NaN")), "invalid JSON: unexpected character at byte 0 of 3");
  EXPECT_EQ(Err(Json("tru")), "invalid JSON: unexpected character at byte 0 of 3");
  EXPECT_EQ(Err(Json("1.")), "invalid JSON: digit expected after '.' at byte 2 of 2");
  EXPECT_EQ(Err(Json("{} {}")), "invalid JSON: trailing characters after the JSON value at byte 3 of 5");
  EXPECT_EQ(Err(Json(std::string(1001, '[') + std::string(1001, ']'))),
            "invalid JSON: nesting deeper than 1000 levels at byte 1000 of 2002");
  std::string ok_deep = std::string(1000, '[') + std::string(1000, ']');
  EXPECT_EQ(J(Json(ok_deep)), ok_deep);
}

TEST(JsonValue, EnumSetBitsGeometry) {
  Value e; e.set_enum_label("happy");
  EXPECT_EQ(J(e), "\"happy\"");
  Value s;
  s.mutable_set_labels()->add_labels("a");
  s.mutable_set_labels()->add_labels("b\"c");
  EXPECT_EQ(J(s), R"(["a","b\"c"])");
  Value empty_set; empty_set.mutable_set_labels();
  EXPECT_EQ(J(empty_set), "[]");
  Value b; b.set_bit_string("0101");
  EXPECT_EQ(J(b), "\"0101\"");
  b.set_bit_string("01x");
  EXPECT_EQ(Err(b), "bit string with characters other than 0 and 1");
  Value g;
  g.mutable_geometry()->set_wkb(std::string("\x01\x01\x00\x00\x00", 5));
  g.mutable_geometry()->set_srid(4326);
  EXPECT_EQ(J(g), R"({"wkb":"AQEAAAA=","srid":4326})");
}

TEST(JsonValue, ArraysWithNullsAndNesting) {
  Value a;
  *a.mutable_array()->add_elements() = Int(1);
  *a.mutable_array()->add_elements() = Null();
  *a.mutable_array()->add_elements() = Int(-3);
  EXPECT_EQ(J(a), "[1,null,-3]");
  Value outer;
  *outer.mutable_array()->add_elements() = a;
  *outer.mutable_array()->add_elements() = Text("x");
  EXPECT_EQ(J(outer), "[[1,null,-3],\"x\"]");
  Value empty; empty.mutable_array();
  EXPECT_EQ(J(empty), "[]");
  Value bad;
  *bad.mutable_array()->add_elements() = Int(1);
  *bad.mutable_array()->add_elements() = Text("\xff");
  EXPECT_EQ(Err(bad), "array element 1: invalid UTF-8 at byte 0 of 1");
}

TEST(JsonValue, UnchangedAndUnsetAreErrors) {
  Value u; u.mutable_unchanged();
  EXPECT_EQ(Err(u), "unchanged (TOAST) marker where a value is required");
  EXPECT_EQ(Err(Value()), "value with no kind set");
}

}  // namespace
}  // namespace tidemark

// --- BSON kinds (MongoDB): Extended JSON v2 canonical wrappers --------------------

namespace tidemark {
namespace {

TEST(JsonValueBson, ObjectId) {
  Value v;
  v.set_object_id(std::string("\x65\x9a\x00\x01\xab\xcd\xef\x10\x20\x30\x40\xff", 12));
  EXPECT_EQ(J(v), R"({"$oid":"659a0001abcdef10203040ff"})");
  v.set_object_id("short");
  EXPECT_NE(Err(v).find("ObjectId of 5 bytes"), std::string::npos);
}

TEST(JsonValueBson, TimestampBinaryRegexCodeKeysSymbol) {
  Value ts;
  ts.mutable_bson_timestamp()->set_t(4294967295u);
  ts.mutable_bson_timestamp()->set_i(7);
  EXPECT_EQ(J(ts), R"({"$timestamp":{"t":4294967295,"i":7}})");

  Value bin;
  bin.mutable_binary()->set_data(std::string("\x00\x01\xfe", 3));
  bin.mutable_binary()->set_subtype(0x80);
  EXPECT_EQ(J(bin), R"({"$binary":{"base64":"AAH+","subType":"80"}})");
  bin.mutable_binary()->set_subtype(3);
  EXPECT_EQ(J(bin), R"({"$binary":{"base64":"AAH+","subType":"03"}})");
  bin.mutable_binary()->set_subtype(256);
  EXPECT_NE(Err(bin).find("binary subtype 256"), std::string::npos);

  Value re;
  re.mutable_regex()->set_pattern("^a\"b\\d$");
  re.mutable_regex()->set_options("im");
  EXPECT_EQ(J(re), R"({"$regularExpression":{"pattern":"^a\"b\\d$","options":"im"}})");

  Value code;
  code.mutable_code()->set_code("function() { return 1; }");
  EXPECT_EQ(J(code), R"({"$code":"function() { return 1; }"})");
  auto* f = code.mutable_code()->mutable_scope()->add_fields();
  f->set_name("x");
  f->mutable_value()->set_int_value(1);
  EXPECT_EQ(J(code), R"({"$code":"function() { return 1; }","$scope":{"x":1}})");

  Value mn, mx;
  mn.set_bson_key(v1::BSON_MIN_KEY);
  mx.set_bson_key(v1::BSON_MAX_KEY);
  EXPECT_EQ(J(mn), R"({"$minKey":1})");
  EXPECT_EQ(J(mx), R"({"$maxKey":1})");

  Value sym;
  sym.set_bson_symbol("sym");
  EXPECT_EQ(J(sym), R"({"$symbol":"sym"})");
}

TEST(JsonValueBson, NestedDocumentsKeepOrderAndExactValues) {
  Value doc;
  auto* d = doc.mutable_document();
  auto add = [](v1::Document* d, std::string name) {
    auto* f = d->add_fields();
    f->set_name(std::move(name));
    return f->mutable_value();
  };
  add(d, "z")->set_int_value(-9223372036854775807LL - 1);
  add(d, "a")->set_decimal_value("1.2300E+5");
  add(d, "n")->set_double_value(std::nan(""));
  Value* inner = add(d, "inner");
  add(inner->mutable_document(), "k")->set_text_value("v");
  Value* arr = add(d, "arr");
  arr->mutable_array()->add_elements()->set_null_value(v1::NULL_VALUE);
  arr->mutable_array()->add_elements()->mutable_document();
  add(d, "empty")->mutable_document();
  EXPECT_EQ(J(doc),
            R"({"z":-9223372036854775808,"a":"1.2300E+5","n":"NaN","inner":{"k":"v"},)"
            R"("arr":[null,{}],"empty":{}})");
  add(d, "bad")->set_object_id("x");
  EXPECT_NE(Err(doc).find("field 'bad'"), std::string::npos);
}

// --- canonical Extended JSON (AppendExtendedJson) --------------------------------

std::string X(const Value& v) {
  std::string out;
  absl::Status s = json::AppendExtendedJson(&out, v);
  EXPECT_TRUE(s.ok()) << s;
  std::string again;
  EXPECT_TRUE(json::AppendMinified(&again, out).ok()) << out;
  EXPECT_EQ(again, out);
  return out;
}

TEST(ExtendedJson, IntegersSayTheirWidth) {
  Value i32 = Int(-2147483648LL);
  i32.set_bson_int32(true);
  EXPECT_EQ(X(i32), R"({"$numberInt":"-2147483648"})");
  EXPECT_EQ(X(Int(5)), R"({"$numberLong":"5"})");
  EXPECT_EQ(X(Int(std::numeric_limits<int64_t>::min())),
            R"({"$numberLong":"-9223372036854775808"})");
  Value bad = Int(1LL << 40);
  bad.set_bson_int32(true);
  std::string out;
  EXPECT_FALSE(json::AppendExtendedJson(&out, bad).ok());
}

TEST(ExtendedJson, DoublesNeverReadAsIntegers) {
  EXPECT_EQ(X(Dbl(1.0)), R"({"$numberDouble":"1.0"})");
  EXPECT_EQ(X(Dbl(-0.0)), R"({"$numberDouble":"-0.0"})");
  EXPECT_EQ(X(Dbl(0.1)), R"({"$numberDouble":"0.1"})");
  EXPECT_EQ(X(Dbl(1e300)), R"({"$numberDouble":"1e+300"})");
  EXPECT_EQ(X(Dbl(std::nan(""))), R"({"$numberDouble":"NaN"})");
  EXPECT_EQ(X(Dbl(-std::numeric_limits<double>::infinity())), R"({"$numberDouble":"-Infinity"})");
}

TEST(ExtendedJson, DecimalDateBinaryUuid) {
  Value dec;
  dec.set_decimal_value("-12.3400");
  EXPECT_EQ(X(dec), R"({"$numberDecimal":"-12.3400"})");
  Value date;
  date.set_timestamptz_micros(-1500000);
  EXPECT_EQ(X(date), R"({"$date":{"$numberLong":"-1500"}})");
  date.set_timestamptz_micros(1);
  std::string out;
  EXPECT_FALSE(json::AppendExtendedJson(&out, date).ok()) << "sub-millisecond is no BSON date";
  Value bytes;
  bytes.set_bytes_value(std::string("\x00\x01\xfe", 3));
  EXPECT_EQ(X(bytes), R"({"$binary":{"base64":"AAH+","subType":"00"}})");
  Value uuid;
  uuid.set_uuid(std::string(16, '\x11'));
  EXPECT_EQ(X(uuid), R"({"$binary":{"base64":"EREREREREREREREREREREQ==","subType":"04"}})");
}

TEST(ExtendedJson, NestedValuesUseTheSameForm) {
  Value doc;
  auto* f = doc.mutable_document()->add_fields();
  f->set_name("a");
  auto* arr = f->mutable_value()->mutable_array();
  arr->add_elements()->set_int_value(1);
  arr->add_elements()->set_double_value(2);
  arr->add_elements()->set_text_value("s");
  auto* g = doc.mutable_document()->add_fields();
  g->set_name("c");
  g->mutable_value()->mutable_code()->set_code("x");
  auto* sf = g->mutable_value()->mutable_code()->mutable_scope()->add_fields();
  sf->set_name("k");
  sf->mutable_value()->set_int_value(2);
  sf->mutable_value()->set_bson_int32(true);
  EXPECT_EQ(X(doc), R"({"a":[{"$numberLong":"1"},{"$numberDouble":"2.0"},"s"],)"
                    R"("c":{"$code":"x","$scope":{"k":{"$numberInt":"2"}}}})");
}

TEST(ExtendedJson, KindsWithoutBsonFormAreErrors) {
  Value v;
  v.set_date_days(1);
  std::string out;
  absl::Status s = json::AppendExtendedJson(&out, v);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("date_days"), std::string::npos) << s;
  v.mutable_unchanged();
  EXPECT_FALSE(json::AppendExtendedJson(&out, v).ok());
}

}  // namespace
}  // namespace tidemark
