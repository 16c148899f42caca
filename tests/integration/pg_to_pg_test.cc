// PostgreSQL → PostgreSQL through the PostgreSQL sink (issue 4): every type PG
// capture covers, the randomized concurrent workload of workload.h (key changes,
// truncates, a 200,000-row transaction) under repeated kill -9 of tidemark, and a
// restart of the target server. Target tables are compared with their sources by
// the servers' own row text, independent of tidemark's code.
#include <gtest/gtest.h>

#include <regex>

#include <fmt/format.h>

#include "tests/integration/harness.h"
#include "tests/integration/sink_harness.h"
#include "tests/integration/workload.h"

namespace tidemark::itest {
namespace {

// Types and literals as in pg_types_test.cc.
const std::vector<std::pair<std::string, std::string>>& Types() {
  static const std::vector<std::pair<std::string, std::string>> types = {
      {"bool", "true"}, {"int2", "-32768"}, {"int4", "2147483647"},
      {"int8", "-9223372036854775808"}, {"oid", "4294967295"}, {"float4", "1.1"},
      {"float4", "'NaN'"}, {"float8", "1e300"}, {"float8", "'-Infinity'"},
      {"float8", "-2.2250738585072014e-308"},
      {"numeric", "'12345678901234567890123456789012345678901234567890.000000000000000000001'"},
      {"numeric(10,4)", "-12.34"}, {"numeric", "'NaN'"}, {"numeric", "'-Infinity'"},
      {"money", "'-1234567.89'"}, {"text", "'héllo wörld ✓ 日本語 🎉'"},
      {"text", "E'tab\\there\\nnew \"q\" \\\\ back'"}, {"text", "''"}, {"varchar(10)", "'abc'"},
      {"char(5)", "'ab'"}, {"name", "'a_name'"}, {"bytea", "'\\x00ff10'"}, {"bytea", "''"},
      {"date", "'2024-02-29'"}, {"date", "'0044-03-15 BC'"}, {"date", "'infinity'"},
      {"time", "'24:00:00'"}, {"time(3)", "'13:45:01.5'"}, {"timetz", "'10:00:00.25+05:30'"},
      {"timestamp", "'2024-01-02 03:04:05.123456'"}, {"timestamp", "'-infinity'"},
      {"timestamptz", "'2024-01-02 03:04:05.5+02'"}, {"timestamptz", "'0001-01-01 00:00:00+00 BC'"},
      {"interval", "'1 year 2 mons 3 days 04:05:06.789'"},
      {"interval", "'-1 year -2 mons +3 days -04:05:06.789'"},
      {"uuid", "'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11'"},
      {"json", "'{\"b\": 1,   \"a\": [1, 2.5, null]}'"},
      {"jsonb", "'{\"k\": \"v\", \"n\": 12345678901234567890}'"}, {"inet", "'192.168.0.1/24'"},
      {"cidr", "'10.0.0.0/8'"}, {"macaddr", "'08:00:2B:01:02:03'"}, {"bit(4)", "B'1010'"},
      {"varbit", "B'10111'"}, {"mood", "'happy'"}, {"posint", "42"}, {"int4[]", "'{1,NULL,3}'"},
      {"int4[]", "'{}'"}, {"text[]", "ARRAY['a b', 'q\"uote', NULL, '', 'back\\slash', 'NULL']"},
      {"numeric[]", "'{1.50,NaN}'"}, {"mood[]", "'{happy,sad}'"},
      {"bytea[]", "ARRAY['\\x01'::bytea, NULL]"},
      {"timestamptz[]", "ARRAY['2024-01-01 00:00:00+00'::timestamptz]"},
      {"date[]", "ARRAY['2000-01-01'::date, 'infinity']"}, {"bool[]", "'{t,f}'"},
      {"uuid[]", "ARRAY['00000000-0000-0000-0000-000000000001'::uuid]"},
      {"float8[]", "'{NaN,1.5}'"},
  };
  return types;
}

bool Converged(TestDb& src, TestDb& dst, const std::vector<std::string>& tables,
               const std::string& order_by, std::string* diff) {
  for (const auto& t : tables) {
    std::string a = PgDigest(src.dsn(), t, order_by);
    std::string b = PgDigest(dst.dsn(), t, order_by);
    if (a != b || a.starts_with("error")) {
      *diff = fmt::format("{}: source {} target {}", t, a, b);
      return false;
    }
  }
  return true;
}

TEST(PgToPg, EveryTypeTruncateToastAndKeylessTables) {
  TestDb src("it_p2p_types");
  TestDb dst("it_p2p_types_dst");
  src.Exec("CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy')");
  src.Exec("CREATE DOMAIN posint AS int4 CHECK (VALUE > 0)");
  std::vector<std::string> tables;
  for (size_t i = 0; i < Types().size(); ++i) {
    src.Exec(fmt::format("CREATE TABLE t{} (id int PRIMARY KEY, v {})", i, Types()[i].first));
    tables.push_back(fmt::format("public.t{}", i));
  }
  src.Exec("CREATE TABLE toasty (id int PRIMARY KEY, big text, n int)");
  src.Exec("CREATE TABLE fullrow (id int PRIMARY KEY, a text, j json)");
  src.Exec("ALTER TABLE fullrow REPLICA IDENTITY FULL");
  src.Exec("CREATE TABLE nokey (a int, b text)");
  src.Exec("ALTER TABLE nokey REPLICA IDENTITY FULL");
  src.Exec("CREATE TABLE gone (id int PRIMARY KEY, x text)");
  for (const char* t : {"public.toasty", "public.fullrow", "public.nokey", "public.gone"}) {
    tables.push_back(t);
  }
  std::string dir = TempDir("p2p_types");
  Tidemark tm({"run", "-c", WriteSinkConfig(dir, src, tables, PgSinkYaml(dst.dsn()))});
  ASSERT_TRUE(WaitForSlot(src, tm));
  for (size_t i = 0; i < Types().size(); ++i) {
    const std::string& lit = Types()[i].second;
    src.Exec(fmt::format("INSERT INTO t{0} VALUES (1, {1}), (2, NULL), (3, {1})", i, lit));
    src.Exec(fmt::format("UPDATE t{0} SET v = {1} WHERE id = 2", i, lit));
    src.Exec(fmt::format("UPDATE t{0} SET id = 30 WHERE id = 3", i));  // key change
    src.Exec(fmt::format("DELETE FROM t{0} WHERE id = 1", i));
  }
  src.Exec("INSERT INTO toasty SELECT g, string_agg(md5(g::text || x::text), ''), 0 FROM "
           "generate_series(1, 3) g, generate_series(1, 400) x GROUP BY g");
  src.Exec("UPDATE toasty SET n = n + 1");  // big stays unchanged (TOAST)
  src.Exec("BEGIN; UPDATE toasty SET n = n + 1 WHERE id = 1; UPDATE toasty SET n = n + 1 WHERE id = 1; COMMIT");
  src.Exec("INSERT INTO fullrow VALUES (1, 'x', '{\"a\": 1}'), (2, 'y', '[]')");
  src.Exec("UPDATE fullrow SET a = 'z' WHERE id = 1");
  src.Exec("DELETE FROM fullrow WHERE id = 2");
  src.Exec("INSERT INTO nokey VALUES (1, 'a'), (1, 'a'), (2, NULL), (3, 'c')");
  src.Exec("UPDATE nokey SET b = 'b' WHERE a = 2");
  src.Exec("DELETE FROM nokey WHERE a = 3");
  src.Exec("DELETE FROM nokey WHERE ctid = (SELECT ctid FROM nokey WHERE a = 1 LIMIT 1)");
  src.Exec("INSERT INTO gone VALUES (1, 'a'), (2, 'b')");
  src.Exec("BEGIN; TRUNCATE gone; INSERT INTO gone VALUES (3, 'c'); COMMIT");
  std::string diff;
  EXPECT_TRUE(Eventually([&] { return Converged(src, dst, tables, "t::text", &diff); }, 120))
      << diff << "; log " << tm.log_path();
  // Unchanged TOAST values stayed as they were.
  EXPECT_EQ(dst.Value("SELECT string_agg(n::text || ':' || length(big)::text, ',' ORDER BY id) FROM toasty"),
            "3:12800,1:12800,1:12800");
  // The checkpoint row sits in the target.
  EXPECT_EQ(dst.Value("SELECT count(*) FROM tidemark.checkpoints WHERE sink = 'it_p2p_types.db'"), "1");
  EXPECT_EQ(tm.Stop(), 0);
  // `check` reads the source tables from the catalog: the tables create_tables made
  // from the stream's schemas are compatible with them.
  EXPECT_TRUE(CheckPasses(dir + "/pipeline.yaml"));
}

TEST(PgToPg, RandomWorkloadUnderKill9IsExactlyOnce) {
  TestDb src("it_p2p_kill");
  TestDb dst("it_p2p_kill_dst");
  for (const auto& sql : WorkloadSchema(Engine::kPostgres)) src.Exec(sql);
  std::vector<std::string> tables;
  for (const auto& t : WorkloadTables()) tables.push_back("public." + t);
  std::string config = WriteSinkConfig(TempDir("p2p_kill"), src, tables, PgSinkYaml(dst.dsn()));
  {
    // The slot and the publication exist before the workload (first start).
    Tidemark first({"run", "-c", config});
    ASSERT_TRUE(WaitForSlot(src, first));
    first.Kill9();
  }
  RunWorkloadUnderKill9(PgEndpoint(src.dsn()), PgEndpoint(dst.dsn()), config, "it_p2p_kill.db", 10);
}

TEST(PgToPg, TargetServerRestartMidStreamConverges) {
  TestDb src("it_p2p_restart");
  PrivatePg target;
  target.Exec("postgres", "CREATE DATABASE dst");
  for (const auto& sql : WorkloadSchema(Engine::kPostgres)) src.Exec(sql);
  Tidemark tm({"run", "-c", WriteSinkConfig(TempDir("p2p_restart"), src, {"public.counter"},
                                            PgSinkYaml(target.dsn("dst")))});
  ASSERT_TRUE(WaitForSlot(src, tm));
  RunTargetRestart(tm, PgEndpoint(src.dsn()), PgEndpoint(target.dsn("dst")), [&] { target.Stop(); },
                   [&] { target.Start(); });
}

// A run of inserts into a keyless table is one COPY into the target; a row the target
// rejects stops the sink naming the table, that row's journal offset and the server's
// message, and nothing of its batch is committed.
TEST(PgToPg, RejectedKeylessInsertStopsTheSinkNamingTableOffsetAndMessage) {
  TestDb src("it_p2p_reject");
  TestDb dst("it_p2p_reject_dst");
  src.Exec("CREATE TABLE nokey (a int, b text)");
  src.Exec("ALTER TABLE nokey REPLICA IDENTITY FULL");
  dst.Exec("CREATE TABLE nokey (a int CHECK (a < 100), b text)");
  std::string dir = TempDir("p2p_reject");
  const std::string conf = WriteSinkConfig(dir, src, {"public.nokey"}, PgSinkYaml(dst.dsn()));
  Tidemark tm({"run", "-c", conf});
  ASSERT_TRUE(WaitForSlot(src, tm));
  src.Exec("INSERT INTO nokey VALUES (1, 'a'), (2, E'tab\\there'), (500, 'too big'), (3, NULL)");
  ASSERT_TRUE(Eventually([&] { return tm.LogText().find("sink db stopped") != std::string::npos; },
                         60)) << tm.LogText();
  const std::string text = tm.LogText();
  EXPECT_NE(text.find("public.nokey"), std::string::npos) << text;
  EXPECT_NE(text.find("violates check constraint"), std::string::npos) << text;
  std::smatch m;
  // The offending row alone, not the batch's range ("journal offsets a..b").
  ASSERT_TRUE(std::regex_search(text, m, std::regex("journal offset ([0-9]+): "))) << text;
  EXPECT_EQ(dst.Value("SELECT count(*) FROM nokey"), "0");
  tm.Stop();
  std::string out;
  ASSERT_EQ(RunTidemark({"journal", "inspect", "-c", conf, "--from", m[1].str(), "--limit", "1"},
                        &out), 0) << out;
  EXPECT_NE(out.find("500"), std::string::npos) << "offset " << m[1].str() << " is not the row "
                                                << "with a = 500: " << out;
}

TEST(PgToPg, CheckReportsAnUnreachableTargetAndPassesAReachableOne) {
  TestDb src("it_p2p_check");
  TestDb dst("it_p2p_check_dst");
  src.Exec("CREATE TABLE a (id int PRIMARY KEY)");
  std::string dir = TempDir("p2p_check");
  std::string out;
  int rc = RunTidemark({"check", "-c", WriteSinkConfig(dir, src, {"public.a"},
                                                       PgSinkYaml("host=127.0.0.1 port=1 dbname=x user=postgres"))},
                       &out);
  EXPECT_EQ(rc, 1) << out;
  EXPECT_NE(out.find("cannot connect to PostgreSQL"), std::string::npos) << out;
  rc = RunTidemark({"check", "-c", WriteSinkConfig(dir, src, {"public.a"}, PgSinkYaml(dst.dsn()))}, &out);
  EXPECT_EQ(rc, 0) << out;
}

}  // namespace
}  // namespace tidemark::itest
