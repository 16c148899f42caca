// MySQL binary JSON: every type tag, inline and offset values, small and large
// containers, nesting, and malformed input.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "capture/mysql/json_binary.h"
#include "tests/unit/capture_mysql/test_util.h"

namespace tidemark::mysql {
namespace {

using testing::LE;

std::string Scalar(uint8_t type, const std::string& payload) { return std::string(1, static_cast<char>(type)) + payload; }

std::string Text(const std::string& doc) {
  auto t = JsonBinaryToText(doc);
  EXPECT_TRUE(t.ok()) << t.status();
  return t.ok() ? *t : "";
}

TEST(JsonBinary, Scalars) {
  std::string b;
  LE(&b, 0xffff, 2);
  EXPECT_EQ(Text(Scalar(0x05, b)), "-1");
  EXPECT_EQ(Text(Scalar(0x06, b)), "65535");
  b.clear(); LE(&b, 0x80000000u, 4);
  EXPECT_EQ(Text(Scalar(0x07, b)), "-2147483648");
  EXPECT_EQ(Text(Scalar(0x08, b)), "2147483648");
  b.clear(); LE(&b, 0xffffffffffffffffULL, 8);
  EXPECT_EQ(Text(Scalar(0x09, b)), "-1");
  EXPECT_EQ(Text(Scalar(0x0a, b)), "18446744073709551615");
  double d = 2.5;
  uint64_t u;
  std::memcpy(&u, &d, 8);
  b.clear(); LE(&b, u, 8);
  EXPECT_EQ(Text(Scalar(0x0b, b)), "2.5");
  d = 3;
  std::memcpy(&u, &d, 8);
  b.clear(); LE(&b, u, 8);
  EXPECT_EQ(Text(Scalar(0x0b, b)), "3.0");
  EXPECT_EQ(Text(Scalar(0x04, std::string(1, '\0'))), "null");
  EXPECT_EQ(Text(Scalar(0x04, std::string(1, '\1'))), "true");
  EXPECT_EQ(Text(Scalar(0x04, std::string(1, '\2'))), "false");
  EXPECT_EQ(Text(Scalar(0x0c, "\x05q\"\n\\x")), "\"q\\\"\\n\\\\x\"");
  EXPECT_EQ(Text(""), "null");
}

TEST(JsonBinary, Opaque) {
  // DECIMAL(4,2) 12.34 as opaque: field type 246, len, precision, scale, bytes.
  std::string dec = {'\xf6', '\x04', '\x04', '\x02', '\x8c', '\x22'};
  EXPECT_EQ(Text(Scalar(0x0f, dec)), "12.34");
  // DATE 2024-02-29 packed: ((2024*13+2)<<5 | 29) << 17 << 24.
  uint64_t ymd = ((2024ULL * 13 + 2) << 5) | 29;
  uint64_t packed = (ymd << 17) << 24;
  std::string date = "\x0a\x08";
  LE(&date, packed, 8);
  EXPECT_EQ(Text(Scalar(0x0f, date)), "\"2024-02-29\"");
  std::string blob = "\xfc\x03" "abc";
  EXPECT_EQ(Text(Scalar(0x0f, blob)), "\"base64:type252:YWJj\"");
}

// {"a": [1, "xy", {"b": true}], "c": 70000} as a small object, with a nested small
// array and object, and a large array at the top for the large form.
TEST(JsonBinary, NestedSmallAndLarge) {
  // inner object {"b": true}: count 1, size 4+4+3+1 = 12
  std::string obj;
  LE(&obj, 1, 2); LE(&obj, 12, 2); LE(&obj, 11, 2); LE(&obj, 1, 2);
  obj += std::string("\x04\x01\x00", 3); obj += "b";
  // array [1, "xy", obj]: count 3, header 4 + 3*3 = 13, string at 13 (3 bytes), obj at 16
  std::string arr;
  LE(&arr, 3, 2); LE(&arr, 13 + 3 + obj.size(), 2);
  arr += std::string("\x05\x01\x00", 3);
  arr.push_back(0x0c); LE(&arr, 13, 2);
  arr.push_back(0x00); LE(&arr, 16, 2);
  arr += "\x02xy";
  arr += obj;
  // top object: count 2, header 4 + 2*4 + 2*3 = 18, keys "a","c" at 18,19; arr at 20; uint32 70000 after
  std::string top;
  size_t arr_off = 20, u32_off = 20 + arr.size();
  LE(&top, 2, 2); LE(&top, u32_off + 4, 2);
  LE(&top, 18, 2); LE(&top, 1, 2);
  LE(&top, 19, 2); LE(&top, 1, 2);
  top.push_back(0x02); LE(&top, arr_off, 2);
  top.push_back(0x08); LE(&top, u32_off, 2);
  top += "ac";
  top += arr;
  LE(&top, 70000, 4);
  EXPECT_EQ(Text(Scalar(0x00, top)), "{\"a\": [1, \"xy\", {\"b\": true}], \"c\": 70000}");
  // Large array [70000, -5]: count 2, size 8 + 2*5 = 18, uint32 inlined, int16 inlined.
  std::string large;
  LE(&large, 2, 4); LE(&large, 18, 4);
  large.push_back(0x08); LE(&large, 70000, 4);
  large.push_back(0x05); LE(&large, 0xfffb, 4);
  EXPECT_EQ(Text(Scalar(0x03, large)), "[70000, -5]");
  // Large object {"k": "v"}: count 1, size 8 + 6 + 5 + 1 + 2 = 22.
  std::string lo;
  LE(&lo, 1, 4); LE(&lo, 22, 4);
  LE(&lo, 19, 4); LE(&lo, 1, 2);
  lo.push_back(0x0c); LE(&lo, 20, 4);
  lo += "k";
  lo += "\x01v";
  EXPECT_EQ(Text(Scalar(0x01, lo)), "{\"k\": \"v\"}");
}

TEST(JsonBinary, MalformedIsInvalidArgumentWithOffset) {
  std::string bad;
  LE(&bad, 1, 2); LE(&bad, 200, 2);
  auto t = JsonBinaryToText(Scalar(0x02, bad));
  EXPECT_EQ(t.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(t.status().message()), ::testing::HasSubstr("at byte"));
  EXPECT_FALSE(JsonBinaryToText(Scalar(0x0d, "")).ok());  // unknown tag
  std::string arr;  // every prefix of a valid doc fails cleanly
  LE(&arr, 1, 2); LE(&arr, 9, 2); arr.push_back(0x0c); LE(&arr, 7, 2);
  std::string doc = Scalar(0x02, arr + "\x01z");
  EXPECT_EQ(Text(doc), "[\"z\"]");
  for (size_t n = 1; n < doc.size(); ++n) EXPECT_FALSE(JsonBinaryToText(doc.substr(0, n)).ok()) << n;
}

}  // namespace
}  // namespace tidemark::mysql
