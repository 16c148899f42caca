// MongoDB events as (_id, document) rows for the database sinks (apply/db/mongo_rows.h).
#include "apply/db/mongo_rows.h"

#include <gtest/gtest.h>

#include "apply/db/change_fold.h"
#include "schema/mongo_shape.h"
#include "schema/registry.h"
#include "schema/target_ddl.h"

namespace tidemark::mongo_rows {
namespace {

// The schema capture/mongo/decoder.cc builds for an unsharded collection.
v1::TableSchema MongoSchema() {
  v1::TableSchema s;
  s.mutable_table()->set_database("shop");
  s.mutable_table()->set_table("orders");
  s.set_version(3);
  for (const char* name : {"_id", "document", "update_description"}) {
    v1::Column* c = s.add_columns();
    c->set_name(name);
    c->mutable_type()->set_kind(v1::TYPE_JSON);
    c->mutable_type()->set_source_type(mongo_shape::kSourceType);
    c->set_part_of_key(std::string(name) == "_id");
  }
  s.add_key_columns("_id");
  return s;
}

v1::Value Oid() {
  v1::Value v;
  v.set_object_id(std::string("\x65\xa1\xb2\xc3\xd4\xe5\xf6\x07\x18\x29\x3a\x4b", 12));
  return v;
}

v1::Value Doc() {
  v1::Value d;
  auto* f = d.mutable_document()->add_fields();
  f->set_name("_id");
  *f->mutable_value() = Oid();
  f = d.mutable_document()->add_fields();
  f->set_name("n");
  f->mutable_value()->set_int_value(7);
  f->mutable_value()->set_bson_int32(true);
  return d;
}

v1::Value Null() {
  v1::Value v;
  v.set_null_value(v1::NULL_VALUE);
  return v;
}

v1::ChangeEvent Event(v1::Op op, const v1::Value& document) {
  v1::ChangeEvent ev;
  ev.mutable_table()->set_database("shop");
  ev.mutable_table()->set_table("orders");
  ev.set_op(op);
  ev.set_schema_version(3);
  ev.mutable_position()->mutable_mongo()->set_resume_token("tok");
  v1::Row* r = op == v1::OP_DELETE ? ev.mutable_before() : ev.mutable_after();
  *r->add_values() = Oid();
  *r->add_values() = document;
  *r->add_values() = Null();
  if (op == v1::OP_DELETE) r->set_key_only(true);
  return ev;
}

TEST(MongoRows, SchemaIsIdTextAndJsonbDocument) {
  v1::TableSchema s = RelationalSchema(MongoSchema());
  ASSERT_EQ(s.columns_size(), 2);
  EXPECT_EQ(s.columns(0).name(), "_id");
  EXPECT_EQ(s.columns(0).type().kind(), v1::TYPE_TEXT);
  EXPECT_TRUE(s.columns(0).part_of_key());
  EXPECT_EQ(s.columns(1).name(), "document");
  EXPECT_EQ(s.columns(1).type().kind(), v1::TYPE_JSONB);
  EXPECT_EQ(s.version(), 3u);
  EXPECT_FALSE(mongo_shape::IsMongoSchema(s));
  EXPECT_TRUE(mongo_shape::IsMongoSchema(MongoSchema()));
  EXPECT_EQ(*CreateTableSql(TargetEngine::kPostgres, s, SourceKey(s), "\"shop\".\"orders\""),
            R"(CREATE TABLE "shop"."orders" ("_id" text NOT NULL, "document" jsonb, PRIMARY KEY ("_id")))");
  EXPECT_EQ(*CreateTableSql(TargetEngine::kMysql, s, SourceKey(s), "`shop`.`orders`"),
            "CREATE TABLE `shop`.`orders` (`_id` VARCHAR(255) CHARACTER SET utf8mb4 COLLATE "
            "utf8mb4_bin NOT NULL, `document` JSON, PRIMARY KEY (`_id`))");
}

TEST(MongoRows, InsertAndUpdateBecomeExtendedJsonRows) {
  for (v1::Op op : {v1::OP_INSERT, v1::OP_UPDATE}) {
    auto c = Convert(Event(op, Doc()), MongoSchema(), 10);
    ASSERT_TRUE(c.ok()) << c.status();
    EXPECT_EQ(c->kind, Change::kRow);
    EXPECT_EQ(c->event.op(), op);
    ASSERT_EQ(c->event.after().values_size(), 2);
    EXPECT_EQ(c->event.after().values(0).text_value(), R"({"$oid":"65a1b2c3d4e5f60718293a4b"})");
    EXPECT_EQ(c->event.after().values(1).json_text(),
              R"({"_id":{"$oid":"65a1b2c3d4e5f60718293a4b"},"n":{"$numberInt":"7"}})");
    EXPECT_FALSE(c->event.has_before());
  }
}

TEST(MongoRows, DeleteAndLookupMissBecomeKeyDeletes) {
  for (auto ev : {Event(v1::OP_DELETE, Null()), Event(v1::OP_UPDATE, Null())}) {
    auto c = Convert(ev, MongoSchema(), 11);
    ASSERT_TRUE(c.ok()) << c.status();
    EXPECT_EQ(c->event.op(), v1::OP_DELETE);
    EXPECT_TRUE(c->event.before().key_only());
    EXPECT_EQ(c->event.before().values(0).text_value(), R"({"$oid":"65a1b2c3d4e5f60718293a4b"})");
    // The fold takes it as a delete of that key.
    auto fold = TableFold::Create(RelationalSchema(MongoSchema()), {"_id"});
    ASSERT_TRUE(fold.ok());
    ASSERT_TRUE(fold->Add(c->event, 11).ok());
    ASSERT_EQ(fold->states().size(), 1u);
    EXPECT_TRUE(fold->states().begin()->second.deleted);
  }
}

TEST(MongoRows, UpdateWithoutItsDocumentStopsWithTheFix) {
  v1::Value unknown;
  unknown.mutable_unchanged();
  auto c = Convert(Event(v1::OP_UPDATE, unknown), MongoSchema(), 12);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), absl::StatusCode::kFailedPrecondition);
  const std::string msg(c.status().message());
  EXPECT_NE(msg.find("collection shop.orders at journal offset 12"), std::string::npos) << msg;
  EXPECT_NE(msg.find(R"({"$oid":"65a1b2c3d4e5f60718293a4b"})"), std::string::npos) << msg;
  EXPECT_NE(msg.find("capture_mode: updateLookup"), std::string::npos) << msg;
  EXPECT_NE(msg.find("changeStreamPreAndPostImages"), std::string::npos) << msg;
}

