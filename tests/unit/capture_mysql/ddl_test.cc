// DDL parser (ddl_parser.h) and schema tracking (schema_history.h): statements as
// MariaDB/MySQL write them into QUERY events, applied to a table's definition.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>

#include "capture/mysql/ddl_parser.h"
#include "capture/mysql/schema_history.h"

namespace tidemark::mysql {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::vector<std::string> Names(const v1::MysqlTableVersion& v) {
  std::vector<std::string> out;
  for (const auto& c : v.columns()) out.push_back(c.name());
  return out;
}

// Applies `sql` (default database "db") to `state`; returns the new version of db.`table`.
v1::MysqlTableVersion ApplySql(SchemaState* state, const std::string& sql, const std::string& table,
                          std::string* why = nullptr) {
  std::vector<TableRef> unparsed;
  std::string reason;
  auto made = state->Apply(ParseDdl(sql), "db", &unparsed, &reason);
  if (why) *why = reason;
  for (auto& v : made) state->Put(v);
  const auto* v = state->Find("db", table);
  return v ? *v : v1::MysqlTableVersion{};
}

TEST(DdlParser, CreateTableColumnsTypesKeysAndCharsets) {
  DdlStatement s = ParseDdl(
      "CREATE TABLE IF NOT EXISTS `shop`.`o``rders` (\n"
      "  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT COMMENT 'the, id',\n"
      "  `name` VARCHAR(20) CHARACTER SET latin1 COLLATE latin1_swedish_ci DEFAULT 'a,b' NULL,\n"
      "  e ENUM('x','y''z') NOT NULL DEFAULT 'x', s SET('p','q'),\n"
      "  d DECIMAL(65,30) DEFAULT -1.5, ts TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),\n"
      "  j JSON, b VARBINARY(8), t TEXT COLLATE utf8mb4_bin, n NATIONAL CHAR(2),\n"
      "  g INT AS (id + 1) VIRTUAL, z INT ZEROFILL, bb BOOLEAN,\n"
      "  PRIMARY KEY (id, `name`(10)), UNIQUE KEY u (e), KEY k (d), CONSTRAINT fk FOREIGN KEY (z) "
      "REFERENCES o (id) ON DELETE CASCADE, CHECK (d > 0)\n"
      ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 /*!50100 PARTITION BY HASH (id) */");
  ASSERT_EQ(s.kind, DdlStatement::kCreateTable) << s.reason;
  EXPECT_TRUE(s.if_not_exists);
  EXPECT_EQ(s.table, (TableRef{"shop", "o`rders"}));
  EXPECT_EQ(s.table_charset, "utf8mb4");
  ASSERT_EQ(s.columns.size(), 13u);
  const auto& c = s.columns;
  EXPECT_EQ(c[0].name, "id");
  EXPECT_EQ(c[0].data_type, "bigint");
  EXPECT_TRUE(c[0].is_unsigned);
  EXPECT_FALSE(c[0].nullable);
  EXPECT_TRUE(c[0].part_of_key);
  EXPECT_EQ(c[1].name, "name");
  EXPECT_EQ(c[1].charset, "latin1");
  EXPECT_TRUE(c[1].nullable);
  EXPECT_TRUE(c[1].part_of_key);
  EXPECT_EQ(c[2].data_type, "enum");
  EXPECT_THAT(c[2].labels, ElementsAre("x", "y'z"));
  EXPECT_EQ(c[2].column_type, "enum('x','y''z')");
  EXPECT_THAT(c[3].labels, ElementsAre("p", "q"));
  EXPECT_EQ(c[4].column_type, "decimal(65,30)");
  EXPECT_EQ(c[4].charset, "");
  EXPECT_EQ(c[5].data_type, "timestamp");
  EXPECT_TRUE(c[6].is_json);
  EXPECT_EQ(c[6].charset, "utf8mb4");
  EXPECT_EQ(c[7].charset, "binary");
  EXPECT_EQ(c[8].charset, "utf8mb4");
  EXPECT_EQ(c[9].charset, "utf8mb3");
  EXPECT_EQ(c[10].name, "g");
  EXPECT_TRUE(c[11].is_unsigned);  // ZEROFILL implies UNSIGNED
  EXPECT_EQ(c[12].column_type, "tinyint(1)");
  for (size_t i = 2; i < c.size(); ++i) EXPECT_FALSE(c[i].part_of_key) << c[i].name;
}

TEST(DdlParser, ColumnLevelKeysAndMariaDbJsonCheck) {
  DdlStatement s = ParseDdl(
      "create or replace table t (a int key, b longtext CHARACTER SET utf8mb4 COLLATE utf8mb4_bin "
      "DEFAULT NULL CHECK (json_valid(`b`)), c int unique key) default character set = latin1");
  ASSERT_EQ(s.kind, DdlStatement::kCreateTable);
  EXPECT_TRUE(s.or_replace);
  EXPECT_TRUE(s.columns[0].part_of_key);
  EXPECT_TRUE(s.columns[1].is_json);
  EXPECT_FALSE(s.columns[2].part_of_key);
  EXPECT_EQ(s.table_charset, "latin1");
}

TEST(DdlParser, StatementsThatChangeNoColumns) {
  for (const char* q : {"TRUNCATE TABLE t", "CREATE INDEX i ON t (a)", "DROP INDEX i ON t",
                        "CREATE VIEW v AS SELECT 1", "CREATE USER u", "GRANT SELECT ON *.* TO u",
                        "CREATE TEMPORARY TABLE tmp (a int)", "RENAME USER a TO b",
                        "DROP TRIGGER tr", "INSERT INTO t VALUES (1)", "BEGIN"}) {
    DdlStatement s = ParseDdl(q);
    EXPECT_TRUE(s.kind == DdlStatement::kNone || s.temporary) << q;
  }
}

TEST(DdlParser, UnparsedNamesTheTableAndWhy) {
  DdlStatement s = ParseDdl("CREATE TABLE c2 AS SELECT * FROM c1");
  EXPECT_EQ(s.kind, DdlStatement::kUnparsed);
  EXPECT_THAT(s.tables, ElementsAre(TableRef{"", "c2"}));
  EXPECT_THAT(s.reason, HasSubstr("SELECT"));
  s = ParseDdl("CREATE TABLE c3 (a int) SELECT 1 AS a");
  EXPECT_EQ(s.kind, DdlStatement::kUnparsed);
  s = ParseDdl("ALTER TABLE d.t ADD SYSTEM VERSIONING");
  EXPECT_EQ(s.kind, DdlStatement::kUnparsed);
  EXPECT_THAT(s.tables, ElementsAre(TableRef{"d", "t"}));
  EXPECT_THAT(s.reason, HasSubstr("SYSTEM"));
}

TEST(DdlParser, ExecutableCommentsAreCodeOtherCommentsAreNot) {
  DdlStatement s = ParseDdl("/*!40000 ALTER TABLE t ADD COLUMN x INT */");
  ASSERT_EQ(s.kind, DdlStatement::kAlterTable);
  ASSERT_EQ(s.ops.size(), 1u);
  EXPECT_EQ(s.ops[0].column.name, "x");
  s = ParseDdl("DROP TABLE `a`,b.`c` /* generated by server */");
  ASSERT_EQ(s.kind, DdlStatement::kDropTables);
  EXPECT_THAT(s.tables, ElementsAre(TableRef{"", "a"}, TableRef{"b", "c"}));
  s = ParseDdl("-- note\nALTER TABLE t # x\n DROP COLUMN y");
  ASSERT_EQ(s.kind, DdlStatement::kAlterTable);
  EXPECT_EQ(s.ops[0].kind, AlterOp::kDropColumn);
}

TEST(DdlParser, RenameTablesInOrder) {
  DdlStatement s = ParseDdl("RENAME TABLE a TO tmp, b TO a, tmp TO b");
  ASSERT_EQ(s.kind, DdlStatement::kRenameTables);
  ASSERT_EQ(s.renames.size(), 3u);
  EXPECT_EQ(s.renames[1].first.table, "b");
  EXPECT_EQ(s.renames[1].second.table, "a");
}

TEST(SchemaState, AlterAddDropModifyChangeRenameColumn) {
  SchemaState st;
  st.set_server_charset("utf8mb4");
  auto v = ApplySql(&st, "CREATE TABLE d (id INT PRIMARY KEY, a VARCHAR(5))", "d");
  EXPECT_THAT(Names(v), ElementsAre("id", "a"));
  EXPECT_EQ(v.columns(1).charset(), "utf8mb4");  // the server default: no table/db charset
  v = ApplySql(&st, "ALTER TABLE d ADD COLUMN b INT DEFAULT 7", "d");
  EXPECT_THAT(Names(v), ElementsAre("id", "a", "b"));
  v = ApplySql(&st, "ALTER TABLE d DROP COLUMN a, MODIFY COLUMN b BIGINT UNSIGNED", "d");
  EXPECT_THAT(Names(v), ElementsAre("id", "b"));
  EXPECT_EQ(v.columns(1).data_type(), "bigint");
  EXPECT_TRUE(v.columns(1).is_unsigned());
  v = ApplySql(&st, "ALTER TABLE d ADD c TEXT FIRST, ADD COLUMN (e INT, f INT), ADD g INT AFTER id", "d");
  EXPECT_THAT(Names(v), ElementsAre("c", "id", "g", "b", "e", "f"));
  v = ApplySql(&st, "ALTER TABLE d CHANGE COLUMN b bee INT NOT NULL AFTER c, RENAME COLUMN e TO ee", "d");
  EXPECT_THAT(Names(v), ElementsAre("c", "bee", "id", "g", "ee", "f"));
  EXPECT_FALSE(v.columns(1).nullable());
  v = ApplySql(&st, "ALTER TABLE d MODIFY c VARCHAR(3) FIRST, ALGORITHM=INPLACE, LOCK=NONE", "d");
  EXPECT_THAT(Names(v), ElementsAre("c", "bee", "id", "g", "ee", "f"));
  EXPECT_TRUE(v.columns(2).part_of_key());
}

TEST(SchemaState, PrimaryKeyChanges) {
  SchemaState st;
  ApplySql(&st, "CREATE TABLE k (a INT, b INT, c INT)", "k");
  auto v = ApplySql(&st, "ALTER TABLE k ADD PRIMARY KEY (b, c)", "k");
  EXPECT_FALSE(v.columns(0).part_of_key());
  EXPECT_TRUE(v.columns(1).part_of_key());
  EXPECT_TRUE(v.columns(2).part_of_key());
  v = ApplySql(&st, "ALTER TABLE k DROP PRIMARY KEY, ADD CONSTRAINT pk PRIMARY KEY USING BTREE (a)", "k");
  EXPECT_TRUE(v.columns(0).part_of_key());
  EXPECT_FALSE(v.columns(1).part_of_key());
  v = ApplySql(&st, "ALTER TABLE k ADD INDEX i (b), ADD UNIQUE (c), DROP INDEX i, RENAME INDEX x TO y", "k");
  EXPECT_THAT(Names(v), ElementsAre("a", "b", "c"));
}

TEST(SchemaState, RenameAndDropTablesAndDatabases) {
  SchemaState st;
  ApplySql(&st, "CREATE TABLE a (x INT)", "a");
  ApplySql(&st, "CREATE TABLE b (y INT)", "b");
  ApplySql(&st, "RENAME TABLE a TO tmp, b TO a, tmp TO b", "a");
  EXPECT_THAT(Names(*st.Find("db", "a")), ElementsAre("y"));
  EXPECT_THAT(Names(*st.Find("db", "b")), ElementsAre("x"));
  EXPECT_EQ(st.Find("db", "tmp")->state(), v1::MysqlTableVersion::ABSENT);
  ApplySql(&st, "ALTER TABLE b RENAME TO other.c, ADD z INT", "b");
  EXPECT_EQ(st.Find("db", "b")->state(), v1::MysqlTableVersion::ABSENT);
  EXPECT_THAT(Names(*st.Find("other", "c")), ElementsAre("x", "z"));
  ApplySql(&st, "DROP TABLE IF EXISTS a", "a");
  EXPECT_EQ(st.Find("db", "a")->state(), v1::MysqlTableVersion::ABSENT);
  ApplySql(&st, "DROP DATABASE other", "");
  EXPECT_EQ(st.Find("other", "c")->state(), v1::MysqlTableVersion::ABSENT);
}

TEST(SchemaState, CharsetsFromTableDatabaseAndConvert) {
  SchemaState st;
  st.set_server_charset("utf8mb4");
  std::vector<TableRef> unparsed;
  std::string why;
  for (auto& v : st.Apply(ParseDdl("CREATE DATABASE db CHARACTER SET latin1"), "", &unparsed, &why)) {
    st.Put(v);
  }
  auto v = ApplySql(&st, "CREATE TABLE t (a TEXT, b VARCHAR(2) CHARSET utf8mb3, c BLOB, j JSON)", "t");
  EXPECT_EQ(v.columns(0).charset(), "latin1");
  EXPECT_EQ(v.columns(1).charset(), "utf8mb3");
  EXPECT_EQ(v.columns(2).charset(), "binary");
  EXPECT_EQ(v.columns(3).charset(), "utf8mb4");
  v = ApplySql(&st, "ALTER TABLE t CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci", "t");
  EXPECT_EQ(v.columns(0).charset(), "utf8mb4");
  EXPECT_EQ(v.columns(1).charset(), "utf8mb4");
  EXPECT_EQ(v.columns(2).charset(), "binary");
  v = ApplySql(&st, "ALTER TABLE t DEFAULT CHARSET=latin1, ADD d CHAR(1)", "t");
  EXPECT_EQ(v.columns(4).charset(), "latin1");
  v = ApplySql(&st, "CREATE TABLE t2 LIKE t", "t2");
  EXPECT_THAT(Names(v), ElementsAre("a", "b", "c", "j", "d"));
}

TEST(SchemaState, WhatCannotBeAppliedIsReportedNotGuessed) {
  SchemaState st;
  ApplySql(&st, "CREATE TABLE t (a INT)", "t");
  std::vector<TableRef> unparsed;
  std::string why;
  auto made = st.Apply(ParseDdl("ALTER TABLE t DROP COLUMN nope"), "db", &unparsed, &why);
  EXPECT_TRUE(made.empty());
  EXPECT_THAT(unparsed, ElementsAre(TableRef{"db", "t"}));
  EXPECT_THAT(why, HasSubstr("nope"));
  unparsed.clear();
  made = st.Apply(ParseDdl("ALTER TABLE t ADD PERIOD FOR SYSTEM_TIME(s, e), FOO BAR"), "db", &unparsed, &why);
  EXPECT_THAT(unparsed, ElementsAre(TableRef{"db", "t"}));
  EXPECT_THAT(why, HasSubstr("FOO"));
  // ALTER of a table never seen: UNKNOWN with a reason, never an invented definition.
  made = st.Apply(ParseDdl("ALTER TABLE never ADD b INT"), "db", &unparsed, &why);
  ASSERT_EQ(made.size(), 1u);
  EXPECT_EQ(made[0].state(), v1::MysqlTableVersion::UNKNOWN);
  KnownTable k = ToKnownTable(made[0]);
  EXPECT_THAT(k.unknown, HasSubstr("never saw"));
}

TEST(SchemaHistory, VersionsByPositionPersistAndReload) {
  std::string path = ::testing::TempDir() + "/mysql_schema_history_test.pb";
  std::filesystem::remove(path);
  {
    auto h = SchemaHistory::Open(path);
    ASSERT_TRUE(h.ok()) << h.status();
    v1::MysqlTableVersion a;
    a.set_file("bin.000009");
    a.set_pos(100);
    a.set_database("db");
    a.set_table("t");
    a.set_state(v1::MysqlTableVersion::PRESENT);
    a.add_columns()->set_name("x");
    v1::MysqlTableVersion b = a;
    b.set_file("bin.000010");
    b.set_pos(4);
    b.add_columns()->set_name("y");
    ASSERT_TRUE((*h)->Record({b, a}).ok());
  }
  auto h = SchemaHistory::Open(path);
  ASSERT_TRUE(h.ok()) << h.status();
  EXPECT_EQ((*h)->First().file, "bin.000009");
  EXPECT_EQ((*h)->At({"bin.000009", 99}).Find("db", "t"), nullptr);
  EXPECT_THAT(Names(*(*h)->At({"bin.000009", 5000}).Find("db", "t")), ElementsAre("x"));
  EXPECT_THAT(Names(*(*h)->At({"bin.000010", 4}).Find("db", "t")), ElementsAre("x", "y"));
  EXPECT_NE((*h)->Exactly({"bin.000010", 4}, "db", "t"), nullptr);
  EXPECT_LT(CompareBinlogPos({"bin.000009", 999999}, {"bin.000010", 4}), 0);
  EXPECT_LT(CompareBinlogPos({"bin.999999", 4}, {"bin.1000000", 4}), 0);
}

}  // namespace
}  // namespace tidemark::mysql
