// MariaDB 10.11 → tidemark → file sink, end to end against the server scripts/test.sh
// starts: every type with edge values, transactions in commit order across concurrent
// sessions, DDL mid-stream, kill -9 and resume, purged binlog, check.
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <random>
#include <set>
#include <thread>

#include "tests/integration/harness.h"
#include "tests/integration/maria_harness.h"

namespace tidemark::itest {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using nlohmann::json;

std::vector<json> WaitLines(const std::string& out, size_t n, double seconds = 30) {
  std::vector<json> lines;
  EXPECT_TRUE(Eventually([&] { lines = ReadJsonLines(out); return lines.size() >= n; }, seconds))
      << "wanted " << n << " lines, have " << lines.size();
  return lines;
}

TEST(MariaPipeline, EveryTypeRoundTripsExactly) {
  MariaDb db("tm_types");
  std::string start = MasterPos(db);
  std::string dir = TempDir("maria_types"), out = dir + "/out.jsonl";
  Tidemark tm({"run", "-c", WriteMariaConfig(dir, db, {}, out, start)});
  db.Exec("SET time_zone = '+00:00'");
  db.Exec("SET sql_mode = ''");
  db.Exec(R"(CREATE TABLE t (id INT PRIMARY KEY, ti TINYINT, tu TINYINT UNSIGNED, bi BIGINT,
      bu BIGINT UNSIGNED, d DECIMAL(65,30), f FLOAT, db DOUBLE, b BIT(64), y YEAR, dt DATE,
      tm TIME(6), dtm DATETIME(6), ts TIMESTAMP(3) NULL, c CHAR(3), vc VARCHAR(20),
      l1 VARCHAR(10) CHARACTER SET latin1, bn BINARY(3), bl LONGBLOB, e ENUM('x','y'),
      s SET('p','q','r'), g GEOMETRY))");
  db.Exec(R"(INSERT INTO t VALUES
    (1, -128, 255, -9223372036854775808, 18446744073709551615,
     '-99999999999999999999999999999999999.999999999999999999999999999999', 1.5, -0.1,
     b'1000000000000000000000000000000000000000000000000000000000000001', 2155, '0000-00-00',
     '-838:59:59.000000', '9999-12-31 23:59:59.999999', '2038-01-19 03:14:07.999', 'ab',
     '', _latin1 x'e9', x'01', '', 'y', 'p,r', ST_GeomFromText('POINT(1 2)', 4326)),
    (2, NULL, 0, 0, 0, '0.000000000000000000000000000001', NULL, NULL, b'0', 0, '2024-00-15',
     '100:00:00.5', '0000-00-00 00:00:00', NULL, '', NULL, NULL, NULL, NULL, NULL, '', NULL))");
  db.Exec("INSERT INTO t (id, bl) VALUES (3, REPEAT('z', 16777215))");
  db.Exec("UPDATE t SET vc = 'ü' WHERE id = 2");
  db.Exec("DELETE FROM t WHERE id = 3");
  auto lines = WaitLines(out, 5, 60);
  ASSERT_EQ(lines.size(), 5u);
  const json& a = lines[0]["after"];
  EXPECT_EQ(lines[0]["op"], "c");
  EXPECT_EQ(a["ti"], -128);
  EXPECT_EQ(a["tu"], 255);
  EXPECT_EQ(a["bi"].get<int64_t>(), INT64_MIN);
  EXPECT_EQ(a["bu"].get<uint64_t>(), 18446744073709551615ULL);
  EXPECT_EQ(a["d"], "-99999999999999999999999999999999999.999999999999999999999999999999");
  EXPECT_EQ(a["f"], 1.5);
  EXPECT_EQ(a["db"], -0.1);
  EXPECT_EQ(a["b"], "1000000000000000000000000000000000000000000000000000000000000001");
  EXPECT_EQ(a["y"], 2155);
  EXPECT_EQ(a["dt"], "0000-00-00");
  EXPECT_EQ(a["tm"], "-838:59:59");
  EXPECT_EQ(a["dtm"], "9999-12-31T23:59:59.999999");
  EXPECT_EQ(a["ts"], "2038-01-19T03:14:07.999Z");
  EXPECT_EQ(a["c"], "ab");
  EXPECT_EQ(a["vc"], "");
  EXPECT_EQ(a["l1"], "é");
  EXPECT_EQ(a["bn"], "AQAA");  // BINARY(3) 0x010000 in base64
  EXPECT_EQ(a["bl"], "");
  EXPECT_EQ(a["e"], "y");
  EXPECT_EQ(a["s"], json::array({"p", "r"}));
  EXPECT_EQ(a["g"]["srid"], 4326);
  const json& b = lines[1]["after"];
  EXPECT_TRUE(b["ti"].is_null());
  EXPECT_EQ(b["d"], "0.000000000000000000000000000001");
  EXPECT_EQ(b["y"], 0);
  EXPECT_EQ(b["dt"], "2024-00-15");
  EXPECT_EQ(b["tm"], "100:00:00.5");
  EXPECT_EQ(b["dtm"], "0000-00-00 00:00:00.000000");
  EXPECT_TRUE(b["vc"].is_null());
  EXPECT_EQ(b["s"], json::array());
  EXPECT_EQ(lines[2]["after"]["bl"].get<std::string>().size(), (16777215u + 2) / 3 * 4);
  EXPECT_EQ(lines[3]["op"], "u");
  EXPECT_EQ(lines[3]["after"]["vc"], "ü");
  EXPECT_TRUE(lines[3]["before"]["vc"].is_null());
  EXPECT_EQ(lines[4]["op"], "d");
  EXPECT_EQ(lines[4]["before"]["id"], 3);
  EXPECT_EQ(lines[0]["source"]["connector"], "mysql");
  EXPECT_EQ(lines[0]["source"]["table"], "t");
  EXPECT_EQ(tm.Stop(), 0);
}

