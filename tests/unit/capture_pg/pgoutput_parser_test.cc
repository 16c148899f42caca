#include "capture/pg/pgoutput_parser.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/unit/capture_pg/pg_test_util.h"

namespace tidemark::pg {
namespace {

using ::testing::HasSubstr;
using testing::Msg;

template <typename T>
T ParseAs(std::string_view bytes) {
  auto m = ParsePgoutputMessage(bytes);
  EXPECT_TRUE(m.ok()) << m.status();
  if (!m.ok()) return T{};
  EXPECT_TRUE(std::holds_alternative<T>(*m)) << "got " << MessageName(*m);
  if (!std::holds_alternative<T>(*m)) return T{};
  return std::get<T>(*m);
}

// Every strict prefix of a valid message is kDataLoss, never a crash or an OK.
void ExpectEveryPrefixFails(std::string_view bytes) {
  for (size_t n = 0; n < bytes.size(); ++n) {
    auto m = ParsePgoutputMessage(bytes.substr(0, n));
    EXPECT_EQ(m.status().code(), absl::StatusCode::kDataLoss) << "prefix " << n;
  }
}

TEST(PgoutputParser, Begin) {
  Msg b('B');
  b.U64(0x16B374D848).U64(7).U32(4000000000u);
  auto m = ParseAs<BeginMessage>(b);
  EXPECT_EQ(m.final_lsn, 0x16B374D848u);
  EXPECT_EQ(m.commit_timestamp, 7);
  EXPECT_EQ(m.xid, 4000000000u);
  ExpectEveryPrefixFails(b);
}

TEST(PgoutputParser, Commit) {
  Msg c('C');
  c.U8(0).U64(100).U64(200).U64(static_cast<uint64_t>(-5));
  auto m = ParseAs<CommitMessage>(c);
  EXPECT_EQ(m.commit_lsn, 100u);
  EXPECT_EQ(m.end_lsn, 200u);
  EXPECT_EQ(m.commit_timestamp, -5);
  ExpectEveryPrefixFails(c);
}

TEST(PgoutputParser, Origin) {
  Msg o('O');
  o.U64(42).Str("node_a");
  auto m = ParseAs<OriginMessage>(o);
  EXPECT_EQ(m.commit_lsn, 42u);
  EXPECT_EQ(m.name, "node_a");
  ExpectEveryPrefixFails(o);
}

TEST(PgoutputParser, Relation) {
  Msg r('R');
  r.U32(16384).Str("public").Str("orders").U8('i').U16(2);
  r.U8(1).Str("id").U32(23).U32(0xffffffff);
  r.U8(0).Str("price").U32(1700).U32((12 << 16 | 4) + 4);
  auto m = ParseAs<RelationMessage>(r);
  EXPECT_EQ(m.relation_id, 16384u);
  EXPECT_EQ(m.namespace_name, "public");
  EXPECT_EQ(m.relation_name, "orders");
  EXPECT_EQ(m.replica_identity, 'i');
  ASSERT_EQ(m.columns.size(), 2u);
  EXPECT_EQ(m.columns[0].flags, RelationColumn::kFlagKey);
  EXPECT_EQ(m.columns[0].name, "id");
  EXPECT_EQ(m.columns[0].type_id, 23u);
  EXPECT_EQ(m.columns[0].type_modifier, -1);
  EXPECT_EQ(m.columns[1].type_modifier, (12 << 16 | 4) + 4);
  ExpectEveryPrefixFails(r);
}

TEST(PgoutputParser, Type) {
  Msg y('Y');
  y.U32(16385).Str("public").Str("mood");
  auto m = ParseAs<TypeMessage>(y);
  EXPECT_EQ(m.type_id, 16385u);
  EXPECT_EQ(m.namespace_name, "public");
  EXPECT_EQ(m.type_name, "mood");
  ExpectEveryPrefixFails(y);
}

TEST(PgoutputParser, InsertWithEveryColumnKind) {
  Msg i('I');
  i.U32(16384).U8('N').U16(4);
  i.U8('t').U32(3).Raw("abc").U8('n').U8('u').U8('b').U32(2).Raw(std::string("\0\1", 2));
  auto m = ParseAs<InsertMessage>(i);
  EXPECT_EQ(m.relation_id, 16384u);
  ASSERT_EQ(m.new_tuple.columns.size(), 4u);
  EXPECT_EQ(m.new_tuple.columns[0].kind, TupleColumn::Kind::kText);
  EXPECT_EQ(m.new_tuple.columns[0].data, "abc");
  EXPECT_EQ(m.new_tuple.columns[1].kind, TupleColumn::Kind::kNull);
  EXPECT_EQ(m.new_tuple.columns[2].kind, TupleColumn::Kind::kUnchangedToast);
  EXPECT_EQ(m.new_tuple.columns[3].kind, TupleColumn::Kind::kBinary);
  EXPECT_EQ(m.new_tuple.columns[3].data, std::string_view("\0\1", 2));
  ExpectEveryPrefixFails(i);
}

TEST(PgoutputParser, UpdateWithoutOldTuple) {
  Msg u('U');
  u.U32(1).U8('N').Tuple({"1", "x"});
  auto m = ParseAs<UpdateMessage>(u);
  EXPECT_EQ(m.old_tuple_kind, 0);
  EXPECT_FALSE(m.old_tuple.has_value());
  EXPECT_EQ(m.new_tuple.columns.size(), 2u);
  ExpectEveryPrefixFails(u);
}

TEST(PgoutputParser, UpdateWithKeyAndOldTuples) {
  for (char kind : {'K', 'O'}) {
    Msg u('U');
    u.U32(1).U8(kind).Tuple({"1", std::nullopt}).U8('N').Tuple({"2", std::string(Msg::kUnchanged)});
    auto m = ParseAs<UpdateMessage>(u);
    EXPECT_EQ(m.old_tuple_kind, kind);
    ASSERT_TRUE(m.old_tuple.has_value());
    EXPECT_EQ(m.old_tuple->columns[0].data, "1");
    EXPECT_EQ(m.new_tuple.columns[1].kind, TupleColumn::Kind::kUnchangedToast);
    ExpectEveryPrefixFails(u);
  }
}

TEST(PgoutputParser, Delete) {
  for (char kind : {'K', 'O'}) {
    Msg d('D');
    d.U32(7).U8(kind).Tuple({"1", std::nullopt});
    auto m = ParseAs<DeleteMessage>(d);
    EXPECT_EQ(m.relation_id, 7u);
    EXPECT_EQ(m.old_tuple_kind, kind);
    EXPECT_EQ(m.old_tuple.columns.size(), 2u);
    ExpectEveryPrefixFails(d);
  }
  Msg bad('D');
  bad.U32(7).U8('N').Tuple({"1"});
  EXPECT_THAT(ParsePgoutputMessage(bad).status().message(), HasSubstr("'K' or 'O'"));
}

TEST(PgoutputParser, Truncate) {
  Msg t('T');
  t.U32(2).U8(TruncateMessage::kOptionCascade | TruncateMessage::kOptionRestartIdentity);
  t.U32(10).U32(11);
  auto m = ParseAs<TruncateMessage>(t);
  EXPECT_EQ(m.options, 3);
  EXPECT_EQ(m.relation_ids, (std::vector<uint32_t>{10, 11}));
  ExpectEveryPrefixFails(t);
}

TEST(PgoutputParser, Message) {
  Msg mm('M');
  mm.U8(1).U64(99).Str("prefix").U32(3).Raw(std::string("a\0b", 3));
  auto m = ParseAs<LogicalDecodingMessage>(mm);
  EXPECT_EQ(m.flags, LogicalDecodingMessage::kFlagTransactional);
  EXPECT_EQ(m.lsn, 99u);
  EXPECT_EQ(m.prefix, "prefix");
  EXPECT_EQ(m.content, std::string_view("a\0b", 3));
  ExpectEveryPrefixFails(mm);
}

TEST(PgoutputParser, TruncatedTupleNamesMessagePositionAndSize) {
  Msg i('I');
  i.U32(16384).U8('N').U16(1).U8('t').U32(10).Raw("abc");
  auto m = ParsePgoutputMessage(i);
  EXPECT_EQ(m.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(m.status().message(),
              HasSubstr("pgoutput Insert: truncated tuple column 0 value at byte 13 of 16"));
}

TEST(PgoutputParser, RejectsUnknownTagsTrailingBytesAndBadLengths) {
  EXPECT_EQ(ParsePgoutputMessage("").status().code(), absl::StatusCode::kDataLoss);
  auto unknown = ParsePgoutputMessage("S\0\0\0\1");
  EXPECT_EQ(unknown.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(unknown.status().message(), HasSubstr("unknown message type 0x53"));

  Msg trailing('O');
  trailing.U64(1).Str("x").U8(0);
  EXPECT_THAT(ParsePgoutputMessage(trailing).status().message(),
              HasSubstr("1 trailing bytes"));

  Msg kind('I');
  kind.U32(1).U8('N').U16(1).U8('x');
  EXPECT_THAT(ParsePgoutputMessage(kind).status().message(),
              HasSubstr("unknown kind 0x78 of tuple column 0"));

  Msg negative('I');
  negative.U32(1).U8('N').U16(1).U8('t').U32(0xffffffff);
  EXPECT_THAT(ParsePgoutputMessage(negative).status().message(), HasSubstr("negative length"));

  Msg huge('T');
  huge.U32(0x7fffffff).U8(0).U32(1);
  EXPECT_EQ(ParsePgoutputMessage(huge).status().code(), absl::StatusCode::kDataLoss);

  Msg no_n('I');
  no_n.U32(1).U8('K').Tuple({"1"});
  EXPECT_THAT(ParsePgoutputMessage(no_n).status().message(), HasSubstr("expected 'N'"));
}

}  // namespace
}  // namespace tidemark::pg
