#include "capture/pg/decoder.h"

#include <gmock/gmock.h>
#include <google/protobuf/text_format.h>
#include <gtest/gtest.h>

#include "tests/unit/capture_pg/pg_test_util.h"

namespace tidemark::pg {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::Msg;

constexpr uint32_t kRel = 16384;
constexpr int32_t kNumeric12_4 = (12 << 16 | 4) + 4;

class DecoderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto reg = SchemaRegistry::Open("");
    ASSERT_TRUE(reg.ok());
    registry_ = std::move(*reg);
    decoder_ = std::make_unique<PgDecoder>(DecoderOptions{"shop"}, &types_, registry_.get());
  }

  static Msg Relation(uint32_t id, std::string_view table, char identity) {
    Msg r('R');
    r.U32(id).Str("public").Str(table).U8(identity).U16(3);
    r.U8(1).Str("id").U32(23).U32(0xffffffff);
    r.U8(0).Str("v").U32(25).U32(0xffffffff);
    r.U8(0).Str("price").U32(1700).U32(kNumeric12_4);
    return r;
  }
  static Msg Begin(uint64_t final_lsn, uint32_t xid) {
    Msg b('B');
    b.U64(final_lsn).U64(1000000).U32(xid);  // 2000-01-01 00:00:01 UTC
    return b;
  }
  static Msg Commit(uint64_t lsn) {
    Msg c('C');
    c.U8(0).U64(lsn).U64(lsn + 0x30).U64(1000000);
    return c;
  }

  std::vector<v1::JournalEntry> Decode(std::string_view bytes, uint64_t wal_start = 0) {
    std::vector<v1::JournalEntry> out;
    absl::Status s = decoder_->Decode(bytes, wal_start, &out);
    EXPECT_TRUE(s.ok()) << s;
    return out;
  }
  // Decodes into a chunk that already holds an entry: a failed Decode leaves it as it was.
  absl::Status DecodeError(std::string_view bytes) {
    std::vector<v1::JournalEntry> out(1);
    out[0].mutable_message()->set_prefix("earlier");
    absl::Status s = decoder_->Decode(bytes, 0, &out);
    EXPECT_EQ(out.size(), 1u) << "a failed Decode changed the chunk";
    if (!out.empty()) {
      EXPECT_EQ(out[0].message().prefix(), "earlier");
    }
    return s;
  }

  TypeCatalog types_;
  std::unique_ptr<SchemaRegistry> registry_;
  std::unique_ptr<PgDecoder> decoder_;
};

std::string Dump(const google::protobuf::Message& m) {
  std::string s;
  google::protobuf::TextFormat::Printer p;
  p.SetSingleLineMode(true);
  p.PrintToString(m, &s);
  return s;
}

TEST_F(DecoderTest, RelationBecomesASchemaOnce) {
  auto out = Decode(Relation(kRel, "orders", 'd'));
  ASSERT_EQ(out.size(), 1u);
  const v1::TableSchema& s = out[0].schema();
  EXPECT_EQ(Dump(s.table()), R"(database: "shop" schema: "public" table: "orders" )");
  EXPECT_EQ(s.version(), 1u);
  EXPECT_EQ(s.replica_identity(), v1::REPLICA_IDENTITY_DEFAULT);
  EXPECT_EQ(s.source_relation_id(), kRel);
  EXPECT_THAT(s.key_columns(), ElementsAre("id"));
  ASSERT_EQ(s.columns_size(), 3);
  EXPECT_TRUE(s.columns(0).part_of_key());
  EXPECT_FALSE(s.columns(0).nullable());
  EXPECT_TRUE(s.columns(1).nullable());
  EXPECT_EQ(s.columns(2).type().source_type(), "numeric(12,4)");
  EXPECT_EQ(s.columns(2).type().kind(), v1::TYPE_DECIMAL);
  // The same shape again (PostgreSQL resends Relation after a reconnect): nothing new.
  EXPECT_TRUE(Decode(Relation(kRel, "orders", 'd')).empty());
  // A changed identity is a new version.
  out = Decode(Relation(kRel, "orders", 'f'));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].schema().version(), 2u);
  EXPECT_EQ(out[0].schema().replica_identity(), v1::REPLICA_IDENTITY_FULL);
  EXPECT_TRUE(out[0].schema().columns(0).nullable());
}

