// `tidemark check` of database sinks against the source tables (issue 4: "tables
// compatible"): an existing target table must have every source column with a type
// that holds it and a key on the source's key; a missing table is fine with
// create_tables and a problem without. Each problem names the table, the column and
// the fix. (That tables made by create_tables pass is checked at the end of the
// every-type tests of each pipeline.)
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/integration/harness.h"
#include "tests/integration/maria_harness.h"
#include "tests/integration/sink_harness.h"

namespace tidemark::itest {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(SinkCheck, PostgresTargetTablesAreComparedWithTheSource) {
  TestDb src("it_chk_pg");
  TestDb dst("it_chk_pg_dst");
  src.Exec("CREATE TABLE ok (id int PRIMARY KEY, v text, n numeric(10,2), ts timestamptz)");
  src.Exec("CREATE TABLE narrow (id int PRIMARY KEY, x bigint, j json, y int)");
  src.Exec("CREATE TABLE nokey (id int PRIMARY KEY, v text)");
  src.Exec("CREATE TABLE absent (id int PRIMARY KEY)");
  dst.Exec("CREATE TABLE ok (id bigint PRIMARY KEY, v text, n numeric(12,2), ts timestamptz, extra int)");
  dst.Exec("CREATE TABLE narrow (id int PRIMARY KEY, x integer, j jsonb)");
  dst.Exec("CREATE TABLE nokey (id int, v text)");
  const std::vector<std::string> tables = {"public.ok", "public.narrow", "public.nokey", "public.absent"};
  std::string dir = TempDir("chk_pg");
  const std::string strict = fmt::format(
      "    type: postgres\n    dsn: \"{}\"\n    create_tables: false\n", dst.dsn());
  std::string out;
  EXPECT_EQ(RunTidemark({"check", "-c", WriteSinkConfig(dir, src, tables, strict)}, &out), 1) << out;
  EXPECT_THAT(out, HasSubstr("column x of target table \"public\".\"narrow\" (source table "
                             "it_chk_pg.public.narrow): target type integer cannot hold source type "
                             "bigint (its integers are narrower); create_tables would use bigint"));
  EXPECT_THAT(out, HasSubstr("column j of target table \"public\".\"narrow\""));
  EXPECT_THAT(out, HasSubstr("jsonb rewrites the JSON text"));
  EXPECT_THAT(out, HasSubstr("target table \"public\".\"narrow\" lacks column(s) y of source table "
                             "it_chk_pg.public.narrow; add them to the target, or set schema_changes: apply"));
  EXPECT_THAT(out, HasSubstr("target table \"public\".\"nokey\" has no primary key or unique index on (id)"));
  EXPECT_THAT(out, HasSubstr("target table \"public\".\"absent\" (for source table "
                             "it_chk_pg.public.absent) does not exist; create it, or set create_tables: true"));
  EXPECT_THAT(out, Not(HasSubstr("\"public\".\"ok\"")));  // wider types and extra columns are fine
  EXPECT_THAT(out, HasSubstr("5 problem(s) found"));
  // With create_tables and schema_changes: apply, a missing table and column are no
  // problem; the types and the key still are.
  dst.Exec("ALTER TABLE narrow ALTER COLUMN x TYPE bigint, ALTER COLUMN j TYPE json");
  const std::string lenient = fmt::format(
      "    type: postgres\n    dsn: \"{}\"\n    create_tables: true\n    schema_changes: apply\n",
      dst.dsn());
  EXPECT_EQ(RunTidemark({"check", "-c", WriteSinkConfig(dir, src, tables, lenient)}, &out), 1) << out;
  EXPECT_THAT(out, HasSubstr("\"public\".\"nokey\" has no primary key"));
  EXPECT_THAT(out, HasSubstr("1 problem(s) found"));
  dst.Exec("ALTER TABLE nokey ADD PRIMARY KEY (id)");
  EXPECT_TRUE(CheckPasses(WriteSinkConfig(dir, src, tables, lenient)));
}

TEST(SinkCheck, MariaTargetTablesAreComparedWithAMariaSource) {
  MariaDb src("it_chk_maria");
  MariaDb dst("it_chk_maria_dst");
  src.Exec("CREATE TABLE t (id INT PRIMARY KEY, u INT UNSIGNED, d DECIMAL(12,4), e ENUM('a','b'), "
           "dt DATETIME(6), vc VARCHAR(40))");
  dst.Exec("CREATE TABLE t (id INT PRIMARY KEY, u INT, d DECIMAL(12,2), e ENUM('a'), dt DATETIME, "
           "vc VARCHAR(10))");
  std::string dir = TempDir("chk_maria");
  const std::string config = WriteMariaPipeline(
      dir, src, QualifiedTables(src, {"t"}), "now",
      fmt::format("sinks:\n  - name: db\n    type: mysql\n    dsn: \"{}\"\n", dst.dsn()));
  std::string out;
  EXPECT_EQ(RunTidemark({"check", "-c", config}, &out), 1) << out;
  EXPECT_THAT(out, HasSubstr("column u of target table `it_chk_maria_dst`.`t` (source table "
                             "it_chk_maria.t): target type int(11) cannot hold source type int "
                             "unsigned (its integers are narrower); create_tables would use BIGINT UNSIGNED"));
  EXPECT_THAT(out, HasSubstr("column d of target table `it_chk_maria_dst`.`t`"));
  EXPECT_THAT(out, HasSubstr("lacks the label 'b'"));
  EXPECT_THAT(out, HasSubstr("column dt of target table `it_chk_maria_dst`.`t`"));
  // VARCHAR lengths do not travel in the binlog (MySQL capture reports "varchar"), so
  // vc is not judged: a value too long for the target stops the sink when written.
  EXPECT_THAT(out, Not(HasSubstr("column vc")));
  EXPECT_THAT(out, HasSubstr("4 problem(s) found"));
  dst.Exec("ALTER TABLE t MODIFY u BIGINT, MODIFY d DECIMAL(20,4), MODIFY e ENUM('b','a'), "
           "MODIFY dt DATETIME(6)");
  EXPECT_TRUE(CheckPasses(config));
}

TEST(SinkCheck, PostgresSourceIntoMariaTarget) {
  TestDb src("it_chk_p2m");
  MariaDb dst("it_chk_p2m_dst");
  src.Exec("CREATE TABLE t (id int PRIMARY KEY, ts timestamptz, b bytea)");
  dst.Exec("CREATE TABLE t (id INT PRIMARY KEY, ts DATETIME(6), b VARCHAR(10))");
  std::string dir = TempDir("chk_p2m");
  std::string out;
  const std::string config = WriteSinkConfig(
      dir, src, {"public.t"}, fmt::format("    type: mysql\n    dsn: \"{}\"\n", dst.dsn()));
  EXPECT_EQ(RunTidemark({"check", "-c", config}, &out), 1) << out;
  EXPECT_THAT(out, HasSubstr("column b of target table `it_chk_p2m_dst`.`t` (source table "
                             "it_chk_p2m.public.t): target type varchar(10) cannot hold source type "
                             "bytea; create_tables would use LONGBLOB"));
  EXPECT_THAT(out, HasSubstr("1 problem(s) found"));  // timestamptz → DATETIME(6): the UTC instant
}

}  // namespace
}  // namespace tidemark::itest
