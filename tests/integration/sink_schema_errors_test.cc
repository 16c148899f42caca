// Database sinks (issue 4), schema and errors: `schema_changes: apply` adds and drops
// the target columns that the source adds and drops (PostgreSQL and MariaDB targets,
// PostgreSQL and MariaDB sources); without it a column the target lacks stops that
// sink naming the column; a change the target rejects (a constraint) stops that sink
// with the journal offset, the table, the key and the target's message. In both
// cases the pipeline's other sink (a file) goes on.
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/integration/harness.h"
#include "tests/integration/maria_harness.h"
#include "tests/integration/sink_harness.h"
#include "tests/integration/workload.h"

namespace tidemark::itest {
namespace {

using ::testing::HasSubstr;

// sinks: the database sink `db` (`db_yaml`) and a file sink `audit` at DIR/audit.jsonl.
std::string TwoSinks(const std::string& dir, const std::string& db_yaml) {
  return fmt::format("sinks:\n  - name: db\n{}  - name: audit\n    type: file\n    path: {}/audit.jsonl\n",
                     db_yaml, dir);
}

std::string ColumnsSql(Engine e, const std::string& table) {
  return e == Engine::kPostgres
             ? fmt::format("SELECT string_agg(column_name, ',' ORDER BY ordinal_position) FROM "
                           "information_schema.columns WHERE table_schema = 'public' AND "
                           "table_name = '{}'", table)
             : fmt::format("SELECT GROUP_CONCAT(COLUMN_NAME ORDER BY ORDINAL_POSITION) FROM "
                           "information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND "
                           "TABLE_NAME = '{}'", table);
}

// `tm` streams table s (id int PRIMARY KEY, a text, c int) from `src` to `dst` with
// schema_changes: apply. Adds b, drops a, and expects the target to follow.
void RunSchemaChanges(Tidemark& tm, const Endpoint& src, const Endpoint& dst) {
  SqlExec s = src.session();
  ASSERT_TRUE(s("INSERT INTO s VALUES (1, 'x', 10)"));
  std::string got;
  ASSERT_TRUE(Eventually([&] { return (got = dst.value(RowsSql(dst.engine, "s", {"id", "a", "c"}))) == "1|x|10"; }, 60))
      << got << "; log " << tm.log_path();
  ASSERT_TRUE(s("ALTER TABLE s ADD COLUMN b int"));
  ASSERT_TRUE(s("INSERT INTO s (id, a, c, b) VALUES (2, 'y', 20, 5)"));
  ASSERT_TRUE(s("ALTER TABLE s DROP COLUMN a"));
  ASSERT_TRUE(s("INSERT INTO s (id, c, b) VALUES (3, 30, 7)"));
  ASSERT_TRUE(s("UPDATE s SET b = 9 WHERE id = 1"));
  EXPECT_TRUE(Eventually([&] {
    return (got = dst.value(RowsSql(dst.engine, "s", {"id", "c", "b"}))) == "1|10|9,2|20|5,3|30|7";
  }, 60)) << got << "; log " << tm.log_path();
  EXPECT_EQ(dst.value(ColumnsSql(dst.engine, "s")), "id,c,b");
  EXPECT_EQ(tm.Stop(), 0);
}

const char kCreateS[] = "CREATE TABLE s (id int PRIMARY KEY, a text, c int)";
const char kApply[] = "    schema_changes: apply\n";

TEST(SinkSchemaChanges, PgToPgAddsAndDropsTargetColumns) {
  TestDb src("it_sc_p2p");
  TestDb dst("it_sc_p2p_dst");
  src.Exec(kCreateS);
  std::string dir = TempDir("sc_p2p");
  Tidemark tm({"run", "-c", WritePgPipeline(dir, src, {"public.s"},
                                            TwoSinks(dir, PgSinkYaml(dst.dsn(), kApply)))});
  ASSERT_TRUE(WaitForSlot(src, tm));
  RunSchemaChanges(tm, PgEndpoint(src.dsn()), PgEndpoint(dst.dsn()));
}

TEST(SinkSchemaChanges, PgToMariaAddsAndDropsTargetColumns) {
  TestDb src("it_sc_p2m");
  MariaDb dst("it_sc_p2m_dst");
  ForgetMariaCheckpoints(src.name());
  src.Exec(kCreateS);
  std::string dir = TempDir("sc_p2m");
  Tidemark tm({"run", "-c", WritePgPipeline(dir, src, {"public.s"},
                                            TwoSinks(dir, MariaSinkYaml(dst.dsn(), kApply)))});
  ASSERT_TRUE(WaitForSlot(src, tm));
  RunSchemaChanges(tm, PgEndpoint(src.dsn()), MariaEndpoint(dst.name()));
}

TEST(SinkSchemaChanges, MariaToMariaAddsAndDropsTargetColumns) {
  MariaDb src("it_sc_m2m");
  MariaDb dst("it_sc_m2m_dst");
  ForgetMariaCheckpoints(src.name());
  src.Exec(kCreateS);
  std::string dir = TempDir("sc_m2m");
  Tidemark tm({"run", "-c", WriteMariaPipeline(dir, src, QualifiedTables(src, {"s"}), MasterPos(src),
                                               TwoSinks(dir, MariaSinkYaml(dst.dsn(), kApply)))});
  RunSchemaChanges(tm, MariaEndpoint(src.name()), MariaEndpoint(dst.name()));
}

// The audit file's INSERT of `id` into table `table`: its journal offset, or -1.
int64_t AuditOffset(const std::string& dir, const std::string& table, int id) {
  for (const auto& line : ReadJsonLines(dir + "/audit.jsonl")) {
    if (line["op"] == "c" && line["source"]["table"] == table && line["after"]["id"] == id) {
      return line["tidemark"]["offset"].get<int64_t>();
    }
  }
  return -1;
}

TEST(SinkSchemaChanges, ColumnTheTargetLacksStopsOnlyThatSinkWithoutApply) {
  TestDb src("it_sc_missing");
  TestDb dst("it_sc_missing_dst");
  src.Exec(kCreateS);
  std::string dir = TempDir("sc_missing");
  Tidemark tm({"run", "-c", WritePgPipeline(dir, src, {"public.s"}, TwoSinks(dir, PgSinkYaml(dst.dsn())))});
  ASSERT_TRUE(WaitForSlot(src, tm));
  src.Exec("INSERT INTO s VALUES (1, 'x', 10)");
  ASSERT_TRUE(Eventually([&] { return TryValue(dst.dsn(), "SELECT count(*) FROM s") == "1"; }, 60))
      << tm.log_path();
  src.Exec("ALTER TABLE s ADD COLUMN b int");
  src.Exec("INSERT INTO s VALUES (2, 'y', 20, 5)");
  ASSERT_TRUE(Eventually([&] { return tm.LogText().find("sink db stopped") != std::string::npos; }, 60))
      << tm.log_path();
  const std::string log = tm.LogText();
  EXPECT_THAT(log, HasSubstr("lacks column(s) b of source table it_sc_missing.public.s"));
  EXPECT_THAT(log, HasSubstr("schema_changes: apply"));
  src.Exec("INSERT INTO s VALUES (3, 'z', 30, 7)");
  EXPECT_TRUE(Eventually([&] { return AuditOffset(dir, "s", 3) >= 0; }, 60))
      << "the file sink stopped too; log " << tm.log_path();
  EXPECT_TRUE(tm.Running());
  EXPECT_EQ(TryValue(dst.dsn(), "SELECT string_agg(id::text, ',' ORDER BY id) FROM s"), "1");
  tm.Stop();
}

// `tm` streams table r (id int PRIMARY KEY, n int) from `src` to `dst`, whose r
// only takes n < 100. One source transaction writes a value the target rejects
// between two it takes.
void RunRejected(Tidemark& tm, const std::string& dir, const Endpoint& src, const Endpoint& dst,
                 const std::string& target_message) {
  SqlExec s = src.session();
  ASSERT_TRUE(s("INSERT INTO r VALUES (1, 5)"));
  std::string got;
  ASSERT_TRUE(Eventually([&] { return (got = dst.value(RowsSql(dst.engine, "r", {"id", "n"}))) == "1|5"; }, 60))
      << got << "; log " << tm.log_path();
  ASSERT_TRUE(s("INSERT INTO r VALUES (2, 50), (4, 500), (5, 60)"));
  ASSERT_TRUE(Eventually([&] { return tm.LogText().find("sink db stopped") != std::string::npos; }, 60))
      << tm.log_path();
  ASSERT_TRUE(s("INSERT INTO r VALUES (6, 7)"));
  EXPECT_TRUE(Eventually([&] { return AuditOffset(dir, "r", 6) >= 0; }, 60))
      << "the file sink stopped too; log " << tm.log_path();
  EXPECT_TRUE(tm.Running());
  const int64_t offset = AuditOffset(dir, "r", 4);
  ASSERT_GE(offset, 0);
  const std::string log = tm.LogText();
  const size_t at = log.find("sink db stopped");
  const std::string line = log.substr(at, log.find('\n', at) - at);
  EXPECT_THAT(line, HasSubstr(fmt::format("journal offset {}", offset)));
  EXPECT_THAT(line, HasSubstr(".public.r (target"));
  EXPECT_THAT(line, HasSubstr("key (4)"));
  EXPECT_THAT(line, HasSubstr(target_message));
  // Nothing of the rejected batch reached the target.
  EXPECT_EQ(dst.value(RowsSql(dst.engine, "r", {"id", "n"})), "1|5");
  tm.Stop();
}

TEST(SinkRejects, PgTargetConstraintStopsOnlyThatSinkNamingOffsetTableAndKey) {
  TestDb src("it_rej_pg");
  TestDb dst("it_rej_pg_dst");
  src.Exec("CREATE TABLE r (id int PRIMARY KEY, n int)");
  dst.Exec("CREATE TABLE r (id int PRIMARY KEY, n int CONSTRAINT small CHECK (n < 100))");
  std::string dir = TempDir("rej_pg");
  Tidemark tm({"run", "-c", WritePgPipeline(dir, src, {"public.r"}, TwoSinks(dir, PgSinkYaml(dst.dsn())))});
  ASSERT_TRUE(WaitForSlot(src, tm));
  RunRejected(tm, dir, PgEndpoint(src.dsn()), PgEndpoint(dst.dsn()),
              "violates check constraint \"small\"");
}

TEST(SinkRejects, MariaTargetConstraintStopsOnlyThatSinkNamingOffsetTableAndKey) {
  TestDb src("it_rej_maria");
  MariaDb dst("it_rej_maria_dst");
  ForgetMariaCheckpoints(src.name());
  src.Exec("CREATE TABLE r (id int PRIMARY KEY, n int)");
  dst.Exec("CREATE TABLE r (id INT PRIMARY KEY, n INT, CONSTRAINT small CHECK (n < 100))");
  std::string dir = TempDir("rej_maria");
  Tidemark tm({"run", "-c", WritePgPipeline(dir, src, {"public.r"},
                                            TwoSinks(dir, MariaSinkYaml(dst.dsn())))});
  ASSERT_TRUE(WaitForSlot(src, tm));
  RunRejected(tm, dir, PgEndpoint(src.dsn()), MariaEndpoint(dst.name()), "CONSTRAINT `small` failed");
}

}  // namespace
}  // namespace tidemark::itest