TEST(MariaPipeline, ConcurrentTransactionsWholeAndInCommitOrder) {
  MariaDb db("tm_txn");
  db.Exec("CREATE TABLE a (id INT PRIMARY KEY, s INT)");
  std::string start = MasterPos(db);
  std::string dir = TempDir("maria_txn"), out = dir + "/out.jsonl";
  Tidemark tm({"run", "-c", WriteMariaConfig(dir, db, {"tm_txn.a"}, out, start)});
  constexpr int kThreads = 4, kTxns = 25, kRows = 4;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      auto c = MariaConnect(db.name());
      for (int i = 0; i < kTxns; ++i) {
        ASSERT_TRUE(c->Exec("BEGIN", "begin").ok());
        for (int r = 0; r < kRows; ++r) {
          ASSERT_TRUE(c->Exec(fmt::format("INSERT INTO a VALUES ({}, {})",
                                          (t * kTxns + i) * kRows + r, t), "insert").ok());
        }
        ASSERT_TRUE(c->Exec("COMMIT", "commit").ok());
      }
    });
  }
  for (auto& th : threads) th.join();
  auto lines = WaitLines(out, kThreads * kTxns * kRows);
  ASSERT_EQ(lines.size(), static_cast<size_t>(kThreads * kTxns * kRows));
  // Each transaction's rows are contiguous, with seq 0..3, and GTID seqs increase.
  std::set<std::string> seen;
  uint64_t last_seq = 0;
  for (size_t i = 0; i < lines.size(); i += kRows) {
    std::string gtid = lines[i]["source"]["gtid"];
    EXPECT_TRUE(seen.insert(gtid).second) << gtid << " appears twice";
    uint64_t seq = std::stoull(gtid.substr(gtid.rfind('-') + 1));
    EXPECT_GT(seq, last_seq);
    last_seq = seq;
    for (int r = 0; r < kRows; ++r) {
      EXPECT_EQ(lines[i + r]["source"]["gtid"], gtid);
      EXPECT_EQ(lines[i + r]["tidemark"]["seq"], r);
      EXPECT_EQ(lines[i + r]["after"]["s"], lines[i]["after"]["s"]);
    }
  }
  EXPECT_EQ(tm.Stop(), 0);
}

// The DDL tests run against both servers: binlog_row_metadata=FULL (names in the
// binlog) and MINIMAL (names, ENUM labels and keys from tidemark's schema history).
class MariaDdl : public ::testing::TestWithParam<std::string> {
 protected:
  std::string Port() const { return GetParam() == "minimal" ? MariaMinimalPort() : MariaPort(); }
  std::string Name(const std::string& base) const { return base + "_" + GetParam(); }
};
INSTANTIATE_TEST_SUITE_P(Metadata, MariaDdl, ::testing::Values("full", "minimal"),
                         [](const auto& info) { return info.param; });

