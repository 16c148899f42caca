#include <gtest/gtest.h>

#include "schema/target_ddl.h"
#include "schema/type_mapping.h"

namespace tidemark {
namespace {

v1::ColumnType Pg(v1::TypeKind kind, const std::string& spelled, uint32_t oid = 1) {
  v1::ColumnType t;
  t.set_kind(kind);
  t.set_source_type(spelled);
  t.set_source_oid(oid);
  return t;
}
v1::ColumnType My(v1::TypeKind kind, const std::string& spelled) { return Pg(kind, spelled, 0); }

TEST(TypeMapping, PostgresBuiltinsKeepTheirSpelling) {
  EXPECT_EQ(*PgTargetType(Pg(v1::TYPE_DECIMAL, "numeric(10,4)")), "numeric(10,4)");
  EXPECT_EQ(*PgTargetType(Pg(v1::TYPE_TEXT, "character(5)")), "character(5)");
  EXPECT_EQ(*PgTargetType(Pg(v1::TYPE_TIME, "time(3) without time zone")), "time(3) without time zone");
  EXPECT_EQ(*PgTargetType(Pg(v1::TYPE_UINT64, "oid")), "oid");
  EXPECT_EQ(*PgTargetType(Pg(v1::TYPE_BIT, "bit(4)")), "bit(4)");
}

TEST(TypeMapping, PostgresEnumsAndDomainsBecomeTheirBase) {
  v1::ColumnType e = Pg(v1::TYPE_ENUM, "public.mood");
  e.add_labels("sad");
  EXPECT_EQ(*PgTargetType(e), "text");
  EXPECT_EQ(*PgTargetType(Pg(v1::TYPE_INT32, "public.posint")), "integer");
  v1::ColumnType arr = Pg(v1::TYPE_ARRAY, "public.mood[]");
  *arr.mutable_element() = e;
  EXPECT_EQ(*PgTargetType(arr), "text[]");
}

TEST(TypeMapping, MysqlSourcesOnPostgres) {
  EXPECT_EQ(*PgTargetType(My(v1::TYPE_TIME, "time(6)")), "interval");  // durations past 24h
  EXPECT_EQ(*PgTargetType(My(v1::TYPE_DECIMAL, "decimal(12,3)")), "numeric(12,3)");
  EXPECT_EQ(*PgTargetType(My(v1::TYPE_UINT64, "bigint unsigned")), "numeric(20,0)");
  EXPECT_EQ(*PgTargetType(My(v1::TYPE_TIMESTAMPTZ, "timestamp(6)")), "timestamp with time zone");
  EXPECT_EQ(*PgTargetType(My(v1::TYPE_BIT, "bit(12)")), "bit(12)");
  EXPECT_EQ(*PgTargetType(My(v1::TYPE_GEOMETRY, "geometry")), "bytea");
  EXPECT_FALSE(PgTargetType(My(v1::TYPE_UNSPECIFIED, "x")).ok());
}

TEST(TypeMapping, MysqlTargetsHoldValuesExactly) {
  EXPECT_EQ(*MysqlTargetType(Pg(v1::TYPE_DECIMAL, "numeric(10,4)"), false), "DECIMAL(10,4)");
  EXPECT_EQ(*MysqlTargetType(Pg(v1::TYPE_DECIMAL, "numeric"), false),
            "LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin");
  EXPECT_EQ(*MysqlTargetType(Pg(v1::TYPE_DECIMAL, "numeric(70,2)"), false),
            "LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin");
  EXPECT_EQ(*MysqlTargetType(Pg(v1::TYPE_INTERVAL, "interval"), false),
            "VARCHAR(64) CHARACTER SET ascii");
  EXPECT_EQ(*MysqlTargetType(Pg(v1::TYPE_TIMESTAMPTZ, "timestamp with time zone"), false),
            "DATETIME(6)");
  EXPECT_EQ(*MysqlTargetType(Pg(v1::TYPE_TEXT, "text"), true),
            "VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin");
  EXPECT_EQ(*MysqlTargetType(Pg(v1::TYPE_TEXT, "character varying(20)"), false),
            "VARCHAR(20) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin");
  EXPECT_EQ(*MysqlTargetType(Pg(v1::TYPE_BYTES, "bytea"), true), "VARBINARY(255)");
  EXPECT_EQ(*MysqlTargetType(Pg(v1::TYPE_ARRAY, "integer[]"), false), "JSON");
  EXPECT_EQ(*MysqlTargetType(Pg(v1::TYPE_BIT, "bit(4)"), false), "BIT(4)");
  v1::ColumnType e = My(v1::TYPE_ENUM, "enum");
  e.add_labels("it's");
  e.add_labels("b\\c");
  EXPECT_EQ(*MysqlTargetType(e, false),
            "ENUM('it''s','b\\\\c') CHARACTER SET utf8mb4 COLLATE utf8mb4_bin");
}

TEST(TargetDdl, CreateTableWithKeyAndQuoting) {
  v1::TableSchema s;
  s.mutable_table()->set_table("t");
  s.set_source_relation_id(5);
  s.set_replica_identity(v1::REPLICA_IDENTITY_DEFAULT);
  auto* id = s.add_columns();
  id->set_name("id");
  *id->mutable_type() = Pg(v1::TYPE_INT32, "integer");
  auto* v = s.add_columns();
  v->set_name("we\"ird`");
  *v->mutable_type() = Pg(v1::TYPE_TEXT, "text");
  s.add_key_columns("id");
  EXPECT_EQ(SourceKey(s), std::vector<std::string>{"id"});
  EXPECT_EQ(*CreateTableSql(TargetEngine::kPostgres, s, {"id"}, "\"public\".\"t\""),
            "CREATE TABLE \"public\".\"t\" (\"id\" integer NOT NULL, \"we\"\"ird`\" text, "
            "PRIMARY KEY (\"id\"))");
  EXPECT_EQ(*CreateTableSql(TargetEngine::kMysql, s, {"id"}, "`db`.`t`"),
            "CREATE TABLE `db`.`t` (`id` INT NOT NULL, `we\"ird``` LONGTEXT CHARACTER SET "
            "utf8mb4 COLLATE utf8mb4_bin, PRIMARY KEY (`id`))");
  EXPECT_EQ(*AddColumnSql(TargetEngine::kPostgres, *v, "x"), "ALTER TABLE x ADD COLUMN \"we\"\"ird`\" text");
  EXPECT_EQ(DropColumnSql(TargetEngine::kMysql, "c", "y"), "ALTER TABLE y DROP COLUMN `c`");
  // Under PG REPLICA IDENTITY FULL: the primary key when capture knows it ...
  s.set_replica_identity(v1::REPLICA_IDENTITY_FULL);
  EXPECT_EQ(SourceKey(s), std::vector<std::string>{"id"});
  // ... every column flagged means no key is known.
  s.add_key_columns("we\"ird`");
  EXPECT_TRUE(SourceKey(s).empty());
}

}  // namespace
}  // namespace tidemark
