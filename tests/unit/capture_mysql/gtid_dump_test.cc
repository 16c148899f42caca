// MySQL GTID sets and the COM_BINLOG_DUMP_GTID request, byte for byte from the documented
// formats (no MySQL server is packaged for Debian):
//   https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_com_binlog_dump_gtid.html
//   Gtid_set::encode (sql/rpl_gtid_set.cc): n_sids:8, {sid:16 n_intervals:8 {start:8 end:8}}
//   with `end` one past the last transaction number.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "capture/mysql/gtid_set.h"
#include "tests/unit/capture_mysql/test_util.h"

namespace tidemark::mysql {
namespace {

using ::testing::HasSubstr;
using testing::LE;

const char kUuid1[] = "3e11fa47-71ca-11e1-9e33-c80aa9429562";
const char kUuid2[] = "b8c3f5d2-0000-4000-8000-00000000000a";
std::string Sid1() { return std::string("\x3e\x11\xfa\x47\x71\xca\x11\xe1\x9e\x33\xc8\x0a\xa9\x42\x95\x62", 16); }
std::string Sid2() { return std::string("\xb8\xc3\xf5\xd2\x00\x00\x40\x00\x80\x00\x00\x00\x00\x00\x00\x0a", 16); }

TEST(MysqlGtidSet, ParsesMergesAndPrintsIntervalSets) {
  auto s = GtidSet::Parse(std::string(kUuid2) + ":3, " + kUuid1 + ":7:1-5:4-6");
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_TRUE(s->is_mysql());
  EXPECT_FALSE(s->is_maria());
  EXPECT_EQ(s->ToString(), std::string(kUuid1) + ":1-7," + kUuid2 + ":3");
  EXPECT_THAT(GtidSet::Parse("3e11fa47-71ca-11e1-9e33-c80aa94295zz:1").status().message(),
              HasSubstr("bad uuid"));
  EXPECT_THAT(GtidSet::Parse(std::string(kUuid1) + ":5-2").status().message(), HasSubstr("bad interval"));
  EXPECT_THAT(GtidSet::Parse(std::string(kUuid1) + ":0").status().message(), HasSubstr("bad interval"));
}

TEST(MysqlGtidSet, EncodesLikeGtidSetEncode) {
  auto s = GtidSet::Parse(std::string(kUuid1) + ":1-5:7," + kUuid2 + ":3");
  ASSERT_TRUE(s.ok()) << s.status();
  std::string want;
  LE(&want, 2, 8);  // n_sids
  want += Sid1();
  LE(&want, 2, 8);  // n_intervals
  LE(&want, 1, 8);
  LE(&want, 6, 8);  // 1-5 → [1, 6)
  LE(&want, 7, 8);
  LE(&want, 8, 8);  // 7 → [7, 8)
  want += Sid2();
  LE(&want, 1, 8);
  LE(&want, 3, 8);
  LE(&want, 4, 8);
  EXPECT_EQ(s->EncodeMysql(), want);
  EXPECT_EQ(GtidSet().EncodeMysql(), std::string(8, '\0'));  // empty set: from the first binlog
}

TEST(MysqlGtidSet, BinlogDumpGtidRequest) {
  auto s = GtidSet::Parse(std::string(kUuid1) + ":1-100");
  ASSERT_TRUE(s.ok()) << s.status();
  std::string data = s->EncodeMysql();
  ASSERT_EQ(data.size(), 8u + 16 + 8 + 16);
  std::string want;
  LE(&want, 0x04, 2);        // flags: BINLOG_THROUGH_GTID
  LE(&want, 4242, 4);        // server_id
  LE(&want, 0, 4);           // binlog-filename-len
  LE(&want, 4, 8);           // binlog-pos
  LE(&want, data.size(), 4); // data-size
  want += data;
  EXPECT_EQ(EncodeBinlogDumpGtid(4242, "", 4, *s), want);
  std::string with_file = EncodeBinlogDumpGtid(7, "binlog.000003", 157, *s);
  EXPECT_EQ(with_file.substr(6, 4), std::string("\x0d\x00\x00\x00", 4));
  EXPECT_EQ(with_file.substr(10, 13), "binlog.000003");
  EXPECT_EQ(with_file.substr(23, 8), std::string("\x9d\x00\x00\x00\x00\x00\x00\x00", 8));
}

}  // namespace
}  // namespace tidemark::mysql
