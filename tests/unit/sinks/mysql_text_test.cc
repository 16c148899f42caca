#include <gtest/gtest.h>

#include <cmath>

#include "apply/mysql/mysql_text.h"

namespace tidemark::mysqlsink {
namespace {

std::string Lit(const v1::Value& v, const std::string& type = "longtext") {
  std::string out;
  absl::Status s = AppendMysqlLiteral(&out, v, type);
  EXPECT_TRUE(s.ok()) << s;
  return out;
}

TEST(MysqlText, Literals) {
  v1::Value v;
  v.set_null_value(v1::NULL_VALUE);
  EXPECT_EQ(Lit(v), "NULL");
  v.set_bool_value(true);
  EXPECT_EQ(Lit(v), "1");
  v.set_uint_value(18446744073709551615ull);
  EXPECT_EQ(Lit(v), "18446744073709551615");
  v.set_decimal_value("-12.3400");
  EXPECT_EQ(Lit(v, "decimal"), "'-12.3400'");
  v.set_double_value(0.1);
  EXPECT_EQ(Lit(v, "double"), "0.1");
  v.set_double_value(std::nan(""));
  EXPECT_EQ(Lit(v, "varchar"), "'NaN'");
  v.set_text_value("it's \\ back");
  EXPECT_EQ(Lit(v), "'it''s \\ back'");
  v.set_bytes_value(std::string("\x00\xff'", 3));
  EXPECT_EQ(Lit(v, "longblob"), std::string("_binary'\x00\xff'''", 13));
  v.set_timestamptz_micros(1704164645500000);
  EXPECT_EQ(Lit(v, "datetime"), "'2024-01-02 03:04:05.5'");
  v.set_date_days(19782);
  EXPECT_EQ(Lit(v, "date"), "'2024-02-29'");
  v.set_bit_string("0010");
  EXPECT_EQ(Lit(v, "bit"), "b'0010'");
  EXPECT_EQ(Lit(v, "varchar"), "'0010'");
  v.mutable_interval()->set_months(14);
  EXPECT_EQ(Lit(v, "varchar"), "'P1Y2M'");
  v.mutable_array()->add_elements()->set_int_value(1);
  v.mutable_array()->add_elements()->set_null_value(v1::NULL_VALUE);
  EXPECT_EQ(Lit(v, "json"), "'[1,null]'");
}

TEST(MysqlText, RefusesValuesTheColumnCannotHold) {
  v1::Value v;
  std::string out;
  v.set_date_days(-735160);  // 0044-03-15 BC
  absl::Status s = AppendMysqlLiteral(&out, v, "date");
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("VARCHAR"), std::string_view::npos) << s;
  v.mutable_infinity();
  EXPECT_FALSE(AppendMysqlLiteral(&out, v, "datetime").ok());
  out.clear();
  EXPECT_TRUE(AppendMysqlLiteral(&out, v, "varchar").ok());
  EXPECT_EQ(out, "'infinity'");
  v.mutable_unchanged();
  EXPECT_FALSE(AppendMysqlLiteral(&out, v, "varchar").ok());
}

}  // namespace
}  // namespace tidemark::mysqlsink
