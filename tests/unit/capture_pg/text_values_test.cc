#include "capture/pg/text_values.h"

#include <gmock/gmock.h>
#include <google/protobuf/text_format.h>
#include <gtest/gtest.h>

#include <cmath>

#include "capture/pg/datetime_text.h"

namespace tidemark::pg {
namespace {

using ::testing::HasSubstr;

v1::ColumnType Type(v1::TypeKind kind, std::string name = "") {
  v1::ColumnType t;
  t.set_kind(kind);
  t.set_source_type(name.empty() ? v1::TypeKind_Name(kind) : name);
  return t;
}

v1::ColumnType ArrayOf(v1::ColumnType element) {
  v1::ColumnType t = Type(v1::TYPE_ARRAY, element.source_type() + "[]");
  *t.mutable_element() = std::move(element);
  return t;
}

v1::Value Parse(const v1::ColumnType& type, std::string_view text) {
  auto v = ParseTextValue(type, text);
  EXPECT_TRUE(v.ok()) << type.source_type() << " \"" << text << "\": " << v.status();
  return v.value_or(v1::Value());
}

std::string Dump(const v1::Value& v) {
  std::string s;
  google::protobuf::TextFormat::Printer p;
  p.SetSingleLineMode(true);
  p.PrintToString(v, &s);
  return s;
}

absl::StatusCode Code(const v1::ColumnType& type, std::string_view text) {
  return ParseTextValue(type, text).status().code();
}

constexpr int64_t kDay = 86400LL * 1000000;

TEST(TextValues, BoolAndIntegers) {
  EXPECT_TRUE(Parse(Type(v1::TYPE_BOOL), "t").bool_value());
  EXPECT_FALSE(Parse(Type(v1::TYPE_BOOL), "f").bool_value());
  EXPECT_TRUE(Parse(Type(v1::TYPE_BOOL), "f").has_bool_value());
  EXPECT_EQ(Code(Type(v1::TYPE_BOOL), "true"), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Parse(Type(v1::TYPE_INT16), "-32768").int_value(), -32768);
  EXPECT_EQ(Code(Type(v1::TYPE_INT16), "32768"), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Parse(Type(v1::TYPE_INT32), "2147483647").int_value(), 2147483647);
  EXPECT_EQ(Code(Type(v1::TYPE_INT32), "2147483648"), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Parse(Type(v1::TYPE_INT64), "-9223372036854775808").int_value(), INT64_MIN);
  EXPECT_EQ(Parse(Type(v1::TYPE_INT64), "9223372036854775807").int_value(), INT64_MAX);
  EXPECT_EQ(Code(Type(v1::TYPE_INT64), "9223372036854775808"), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Code(Type(v1::TYPE_INT64), "1.0"), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Code(Type(v1::TYPE_INT64), ""), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Parse(Type(v1::TYPE_UINT64), "4294967295").uint_value(), 4294967295u);
  EXPECT_EQ(Code(Type(v1::TYPE_UINT64), "-1"), absl::StatusCode::kInvalidArgument);
}

TEST(TextValues, Floats) {
  EXPECT_EQ(Parse(Type(v1::TYPE_FLOAT32), "3.14159274").float_value(), 3.14159274f);
  EXPECT_EQ(Parse(Type(v1::TYPE_FLOAT64), "0.30000000000000004").double_value(), 0.1 + 0.2);
  EXPECT_TRUE(std::isnan(Parse(Type(v1::TYPE_FLOAT64), "NaN").double_value()));
  EXPECT_TRUE(std::isnan(Parse(Type(v1::TYPE_FLOAT32), "NaN").float_value()));
  EXPECT_EQ(Parse(Type(v1::TYPE_FLOAT64), "Infinity").double_value(), INFINITY);
  EXPECT_EQ(Parse(Type(v1::TYPE_FLOAT32), "-Infinity").float_value(), -INFINITY);
  double neg_zero = Parse(Type(v1::TYPE_FLOAT64), "-0").double_value();
  EXPECT_EQ(neg_zero, 0.0);
  EXPECT_TRUE(std::signbit(neg_zero));
  EXPECT_EQ(Parse(Type(v1::TYPE_FLOAT64), "1e+308").double_value(), 1e308);
  EXPECT_EQ(Parse(Type(v1::TYPE_FLOAT64), "5e-324").double_value(), 5e-324);
  EXPECT_EQ(Parse(Type(v1::TYPE_FLOAT32), "1e-45").float_value(), 1e-45f);
  EXPECT_EQ(Code(Type(v1::TYPE_FLOAT64), "inf"), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Code(Type(v1::TYPE_FLOAT64), "1e999"), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Code(Type(v1::TYPE_FLOAT32), "abc"), absl::StatusCode::kInvalidArgument);
}

TEST(TextValues, NumericIsExact) {
  auto numeric = Type(v1::TYPE_DECIMAL, "numeric");
  std::string big = std::string(1000, '9') + "." + std::string(500, '1');
  EXPECT_EQ(Parse(numeric, big).decimal_value(), big);
  EXPECT_EQ(Parse(numeric, "-12.3400").decimal_value(), "-12.3400");
  EXPECT_EQ(Parse(numeric, "0.000000000000000000000000000001").decimal_value(),
            "0.000000000000000000000000000001");
  for (const char* special : {"NaN", "Infinity", "-Infinity"}) {
    EXPECT_EQ(Parse(numeric, special).decimal_value(), special);
  }
  for (const char* bad : {"", "-", "1.", ".5", "1e5", "+1", "1,5", "nan", "12a"}) {
    EXPECT_EQ(Code(numeric, bad), absl::StatusCode::kInvalidArgument) << bad;
  }
}

TEST(TextValues, Money) {
  auto money = Type(v1::TYPE_MONEY, "money");
  EXPECT_EQ(Parse(money, "$1,234.56").decimal_value(), "1234.56");
  EXPECT_EQ(Parse(money, "-$1,234.56").decimal_value(), "-1234.56");
  EXPECT_EQ(Parse(money, "$1,234,567.50").decimal_value(), "1234567.50");
  EXPECT_EQ(Parse(money, "$0.00").decimal_value(), "0.00");
  EXPECT_EQ(Parse(money, "-$92,233,720,368,547,758.08").decimal_value(),
            "-92233720368547758.08");
  for (const char* bad : {"1.00", "$1,23.00", "$,123.00", "$1234,567.00", "$1.", "€1.00", "$"}) {
    EXPECT_EQ(Code(money, bad), absl::StatusCode::kInvalidArgument) << bad;
  }
}

TEST(TextValues, TextLikeAndBytes) {
  EXPECT_EQ(Parse(Type(v1::TYPE_TEXT), "héllo ✓ 日本語").text_value(), "héllo ✓ 日本語");
  EXPECT_TRUE(Parse(Type(v1::TYPE_TEXT), "").has_text_value());
  EXPECT_EQ(Parse(Type(v1::TYPE_INET), "192.168.0.1/24").text_value(), "192.168.0.1/24");
  EXPECT_EQ(Parse(Type(v1::TYPE_CIDR), "2001:db8::/32").text_value(), "2001:db8::/32");
  EXPECT_EQ(Parse(Type(v1::TYPE_MACADDR), "08:00:2b:01:02:03").text_value(), "08:00:2b:01:02:03");
  EXPECT_EQ(Parse(Type(v1::TYPE_MACADDR8), "08:00:2b:01:02:03:04:05").text_value(),
            "08:00:2b:01:02:03:04:05");
  EXPECT_EQ(Parse(Type(v1::TYPE_BYTES), "\\x00ff10").bytes_value(), std::string("\0\xff\x10", 3));
  EXPECT_TRUE(Parse(Type(v1::TYPE_BYTES), "\\x").has_bytes_value());
  EXPECT_EQ(Code(Type(v1::TYPE_BYTES), "\\x0"), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Code(Type(v1::TYPE_BYTES), "\\000"), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Code(Type(v1::TYPE_BYTES), "\\xzz"), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Parse(Type(v1::TYPE_JSON), "{\"a\": [1, 2.50]}").json_text(), "{\"a\": [1, 2.50]}");
  EXPECT_EQ(Parse(Type(v1::TYPE_JSONB), "[]").json_text(), "[]");
  EXPECT_EQ(Parse(Type(v1::TYPE_ENUM, "public.mood"), "very \"odd\", mood").enum_label(),
            "very \"odd\", mood");
}

TEST(TextValues, Uuid) {
  auto uuid = Type(v1::TYPE_UUID);
  EXPECT_EQ(Parse(uuid, "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11").uuid(),
            std::string("\xa0\xee\xbc\x99\x9c\x0b\x4e\xf8\xbb\x6d\x6b\xb9\xbd\x38\x0a\x11", 16));
  EXPECT_EQ(Code(uuid, "a0eebc999c0b4ef8bb6d6bb9bd380a11"), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Code(uuid, "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a1g"),
            absl::StatusCode::kInvalidArgument);
}

TEST(TextValues, Bits) {
  EXPECT_EQ(Parse(Type(v1::TYPE_BIT), "1010").bit_string(), "1010");
  EXPECT_TRUE(Parse(Type(v1::TYPE_VARBIT), "").has_bit_string());
  EXPECT_EQ(Code(Type(v1::TYPE_VARBIT), "102"), absl::StatusCode::kInvalidArgument);
}

TEST(TextValues, Dates) {
  auto date = Type(v1::TYPE_DATE, "date");
  EXPECT_EQ(Parse(date, "1970-01-01").date_days(), 0);
  EXPECT_TRUE(Parse(date, "1970-01-01").has_date_days());
  EXPECT_EQ(Parse(date, "2024-02-29").date_days(), 19782);
  EXPECT_EQ(Parse(date, "1969-12-31").date_days(), -1);
  EXPECT_EQ(Parse(date, "2000-03-01").date_days(), 11017);
  // 1 BC is astronomical year 0 (a leap year); 0001-01-01 is day -719162.
  EXPECT_EQ(Parse(date, "0001-01-01").date_days(), -719162);
  EXPECT_EQ(Parse(date, "0001-12-31 BC").date_days(), -719163);
  EXPECT_EQ(Parse(date, "0001-02-29 BC").date_days(), -719162 - 366 + 59);
  // Expected values computed independently (Python datetime plus year-length sums).
  EXPECT_EQ(Parse(date, "0044-03-15 BC").date_days(), -735160);
  EXPECT_EQ(Parse(date, "4713-01-01 BC").date_days(), -2440550);
  EXPECT_EQ(Parse(date, "4714-11-24 BC").date_days(), -2440588);  // Julian day 0
  EXPECT_EQ(Parse(date, "5874897-12-31").date_days(), 2145042905);  // PostgreSQL's last date
  EXPECT_FALSE(Parse(date, "infinity").infinity().negative());
  EXPECT_TRUE(Parse(date, "-infinity").infinity().negative());
  for (const char* bad : {"2023-02-29", "2024-13-01", "2024-1-01", "0000-01-01 BC", "24-01-01",
                          "2024-01-01 AD", "Infinity", "2024-01-01 "}) {
    EXPECT_EQ(Code(date, bad), absl::StatusCode::kInvalidArgument) << bad;
  }
}

TEST(TextValues, Times) {
  auto time = Type(v1::TYPE_TIME);
  EXPECT_EQ(Parse(time, "00:00:00").time_micros(), 0);
  EXPECT_EQ(Parse(time, "13:45:00.25").time_micros(), (13 * 3600 + 45 * 60) * 1000000LL + 250000);
  EXPECT_EQ(Parse(time, "23:59:59.999999").time_micros(), kDay - 1);
  EXPECT_EQ(Parse(time, "24:00:00").time_micros(), kDay);
  for (const char* bad : {"24:00:01", "12:60:00", "1:00:00", "12:00", "12:00:00.1234567",
                          "12:00:00+00"}) {
    EXPECT_EQ(Code(time, bad), absl::StatusCode::kInvalidArgument) << bad;
  }
  auto timetz = Type(v1::TYPE_TIMETZ);
  v1::Value v = Parse(timetz, "12:00:00+05:30");
  EXPECT_EQ(v.timetz().micros(), 12 * 3600 * 1000000LL);
  EXPECT_EQ(v.timetz().offset_seconds(), 19800);
  v = Parse(timetz, "23:59:59.999999-08");
  EXPECT_EQ(v.timetz().micros(), kDay - 1);
  EXPECT_EQ(v.timetz().offset_seconds(), -28800);
  EXPECT_EQ(Parse(timetz, "00:00:00+15:59").timetz().offset_seconds(), 15 * 3600 + 59 * 60);
  EXPECT_EQ(Parse(timetz, "10:00:00-00:00:15").timetz().offset_seconds(), -15);
  EXPECT_EQ(Code(timetz, "12:00:00"), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Code(timetz, "12:00:00+5"), absl::StatusCode::kInvalidArgument);
}

TEST(TextValues, Timestamps) {
  auto ts = Type(v1::TYPE_TIMESTAMP);
  auto tstz = Type(v1::TYPE_TIMESTAMPTZ);
  EXPECT_EQ(Parse(ts, "1970-01-01 00:00:00").timestamp_micros(), 0);
  EXPECT_TRUE(Parse(ts, "1970-01-01 00:00:00").has_timestamp_micros());
  EXPECT_EQ(Parse(ts, "2024-01-02 03:04:05.000006").timestamp_micros(),
            1704164645000006LL);
  EXPECT_EQ(Parse(ts, "1969-12-31 23:59:59.999999").timestamp_micros(), -1);
  EXPECT_EQ(Parse(ts, "0001-01-01 00:00:00 BC").timestamp_micros(), (-719162LL - 366) * kDay);
  EXPECT_TRUE(Parse(ts, "-infinity").infinity().negative());
  EXPECT_EQ(Parse(tstz, "2024-01-02 01:04:05.123456+00").timestamptz_micros(),
            1704157445123456LL);
  // The printed offset is honoured even though the session runs with TimeZone=UTC.
  EXPECT_EQ(Parse(tstz, "2024-01-02 03:04:05.123456+02").timestamptz_micros(),
            1704157445123456LL);
  EXPECT_EQ(Parse(tstz, "2020-01-01 10:00:00+05:30:15").timestamptz_micros(),
            (18262 * 86400LL + 10 * 3600 - 19815) * 1000000);
  EXPECT_EQ(Parse(tstz, "0044-03-15 12:00:00+00 BC").timestamptz_micros(),
            -735160 * kDay + 12 * 3600 * 1000000LL);
  EXPECT_EQ(Parse(tstz, "294247-01-10 04:00:54.775807+00").timestamptz_micros(), INT64_MAX);
  EXPECT_EQ(Parse(ts, "294247-01-10 04:00:54.775807").timestamp_micros(), INT64_MAX);
  // PostgreSQL's last instant is beyond int64 Unix microseconds: refused, not wrapped.
  EXPECT_EQ(Code(tstz, "294276-12-31 23:59:59.999999+00"), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Code(tstz, "294247-01-10 04:00:54.775808+00"), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Code(tstz, "294247-01-10 05:00:54.775807+01"), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Parse(tstz, "4714-11-24 00:00:00+00 BC").timestamptz_micros(), -2440588 * kDay);
  EXPECT_FALSE(Parse(tstz, "infinity").infinity().negative());
  for (const char* bad : {"2024-01-02 03:04:05", "2024-01-02T03:04:05+00",
                          "2024-01-02 24:00:00+00", "2024-01-02 03:04:05+00 AD"}) {
    EXPECT_EQ(Code(tstz, bad), absl::StatusCode::kInvalidArgument) << bad;
  }
  EXPECT_EQ(Code(ts, "2024-01-02 03:04:05+00"), absl::StatusCode::kInvalidArgument);
}

TEST(TextValues, Intervals) {
  auto iv = Type(v1::TYPE_INTERVAL);
  v1::Interval i = Parse(iv, "P1Y2M3DT4H5M6.789S").interval();
  EXPECT_EQ(i.months(), 14);
  EXPECT_EQ(i.days(), 3);
  EXPECT_EQ(i.micros(), ((4 * 60 + 5) * 60 + 6) * 1000000LL + 789000);
  i = Parse(iv, "P-1Y-2M3DT-4H-5M-6.789S").interval();
  EXPECT_EQ(i.months(), -14);
  EXPECT_EQ(i.days(), 3);
  EXPECT_EQ(i.micros(), -(((4 * 60 + 5) * 60 + 6) * 1000000LL + 789000));
  i = Parse(iv, "PT0S").interval();
  EXPECT_EQ(i.months(), 0);
  EXPECT_EQ(i.days(), 0);
  EXPECT_EQ(i.micros(), 0);
  EXPECT_TRUE(Parse(iv, "PT0S").has_interval());
  EXPECT_EQ(Parse(iv, "PT-0.5S").interval().micros(), -500000);
  EXPECT_EQ(Parse(iv, "P1DT-1S").interval().days(), 1);
  EXPECT_EQ(Parse(iv, "P1DT-1S").interval().micros(), -1000000);
  EXPECT_EQ(Parse(iv, "P178000000Y").interval().months(), 2136000000);
  EXPECT_EQ(Parse(iv, "PT2562047788H54.775807S").interval().micros(), INT64_MAX);
  for (const char* bad : {"", "P", "PT", "1 day", "P1X", "P1.5D", "P1Y2", "P-", "P99999999999Y",
                          "PT9999999999999999H"}) {
    EXPECT_EQ(Code(iv, bad), absl::StatusCode::kInvalidArgument) << bad;
  }
}

TEST(TextValues, Arrays) {
  auto ints = ArrayOf(Type(v1::TYPE_INT32, "integer"));
  EXPECT_EQ(Dump(Parse(ints, "{1,2,NULL,-3}")),
            "array { elements { int_value: 1 } elements { int_value: 2 } elements { null_value: "
            "NULL_VALUE } elements { int_value: -3 } } ");
  v1::Value empty = Parse(ints, "{}");
  EXPECT_TRUE(empty.has_array());
  EXPECT_EQ(empty.array().elements_size(), 0);

  auto texts = ArrayOf(Type(v1::TYPE_TEXT, "text"));
  v1::Value t = Parse(texts, R"({"a b",NULL,"","NULL","x\"y\\z","{}",ü,null})");
  ASSERT_EQ(t.array().elements_size(), 8);
  EXPECT_EQ(t.array().elements(0).text_value(), "a b");
  EXPECT_TRUE(t.array().elements(1).has_null_value());
  EXPECT_EQ(t.array().elements(2).text_value(), "");
  EXPECT_EQ(t.array().elements(3).text_value(), "NULL");  // quoted: the string, not NULL
  EXPECT_EQ(t.array().elements(4).text_value(), "x\"y\\z");
  EXPECT_EQ(t.array().elements(5).text_value(), "{}");
  EXPECT_EQ(t.array().elements(6).text_value(), "ü");
  EXPECT_TRUE(t.array().elements(7).has_null_value());

