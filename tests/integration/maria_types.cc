#include "tests/integration/maria_types.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "tests/integration/harness.h"
#include "tests/integration/sink_harness.h"

namespace tidemark::itest {

namespace {

// "000102...FF": every byte value once (NUL, quote and backslash included).
std::string AllBytesHex() {
  std::string out;
  for (int b = 0; b < 256; ++b) out += fmt::format("{:02X}", b);
  return out;
}

}  // namespace

const std::vector<MariaTypeCase>& MariaTypeCases() {
  static const std::string kInt = "CAST(v AS CHAR)", kPgText = "v::text";
  static const std::string kDateTime = "DATE_FORMAT(v, '%Y-%m-%d %H:%i:%s.%f')";
  static const std::string kPgDateTime = "to_char(v, 'YYYY-MM-DD HH24:MI:SS.US')";
  static const std::string kHex = "HEX(v)", kPgHex = "upper(encode(v, 'hex'))";
  // TIME is a signed duration (MariaDB TIME, PostgreSQL interval): in microseconds.
  static const std::string kMicros = "CAST(CAST(TIME_TO_SEC(v) * 1000000 AS SIGNED) AS CHAR)";
  static const std::string kPgMicros = "(extract(epoch from v) * 1000000)::bigint::text";
  static const std::vector<MariaTypeCase> cases = {
      {"TINYINT", "-128", kInt, kPgText},
      {"TINYINT UNSIGNED", "255", kInt, kPgText},
      {"SMALLINT", "-32768", kInt, kPgText},
      {"SMALLINT UNSIGNED", "65535", kInt, kPgText},
      {"MEDIUMINT", "-8388608", kInt, kPgText},
      {"MEDIUMINT UNSIGNED", "16777215", kInt, kPgText},
      {"INT", "-2147483648", kInt, kPgText},
      {"INT UNSIGNED", "4294967295", kInt, kPgText},
      {"BIGINT", "-9223372036854775808", kInt, kPgText},
      {"BIGINT UNSIGNED", "18446744073709551615", kInt, kPgText},
      {"DECIMAL(65,30)", "'-99999999999999999999999999999999999.999999999999999999999999999999'",
       kInt, kPgText},
      {"DECIMAL(65,30)", "'0.000000000000000000000000000001'", kInt, kPgText},
      {"DECIMAL(10,2)", "-12.3", kInt, kPgText},
      {"FLOAT", "1.5", kInt, kPgText},
      {"FLOAT", "0.1", kInt, kPgText},
      {"DOUBLE", "-0.1", kInt, kPgText},
      {"DOUBLE", "123456789.125", kInt, kPgText},
      {"BIT(64)", "b'1000000000000000000000000000000000000000000000000000000000000001'",
       "LPAD(BIN(v + 0), 64, '0')", kPgText},
      {"BIT(1)", "b'1'", "LPAD(BIN(v + 0), 1, '0')", kPgText},
      {"BIT(10)", "b'0000000101'", "LPAD(BIN(v + 0), 10, '0')", kPgText},
      {"YEAR", "2155", "CAST(v + 0 AS CHAR)", kPgText},
      {"YEAR", "0", "CAST(v + 0 AS CHAR)", kPgText},
      {"DATE", "'2024-02-29'", kInt, "to_char(v, 'YYYY-MM-DD')"},
      {"DATE", "'1000-01-01'", kInt, "to_char(v, 'YYYY-MM-DD')"},
      {"DATE", "'0000-00-00'", kInt, ""},  // MariaDB's zero date: no PostgreSQL date
      {"DATE", "'2024-00-15'", kInt, ""},
      {"TIME", "'12:34:56'", kMicros, kPgMicros},
      {"TIME(6)", "'-838:59:59'", kMicros, kPgMicros},
      {"TIME(6)", "'100:00:00.5'", kMicros, kPgMicros},
      {"DATETIME(6)", "'9999-12-31 23:59:59.999999'", kDateTime, kPgDateTime},
      {"DATETIME", "'1000-01-01 00:00:00'", kDateTime, kPgDateTime},
      {"DATETIME(6)", "'0000-00-00 00:00:00'", kDateTime, ""},
      {"TIMESTAMP(3) NULL", "'2038-01-19 03:14:07.999'", kDateTime,
       "to_char(v AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US')"},
      {"TIMESTAMP NULL", "'1970-01-01 00:00:01'", kDateTime,
       "to_char(v AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US')"},
      {"CHAR(3)", "'ab'", "v", "v"},
      {"VARCHAR(20)", "''", "v", "v"},
      {"VARCHAR(20)", "'héllo ✓ 🎉'", "v", "v"},
      {"VARCHAR(10) CHARACTER SET latin1", "_latin1 x'e9'", "CONVERT(v USING utf8mb4)", "v"},
      {"TEXT", "'tab\\there ''q'' back\\\\slash\\nnew \"d\"'", "v", "v"},
      {"TINYTEXT", "'tiny'", "v", "v"},
      {"MEDIUMTEXT", "REPEAT('m', 70000)", "MD5(v)", "md5(v)"},
      {"LONGTEXT", "'long'", "v", "v"},
      {"BINARY(3)", "x'01'", kHex, kPgHex},
      {"VARBINARY(10)", "x'00ff'", kHex, kPgHex},
      {"BLOB", "''", kHex, kPgHex},
      {"VARBINARY(256)", fmt::format("UNHEX('{}')", AllBytesHex()), kHex, kPgHex},
      {"LONGBLOB", "REPEAT(x'00ff', 500000)", "MD5(v)", "md5(v)"},
      {"ENUM('x','y')", "'y'", "v", "v"},
      {"ENUM('a b','c''d')", "'c''d'", "v", "v"},
      {"SET('p','q','r')", "'p,r'", "CAST(v AS CHAR)", "v"},
      {"SET('p','q','r')", "''", "CAST(v AS CHAR)", "v"},
      {"GEOMETRY", "ST_GeomFromText('POINT(1 2)', 4326)", kHex, kPgHex},
      {"POINT", "ST_GeomFromText('POINT(3 4)')", kHex, kPgHex},
      {"JSON", "'{\"b\": 1,   \"a\": [1, 2.5, null]}'", "v", "v::text"},
  };
  return cases;
}

void RunMariaEveryType(MariaDb& src, const Endpoint& dst, const std::string& sink_yaml,
                       const std::string& target_prefix, const std::string& dir) {
  const bool pg = dst.engine == Engine::kPostgres;
  src.Exec("SET time_zone = '+00:00'");
  src.Exec("SET sql_mode = ''");  // zero dates are MariaDB values too
  std::vector<size_t> used;
  std::vector<std::string> tables;
  for (size_t i = 0; i < MariaTypeCases().size(); ++i) {
    if (pg && MariaTypeCases()[i].pg.empty()) continue;
    used.push_back(i);
    src.Exec(fmt::format("CREATE TABLE t{} (id INT PRIMARY KEY, v {})", i, MariaTypeCases()[i].type));
    tables.push_back(fmt::format("{}.t{}", src.name(), i));
  }
  const std::string start = MasterPos(src);
  Tidemark tm({"run", "-c", WriteMariaPipeline(dir, src, tables, start,
                                               "sinks:\n  - name: db\n" + sink_yaml)});
  for (size_t i : used) {
    const std::string& lit = MariaTypeCases()[i].literal;
    src.Exec(fmt::format("INSERT INTO t{0} VALUES (1, {1}), (2, NULL), (3, {1}), (4, NULL)", i, lit));
    src.Exec(fmt::format("UPDATE t{0} SET v = {1} WHERE id = 2", i, lit));
    src.Exec(fmt::format("UPDATE t{0} SET id = 30 WHERE id = 3", i));  // key change
    src.Exec(fmt::format("DELETE FROM t{0} WHERE id = 1", i));
  }
  for (size_t i : used) {
    const MariaTypeCase& c = MariaTypeCases()[i];
    SCOPED_TRACE(fmt::format("t{}: {} {}", i, c.type, c.literal));
    const std::string want = src.Value(fmt::format(
        "SELECT GROUP_CONCAT(CONCAT(id, '=', COALESCE({}, 'NULL')) ORDER BY id SEPARATOR ',') "
        "FROM t{}", c.maria, i));
    ASSERT_FALSE(want.empty());
    const std::string table = fmt::format("{}t{}", target_prefix, i);
    const std::string query =
        pg ? fmt::format("SELECT string_agg(id || '=' || coalesce({}, 'NULL'), ',' ORDER BY id) "
                         "FROM {}", c.pg, table)
           : fmt::format("SELECT GROUP_CONCAT(CONCAT(id, '=', COALESCE({}, 'NULL')) ORDER BY id "
                         "SEPARATOR ',') FROM {}", c.maria, table);
    std::string got;
    EXPECT_TRUE(Eventually([&] { return (got = dst.value(query)) == want; }, 60))
        << "source " << want << " target " << got << "; log " << tm.log_path();
  }
  EXPECT_EQ(tm.Stop(), 0);
  // `check` reads the source tables from information_schema: the tables create_tables
  // made from the binlog's table maps are compatible with them.
  EXPECT_TRUE(CheckPasses(dir + "/pipeline.yaml"));
}

}  // namespace tidemark::itest
