// Golden envelopes per op and connector (DESIGN.md §4, apply/format/json_envelope.h).
#include "apply/format/json_envelope.h"

#include <gtest/gtest.h>

#include <string>

#include "common/json_writer.h"

namespace tidemark {
namespace {

using v1::Value;

constexpr int64_t kCommit = 1704164645123456;  // 2024-01-02T03:04:05.123456Z

v1::TableSchema Orders() {
  v1::TableSchema s;
  s.mutable_table()->set_database("shop");
  s.mutable_table()->set_schema("public");
  s.mutable_table()->set_table("orders");
  s.set_version(3);
  const auto col = [&](const char* name, v1::TypeKind kind, bool key) {
    v1::Column* c = s.add_columns();
    c->set_name(name);
    c->mutable_type()->set_kind(kind);
    c->set_part_of_key(key);
  };
  col("id", v1::TYPE_INT64, true);
  col("note", v1::TYPE_TEXT, false);
  col("total", v1::TYPE_DECIMAL, false);
  s.add_key_columns("id");
  return s;
}

Value Int(int64_t x) { Value v; v.set_int_value(x); return v; }
Value Text(std::string s) { Value v; v.set_text_value(std::move(s)); return v; }
Value Dec(std::string s) { Value v; v.set_decimal_value(std::move(s)); return v; }
Value Null() { Value v; v.set_null_value(v1::NULL_VALUE); return v; }
Value Uint(uint64_t x) { Value v; v.set_uint_value(x); return v; }
Value Unchanged() { Value v; v.mutable_unchanged(); return v; }

void SetRow(v1::Row* row, std::initializer_list<Value> values) {
  for (const Value& v : values) *row->add_values() = v;
}

v1::ChangeEvent PgEvent(v1::Op op) {
  v1::ChangeEvent ev;
  *ev.mutable_table() = Orders().table();
  ev.set_op(op);
  ev.set_schema_version(3);
  ev.mutable_position()->mutable_pg()->set_lsn(0x16B374D848);
  ev.mutable_position()->mutable_pg()->set_commit_lsn(0x16B374D900);
  ev.mutable_position()->mutable_pg()->set_end_lsn(0x16B374D930);
  ev.set_transaction_id("5551");
  ev.set_commit_time_micros(kCommit);
  ev.set_sequence(2);
  return ev;
}

EnvelopeContext Ctx() {
  EnvelopeContext ctx;
  ctx.connector = "postgresql";
  ctx.name = "shop";
  ctx.db = "shop";
  return ctx;
}

const char kPgSource[] =
    R"("source":{"version":"tidemark-0.1.0","connector":"postgresql","name":"shop",)"
    R"("ts_ms":1704164645123,"ts_us":1704164645123456,"snapshot":"false","db":"shop",)"
    R"("schema":"public","table":"orders","txId":5551,"lsn":97500059720,"xmin":null},)";
const char kTail[] = R"("ts_ms":1704164645123,"ts_us":1704164645123456,)"
                     R"("tidemark":{"offset":42,"seq":2}})";

std::string Envelope(const v1::ChangeEvent& ev, const EnvelopeContext& ctx = Ctx()) {
  absl::StatusOr<std::string> s = EnvelopeJson(ev, Orders(), 42, ctx);
  EXPECT_TRUE(s.ok()) << s.status();
  if (!s.ok()) return "";
  std::string again;
  EXPECT_TRUE(json::AppendMinified(&again, *s).ok()) << *s;  // valid JSON, one line
  EXPECT_EQ(again, *s);
  return *s;
}

TEST(Envelope, Insert) {
  v1::ChangeEvent ev = PgEvent(v1::OP_INSERT);
  SetRow(ev.mutable_after(), {Int(1), Text("hi"), Dec("-12.3400")});
  EXPECT_EQ(Envelope(ev), std::string(R"({"before":null,"after":{"id":1,"note":"hi","total":"-12.3400"},)") +
                              kPgSource + R"("op":"c",)" + kTail);
}

TEST(Envelope, UpdateWithFullBeforeImage) {
  v1::ChangeEvent ev = PgEvent(v1::OP_UPDATE);
  SetRow(ev.mutable_before(), {Int(1), Text("hi"), Dec("1")});
  SetRow(ev.mutable_after(), {Int(1), Null(), Dec("2")});
  EXPECT_EQ(Envelope(ev),
            std::string(R"({"before":{"id":1,"note":"hi","total":"1"},"after":{"id":1,"note":null,"total":"2"},)") +
                kPgSource + R"("op":"u",)" + kTail);
}

TEST(Envelope, UpdateWithUnchangedToastColumn) {
  v1::ChangeEvent ev = PgEvent(v1::OP_UPDATE);
  SetRow(ev.mutable_after(), {Int(1), Unchanged(), Dec("2")});
  EXPECT_EQ(Envelope(ev), std::string(R"({"before":null,"after":{"id":1,"total":"2"},"unchanged":["note"],)") +
                              kPgSource + R"("op":"u",)" + kTail);
}

TEST(Envelope, SeveralUnchangedColumnsInColumnOrder) {
  v1::ChangeEvent ev = PgEvent(v1::OP_UPDATE);
  SetRow(ev.mutable_after(), {Int(1), Unchanged(), Unchanged()});
  EXPECT_EQ(Envelope(ev), std::string(R"({"before":null,"after":{"id":1},"unchanged":["note","total"],)") +
                              kPgSource + R"("op":"u",)" + kTail);
}

TEST(Envelope, DeleteWithKeyOnlyBeforeImage) {
  v1::ChangeEvent ev = PgEvent(v1::OP_DELETE);
  SetRow(ev.mutable_before(), {Int(7), Null(), Null()});
  ev.mutable_before()->set_key_only(true);
  EXPECT_EQ(Envelope(ev), std::string(R"({"before":{"id":7},"after":null,)") + kPgSource +
                              R"("op":"d",)" + kTail);
}

TEST(Envelope, KeyOnlyUsesPartOfKeyWhenNoKeyColumnsListed) {
  v1::TableSchema schema = Orders();
  schema.clear_key_columns();
  v1::ChangeEvent ev = PgEvent(v1::OP_DELETE);
  SetRow(ev.mutable_before(), {Int(7), Null(), Null()});
  ev.mutable_before()->set_key_only(true);
  absl::StatusOr<std::string> s = EnvelopeJson(ev, schema, 42, Ctx());
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->rfind(R"({"before":{"id":7},"after":null,"source":)", 0), 0u) << *s;
}

TEST(Envelope, SnapshotRead) {
  v1::ChangeEvent ev = PgEvent(v1::OP_READ);
  ev.clear_transaction_id();
  SetRow(ev.mutable_after(), {Int(1), Text("x"), Dec("0")});
  std::string source = kPgSource;
  source.replace(source.find(R"("snapshot":"false")"), 18, R"("snapshot":"true")");
  source.replace(source.find(R"("txId":5551)"), 11, R"("txId":null)");
  EXPECT_EQ(Envelope(ev), std::string(R"({"before":null,"after":{"id":1,"note":"x","total":"0"},)") +
                              source + R"("op":"r",)" + kTail);
}

TEST(Envelope, TruncateHasNoRows) {
  v1::ChangeEvent ev = PgEvent(v1::OP_TRUNCATE);
  ev.set_truncate_cascade(true);
  EXPECT_EQ(Envelope(ev), std::string(R"({"before":null,"after":null,)") + kPgSource +
                              R"("op":"t",)" + kTail);
}

TEST(Envelope, DdlHasNoEnvelope) {
  v1::ChangeEvent ev = PgEvent(v1::OP_DDL);
  absl::StatusOr<std::string> s = EnvelopeJson(ev, Orders(), 42, Ctx());
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.status().message(),
            "journal offset 42 table shop.public.orders: OP_DDL event has no JSON envelope");
}