TEST_P(MariaDdl, DdlMidStreamDecodesWithColumnsOfTheTime) {
  MariaDb db(Name("tm_ddl"), Port());
  std::string start = MasterPos(db);
  std::string dir = TempDir(Name("maria_ddl")), out = dir + "/out.jsonl";
  Tidemark tm({"run", "-c", WriteMariaConfig(dir, db, {}, out, start)});
  db.Exec("CREATE TABLE d (id INT PRIMARY KEY, a VARCHAR(5), e ENUM('p','q'))");
  db.Exec("INSERT INTO d VALUES (1, 'x', 'q')");
  db.Exec("ALTER TABLE d ADD COLUMN b INT DEFAULT 7 AFTER a");
  db.Exec("INSERT INTO d VALUES (2, 'y', 8, 'p')");
  db.Exec("ALTER TABLE d DROP COLUMN a, MODIFY COLUMN b BIGINT UNSIGNED");
  db.Exec("INSERT INTO d VALUES (3, 18446744073709551615, 'q')");
  db.Exec("ALTER TABLE d CHANGE b bb DECIMAL(20,0), RENAME COLUMN e TO ee");
  db.Exec("INSERT INTO d VALUES (4, -5, 'p')");
  db.Exec("RENAME TABLE d TO e");
  db.Exec("INSERT INTO e VALUES (5, 1, 'q')");
  // Not understood by the parser (CHARACTER SET DEFAULT): re-read from information_schema.
  db.Exec("ALTER TABLE e ADD COLUMN c VARCHAR(3), CONVERT TO CHARACTER SET DEFAULT");
  db.Exec("INSERT INTO e VALUES (6, 2, 'p', 'zz')");
  db.Exec("CREATE TABLE j (id INT PRIMARY KEY, doc JSON)");
  db.Exec(R"(INSERT INTO j VALUES (1, '{"a": [1, 2.5, "x"]}'))");
  auto lines = WaitLines(out, 7);
  ASSERT_EQ(lines.size(), 7u);
  EXPECT_EQ(lines[0]["after"], json({{"id", 1}, {"a", "x"}, {"e", "q"}}));
  EXPECT_EQ(lines[1]["after"], json({{"id", 2}, {"a", "y"}, {"b", 8}, {"e", "p"}}));
  EXPECT_EQ(lines[2]["after"], json({{"id", 3}, {"b", 18446744073709551615ULL}, {"e", "q"}}));
  EXPECT_EQ(lines[3]["after"], json({{"id", 4}, {"bb", "-5"}, {"ee", "p"}}));
  EXPECT_EQ(lines[4]["source"]["table"], "e");
  EXPECT_EQ(lines[4]["after"], json({{"id", 5}, {"bb", "1"}, {"ee", "q"}}));
  EXPECT_EQ(lines[5]["after"], json({{"id", 6}, {"bb", "2"}, {"ee", "p"}, {"c", "zz"}}));
  // MariaDB JSON (LONGTEXT + CHECK json_valid) is delivered as JSON, not as a string.
  EXPECT_EQ(lines[6]["after"]["doc"], json::parse(R"({"a": [1, 2.5, "x"]})"));
  EXPECT_EQ(tm.Stop(), 0);
}

TEST_P(MariaDdl, RestartAfterDdlDecodesOlderRowsWithTheirColumns) {
  MariaDb db(Name("tm_ddlr"), Port());
  std::string start = MasterPos(db);
  std::string dir = TempDir(Name("maria_ddlr")), out = dir + "/out.jsonl";
  std::string cfg = WriteMariaConfig(dir, db, {}, out, start);
  {
    Tidemark tm({"run", "-c", cfg});
    db.Exec("CREATE TABLE r (id INT PRIMARY KEY, a VARCHAR(5))");
    db.Exec("INSERT INTO r VALUES (1, 'x')");
    WaitLines(out, 1);
    EXPECT_EQ(tm.Stop(), 0);
  }
  // While tidemark is down: a row with the old columns, then the DDL, then a new row.
  db.Exec("INSERT INTO r VALUES (2, 'y')");
  db.Exec("ALTER TABLE r DROP COLUMN a, ADD COLUMN b INT");
  db.Exec("INSERT INTO r VALUES (3, 30)");
  {
    Tidemark tm({"run", "-c", cfg});
    auto lines = WaitLines(out, 3);
    ASSERT_EQ(lines.size(), 3u);
    EXPECT_EQ(lines[1]["after"], json({{"id", 2}, {"a", "y"}}));
    EXPECT_EQ(lines[2]["after"], json({{"id", 3}, {"b", 30}}));
    EXPECT_EQ(tm.Stop(), 0);
  }
  // A new pipeline started at the old position (no history yet): the schema at that
  // position is proven from the binlog (the table is created after it).
  std::string dir2 = TempDir(Name("maria_ddlr2")), out2 = dir2 + "/out.jsonl";
  Tidemark tm2({"run", "-c", WriteMariaConfig(dir2, db, {}, out2, start)});
  auto lines = WaitLines(out2, 3);
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0]["after"], json({{"id", 1}, {"a", "x"}}));
  EXPECT_EQ(lines[1]["after"], json({{"id", 2}, {"a", "y"}}));
  EXPECT_EQ(lines[2]["after"], json({{"id", 3}, {"b", 30}}));
  EXPECT_EQ(tm2.Stop(), 0);
}

