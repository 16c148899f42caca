// PostgreSQL → MariaDB through the MySQL/MariaDB sink (issue 4): the PG types whose
// values MariaDB can hold (see README "Database sinks"), compared per column through
// canonical text each server renders itself; and a workload with key changes, a
// truncate, a 200,000-row transaction and self-counting rows under kill -9.
#include <gtest/gtest.h>

#include <random>
#include <thread>

#include <fmt/format.h>

#include "common/libmariadb.h"
#include "tests/integration/harness.h"
#include "tests/integration/sink_harness.h"

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

std::unique_ptr<MysqlConn> Maria(const std::string& db = "") {
  const char* port = std::getenv("TIDEMARK_MARIA_PORT");
  EXPECT_NE(port, nullptr) << "TIDEMARK_MARIA_PORT is not set (scripts/test.sh starts MariaDB)";
  MysqlDsn dsn;
  dsn.user = "cdc";  // tests/servers/maria-up.sh
  dsn.password = "cdc";
  dsn.port = port ? static_cast<unsigned>(std::atoi(port)) : 3306;
  dsn.database = db;
  auto c = MysqlConn::Connect(dsn);
  EXPECT_TRUE(c.ok()) << c.status();
  return c.ok() ? std::move(*c) : nullptr;
}

std::string MariaValue(const std::string& db, const std::string& sql) {
  auto c = Maria(db);
  if (!c) return "error: no connection";
  (void)c->Exec("SET SESSION group_concat_max_len = 1073741824", "session");
  auto v = c->QueryValue(sql, "query");
  if (!v.ok()) return fmt::format("error: {}", std::string(v.status().message()));
  return v->value_or("NULL");
}

std::string SinkYaml(const std::string& db) {
  return fmt::format("    type: mysql\n    dsn: \"mysql://cdc:cdc@127.0.0.1:{}/{}\"\n"
                     "    create_tables: true\n    batch_events: 20000\n    batch_ms: 50\n",
                     std::getenv("TIDEMARK_MARIA_PORT") ? std::getenv("TIDEMARK_MARIA_PORT") : "0", db);
}

void FreshMariaDb(const std::string& db) {
  auto c = Maria();
  ASSERT_TRUE(c);
  ASSERT_TRUE(c->Exec(fmt::format("DROP DATABASE IF EXISTS `{0}`", db), "drop").ok());
  ASSERT_TRUE(c->Exec(fmt::format("CREATE DATABASE `{0}`", db), "create").ok());
  (void)c->Exec("DELETE FROM tidemark.checkpoints WHERE sink LIKE '" + db + ".%'", "forget");
}

TEST(PgToMaria, EveryHoldableTypeMatchesColumnByColumn) {
  TestDb src("it_p2m_types");
  FreshMariaDb("it_p2m_types");
  src.Exec("CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy')");
  std::vector<std::string> tables;
  for (size_t i = 0; i < Cases().size(); ++i) {
    src.Exec(fmt::format("CREATE TABLE t{} (id int PRIMARY KEY, v {})", i, Cases()[i].type));
    tables.push_back(fmt::format("public.t{}", i));
  }
  std::string dir = TempDir("p2m_types");
  Tidemark tm({"run", "-c", WriteSinkConfig(dir, src, tables, SinkYaml("it_p2m_types"))});
  ASSERT_TRUE(Eventually([&] {
    return src.Value("SELECT count(*) FROM pg_replication_slots WHERE slot_name = "
                     "'tidemark_it_p2m_types' AND active") == "1";
  }, 30)) << tm.log_path();
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
}

