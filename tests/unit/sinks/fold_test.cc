#include <gtest/gtest.h>

#include "apply/db/change_fold.h"

namespace tidemark {
namespace {

v1::TableSchema Schema(v1::ReplicaIdentity identity = v1::REPLICA_IDENTITY_DEFAULT) {
  v1::TableSchema s;
  s.mutable_table()->set_schema("public");
  s.mutable_table()->set_table("t");
  s.set_version(1);
  s.set_replica_identity(identity);
  for (const char* n : {"id", "big", "n"}) s.add_columns()->set_name(n);
  return s;
}

// Values: an int, or "u" for unchanged, or a string.
v1::Row Row(std::initializer_list<std::string> vals) {
  v1::Row r;
  for (const auto& s : vals) {
    v1::Value* v = r.add_values();
    if (s == "u") {
      v->mutable_unchanged();
    } else if (s == "null") {
      v->set_null_value(v1::NULL_VALUE);
    } else if (!s.empty() && std::isdigit(static_cast<unsigned char>(s[0]))) {
      v->set_int_value(std::stoll(s));
    } else {
      v->set_text_value(s);
    }
  }
  return r;
}

v1::ChangeEvent Ev(v1::Op op, std::optional<v1::Row> before, std::optional<v1::Row> after) {
  v1::ChangeEvent e;
  e.set_op(op);
  if (before) *e.mutable_before() = *before;
  if (after) *e.mutable_after() = *after;
  return e;
}

TEST(Fold, RepeatedChangesToOneKeyFoldToTheLastState) {
  auto f = TableFold::Create(Schema(), {"id"});
  ASSERT_TRUE(f.ok());
  ASSERT_TRUE(f->Add(Ev(v1::OP_INSERT, {}, Row({"1", "x", "0"})), 10).ok());
  ASSERT_TRUE(f->Add(Ev(v1::OP_UPDATE, {}, Row({"1", "u", "1"})), 11).ok());
  ASSERT_TRUE(f->Add(Ev(v1::OP_UPDATE, {}, Row({"1", "u", "2"})), 12).ok());
  ASSERT_TRUE(f->Add(Ev(v1::OP_INSERT, {}, Row({"2", "y", "0"})), 13).ok());
  ASSERT_TRUE(f->Add(Ev(v1::OP_DELETE, Row({"2", "null", "null"}), {}), 14).ok());
  ASSERT_EQ(f->states().size(), 2u);
  const KeyState* one = nullptr;
  const KeyState* two = nullptr;
  for (const auto& [k, s] : f->states()) (s.key[0].int_value() == 1 ? one : two) = &s;
  ASSERT_TRUE(one && two);
  EXPECT_FALSE(one->deleted);
  EXPECT_EQ(one->row->values(1).text_value(), "x") << "unchanged filled from the earlier insert";
  EXPECT_EQ(one->row->values(2).int_value(), 2);
  EXPECT_EQ(one->offset, 12u);
  EXPECT_TRUE(two->deleted);
}

TEST(Fold, UnchangedColumnStaysUnchangedWithoutEarlierState) {
  auto f = TableFold::Create(Schema(), {"id"});
  ASSERT_TRUE(f->Add(Ev(v1::OP_UPDATE, {}, Row({"1", "u", "5"})), 1).ok());
  EXPECT_TRUE(f->states().begin()->second.row->values(1).has_unchanged());
}

TEST(Fold, KeyChangeDeletesOldKeyAndWritesNew) {
  auto f = TableFold::Create(Schema(), {"id"});
  v1::Row before = Row({"1", "null", "null"});
  before.set_key_only(true);
  ASSERT_TRUE(f->Add(Ev(v1::OP_UPDATE, before, Row({"7", "x", "1"})), 1).ok());
  ASSERT_EQ(f->states().size(), 2u);
  int deleted = 0;
  for (const auto& [k, s] : f->states()) deleted += s.deleted ? s.key[0].int_value() : 0;
  EXPECT_EQ(deleted, 1);
}

TEST(Fold, KeyChangeWithUnchangedColumnAndNoSourceIsAnError) {
  auto f = TableFold::Create(Schema(), {"id"});
  v1::Row before = Row({"1", "null", "null"});
  before.set_key_only(true);
  absl::Status s = f->Add(Ev(v1::OP_UPDATE, before, Row({"7", "u", "1"})), 1);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(s.message().find("REPLICA IDENTITY FULL"), std::string_view::npos) << s;
}

TEST(Fold, TruncateDropsEarlierStates) {
  auto f = TableFold::Create(Schema(), {"id"});
  ASSERT_TRUE(f->Add(Ev(v1::OP_INSERT, {}, Row({"1", "x", "0"})), 1).ok());
  ASSERT_TRUE(f->Add(Ev(v1::OP_TRUNCATE, {}, {}), 2).ok());
  ASSERT_TRUE(f->Add(Ev(v1::OP_INSERT, {}, Row({"2", "x", "0"})), 3).ok());
  EXPECT_TRUE(f->truncate());
  EXPECT_EQ(f->states().size(), 1u);
}

TEST(Fold, UnkeyedTablesKeepOrderAndNeedFullBeforeImages) {
  auto f = TableFold::Create(Schema(v1::REPLICA_IDENTITY_FULL), {});
  ASSERT_TRUE(f.ok());
  EXPECT_FALSE(f->keyed());
  ASSERT_TRUE(f->Add(Ev(v1::OP_INSERT, {}, Row({"1", "x", "0"})), 1).ok());
  ASSERT_TRUE(f->Add(Ev(v1::OP_UPDATE, Row({"1", "x", "0"}), Row({"1", "u", "1"})), 2).ok());
  ASSERT_EQ(f->ops().size(), 2u);
  EXPECT_EQ(f->ops()[1].after->values(1).text_value(), "x");
  v1::Row key_only = Row({"1", "null", "null"});
  key_only.set_key_only(true);
  absl::Status s = f->Add(Ev(v1::OP_DELETE, key_only, {}), 3);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(s.message().find("public.t"), std::string_view::npos) << s;
}

TEST(Fold, UnknownKeyColumnIsAnError) {
  EXPECT_FALSE(TableFold::Create(Schema(), {"nope"}).ok());
}

}  // namespace
}  // namespace tidemark