TEST(Envelope, ColumnErrorsNameTableAndColumn) {
  v1::ChangeEvent ev = PgEvent(v1::OP_INSERT);
  SetRow(ev.mutable_after(), {Int(1), Text("bad\xfe"), Dec("0")});
  absl::StatusOr<std::string> s = EnvelopeJson(ev, Orders(), 42, Ctx());
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().message(),
            "journal offset 42 table shop.public.orders: after column 'note': invalid UTF-8 at "
            "byte 3 of 4");
}

TEST(Envelope, RowShorterThanSchemaIsAnError) {
  v1::ChangeEvent ev = PgEvent(v1::OP_INSERT);
  SetRow(ev.mutable_after(), {Int(1)});
  absl::StatusOr<std::string> s = EnvelopeJson(ev, Orders(), 42, Ctx());
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().message(),
            "journal offset 42 table shop.public.orders: after image has 1 values but schema "
            "version 3 has 3 columns");
}

TEST(Envelope, AppendRestoresBufferOnError) {
  std::string buf = "previous line\n";
  v1::ChangeEvent ev = PgEvent(v1::OP_INSERT);
  SetRow(ev.mutable_after(), {Int(1), Text("\xff"), Dec("0")});
  EXPECT_FALSE(AppendEnvelopeJson(&buf, ev, Orders(), 1, Ctx()).ok());
  EXPECT_EQ(buf, "previous line\n");
}