// A Relation as pgoutput sends it under REPLICA IDENTITY FULL: every column flagged.
Msg FullRelation(uint32_t id, std::string_view table) {
  Msg r('R');
  r.U32(id).Str("public").Str(table).U8('f').U16(3);
  r.U8(1).Str("id").U32(23).U32(0xffffffff);
  r.U8(1).Str("v").U32(25).U32(0xffffffff);
  r.U8(1).Str("price").U32(1700).U32(kNumeric12_4);
  return r;
}

TEST_F(DecoderTest, FullIdentityKeysByThePrimaryKeyWhenKnown) {
  decoder_->SetPrimaryKey(kRel, {"id"});
  auto out = Decode(FullRelation(kRel, "orders"));
  ASSERT_EQ(out.size(), 1u);
  const v1::TableSchema& s = out[0].schema();
  EXPECT_EQ(s.replica_identity(), v1::REPLICA_IDENTITY_FULL);
  EXPECT_THAT(s.key_columns(), ElementsAre("id"));
  EXPECT_TRUE(s.columns(0).part_of_key());
  EXPECT_FALSE(s.columns(1).part_of_key());
  EXPECT_FALSE(s.columns(2).part_of_key());
  // FULL without a primary key: every column is the key (full-row match).
  out = Decode(FullRelation(kRel + 1, "nokey"));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_THAT(out[0].schema().key_columns(), ElementsAre("id", "v", "price"));
}

