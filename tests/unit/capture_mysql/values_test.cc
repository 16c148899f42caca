// Value decoding from hand-made row-image bytes (MySQL sql/field.cc pack formats).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "capture/mysql/column_type.h"
#include "capture/mysql/value_decoder.h"

namespace tidemark::mysql {
namespace {

v1::Value Decode(const std::string& bytes, uint8_t type, uint16_t meta, bool is_unsigned = false,
                 std::string charset = "") {
  ColumnDef c;
  c.name = "c";
  c.type = c.real_type = type;
  c.meta = meta;
  c.is_unsigned = is_unsigned;
  c.charset = std::move(charset);
  ByteReader r(bytes, "test");
  auto v = DecodeValue(r, c);
  EXPECT_TRUE(v.ok()) << v.status();
  EXPECT_TRUE(r.empty()) << r.remaining() << " bytes left";
  return v.ok() ? *v : v1::Value();
}

TEST(Decimal, EdgeValues) {
  // DECIMAL(10,2) 1234567.89: intg 8 → 1 group of 8 digits (4 bytes), frac 2 → 1 byte.
  std::string b = {'\x80', '\x12', '\xd6', '\x87', '\x59'};
  EXPECT_EQ(*DecodeDecimal(b, 10, 2), "1234567.89");
  std::string n = b;
  for (char& c : n) c = static_cast<char>(~c);
  EXPECT_EQ(*DecodeDecimal(n, 10, 2), "-1234567.89");
  std::string zero = {'\x80', '\0', '\0', '\0', '\0'};
  EXPECT_EQ(*DecodeDecimal(zero, 10, 2), "0.00");
  EXPECT_EQ(DecimalBinarySize(65, 30), 30u);
  EXPECT_FALSE(DecodeDecimal(b, 66, 2).ok());
}

TEST(Integers, SignedAndUnsigned) {
  EXPECT_EQ(Decode("\xff", MYSQL_TYPE_TINY, 0).int_value(), -1);
  EXPECT_EQ(Decode("\xff", MYSQL_TYPE_TINY, 0, true).uint_value(), 255u);
  EXPECT_EQ(Decode(std::string("\x00\x00\x80", 3), MYSQL_TYPE_INT24, 0).int_value(), -8388608);
  EXPECT_EQ(Decode(std::string(8, '\xff'), MYSQL_TYPE_LONGLONG, 0, true).uint_value(),
            18446744073709551615ULL);
}

TEST(Temporal, Time2NegativeAndFractions) {
  // TIME(0) -838:59:59: intpart = -(838<<12 | 59<<6 | 59) + 0x800000, big-endian.
  int64_t hms = (838 << 12) | (59 << 6) | 59;
  uint32_t u = static_cast<uint32_t>(0x800000 - hms);
  std::string b = {static_cast<char>(u >> 16), static_cast<char>(u >> 8), static_cast<char>(u)};
  EXPECT_EQ(Decode(b, MYSQL_TYPE_TIME2, 0).time_micros(), -((838LL * 3600 + 59 * 60 + 59) * 1000000));
  // TIME(6) 838:59:59.000000 → 6-byte form.
  uint64_t p = (static_cast<uint64_t>(hms) << 24) + 0x800000000000ULL;
  std::string b6;
  for (int i = 5; i >= 0; --i) b6.push_back(static_cast<char>(p >> (8 * i)));
  EXPECT_EQ(Decode(b6, MYSQL_TYPE_TIME2, 6).time_micros(), (838LL * 3600 + 59 * 60 + 59) * 1000000);
}

TEST(Temporal, ZeroDatesAreExplicitText) {
  EXPECT_EQ(Decode(std::string(3, '\0'), MYSQL_TYPE_DATE, 0).text_value(), "0000-00-00");
  // DATETIME2(3) zero: 0x8000000000 then 2 frac bytes.
  std::string z = {'\x80', 0, 0, 0, 0, 0, 0};
  EXPECT_EQ(Decode(z, MYSQL_TYPE_DATETIME2, 3).text_value(), "0000-00-00 00:00:00.000");
  EXPECT_EQ(Decode(std::string(4, '\0'), MYSQL_TYPE_TIMESTAMP2, 0).text_value(),
            "0000-00-00 00:00:00");
  // 2024-02-29 (partial-zero would be month/day 0): (2024<<9 | 2<<5 | 29).
  uint32_t d = (2024u << 9) | (2u << 5) | 29u;
  std::string db = {static_cast<char>(d), static_cast<char>(d >> 8), static_cast<char>(d >> 16)};
  EXPECT_EQ(Decode(db, MYSQL_TYPE_DATE, 0).date_days(), 19782);
}

TEST(Strings, CharsetsToUtf8) {
  EXPECT_EQ(Decode("\x02\xe9\x80", MYSQL_TYPE_VARCHAR, 20, false, "latin1").text_value(),
            "\xc3\xa9\xe2\x82\xac");
  EXPECT_EQ(Decode(std::string(1, '\0'), MYSQL_TYPE_VARCHAR, 20, false, "binary").bytes_value().size(), 0u);
  ColumnDef c;
  c.name = "c";
  c.type = c.real_type = MYSQL_TYPE_VARCHAR;
  c.meta = 20;
  c.charset = "utf8mb3";
  std::string four = "\x04\xf0\x9f\x98\x80";
  ByteReader r(four, "t");
  EXPECT_EQ(DecodeValue(r, c).status().code(), absl::StatusCode::kInvalidArgument);
  c.charset = "sjis";
  ByteReader r2("\x01x", "t");
  EXPECT_EQ(DecodeValue(r2, c).status().code(), absl::StatusCode::kFailedPrecondition);
}

TEST(Bits, BitStringMostSignificantFirst) {
  // BIT(10): meta bits=2, bytes=1 → 2 bytes big-endian.
  EXPECT_EQ(Decode("\x02\xaa", MYSQL_TYPE_BIT, 2 | (1 << 8)).bit_string(), "1010101010");
}

}  // namespace
}  // namespace tidemark::mysql
