#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "apply/pg/pg_text.h"

namespace tidemark::pgsink {
namespace {

std::string Text(const v1::Value& v) {
  std::string out;
  absl::Status s = AppendPgText(&out, v);
  EXPECT_TRUE(s.ok()) << s;
  return out;
}

TEST(PgText, Scalars) {
  v1::Value v;
  v.set_bool_value(true);
  EXPECT_EQ(Text(v), "t");
  v.set_int_value(std::numeric_limits<int64_t>::min());
  EXPECT_EQ(Text(v), "-9223372036854775808");
  v.set_uint_value(18446744073709551615ull);
  EXPECT_EQ(Text(v), "18446744073709551615");
  v.set_decimal_value("-12.3400");
  EXPECT_EQ(Text(v), "-12.3400");
  v.set_double_value(0.1);
  EXPECT_EQ(Text(v), "0.1");
  v.set_double_value(std::nan(""));
  EXPECT_EQ(Text(v), "NaN");
  v.set_float_value(-std::numeric_limits<float>::infinity());
  EXPECT_EQ(Text(v), "-Infinity");
  v.set_float_value(1.1f);
  EXPECT_EQ(Text(v), "1.1");
  v.set_bytes_value(std::string("\x00\xff\x10", 3));
  EXPECT_EQ(Text(v), "\\x00ff10");
  v.set_uuid(std::string("\xa0\xee\xbc\x99\x9c\x0b\x4e\xf8\xbb\x6d\x6b\xb9\xbd\x38\x0a\x11", 16));
  EXPECT_EQ(Text(v), "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11");
  v.mutable_set_labels()->add_labels("a");
  v.mutable_set_labels()->add_labels("b");
  EXPECT_EQ(Text(v), "a,b");
  v.mutable_infinity()->set_negative(true);
  EXPECT_EQ(Text(v), "-infinity");
}

TEST(PgText, Temporal) {
  v1::Value v;
  v.set_date_days(19782);  // 2024-02-29
  EXPECT_EQ(Text(v), "2024-02-29");
  v.set_date_days(-735160);  // 0044-03-15 BC: PostgreSQL says date - 1970-01-01 = -735160
  EXPECT_EQ(Text(v), "0044-03-15 BC");
  v.set_timestamp_micros(-1);
  EXPECT_EQ(Text(v), "1969-12-31 23:59:59.999999");
  v.set_timestamptz_micros(1704164645500000);  // 2024-01-02T03:04:05.5Z
  EXPECT_EQ(Text(v), "2024-01-02 03:04:05.500000+00");
  v.set_time_micros(-(838LL * 3600 + 59 * 60 + 59) * 1000000);
  EXPECT_EQ(Text(v), "-838:59:59");
  v.mutable_interval()->set_months(-14);
  v.mutable_interval()->set_days(3);
  v.mutable_interval()->set_micros(-14706789000);
  EXPECT_EQ(Text(v), "-14 mons 3 days -14706789000 microseconds");
}

TEST(PgText, ArraysQuoteEveryElement) {
  v1::Value v;
  auto* a = v.mutable_array();
  a->add_elements()->set_text_value("a \"b\" \\c");
  a->add_elements()->set_null_value(v1::NULL_VALUE);
  a->add_elements()->set_text_value("NULL");
  a->add_elements()->set_text_value("");
  EXPECT_EQ(Text(v), "{\"a \\\"b\\\" \\\\c\",NULL,\"NULL\",\"\"}");
}

TEST(PgText, CopyFieldAndLiteralEscaping) {
  v1::Value v;
  v.set_text_value("tab\there\nnew\\ 'q'");
  std::string copy, lit;
  ASSERT_TRUE(AppendCopyField(&copy, v).ok());
  EXPECT_EQ(copy, "tab\\there\\nnew\\\\ 'q'");
  ASSERT_TRUE(AppendLiteral(&lit, v).ok());
  EXPECT_EQ(lit, "'tab\there\nnew\\ ''q'''");
  v.set_null_value(v1::NULL_VALUE);
  copy.clear();
  ASSERT_TRUE(AppendCopyField(&copy, v).ok());
  EXPECT_EQ(copy, "\\N");
  v.set_int_value(-42);
  copy.clear();
  ASSERT_TRUE(AppendCopyField(&copy, v).ok());
  EXPECT_EQ(copy, "-42");
  v.set_uint_value(18446744073709551615u);
  copy.clear();
  ASSERT_TRUE(AppendCopyField(&copy, v).ok());
  EXPECT_EQ(copy, "18446744073709551615");
}

TEST(PgText, RefusesWhatItCannotWrite) {
  v1::Value v;
  v.mutable_unchanged();
  std::string out;
  EXPECT_FALSE(AppendPgText(&out, v).ok());
  v.set_text_value(std::string("a\0b", 3));
  EXPECT_FALSE(AppendPgText(&out, v).ok());
  EXPECT_FALSE(AppendCopyField(&out, v).ok());
  EXPECT_EQ(out, "") << "a refused value appends nothing";
  v.set_object_id("123456789012");
  EXPECT_FALSE(AppendPgText(&out, v).ok());
}

}  // namespace
}  // namespace tidemark::pgsink