  auto moods = ArrayOf(Type(v1::TYPE_ENUM, "public.mood"));
  EXPECT_EQ(Parse(moods, R"({happy,"very \"odd\", mood"})").array().elements(1).enum_label(),
            "very \"odd\", mood");
  auto tstz = ArrayOf(Type(v1::TYPE_TIMESTAMPTZ));
  v1::Value ts = Parse(tstz, R"({"2024-01-02 03:04:05+00",-infinity})");
  EXPECT_EQ(ts.array().elements(0).timestamptz_micros(), 1704164645000000LL);
  EXPECT_TRUE(ts.array().elements(1).infinity().negative());

  auto multi = ParseTextValue(ints, "{{1,2},{3,4}}");
  EXPECT_EQ(multi.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(multi.status().message(), HasSubstr("multi-dimensional"));
  auto bounds = ParseTextValue(ints, "[0:1]={1,2}");
  EXPECT_EQ(bounds.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(bounds.status().message(), HasSubstr("explicit bounds"));
  auto element = ParseTextValue(ints, "{1,x}");
  EXPECT_EQ(element.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(element.status().message(), HasSubstr("element 2 of integer[]"));
  for (const char* bad : {"", "{", "1,2", "{1,}", "{,1}", "{\"a}", "{a\"b}", "{1}x", "{1,,2}"}) {
    EXPECT_EQ(Code(texts, bad), absl::StatusCode::kInvalidArgument) << bad;
  }
}

TEST(TextValues, ErrorsNameTheTypeAndValue) {
  auto s = ParseTextValue(Type(v1::TYPE_DECIMAL, "numeric(12,4)"), "12a").status();
  EXPECT_THAT(s.message(), HasSubstr("invalid numeric(12,4) value \"12a\""));
  std::string long_text(1000, '1');
  long_text += "x";
  s = ParseTextValue(Type(v1::TYPE_INT64, "bigint"), long_text).status();
  EXPECT_THAT(s.message(), HasSubstr("(1001 bytes)"));
  EXPECT_EQ(ParseTextValue(Type(v1::TYPE_GEOMETRY, "geometry"), "x").status().code(),
            absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace tidemark::pg