TEST(PgToMaria, WorkloadUnderKill9IsExactlyOnce) {
  TestDb src("it_p2m_kill");
  FreshMariaDb("it_p2m_kill");
  src.Exec("CREATE TABLE items (id int PRIMARY KEY, v text)");
  src.Exec("CREATE TABLE counter (id int PRIMARY KEY, n bigint NOT NULL)");
  src.Exec("CREATE TABLE bulk (id bigint PRIMARY KEY, payload text)");
  std::string dir = TempDir("p2m_kill");
  std::string config = WriteSinkConfig(dir, src, {"public.items", "public.counter", "public.bulk"},
                                       SinkYaml("it_p2m_kill"));
  {
    Tidemark first({"run", "-c", config});
    ASSERT_TRUE(Eventually([&] {
      return src.Value("SELECT count(*) FROM pg_replication_slots WHERE slot_name = "
                       "'tidemark_it_p2m_kill' AND active") == "1";
    }, 30)) << first.log_path();
    first.Kill9();
  }
  src.Exec("INSERT INTO counter SELECT g, 0 FROM generate_series(1, 10) g");
  std::atomic<bool> stop{false};
  int64_t increments = 0;
  std::thread writer([&] {
    auto c = src.Connect();
    std::mt19937 rng(7);
    while (!stop) {
      int id = 1 + static_cast<int>(rng() % 200);
      std::string sql = fmt::format(
          "BEGIN; INSERT INTO items VALUES ({0}, md5(random()::text)) ON CONFLICT (id) DO UPDATE SET "
          "v = EXCLUDED.v; UPDATE items SET id = {1} WHERE id = {2} AND NOT EXISTS (SELECT 1 FROM "
          "items WHERE id = {1}); DELETE FROM items WHERE id = {3}; UPDATE counter SET n = n + 1 "
          "WHERE id = {4}; COMMIT",
          id, 1 + rng() % 200, 1 + rng() % 200, 1 + rng() % 200, 1 + rng() % 10);
      if (c->Exec(sql, "workload").ok()) ++increments;
    }
  });
  auto big = src.Connect();
  ASSERT_TRUE(big->Exec("INSERT INTO bulk SELECT g, md5(g::text) FROM generate_series(1, 200000) g", "200k").ok());
  std::mt19937 rng(11);
  std::string last;
  for (int kill = 0; kill < 10; ++kill) {
    Tidemark tm({"run", "-c", config});
    ASSERT_TRUE(Eventually([&] {
      std::string cp = MariaValue("tidemark", "SELECT journal_offset FROM checkpoints WHERE sink = 'it_p2m_kill.db'");
      if (cp.starts_with("error") || cp == "NULL" || cp == last) return false;
      last = cp;
      return true;
    }, 60)) << "kill " << kill << ": no progress; log " << tm.log_path();
    if (kill == 4) src.Exec("BEGIN; TRUNCATE bulk; INSERT INTO bulk VALUES (1, 'after truncate'); COMMIT");
    std::this_thread::sleep_for(std::chrono::milliseconds(rng() % 300));  // fault timing, not a wait
    tm.Kill9();
  }
  stop = true;
  writer.join();
  Tidemark tm({"run", "-c", config});
  for (const char* t : {"items", "bulk", "counter"}) {
    std::string want = src.Value(fmt::format(
        "SELECT count(*) || ':' || coalesce(md5(string_agg(id || '|' || {}, ',' ORDER BY id)), '') FROM {}",
        std::string(t) == "counter" ? "n" : std::string(t) == "items" ? "v" : "payload", t));
    std::string got;
    EXPECT_TRUE(Eventually([&] {
      got = MariaValue("it_p2m_kill", fmt::format(
          "SELECT CONCAT(COUNT(*), ':', COALESCE(MD5(GROUP_CONCAT(CONCAT(id, '|', {}) ORDER BY id "
          "SEPARATOR ',')), '')) FROM {}", std::string(t) == "counter" ? "n" : std::string(t) == "items" ? "v" : "payload", t));
      return got == want;
    }, 180)) << t << ": source " << want << " target " << got << "; log " << tm.log_path();
  }
  EXPECT_EQ(MariaValue("it_p2m_kill", "SELECT CAST(SUM(n) AS CHAR) FROM counter"), std::to_string(increments));
  EXPECT_EQ(tm.Stop(), 0);
}

}  // namespace
}  // namespace tidemark::itest