TEST(Envelope, MultibyteAndControlCharactersInNames) {
  v1::TableSchema schema = Orders();
  schema.mutable_columns(1)->set_name("nöte\t\"q\"");
  v1::ChangeEvent ev = PgEvent(v1::OP_INSERT);
  ev.mutable_table()->set_table("örders");
  SetRow(ev.mutable_after(), {Int(1), Text("日本\x01"), Dec("0")});
  absl::StatusOr<std::string> s = EnvelopeJson(ev, schema, 42, Ctx());
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_NE(s->find(R"("after":{"id":1,"nöte\t\"q\"":"日本\u0001","total":"0"})"), std::string::npos)
      << *s;
  EXPECT_NE(s->find(R"("table":"örders")"), std::string::npos) << *s;
}

TEST(Envelope, EmbeddedJsonColumn) {
  v1::TableSchema schema = Orders();
  schema.mutable_columns(1)->mutable_type()->set_kind(v1::TYPE_JSONB);
  v1::ChangeEvent ev = PgEvent(v1::OP_INSERT);
  Value doc;
  doc.set_json_text("{\"tags\": [\"a\", null],\n \"n\": 1}");
  SetRow(ev.mutable_after(), {Int(1), doc, Dec("0")});
  absl::StatusOr<std::string> s = EnvelopeJson(ev, schema, 42, Ctx());
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->find('\n'), std::string::npos);
  EXPECT_NE(s->find(R"("note":{"tags":["a",null],"n":1})"), std::string::npos) << *s;
}

TEST(Envelope, ConnectorFromPositionWhenContextHasNone) {
  v1::ChangeEvent ev = PgEvent(v1::OP_INSERT);
  SetRow(ev.mutable_after(), {Int(1), Null(), Null()});
  EnvelopeContext ctx = Ctx();
  ctx.connector.clear();
  EXPECT_NE(Envelope(ev, ctx).find(R"("connector":"postgresql")"), std::string::npos);
}

TEST(Envelope, MysqlSourceBlock) {
  v1::ChangeEvent ev = PgEvent(v1::OP_INSERT);
  ev.mutable_table()->set_schema("");
  auto* my = ev.mutable_position()->mutable_mysql();
  my->set_file("mysql-bin.000003");
  my->set_pos(4);
  my->set_gtid_set("0-1-42");
  ev.set_transaction_id("0-1-42");
  SetRow(ev.mutable_after(), {Uint(18446744073709551615ull), Null(), Null()});
  EnvelopeContext ctx = Ctx();
  ctx.connector = std::string(ConnectorName("mysql"));
  EXPECT_EQ(Envelope(ev, ctx),
            R"({"before":null,"after":{"id":18446744073709551615,"note":null,"total":null},)"
            R"("source":{"version":"tidemark-0.1.0","connector":"mysql","name":"shop",)"
            R"("ts_ms":1704164645123,"ts_us":1704164645123456,"snapshot":"false","db":"shop",)"
            R"("table":"orders","txId":"0-1-42","file":"mysql-bin.000003","pos":4,"gtid":"0-1-42"},)"
            R"("op":"c",)" + std::string(kTail));
}