// A table added to source.tables after the schema history was made (it then only
// held the tables listed before) is loaded on the next start, as the first load does.
TEST_P(MariaDdl, TableAddedToTheConfigLaterIsLoadedIntoTheHistory) {
  MariaDb db(Name("tm_ddla"), Port());
  db.Exec("CREATE TABLE a (id INT PRIMARY KEY, x VARCHAR(5))");
  db.Exec("CREATE TABLE b (id INT PRIMARY KEY, y VARCHAR(5), e ENUM('p','q'))");
  std::string start = MasterPos(db);
  std::string dir = TempDir(Name("maria_ddla")), out = dir + "/out.jsonl";
  {
    Tidemark tm({"run", "-c", WriteMariaConfig(dir, db, QualifiedTables(db, {"a"}), out, start)});
    db.Exec("INSERT INTO a VALUES (1, 'x')");
    ASSERT_EQ(WaitLines(out, 1).size(), 1u);
    EXPECT_EQ(tm.Stop(), 0);
  }
  // c does not exist yet: recorded as absent, created later in the stream.
  const std::string cfg = WriteMariaConfig(dir, db, QualifiedTables(db, {"a", "b", "c"}), out, start);
  {
    Tidemark tm({"run", "-c", cfg});
    db.Exec("INSERT INTO b VALUES (1, 'yy', 'q')");
    db.Exec("INSERT INTO a VALUES (2, 'z')");
    auto lines = WaitLines(out, 3);
    ASSERT_EQ(lines.size(), 3u) << "log " << tm.log_path();
    EXPECT_EQ(lines[1]["source"]["table"], "b");
    EXPECT_EQ(lines[1]["after"], json({{"id", 1}, {"y", "yy"}, {"e", "q"}}));
    EXPECT_EQ(lines[2]["after"], json({{"id", 2}, {"x", "z"}}));
    EXPECT_THAT(tm.LogText(), HasSubstr("2 table(s) new in source.tables"));
    EXPECT_EQ(tm.Stop(), 0);
  }
  db.Exec("CREATE TABLE c (id INT PRIMARY KEY, z VARCHAR(5))");
  db.Exec("INSERT INTO c VALUES (1, 'c1')");
  Tidemark tm({"run", "-c", cfg});
  auto lines = WaitLines(out, 4);
  ASSERT_EQ(lines.size(), 4u) << "log " << tm.log_path();
  EXPECT_EQ(lines[3]["after"], json({{"id", 1}, {"z", "c1"}}));
  EXPECT_THAT(tm.LogText(), Not(HasSubstr("new in source.tables"))) << "looked for them again";
  EXPECT_EQ(tm.Stop(), 0);
}

TEST_P(MariaDdl, SchemaThatCannotBeKnownIsAnErrorNamingTheTable) {
  MariaDb db(Name("tm_ddlu"), Port());
  db.Exec("CREATE TABLE u (id INT PRIMARY KEY, a VARCHAR(5))");
  std::string start = MasterPos(db);
  db.Exec("INSERT INTO u VALUES (1, 'x')");
  db.Exec("ALTER TABLE u ADD COLUMN b INT");
  db.Exec("INSERT INTO u VALUES (2, 'y', 3)");
  // u existed before `start` and changed after it: its columns at `start` are in no
  // binlog (MINIMAL) and no longer in information_schema.
  std::string dir = TempDir(Name("maria_ddlu")), out = dir + "/out.jsonl";
  Tidemark tm({"run", "-c", WriteMariaConfig(dir, db, {}, out, start)});
  if (GetParam() == "full") {
    auto lines = WaitLines(out, 2);
    ASSERT_EQ(lines.size(), 2u);
    EXPECT_EQ(lines[0]["after"], json({{"id", 1}, {"a", "x"}}));
    EXPECT_EQ(lines[1]["after"], json({{"id", 2}, {"a", "y"}, {"b", 3}}));
    EXPECT_EQ(tm.Stop(), 0);
    return;
  }
  ASSERT_TRUE(Eventually([&] { return !tm.Running(); }, 30)) << "log " << tm.log_path();
  EXPECT_NE(tm.Wait(), 0);
  std::ifstream f(tm.log_path());
  std::string log((std::istreambuf_iterator<char>(f)), {});
  EXPECT_THAT(log, HasSubstr("table " + db.name() + ".u: schema unknown"));
  EXPECT_THAT(log, HasSubstr("ALTER TABLE u ADD COLUMN b INT"));
  EXPECT_THAT(log, HasSubstr("binlog_row_metadata=FULL"));
  EXPECT_EQ(CountNewlines(out), 0u);
}

