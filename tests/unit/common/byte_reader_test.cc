#include "common/byte_reader.h"

#include <gtest/gtest.h>

#include "common/crc32c.h"
#include "common/positions.h"

namespace tidemark {
namespace {

TEST(ByteReader, ReadsBigAndLittleEndian) {
  std::string data("\x01\x02\x03\x04\x05\x06\x07\x08\x09", 9);
  ByteReader r(data, "test");
  EXPECT_EQ(*r.U8("a"), 1);
  EXPECT_EQ(*r.U16("b"), 0x0203);
  EXPECT_EQ(*r.UintLE(2, "c"), 0x0504u);
  EXPECT_EQ(*r.U32("d"), 0x06070809u);
  EXPECT_TRUE(r.empty());
}

TEST(ByteReader, TruncationIsDataLossNamingPosition) {
  std::string data("\x01\x02\x03", 3);
  ByteReader r(data, "pgoutput Insert");
  ASSERT_TRUE(r.U16("x").ok());
  auto v = r.U32("tuple length");
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(v.status().message(), "pgoutput Insert: truncated tuple length at byte 2 of 3");
}

TEST(ByteReader, CStringNeedsTerminator) {
  std::string data("abc\0de", 6);
  ByteReader r(data, "t");
  EXPECT_EQ(*r.CString("name"), "abc");
  EXPECT_FALSE(r.CString("name").ok());
}

TEST(Crc32c, KnownVectors) {
  // RFC 3720 B.4 test vectors.
  EXPECT_EQ(Crc32c(std::string(32, '\0')), 0x8A9136AAu);
  EXPECT_EQ(Crc32c(std::string(32, '\xff')), 0x62A8AB43u);
  EXPECT_EQ(Crc32c("123456789"), 0xE3069283u);
  std::string long_input(1000, 'x');
  uint32_t whole = Crc32c(long_input);
  uint32_t parts = Crc32cExtend(Crc32cExtend(0, long_input.data(), 333), long_input.data() + 333, 667);
  EXPECT_EQ(whole, parts);
}

TEST(Positions, LsnRoundTrip) {
  EXPECT_EQ(FormatLsn(0x16B374D848ull), "16/B374D848");
  EXPECT_EQ(*ParseLsn("16/B374D848"), 0x16B374D848ull);
  EXPECT_EQ(*ParseLsn("0/0"), 0u);
  EXPECT_FALSE(ParseLsn("16B374D848").ok());
  EXPECT_FALSE(ParseLsn("/1").ok());
}

TEST(Positions, PgPositionsPrintOnlyTheLsnsTheyHave) {
  v1::SourcePosition change;
  change.mutable_pg()->set_lsn(0x16B374D848ull);
  change.mutable_pg()->set_commit_lsn(0x16B374D900ull);
  EXPECT_EQ(FormatPosition(change), "lsn 16/B374D848 commit 16/B374D900 end 0/0");
  v1::SourcePosition commit;  // what a checkpoint holds: no change LSN
  commit.mutable_pg()->set_commit_lsn(0x19325B8ull);
  commit.mutable_pg()->set_end_lsn(0x19325E8ull);
  EXPECT_EQ(FormatPosition(commit), "commit 0/19325B8 end 0/19325E8");
}

}  // namespace
}  // namespace tidemark