TEST(Envelope, MongoSourceBlock) {
  v1::ChangeEvent ev = PgEvent(v1::OP_DELETE);
  ev.mutable_table()->set_schema("");
  ev.mutable_table()->set_database("");
  auto* mg = ev.mutable_position()->mutable_mongo();
  mg->set_resume_token(std::string("\x82\x65\xab", 3));
  mg->set_cluster_time((uint64_t{1704164645} << 32) | 7);
  ev.set_transaction_id("");
  ev.set_commit_time_micros(0);
  SetRow(ev.mutable_before(), {Int(1), Null(), Null()});
  ev.mutable_before()->set_key_only(true);
  EnvelopeContext ctx = Ctx();
  ctx.connector = std::string(ConnectorName("mongo"));
  ctx.db = "appdb";
  EXPECT_EQ(Envelope(ev, ctx),
            R"({"before":{"id":1},"after":null,)"
            R"("source":{"version":"tidemark-0.1.0","connector":"mongodb","name":"shop",)"
            R"("ts_ms":null,"snapshot":"false","db":"appdb","collection":"orders","table":"orders",)"
            R"("txId":null,"resume_token":"8265ab","ord":7},)"
            R"("op":"d","ts_ms":0,"ts_us":0,"tidemark":{"offset":42,"seq":2}})");
}

TEST(Envelope, CommitTimeBeforeEpochFloorsToMillis) {
  v1::ChangeEvent ev = PgEvent(v1::OP_INSERT);
  ev.set_commit_time_micros(-1);
  SetRow(ev.mutable_after(), {Int(1), Null(), Null()});
  EXPECT_NE(Envelope(ev).find(R"("op":"c","ts_ms":-1,"ts_us":-1,)"), std::string::npos);
}

TEST(Envelope, LogicalMessage) {
  v1::LogicalMessage msg;
  msg.set_transactional(true);
  msg.set_prefix("audit");
  msg.set_content("hello");
  msg.mutable_position()->mutable_pg()->set_lsn(100);
  std::string out;
  ASSERT_TRUE(AppendMessageJson(&out, msg, kCommit, 9, Ctx()).ok());
  EXPECT_EQ(out,
            R"({"op":"m","ts_ms":1704164645123,)"
            R"("source":{"version":"tidemark-0.1.0","connector":"postgresql","name":"shop",)"
            R"("ts_ms":1704164645123,"ts_us":1704164645123456,"snapshot":"false","db":"shop",)"
            R"("txId":null,"lsn":100,"xmin":null},)"
            R"("message":{"prefix":"audit","content":"aGVsbG8=","transactional":true},)"
            R"("tidemark":{"offset":9}})");
}

TEST(Envelope, NamesAndOpCodes) {
  EXPECT_EQ(ConnectorName("postgres"), "postgresql");
  EXPECT_EQ(ConnectorName("mongo"), "mongodb");
  EXPECT_EQ(ConnectorName("mysql"), "mysql");
  EXPECT_EQ(OpCode(v1::OP_INSERT), "c");
  EXPECT_EQ(OpCode(v1::OP_UPDATE), "u");
  EXPECT_EQ(OpCode(v1::OP_DELETE), "d");
  EXPECT_EQ(OpCode(v1::OP_READ), "r");
  EXPECT_EQ(OpCode(v1::OP_TRUNCATE), "t");
  EXPECT_EQ(OpCode(v1::OP_DDL), "");
}

}  // namespace
}  // namespace tidemark
