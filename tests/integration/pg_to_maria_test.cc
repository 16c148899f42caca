// PostgreSQL → MariaDB through the MySQL/MariaDB sink (issue 4): the PG types whose
// values MariaDB can hold (see README "Database sinks"), compared per column through
// canonical text each server renders itself; the randomized concurrent workload of
// workload.h (key changes, truncates, a 200,000-row transaction, self-counting rows)
// under kill -9; and a restart of a target server of its own.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fmt/format.h>

#include "tests/integration/harness.h"
#include "tests/integration/maria_harness.h"
#include "tests/integration/sink_harness.h"
#include "tests/integration/workload.h"

namespace tidemark::itest {
namespace {

struct Case {
  std::string type, literal, pg_expr, maria_expr;  // exprs over column v
};

const std::vector<Case>& Cases() {
  static const std::vector<Case> cases = {
      {"bool", "true", "v::int::text", "CAST(v AS CHAR)"},
      {"int2", "-32768", "v::text", "CAST(v AS CHAR)"},
      {"int8", "-9223372036854775808", "v::text", "CAST(v AS CHAR)"},
      {"oid", "4294967295", "v::text", "CAST(v AS CHAR)"},
      {"float4", "1.1", "v::text", "CAST(v AS CHAR)"},
      {"float8", "-123.25", "v::text", "CAST(v AS CHAR)"},
      {"numeric", "'12345678901234567890.000000000000000000001'", "v::text", "v"},
      {"numeric", "'NaN'", "v::text", "v"},
      {"numeric(10,4)", "-12.34", "v::text", "CAST(v AS CHAR)"},
      {"money", "'-1234567.89'", "v::numeric::text", "CAST(v AS CHAR)"},
      {"text", "E'héllo ✓ 🎉 tab\\t ''q'' \\\\ back'", "v", "v"},
      {"varchar(10)", "'abc'", "v", "v"},
      {"char(5)", "'ab'", "format('%s', v)", "v"},
      {"bytea", "'\\x00ff10'", "encode(v, 'hex')", "LOWER(HEX(v))"},
      {"date", "'2024-02-29'", "v::text", "CAST(v AS CHAR)"},
      {"time(3)", "'13:45:01.5'", "to_char('2000-01-01'::date + v, 'HH24:MI:SS.US')", "DATE_FORMAT(v, '%H:%i:%s.%f')"},
      {"timetz", "'10:00:00.25+05:30'", "v::text", "v"},
      {"timestamp", "'2024-01-02 03:04:05.123456'", "to_char(v, 'YYYY-MM-DD HH24:MI:SS.US')", "DATE_FORMAT(v, '%Y-%m-%d %H:%i:%s.%f')"},
      {"timestamptz", "'2024-01-02 03:04:05.5+02'", "to_char(v AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US')", "DATE_FORMAT(v, '%Y-%m-%d %H:%i:%s.%f')"},
      {"interval", "'1 year 2 mons 3 days 04:05:06.789'", "v::text", "v"},
      {"uuid", "'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11'", "v::text", "v"},
      {"json", "'{\"b\": 1,   \"a\": [1, 2.5, null]}'", "v::text", "v"},
      {"jsonb", "'{\"k\": \"v\", \"n\": 12345678901234567890}'", "v::text", "v"},
      {"inet", "'192.168.0.1/24'", "v::text", "v"},
      {"macaddr", "'08:00:2B:01:02:03'", "v::text", "v"},
      {"bit(4)", "B'0010'", "v::text", "LPAD(BIN(v + 0), 4, '0')"},
      {"varbit", "B'00111'", "v::text", "v"},
      {"mood", "'happy'", "v::text", "v"},
      {"int4[]", "'{1,NULL,3}'", "to_json(v)::text", "v"},
      {"text[]", "ARRAY['a b', 'q\"uote', NULL, '']", "to_json(v)::text", "v"},
  };
  return cases;
}

TEST(PgToMaria, EveryHoldableTypeMatchesColumnByColumn) {
  TestDb src("it_p2m_types");
  MariaDb dst("it_p2m_types");
  ForgetMariaCheckpoints(src.name());
  src.Exec("CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy')");
  std::vector<std::string> tables;
  for (size_t i = 0; i < Cases().size(); ++i) {
    src.Exec(fmt::format("CREATE TABLE t{} (id int PRIMARY KEY, v {})", i, Cases()[i].type));
    tables.push_back(fmt::format("public.t{}", i));
  }
  std::string dir = TempDir("p2m_types");
  Tidemark tm({"run", "-c", WriteSinkConfig(dir, src, tables, MariaSinkYaml(dst.dsn()))});
  ASSERT_TRUE(WaitForSlot(src, tm));
  for (size_t i = 0; i < Cases().size(); ++i) {
    const std::string& lit = Cases()[i].literal;
    src.Exec(fmt::format("INSERT INTO t{0} VALUES (1, {1}), (2, NULL), (3, {1})", i, lit));
    src.Exec(fmt::format("UPDATE t{0} SET v = {1} WHERE id = 2", i, lit));
    src.Exec(fmt::format("UPDATE t{0} SET id = 30 WHERE id = 3", i));
    src.Exec(fmt::format("DELETE FROM t{0} WHERE id = 1", i));
  }
  src.Exec("SET IntervalStyle = iso_8601");
  for (size_t i = 0; i < Cases().size(); ++i) {
    const Case& c = Cases()[i];
    SCOPED_TRACE(fmt::format("t{}: {} {}", i, c.type, c.literal));
    std::string want = src.Value(fmt::format(
        "SELECT string_agg(id || '=' || coalesce({}, 'NULL'), ',' ORDER BY id) FROM t{}", c.pg_expr, i));
    std::string got;
    EXPECT_TRUE(Eventually([&] {
      got = MariaValue("it_p2m_types", fmt::format(
          "SELECT GROUP_CONCAT(CONCAT(id, '=', COALESCE({}, 'NULL')) ORDER BY id SEPARATOR ',') "
          "FROM t{}", c.maria_expr, i));
      return got == want;
    }, 60)) << "source " << want << " target " << got << "; log " << tm.log_path();
  }
  EXPECT_EQ(tm.Stop(), 0);
  EXPECT_TRUE(CheckPasses(dir + "/pipeline.yaml"));  // what create_tables made is compatible
}

// Binary values travel as their bytes, not as hex twice their size: a 10 MB bytea
// fits MariaDB's default 16 MiB max_allowed_packet; a 20 MB one cannot, and the sink
// stops saying which setting to raise.
TEST(PgToMaria, BinaryValuesFitThePacketAsTheyAreAndTooLargeOnesNameTheSetting) {
  TestDb src("it_p2m_blob");
  MariaDb dst("it_p2m_blob");
  ForgetMariaCheckpoints(src.name());
  src.Exec("CREATE TABLE b (id int PRIMARY KEY, v bytea)");
  std::string dir = TempDir("p2m_blob");
  Tidemark tm({"run", "-c", WriteSinkConfig(dir, src, {"public.b"}, MariaSinkYaml(dst.dsn()))});
  ASSERT_TRUE(WaitForSlot(src, tm));
  const std::string all_bytes = "(SELECT string_agg(lpad(to_hex(g), 2, '0'), '') FROM generate_series(0, 255) g)";
  src.Exec(fmt::format("INSERT INTO b VALUES (1, decode({0}, 'hex')), (2, decode(repeat({0}, 39063), 'hex'))",
                       all_bytes));
  const std::string want = src.Value(
      "SELECT string_agg(id || ':' || length(v) || ':' || md5(v), ',' ORDER BY id) FROM b");
  std::string got;
  EXPECT_TRUE(Eventually([&] {
    got = MariaValue(dst.name(), "SELECT GROUP_CONCAT(CONCAT(id, ':', LENGTH(v), ':', MD5(v)) ORDER BY id) FROM b");
    return got == want;
  }, 60)) << "source " << want << " target " << got << "; log " << tm.log_path();
  src.Exec(fmt::format("INSERT INTO b VALUES (3, decode(repeat({}, 78125), 'hex'))", all_bytes));
  ASSERT_TRUE(Eventually([&] { return tm.LogText().find("sink db stopped") != std::string::npos; }, 60))
      << tm.log_path();
  EXPECT_THAT(tm.LogText(), ::testing::HasSubstr("raise the target's max_allowed_packet"));
  tm.Stop();
}

TEST(PgToMaria, RandomWorkloadUnderKill9IsExactlyOnce) {
  TestDb src("it_p2m_kill");
  MariaDb dst("it_p2m_kill");
  ForgetMariaCheckpoints(src.name());
  for (const auto& sql : WorkloadSchema(Engine::kPostgres)) src.Exec(sql);
  std::vector<std::string> tables;
  for (const auto& t : WorkloadTables()) tables.push_back("public." + t);
  std::string config = WriteSinkConfig(TempDir("p2m_kill"), src, tables, MariaSinkYaml(dst.dsn()));
  {
    // The slot and the publication exist before the workload (first start).
    Tidemark first({"run", "-c", config});
    ASSERT_TRUE(WaitForSlot(src, first));
    first.Kill9();
  }
  RunWorkloadUnderKill9(PgEndpoint(src.dsn()), MariaEndpoint(dst.name()), config, "it_p2m_kill.db", 10);
}

TEST(PgToMaria, TargetServerRestartMidStreamConverges) {
  TestDb src("it_p2m_restart");
  PrivateMaria target;
  MariaDb dst("dst", target.port());
  for (const auto& sql : WorkloadSchema(Engine::kPostgres)) src.Exec(sql);
  Tidemark tm({"run", "-c", WriteSinkConfig(TempDir("p2m_restart"), src, {"public.counter"},
                                            MariaSinkYaml(dst.dsn()))});
  ASSERT_TRUE(WaitForSlot(src, tm));
  RunTargetRestart(tm, PgEndpoint(src.dsn()), MariaEndpoint("dst", target.port()),
                   [&] { target.Stop(); }, [&] { target.Start(); });
}

// A DBA's KILL of the sink's session (idle or mid-statement: MariaDB answers 2006/2013
// or 1927 "Connection was killed") is a lost connection: the sink reconnects and
// replays from its checkpoint, nothing lost or doubled.
TEST(PgToMaria, KilledSinkSessionReconnectsAndConverges) {
  TestDb src("it_p2m_killconn");
  MariaDb dst("it_p2m_killconn");
  ForgetMariaCheckpoints(src.name());
  for (const auto& sql : WorkloadSchema(Engine::kPostgres)) src.Exec(sql);
  Tidemark tm({"run", "-c", WriteSinkConfig(TempDir("p2m_killconn"), src, {"public.counter"},
                                            MariaSinkYaml(dst.dsn()))});
  ASSERT_TRUE(WaitForSlot(src, tm));
  auto kill_sessions = [&] {
    for (const MysqlRow& row : dst.Query(
             "SELECT id FROM information_schema.processlist WHERE db = 'it_p2m_killconn' AND "
             "id <> CONNECTION_ID()")) {
      ASSERT_TRUE(row[0].has_value());
      dst.Exec("KILL CONNECTION " + *row[0]);
    }
  };
  RunTargetRestart(tm, PgEndpoint(src.dsn()), MariaEndpoint(dst.name()), kill_sessions, [] {});
}

}  // namespace
}  // namespace tidemark::itest