TEST_F(DecoderTest, TransactionWithEveryChangeKind) {
  Decode(Relation(kRel, "orders", 'd'));
  Decode(Relation(kRel + 1, "lines", 'f'));
  auto out = Decode(Begin(0x5000, 7));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(Dump(out[0]),
            R"(begin { transaction_id: "7" commit_time_micros: 946684801000000 position )"
            R"({ pg { commit_lsn: 20480 } } } )");
  EXPECT_TRUE(decoder_->in_transaction());

  Msg ins('I');
  ins.U32(kRel).U8('N').Tuple({"1", "héllo", "12.3400"});
  out = Decode(ins, 0x4000);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(Dump(out[0].event()),
            R"(table { database: "shop" schema: "public" table: "orders" } op: OP_INSERT )"
            R"(after { values { int_value: 1 } values { text_value: "h\303\251llo" } )"
            R"(values { decimal_value: "12.3400" } } schema_version: 1 position { pg { lsn: )"
            R"(16384 commit_lsn: 20480 } } transaction_id: "7" commit_time_micros: )"
            R"(946684801000000 )");

  Msg upd_plain('U');
  upd_plain.U32(kRel).U8('N').Tuple({"1", std::string(Msg::kUnchanged), std::nullopt});
  out = Decode(upd_plain, 0x4010);
  const v1::ChangeEvent& e1 = out.at(0).event();
  EXPECT_EQ(e1.op(), v1::OP_UPDATE);
  EXPECT_FALSE(e1.has_before());
  EXPECT_TRUE(e1.after().values(1).has_unchanged());
  EXPECT_TRUE(e1.after().values(2).has_null_value());
  EXPECT_EQ(e1.sequence(), 1u);

  Msg upd_key('U');
  upd_key.U32(kRel).U8('K').Tuple({"1", std::nullopt, std::nullopt}).U8('N').Tuple(
      {"2", "x", "0.0000"});
  out = Decode(upd_key, 0x4020);
  const v1::ChangeEvent& e2 = out.at(0).event();
  EXPECT_TRUE(e2.before().key_only());
  EXPECT_EQ(e2.before().values(0).int_value(), 1);
  EXPECT_TRUE(e2.before().values(1).has_null_value());
  EXPECT_EQ(e2.after().values(0).int_value(), 2);

  Msg upd_full('U');
  upd_full.U32(kRel + 1).U8('O').Tuple({"5", "old", "1.0000"}).U8('N').Tuple(
      {"5", "new", "1.0000"});
  out = Decode(upd_full, 0x4030);
  const v1::ChangeEvent& e3 = out.at(0).event();
  EXPECT_FALSE(e3.before().key_only());
  EXPECT_EQ(e3.before().values(1).text_value(), "old");
  EXPECT_EQ(e3.table().table(), "lines");

  Msg del('D');
  del.U32(kRel).U8('K').Tuple({"2", std::nullopt, std::nullopt});
  out = Decode(del, 0x4040);
  const v1::ChangeEvent& e4 = out.at(0).event();
  EXPECT_EQ(e4.op(), v1::OP_DELETE);
  EXPECT_TRUE(e4.before().key_only());
  EXPECT_FALSE(e4.has_after());

  Msg del_full('D');
  del_full.U32(kRel + 1).U8('O').Tuple({"5", "new", std::nullopt});
  out = Decode(del_full, 0x4050);
  EXPECT_FALSE(out.at(0).event().before().key_only());
  EXPECT_TRUE(out.at(0).event().before().values(2).has_null_value());

  Msg trunc('T');
  trunc.U32(2).U8(TruncateMessage::kOptionRestartIdentity).U32(kRel).U32(kRel + 1);
  out = Decode(trunc, 0x4060);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].event().op(), v1::OP_TRUNCATE);
  EXPECT_EQ(out[0].event().table().table(), "orders");
  EXPECT_EQ(out[1].event().table().table(), "lines");
  EXPECT_EQ(out[0].event().sequence(), 6u);
  EXPECT_EQ(out[1].event().sequence(), 7u);
  EXPECT_TRUE(out[1].event().truncate_restart_identity());
  EXPECT_FALSE(out[1].event().truncate_cascade());
  EXPECT_FALSE(out[1].event().has_before());

  Msg m('M');
  m.U8(1).U64(0x4070).Str("app").U32(2).Raw("hi");
  out = Decode(m, 0x4070);
  EXPECT_EQ(Dump(out.at(0)),
            R"(message { transactional: true prefix: "app" content: "hi" position { pg { )"
            R"(lsn: 16496 commit_lsn: 20480 } } } )");

  Msg origin('O');
  origin.U64(1).Str("elsewhere");
  EXPECT_TRUE(Decode(origin).empty());
  Msg type('Y');
  type.U32(16385).Str("public").Str("mood");
  EXPECT_TRUE(Decode(type).empty());

  out = Decode(Commit(0x5000));
  EXPECT_EQ(Dump(out.at(0)),
            R"(commit { transaction_id: "7" commit_time_micros: 946684801000000 event_count: )"
            R"(8 position { pg { commit_lsn: 20480 end_lsn: 20528 } } } )");
  EXPECT_FALSE(decoder_->in_transaction());

  // Sequence restarts in the next transaction; a non-transactional message outside one.
  Decode(Begin(0x6000, 8));
  out = Decode(ins, 0x5800);
  EXPECT_EQ(out.at(0).event().sequence(), 0u);
  EXPECT_EQ(out.at(0).event().transaction_id(), "8");
  Decode(Commit(0x6000));
  Msg raw('M');
  raw.U8(0).U64(0x7000).Str("raw").U32(0);
  out = Decode(raw);
  EXPECT_FALSE(out.at(0).message().transactional());
  EXPECT_EQ(out.at(0).message().position().pg().commit_lsn(), 0u);
}

