// Topic template, key building, headers and transaction markers of the Kafka sink.
#include "apply/kafka/kafka_message.h"

#include <gtest/gtest.h>

#include "tests/unit/kafka/kafka_events.h"

namespace tidemark::kafka {
namespace {

v1::TableId Table(const std::string& db, const std::string& schema, const std::string& table) {
  v1::TableId t;
  t.set_database(db);
  t.set_schema(schema);
  t.set_table(table);
  return t;
}

TEST(TopicTemplate, ExpandsEveryPlaceholder) {
  auto t = ExpandTopic("{pipeline}.{db}.{schema}.{table}", "shop", Table("sales", "public", "orders"));
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(*t, "shop.sales.public.orders");
  t = ExpandTopic("cdc-{table}", "shop", Table("sales", "", "orders"));
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(*t, "cdc-orders");
}

TEST(TopicTemplate, SanitizesCharactersKafkaRefuses) {
  auto t = ExpandTopic("{pipeline}.{schema}.{table}", "p", Table("d", "My Schema", "t$1/ü"));
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(*t, "p.My_Schema.t_1___");  // ü is two bytes
}

TEST(TopicTemplate, RejectsUnknownAndUnclosedPlaceholdersAndBadResults) {
  EXPECT_TRUE(ValidateTopicTemplate("{pipeline}.{schema}.{table}").ok());
  absl::Status s = ValidateTopicTemplate("x.{tabel}");
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("{tabel}"), absl::string_view::npos) << s;
  EXPECT_EQ(ValidateTopicTemplate("x.{table").code(), absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(ExpandTopic("{schema}", "p", Table("d", "", "t")).ok());  // empty name
  EXPECT_FALSE(ExpandTopic(std::string(250, 'a'), "p", Table("d", "s", "t")).ok());
}

TEST(Key, JsonObjectOfKeyColumnsFromAfterOrBefore) {
  const v1::TableSchema schema = ktest::Schema();
  auto idx = KeyColumnIndexes(schema, {});
  ASSERT_TRUE(idx.ok());
  ASSERT_EQ(*idx, std::vector<int>({0}));
  auto ins = ktest::Change(v1::OP_INSERT, 42, "a", 1).event();
  auto key = BuildKey(ins, schema, *idx, Format::kJson);
  ASSERT_TRUE(key.ok()) << key.status();
  EXPECT_EQ(key->value(), R"({"id":42})");
  auto del = ktest::Change(v1::OP_DELETE, -7, "b", 2).event();
  key = BuildKey(del, schema, *idx, Format::kJson);
  ASSERT_TRUE(key.ok());
  EXPECT_EQ(key->value(), R"({"id":-7})");
}

TEST(Key, ConfiguredColumnsInTheirOrder) {
  const v1::TableSchema schema = ktest::Schema();
  auto idx = KeyColumnIndexes(schema, {"name", "id"});
  ASSERT_TRUE(idx.ok());
  auto key = BuildKey(ktest::Change(v1::OP_UPDATE, 5, "x\"y", 1).event(), schema, *idx, Format::kJson);
  ASSERT_TRUE(key.ok());
  EXPECT_EQ(key->value(), R"({"name":"x\"y","id":5})");
  auto bad = KeyColumnIndexes(schema, {"nope"});
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("nope"), absl::string_view::npos);
}

TEST(Key, ProtobufIsASerializedRowOfKeyValues) {
  const v1::TableSchema schema = ktest::Schema();
  auto key = BuildKey(ktest::Change(v1::OP_INSERT, 9, "n", 1).event(), schema, {0, 1}, Format::kProtobuf);
  ASSERT_TRUE(key.ok());
  v1::Row row;
  ASSERT_TRUE(row.ParseFromString(key->value()));
  ASSERT_EQ(row.values_size(), 2);
  EXPECT_EQ(row.values(0).int_value(), 9);
  EXPECT_EQ(row.values(1).text_value(), "n");
}

TEST(Key, NoneForTruncateOrKeylessTables) {
  const v1::TableSchema schema = ktest::Schema();
  v1::ChangeEvent t;
  t.set_op(v1::OP_TRUNCATE);
  auto key = BuildKey(t, schema, {0}, Format::kJson);
  ASSERT_TRUE(key.ok());
  EXPECT_FALSE(key->has_value());
  key = BuildKey(ktest::Change(v1::OP_INSERT, 1, "a", 1).event(), schema, {}, Format::kJson);
  ASSERT_TRUE(key.ok());
  EXPECT_FALSE(key->has_value());
}

TEST(Key, MissingImageOrUnchangedValueIsAnError) {
  const v1::TableSchema schema = ktest::Schema();
  v1::ChangeEvent ev = ktest::Change(v1::OP_INSERT, 1, "a", 1).event();
  ev.clear_after();
  EXPECT_EQ(BuildKey(ev, schema, {0}, Format::kJson).status().code(),
            absl::StatusCode::kInvalidArgument);
  ev = ktest::Change(v1::OP_UPDATE, 1, "a", 1).event();
  ev.mutable_after()->mutable_values(0)->mutable_unchanged();
  EXPECT_EQ(BuildKey(ev, schema, {0}, Format::kJson).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(Headers, PositionInEngineNotationOffsetAndTxid) {
  v1::SourcePosition pos;
  pos.mutable_pg()->set_lsn(0x16B374D848);
  pos.mutable_pg()->set_commit_lsn(0x17000000);
  Headers h = MessageHeaders(pos, 12345678901ull, "771");
  ASSERT_EQ(h.size(), 3u);
  EXPECT_EQ(h[0], (std::pair<std::string, std::string>{"tidemark.position", "16/B374D848"}));
  EXPECT_EQ(h[1], (std::pair<std::string, std::string>{"tidemark.offset", "12345678901"}));
  EXPECT_EQ(h[2], (std::pair<std::string, std::string>{"tidemark.txid", "771"}));
  pos.mutable_pg()->set_lsn(0);  // a marker: its commit LSN
  EXPECT_EQ(MessageHeaders(pos, 1, "")[0].second, "0/17000000");
  v1::SourcePosition my;
  my.mutable_mysql()->set_file("mysql-bin.000003");
  my.mutable_mysql()->set_pos(4);
  EXPECT_EQ(PositionNotation(my), "mysql-bin.000003:4");
  EXPECT_EQ(PositionNotation(v1::SourcePosition()), "");
}

TEST(TxnMarkers, DebeziumTransactionMetadataShape) {
  EXPECT_EQ(TxnMarkerKey("571"), R"({"id":"571"})");
  EXPECT_EQ(TxnBeginValue(ktest::Begin("571").begin()),
            R"({"status":"BEGIN","id":"571","event_count":null,"ts_ms":1700000000123})");
  EXPECT_EQ(TxnEndValue(ktest::Commit("571", 3).commit()),
            R"({"status":"END","id":"571","event_count":3,"ts_ms":1700000000123})");
}

}  // namespace
}  // namespace tidemark::kafka