TEST(MariaPipeline, KillNineAtRandomPointsLosesNothing) {
  MariaDb db("tm_kill");
  db.Exec("CREATE TABLE k (id INT PRIMARY KEY, v VARCHAR(20))");
  std::string start = MasterPos(db);
  std::string dir = TempDir("maria_kill"), out = dir + "/out.jsonl";
  std::string cfg = WriteMariaConfig(dir, db, {}, out, start);
  std::mt19937 rng(12345);
  int next = 0;
  constexpr int kRounds = 6, kPerRound = 300;
  for (int round = 0; round < kRounds; ++round) {
    Tidemark tm({"run", "-c", cfg});
    std::thread writer([&, base = next] {
      auto c = MariaConnect(db.name());
      for (int i = 0; i < kPerRound; i += 3) {
        ASSERT_TRUE(c->Exec(fmt::format("INSERT INTO k VALUES ({},'r'),({},'r'),({},'r')", base + i,
                                        base + i + 1, base + i + 2), "insert").ok());
      }
    });
    // Kill once the file shows progress past a random point of this round.
    size_t target = static_cast<size_t>(next + std::uniform_int_distribution<int>(1, kPerRound)(rng));
    Eventually([&] { return CountNewlines(out) >= target; }, 30);
    tm.Kill9();
    writer.join();
    next += kPerRound;
  }
  Tidemark tm({"run", "-c", cfg});
  std::set<int64_t> ids;
  ASSERT_TRUE(Eventually([&] {
    ids.clear();
    for (const auto& l : ReadJsonLines(out)) ids.insert(l["after"]["id"].get<int64_t>());
    return ids.size() == static_cast<size_t>(next);
  }, 60)) << "have " << ids.size() << " of " << next;
  EXPECT_EQ(*ids.begin(), 0);
  EXPECT_EQ(*ids.rbegin(), next - 1);
  ASSERT_TRUE(Eventually([&] {
    std::ifstream f(tm.log_path());
    std::string log((std::istreambuf_iterator<char>(f)), {});
    return log.find("streaming the binlog") != std::string::npos;
  }, 30));
  EXPECT_EQ(tm.Stop(), 0);
}

TEST(MariaPipeline, PurgedBinlogIsOutOfRangeAndAsksForSnapshot) {
  MariaDb db("tm_purge");
  std::string old = MasterPos(db);
  db.Exec("CREATE TABLE p (id INT PRIMARY KEY)");
  db.Exec("FLUSH BINARY LOGS");
  std::string current = db.Value("SHOW MASTER STATUS");
  std::string file = old.substr(0, old.find(':'));
  // PURGE skips a file a binlog dump thread still reads, and the server may not yet
  // have noticed that an earlier test's tidemark was killed: purge until it is gone.
  ASSERT_TRUE(Eventually(
      [&] {
        db.Exec(fmt::format("PURGE BINARY LOGS TO '{}'", current));
        for (const auto& row : db.Query("SHOW BINARY LOGS")) {
          if (!row.empty() && row[0] == file) return false;
        }
        return true;
      },
      60))
      << file << " was never purged";
  std::string dir = TempDir("maria_purge"), out = dir + "/out.jsonl";
  Tidemark tm({"run", "-c", WriteMariaConfig(dir, db, {}, out, file + ":4")});
  ASSERT_TRUE(Eventually([&] { return !tm.Running(); }, 60))
      << "tidemark kept running from a purged binlog; log " << tm.log_path();
  int code = tm.Wait();
  EXPECT_NE(code, 0);
  std::string log;
  std::ifstream f(tm.log_path());
  log.assign(std::istreambuf_iterator<char>(f), {});
  EXPECT_THAT(log, HasSubstr(file));
  EXPECT_THAT(log, HasSubstr("a snapshot is needed"));
}

TEST(MariaPipeline, CheckPassesOnTheTestServer) {
  MariaDb db("tm_check");
  std::string dir = TempDir("maria_check");
  std::string out;
  int code = RunTidemark({"check", "-c", WriteMariaConfig(dir, db, {}, dir + "/o.jsonl")}, &out);
  EXPECT_EQ(code, 0) << out;
  EXPECT_THAT(out, HasSubstr("all prerequisites met"));
}

}  // namespace
}  // namespace tidemark::itest
