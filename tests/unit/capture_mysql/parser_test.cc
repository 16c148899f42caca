// Hand-made events from the documented formats, including the MySQL 8-only ones
// (GTID, PREVIOUS_GTIDS, TRANSACTION_PAYLOAD with zstd, PARTIAL_UPDATE_ROWS).
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <zstd.h>

#include "capture/mysql/binlog_parser.h"
#include "capture/mysql/column_type.h"
#include "capture/mysql/decoder.h"
#include "tests/unit/capture_mysql/test_util.h"

namespace tidemark::mysql {
namespace {

using ::testing::HasSubstr;
using testing::Event;
using testing::LE;
using testing::Packed;

std::string Sid() { return std::string("\x3e\x11\xfa\x47\x71\xca\x11\xe1\x9e\x33\xc8\x0a\xa9\x42\x95\x62", 16); }

std::string MysqlGtidBody(uint64_t gno) {
  std::string b;
  b.push_back(1);
  b += Sid();
  LE(&b, gno, 8);
  b.push_back(2);
  LE(&b, 5, 8);
  LE(&b, 6, 8);
  LE(&b, (1ULL << 55) | 1700000000123456ULL, 7);  // immediate, original follows
  LE(&b, 1700000000000001ULL, 7);
  b += Packed(300);
  return b;
}

TEST(BinlogParser, MysqlGtidAllFields) {
  BinlogParser p(BINLOG_CHECKSUM_ALG_CRC32);
  auto ev = p.Parse(Event(GTID_LOG_EVENT, MysqlGtidBody(42)), "t");
  ASSERT_TRUE(ev.ok()) << ev.status();
  const auto& g = std::get<MysqlGtidEvent>(ev->body);
  EXPECT_EQ(g.gno, 42);
  EXPECT_EQ(g.last_committed, 5u);
  EXPECT_EQ(g.sequence_number, 6u);
  EXPECT_EQ(g.immediate_commit_timestamp, 1700000000123456u);
  EXPECT_EQ(g.original_commit_timestamp, 1700000000000001u);
  EXPECT_EQ(g.transaction_length, 300u);
  EXPECT_EQ(UuidText(g.sid.data()), "3e11fa47-71ca-11e1-9e33-c80aa9429562");
}

TEST(BinlogParser, PreviousGtids) {
  std::string b;
  LE(&b, 1, 8);
  b += Sid();
  LE(&b, 2, 8);
  LE(&b, 1, 8); LE(&b, 6, 8);
  LE(&b, 8, 8); LE(&b, 9, 8);
  BinlogParser p(BINLOG_CHECKSUM_ALG_CRC32);
  auto ev = p.Parse(Event(PREVIOUS_GTIDS_LOG_EVENT, b), "t");
  ASSERT_TRUE(ev.ok()) << ev.status();
  const auto& pg = std::get<PreviousGtidsEvent>(ev->body);
  ASSERT_EQ(pg.sids.size(), 1u);
  ASSERT_EQ(pg.sids[0].intervals.size(), 2u);
  EXPECT_EQ(pg.sids[0].intervals[1].start, 8);
}

TEST(BinlogParser, ChecksumMismatchIsDataLoss) {
  std::string e = Event(XID_EVENT, std::string(8, '\x01'));
  e[20] ^= 1;
  BinlogParser p(BINLOG_CHECKSUM_ALG_CRC32);
  auto ev = p.Parse(e, "mariadb-bin.000001:4");
  EXPECT_EQ(ev.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(ev.status().message()), HasSubstr("CRC32 mismatch"));
  EXPECT_THAT(std::string(ev.status().message()), HasSubstr("mariadb-bin.000001:4"));
}

TEST(BinlogParser, UnknownEventIgnorableOnlyWithFlag) {
  BinlogParser p(BINLOG_CHECKSUM_ALG_CRC32);
  auto skipped = p.Parse(Event(99, "abc", 1000, LOG_EVENT_IGNORABLE_F), "t");
  ASSERT_TRUE(skipped.ok()) << skipped.status();
  EXPECT_TRUE(std::holds_alternative<SkippedEvent>(skipped->body));
  auto refused = p.Parse(Event(99, "abc"), "t");
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(refused.status().message()), HasSubstr("ignorable"));
}

// A TABLE_MAP for (id INT, doc JSON) with FULL metadata, table id 5.
std::string TableMapBody() {
  std::string b;
  LE(&b, 5, 6);
  LE(&b, 1, 2);
  b.push_back(2); b += "db"; b.push_back(0);
  b.push_back(1); b += "t"; b.push_back(0);
  b += Packed(2);
  b.push_back(static_cast<char>(MYSQL_TYPE_LONG));
  b.push_back(static_cast<char>(MYSQL_TYPE_JSON));
  b += Packed(1);
  b.push_back(4);                           // JSON length bytes
  b.push_back(2);                           // null bitmap: doc nullable
  std::string names = Packed(2) + "id" + Packed(3) + "doc";
  b.push_back(4); b += Packed(names.size()) + names;   // COLUMN_NAME
  std::string pk = Packed(0);
  b.push_back(8); b += Packed(pk.size()) + pk;         // SIMPLE_PRIMARY_KEY
  std::string sign(1, '\0');
  b.push_back(1); b += Packed(1) + sign;               // SIGNEDNESS
  return b;
}

std::string JsonDoc() {  // {"a": 1} small object
  std::string d;
  d.push_back(0x00);
  LE(&d, 1, 2);          // count
  LE(&d, 12, 2);         // size: 4 header + 4 key entry + 3 value entry + 1 key
  LE(&d, 11, 2); LE(&d, 1, 2);   // key at 11, length 1
  d.push_back(0x05); LE(&d, 1, 2);  // int16 inline 1
  d += "a";
  return d;
}

std::string WriteRowsBody(uint8_t type) {
  std::string b;
  LE(&b, 5, 6);
  LE(&b, 1, 2);
  LE(&b, 2, 2);  // v2 extra_data_len
  b += Packed(2);
  b.push_back(3);  // both columns present
  if (type == PARTIAL_UPDATE_ROWS_EVENT) b.push_back(3);
  auto image = [&](int32_t id, bool after) {
    if (after && type == PARTIAL_UPDATE_ROWS_EVENT) b += Packed(0);  // value_options: full
    b.push_back(0);  // no NULLs
    LE(&b, static_cast<uint32_t>(id), 4);
    std::string d = JsonDoc();
    LE(&b, d.size(), 4);
    b += d;
  };
  if (type == PARTIAL_UPDATE_ROWS_EVENT) image(7, false);
  image(type == PARTIAL_UPDATE_ROWS_EVENT ? 8 : -7, true);
  return b;
}

std::string MariaFde() {
  std::string b;
  LE(&b, 4, 2);
  std::string ver = "10.11.6-MariaDB";
  ver.resize(50, '\0');
  b += ver;
  LE(&b, 0, 4);
  b.push_back(19);
  std::string post(164, '\0');
  post[TABLE_MAP_EVENT - 1] = 8;
  post[WRITE_ROWS_EVENT - 1] = 10;
  b += post;
  b.push_back(BINLOG_CHECKSUM_ALG_CRC32);
  return b;
}

TEST(BinlogParser, RepeatedTableMapBytesGiveTheSameParsedMap) {
  BinlogParser p(BINLOG_CHECKSUM_ALG_CRC32);
  auto map_of = [&](const std::string& body) -> std::shared_ptr<const TableMapEvent> {
    auto ev = p.Parse(Event(TABLE_MAP_EVENT, body), "t");
    EXPECT_TRUE(ev.ok()) << ev.status();
    return ev.ok() ? std::get<TableMapRef>(ev->body).map : nullptr;
  };
  auto first = map_of(TableMapBody());
  ASSERT_NE(first, nullptr);
  EXPECT_EQ(first->table, "t");
  EXPECT_EQ(first->column_names, (std::vector<std::string>{"id", "doc"}));
  EXPECT_EQ(map_of(TableMapBody()), first) << "the same bytes were parsed again";
  // Other bytes for the same table id (a column renamed): parsed, and remembered.
  std::string renamed = TableMapBody();
  renamed.replace(renamed.find("doc"), 3, "dok");
  auto second = map_of(renamed);
  ASSERT_NE(second, nullptr);
  EXPECT_NE(second, first);
  EXPECT_EQ(second->column_names, (std::vector<std::string>{"id", "dok"}));
  EXPECT_EQ(map_of(renamed), second);
  // A corrupt repeat is still caught by its checksum.
  std::string bad = Event(TABLE_MAP_EVENT, renamed);
  bad[bad.size() - 1] ^= 0x01;
  EXPECT_EQ(p.Parse(bad, "t").status().code(), absl::StatusCode::kDataLoss);
  // A FORMAT_DESCRIPTION starts a binlog file: its TABLE_MAPs are parsed afresh.
  ASSERT_TRUE(p.Parse(Event(FORMAT_DESCRIPTION_EVENT, MariaFde()), "t").ok());
  auto after = map_of(renamed);
  ASSERT_NE(after, nullptr);
  EXPECT_NE(after, second);
  EXPECT_EQ(after->column_names, second->column_names);
}

TEST(MysqlDecoder, TransactionPayloadZstdWithPartialUpdateRows) {
  // Inner events carry no checksum.
  std::string inner = Event(QUERY_EVENT, std::string(13, '\0') + std::string(1, '\0') + "BEGIN", 0, 0, false);
  inner = Event(TABLE_MAP_EVENT, TableMapBody(), 0, 0, false) +
          Event(WRITE_ROWS_EVENT, WriteRowsBody(WRITE_ROWS_EVENT), 0, 0, false) +
          Event(PARTIAL_UPDATE_ROWS_EVENT, WriteRowsBody(PARTIAL_UPDATE_ROWS_EVENT), 0, 0, false) +
          Event(XID_EVENT, std::string(8, '\x09'), 0, 0, false);
  std::string z(ZSTD_compressBound(inner.size()), '\0');
  z.resize(ZSTD_compress(z.data(), z.size(), inner.data(), inner.size(), 3));
  std::string body;
  body += Packed(2) + Packed(1) + Packed(0);                  // COMPRESSION_TYPE zstd
  std::string us = Packed(inner.size());
  body += Packed(3) + Packed(us.size()) + us;                 // UNCOMPRESSED_SIZE
  std::string ps = Packed(z.size());
  body += Packed(1) + Packed(ps.size()) + ps;                 // PAYLOAD_SIZE
  body += Packed(0) + z;                                      // END_MARK, payload

  auto reg = SchemaRegistry::Open("");
  ASSERT_TRUE(reg.ok());
  MysqlDecoder d(MysqlDecoderOptions{}, reg->get());
  ASSERT_TRUE(d.SetStart("binlog.000007", "").ok());
  std::vector<v1::JournalEntry> out;
  ASSERT_TRUE(d.Decode(Event(FORMAT_DESCRIPTION_EVENT, MariaFde(), 0), &out).ok());
  std::string fde8 = MariaFde();
  fde8.replace(2, 15, "8.0.36-mysql\0\0\0", 15);
  fde8[2 + 50 + 4 + 1 + PARTIAL_UPDATE_ROWS_EVENT - 1] = 10;
  ASSERT_TRUE(d.Decode(Event(FORMAT_DESCRIPTION_EVENT, fde8, 0), &out).ok());
  ASSERT_TRUE(d.Decode(Event(GTID_LOG_EVENT, MysqlGtidBody(42), 500), &out).ok());
  absl::Status s = d.Decode(Event(TRANSACTION_PAYLOAD_EVENT, body, 900), &out);
  ASSERT_TRUE(s.ok()) << s;
  // begin, schema, insert, update, commit
  ASSERT_EQ(out.size(), 5u);
  EXPECT_EQ(out[0].begin().transaction_id(), "3e11fa47-71ca-11e1-9e33-c80aa9429562:42");
  EXPECT_EQ(out[1].schema().columns(1).name(), "doc");
  EXPECT_EQ(out[2].event().after().values(0).int_value(), -7);
  EXPECT_EQ(out[2].event().after().values(1).json_text(), "{\"a\": 1}");
  EXPECT_EQ(out[3].event().op(), v1::OP_UPDATE);
  EXPECT_EQ(out[3].event().before().values(0).int_value(), 7);
  EXPECT_EQ(out[3].event().after().values(0).int_value(), 8);
  EXPECT_EQ(out[4].commit().position().mysql().file(), "binlog.000007");
  EXPECT_EQ(out[4].commit().position().mysql().pos(), 900u);
  EXPECT_EQ(out[4].commit().position().mysql().gtid_set(),
            "3e11fa47-71ca-11e1-9e33-c80aa9429562:42");
}

// A TRUNCATE of a table with no rows in the stream yet: the schema history knows
// it, so it is an OP_TRUNCATE (with its schema written ahead), not a bare DDL the
// sinks would skip; a table nobody knows stays OP_DDL.
TEST(MysqlDecoder, TruncateOfATableOnlyTheSchemaHistoryKnowsIsATruncate) {
  KnownTable known;
  KnownColumn id;
  id.name = "id";
  id.data_type = "int";
  id.column_type = "int(11)";
  id.part_of_key = true;
  id.nullable = false;
  KnownColumn v;
  v.name = "v";
  v.data_type = "varchar";
  v.column_type = "varchar(10)";
  v.charset = "utf8mb4";
  known.columns = {id, v};
  auto reg = SchemaRegistry::Open("");
  ASSERT_TRUE(reg.ok());
  MysqlDecoder d(MysqlDecoderOptions{}, reg->get(),
                 [&](const std::string& db, const std::string& t) -> const KnownTable* {
                   return db == "cdc" && t == "t" ? &known : nullptr;
                 });
  ASSERT_TRUE(d.SetStart("binlog.000001", "").ok());
  std::vector<v1::JournalEntry> out;
  ASSERT_TRUE(d.Decode(Event(FORMAT_DESCRIPTION_EVENT, MariaFde(), 0), &out).ok());
  auto query = [](const std::string& sql) {
    std::string b;
    LE(&b, 1, 4);  // thread id
    LE(&b, 0, 4);  // exec time
    b.push_back(3);  // schema length
    LE(&b, 0, 2);  // error code
    LE(&b, 0, 2);  // status vars length
    return b + "cdc" + std::string(1, '\0') + sql;
  };
  out.clear();
  ASSERT_TRUE(d.Decode(Event(QUERY_EVENT, query("TRUNCATE TABLE t"), 1200), &out).ok());
  ASSERT_EQ(out.size(), 4u);  // begin, schema, truncate, commit
  EXPECT_EQ(out[1].schema().table().table(), "t");
  EXPECT_EQ(out[1].schema().columns(0).type().source_type(), "int");
  EXPECT_EQ(out[1].schema().columns(1).type().kind(), v1::TYPE_TEXT);
  EXPECT_EQ(out[1].schema().key_columns(0), "id");
  EXPECT_EQ(out[2].event().op(), v1::OP_TRUNCATE);
  EXPECT_EQ(out[2].event().schema_version(), out[1].schema().version());
  out.clear();
  ASSERT_TRUE(d.Decode(Event(QUERY_EVENT, query("TRUNCATE TABLE other"), 1300), &out).ok());
  ASSERT_EQ(out.size(), 3u);  // begin, DDL, commit
  EXPECT_EQ(out[1].event().op(), v1::OP_DDL);
}

TEST(GtidSet, ParseAndPrint) {
  auto m = GtidSet::Parse("0-1-42, 1-2-7");
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->ToString(), "0-1-42,1-2-7");
  auto y = GtidSet::Parse("3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5:7");
  ASSERT_TRUE(y.ok());
  y->AddMysql("3e11fa47-71ca-11e1-9e33-c80aa9429562", 6);
  EXPECT_EQ(y->ToString(), "3e11fa47-71ca-11e1-9e33-c80aa9429562:1-7");
  EXPECT_FALSE(GtidSet::Parse("0-1").ok());
}

}  // namespace
}  // namespace tidemark::mysql