TEST_F(DecoderTest, ErrorsSayWhereAndLeaveStateAlone) {
  Decode(Relation(kRel, "orders", 'd'));
  Msg ins('I');
  ins.U32(kRel).U8('N').Tuple({"1", "a", "1"});
  EXPECT_THAT(DecodeError(ins).message(), HasSubstr("Insert outside a transaction"));
  EXPECT_THAT(DecodeError(Commit(1)).message(), HasSubstr("Commit without a Begin"));

  Decode(Begin(0x100, 9));
  EXPECT_THAT(DecodeError(Begin(0x200, 10)).message(), HasSubstr("inside transaction 9"));

  Msg unknown('I');
  unknown.U32(99999).U8('N').Tuple({"1"});
  absl::Status s = DecodeError(unknown);
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(s.message(), HasSubstr("Insert for unknown relation id 99999"));

  Msg trunc_unknown('T');
  trunc_unknown.U32(2).U8(0).U32(kRel).U32(99999);
  EXPECT_THAT(DecodeError(trunc_unknown).message(), HasSubstr("unknown relation id 99999"));

  Msg short_tuple('I');
  short_tuple.U32(kRel).U8('N').Tuple({"1", "a"});
  s = DecodeError(short_tuple);
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(s.message(), HasSubstr("public.orders has 2 columns but its Relation message has 3"));

  Msg binary('I');
  binary.U32(kRel).U8('N').U16(3).U8('b').U32(4).Raw(std::string("\0\0\0\1", 4));
  binary.U8('n').U8('n');
  s = DecodeError(binary);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(s.message(), HasSubstr("public.orders column id: value arrived in binary format"));

  Msg bad_value('I');
  bad_value.U32(kRel).U8('N').Tuple({"1", "a", "12,5"});
  s = DecodeError(bad_value);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("public.orders column price: invalid numeric(12,4) value "
                                     "\"12,5\""));

  EXPECT_THAT(DecodeError(Commit(0x999)).message(), HasSubstr("differs from the Begin"));

  // None of the failures above counted as events.
  Decode(ins, 0x50);
  auto out = Decode(Commit(0x100));
  EXPECT_EQ(out.at(0).commit().event_count(), 1u);
  EXPECT_EQ(out.at(0).commit().transaction_id(), "9");
}

TEST_F(DecoderTest, MissingAndUndecodedTypes) {
  Msg r('R');
  r.U32(kRel).Str("public").Str("docs").U8('d').U16(3);
  r.U8(1).Str("id").U32(23).U32(0xffffffff);
  r.U8(0).Str("body").U32(3614).U32(0xffffffff);
  r.U8(0).Str("moods").U32(16384).U32(0xffffffff);
  auto missing = decoder_->MissingTypes(r);
  ASSERT_TRUE(missing.ok());
  EXPECT_THAT(*missing, ElementsAre(3614u, 16384u));
  EXPECT_THAT(*decoder_->MissingTypes(Begin(1, 1)), ::testing::IsEmpty());
  EXPECT_EQ(decoder_->MissingTypes("R").status().code(), absl::StatusCode::kDataLoss);

  types_.Add(testing::Info(3614, "pg_catalog.tsvector", 'b', 0, 0));
  types_.Add(testing::Info(16384, "public._mood", 'b', 0, 16385));
  EXPECT_THAT(*decoder_->MissingTypes(r), ElementsAre(16385u));
  types_.Add(testing::Info(16385, "public.mood", 'e', 0, 0, {"a"}));
  EXPECT_THAT(*decoder_->MissingTypes(r), ::testing::IsEmpty());
  absl::Status s = DecodeError(r);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(s.message(), HasSubstr("column public.docs.body has type tsvector (oid 3614)"));

  Msg bad_identity('R');
  bad_identity.U32(kRel).Str("public").Str("x").U8('z').U16(0);
  EXPECT_EQ(DecodeError(bad_identity).code(), absl::StatusCode::kDataLoss);
}

}  // namespace
}  // namespace tidemark::pg