v1::ChangeEvent Ddl(const std::string& ddl, uint32_t version) {
  v1::ChangeEvent ev;
  ev.mutable_table()->set_database("shop");
  ev.mutable_table()->set_table(ddl.find("dropDatabase") != std::string::npos ? "" : "orders");
  ev.set_op(v1::OP_DDL);
  ev.set_ddl(ddl);
  ev.set_schema_version(version);
  ev.mutable_position()->mutable_mongo()->set_resume_token("tok");
  return ev;
}

TEST(MongoRows, DropTruncatesRenameMovesDropDatabaseDoesNothing) {
  auto drop = Ddl(R"({"operationType":"drop","ns":{"db":"shop","coll":"orders"}})", 3);
  EXPECT_TRUE(IsMongoDdl(drop));
  auto c = Convert(drop, MongoSchema(), 1);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->kind, Change::kRow);
  EXPECT_EQ(c->event.op(), v1::OP_TRUNCATE);

  auto rename = Ddl(R"({"operationType":"rename","ns":{"db":"shop","coll":"orders"},)"
                    R"("to":{"db":"shop","coll":"old"}})", 3);
  rename.mutable_renamed_to()->set_database("shop");
  rename.mutable_renamed_to()->set_table("old");
  c = Convert(rename, MongoSchema(), 2);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->kind, Change::kMove);
  EXPECT_EQ(TableKey(c->to), "shop.old");

  c = Convert(Ddl(R"({"operationType":"dropDatabase","ns":{"db":"shop"}})", 0), MongoSchema(), 3);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->kind, Change::kNone);
  c = Convert(Ddl(R"({"operationType":"drop","ns":{"db":"shop","coll":"orders"}})", 0),
              MongoSchema(), 4);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->kind, Change::kNone) << "a collection tidemark never saw";

  v1::ChangeEvent pg_ddl;
  pg_ddl.set_op(v1::OP_DDL);
  pg_ddl.set_ddl("ALTER TABLE t ADD c int");
  pg_ddl.mutable_position()->mutable_pg();
  EXPECT_FALSE(IsMongoDdl(pg_ddl));
}

TEST(MongoRows, MoveRowsSql) {
  v1::TableSchema s = RelationalSchema(MongoSchema());
  EXPECT_EQ(MoveRowsSql(TargetEngine::kPostgres, "\"s\".\"a\"", "\"s\".\"b\"", s),
            (std::vector<std::string>{
                R"(DELETE FROM "s"."b")",
                R"(INSERT INTO "s"."b" ("_id", "document") SELECT "_id", "document" FROM "s"."a")",
                R"(DELETE FROM "s"."a")"}));
  EXPECT_TRUE(MoveRowsSql(TargetEngine::kMysql, "`d`.`a`", "`d`.`a`", s).empty());
}

}  // namespace
}  // namespace tidemark::mongo_rows
