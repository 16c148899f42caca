#include "tests/integration/workload.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <memory>
#include <random>
#include <thread>

#include "tests/integration/harness.h"
#include "tests/integration/maria_harness.h"
#include "tests/integration/sink_harness.h"

namespace tidemark::itest {
namespace {

bool IsPg(Engine e) { return e == Engine::kPostgres; }

// One random source transaction: its statements, and the counter increments it
// makes when it commits.
struct Txn {
  std::vector<std::string> statements;
  int increments = 0;
};

Txn RandomTxn(Engine e, std::mt19937& rng, int seed) {
  auto rnd = [&](int n) { return static_cast<int>(rng() % static_cast<unsigned>(n)); };
  const bool pg = IsPg(e);
  Txn t;
  if (rnd(100) == 0) {
    if (pg) {
      t.statements = {"BEGIN", "TRUNCATE nokey",
                      fmt::format("INSERT INTO nokey VALUES ({}, 'w{}')", rnd(50), seed), "COMMIT"};
    } else {
      t.statements = {"TRUNCATE TABLE nokey"};  // DDL in MariaDB: its own transaction
    }
    return t;
  }
  t.statements.push_back("BEGIN");
  for (int i = 0, n = 1 + rnd(5); i < n; ++i) {
    const int id = 1 + rnd(500);
    switch (rnd(8)) {
      case 0:
      case 1:
        t.statements.push_back(
            pg ? fmt::format("INSERT INTO items VALUES ({0}, {1}, md5(random()::text), {1}.25, now()) "
                             "ON CONFLICT (id) DO NOTHING", id, rnd(1000))
               : fmt::format("INSERT IGNORE INTO items VALUES ({0}, {1}, MD5(RAND()), {1}.25, NOW(6))",
                             id, rnd(1000)));
        break;
      case 2:
        t.statements.push_back(fmt::format("UPDATE items SET v = {}, amount = amount + 1 WHERE id = {}",
                                           pg ? "md5(random()::text)" : "MD5(RAND())", id));
        break;
      case 3: {  // key change into a free key
        const int to = 1 + rnd(500);
        t.statements.push_back(
            pg ? fmt::format("UPDATE items SET id = {1} WHERE id = {0} AND NOT EXISTS "
                             "(SELECT 1 FROM items WHERE id = {1})", id, to)
               : fmt::format("UPDATE IGNORE items SET id = {1} WHERE id = {0}", id, to));
        break;
      }
      case 4:
        t.statements.push_back(fmt::format("DELETE FROM items WHERE id = {}", id));
        break;
      case 5:
      case 6:
        t.statements.push_back(fmt::format("UPDATE counter SET n = n + 1 WHERE id = {}", 1 + rnd(20)));
        ++t.increments;
        break;
      default:
        t.statements.push_back(fmt::format("INSERT INTO nokey VALUES ({}, 'w{}')", rnd(50), seed));
        if (rnd(4) == 0) {
          t.statements.push_back(pg ? "DELETE FROM nokey WHERE ctid = (SELECT ctid FROM nokey LIMIT 1)"
                                    : "DELETE FROM nokey LIMIT 1");
        }
    }
  }
  t.statements.push_back("COMMIT");
  return t;
}

struct Workload {
  std::atomic<bool> stop{false};
  std::atomic<int64_t> increments{0};
  std::atomic<int64_t> commits{0};
};

void Worker(Engine e, SqlExec exec, Workload* w, int seed) {
  std::mt19937 rng(static_cast<unsigned>(seed));
  while (!w->stop) {
    Txn t = RandomTxn(e, rng, seed);
    bool ok = true;
    for (const auto& sql : t.statements) {
      if (!(ok = exec(sql))) break;
    }
    if (ok) {
      w->increments += t.increments;
      ++w->commits;
    } else {
      (void)exec("ROLLBACK");  // deadlock, duplicate key: the transaction never happened
    }
  }
}

// Column renderings per table: the same text on every engine.
std::vector<std::string> Columns(Engine e, const std::string& table) {
  if (table == "items") {
    return {"id", "k", "v", "amount",
            IsPg(e) ? "to_char(ts, 'YYYY-MM-DD HH24:MI:SS.US')" : "DATE_FORMAT(ts, '%Y-%m-%d %H:%i:%s.%f')"};
  }
  if (table == "counter") return {"id", "n"};
  if (table == "nokey") return {"a", "b"};
  if (table == "bulk") return {"id", "payload"};
  ADD_FAILURE() << "not a workload table: " << table;
  return {};
}

}  // namespace

Endpoint PgEndpoint(const std::string& dsn) {
  Endpoint e;
  e.engine = Engine::kPostgres;
  e.value = [dsn](const std::string& sql) { return TryValue(dsn, sql); };
  e.session = [dsn]() -> SqlExec {
    auto c = PgConn::Connect(dsn, "");
    EXPECT_TRUE(c.ok()) << c.status();
    std::shared_ptr<PgConn> conn = c.ok() ? std::move(*c) : nullptr;
    return [conn](const std::string& sql) { return conn && conn->Exec(sql, "workload").ok(); };
  };
  return e;
}

Endpoint MariaEndpoint(const std::string& database, const std::string& port) {
  Endpoint e;
  e.engine = Engine::kMaria;
  e.value = [database, port](const std::string& sql) { return MariaValue(database, sql, port); };
  e.session = [database, port]() -> SqlExec {
    std::shared_ptr<MysqlConn> conn = MariaConnect(database, port);
    return [conn](const std::string& sql) { return conn && conn->Exec(sql, "workload").ok(); };
  };
  return e;
}

const std::vector<std::string>& WorkloadTables() {
  static const std::vector<std::string> tables = {"items", "counter", "nokey", "bulk"};
  return tables;
}

std::vector<std::string> WorkloadSchema(Engine engine) {
  if (IsPg(engine)) {
    return {"CREATE TABLE items (id int PRIMARY KEY, k int, v text, amount numeric(12,2), ts timestamp(6))",
            "CREATE TABLE counter (id int PRIMARY KEY, n bigint NOT NULL)",
            "CREATE TABLE nokey (a int, b text)", "ALTER TABLE nokey REPLICA IDENTITY FULL",
            "CREATE TABLE bulk (id bigint PRIMARY KEY, payload text)"};
  }
  return {"CREATE TABLE items (id INT PRIMARY KEY, k INT, v VARCHAR(64), amount DECIMAL(12,2), "
          "ts DATETIME(6))",
          "CREATE TABLE counter (id INT PRIMARY KEY, n BIGINT NOT NULL)",
          "CREATE TABLE nokey (a INT, b VARCHAR(20))",
          "CREATE TABLE bulk (id BIGINT PRIMARY KEY, payload VARCHAR(64))"};
}

std::string CounterRowsSql(Engine engine) {
  return IsPg(engine) ? "INSERT INTO counter SELECT g, 0 FROM generate_series(1, 20) g"
                      : "INSERT INTO counter SELECT seq, 0 FROM seq_1_to_20";
}

std::string BulkInsertSql(Engine engine) {
  return IsPg(engine) ? "INSERT INTO bulk SELECT g, md5(g::text) FROM generate_series(1, 200000) g"
                      : "INSERT INTO bulk SELECT seq, MD5(seq) FROM seq_1_to_200000";
}

namespace {

// SELECT <aggregate over r> FROM (rows of `table` rendered as r) s; `pg_agg` and
// `maria_agg` wrap the ordered concatenation "{}".
std::string Rendered(Engine engine, const std::string& table, const std::vector<std::string>& columns,
                     const char* pg_agg, const char* maria_agg) {
  std::string row;
  for (const auto& c : columns) {
    row += row.empty() ? "" : ", ";
    row += IsPg(engine) ? fmt::format("coalesce(({})::text, '<null>')", c)
                        : fmt::format("COALESCE(CAST(({}) AS CHAR), '<null>')", c);
  }
  if (IsPg(engine)) {
    return fmt::format("SELECT {} FROM (SELECT concat_ws('|', {}) AS r FROM {}) s",
                       fmt::format(fmt::runtime(pg_agg), "string_agg(r, ',' ORDER BY r COLLATE \"C\")"),
                       row, table);
  }
  return fmt::format("SELECT {} FROM (SELECT CONCAT_WS('|', {}) AS r FROM {}) s",
                     fmt::format(fmt::runtime(maria_agg),
                                 "GROUP_CONCAT(r ORDER BY CAST(r AS BINARY) SEPARATOR ',')"),
                     row, table);
}

}  // namespace

std::string DigestSql(Engine engine, const std::string& table) {
  return Rendered(engine, table, Columns(engine, table), "count(*) || ':' || coalesce(md5({}), '')",
                  "CONCAT(COUNT(*), ':', COALESCE(MD5({}), ''))");
}

std::string RowsSql(Engine engine, const std::string& table, const std::vector<std::string>& columns) {
  return Rendered(engine, table, columns, "coalesce({}, '')", "COALESCE({}, '')");
}

bool SameTables(const Endpoint& src, const Endpoint& dst, const std::vector<std::string>& tables,
                std::string* diff) {
  for (const auto& t : tables) {
    std::string a = src.value(DigestSql(src.engine, t));
    std::string b = dst.value(DigestSql(dst.engine, t));
    if (a != b || a.starts_with("error")) {
      *diff = fmt::format("{}: source {} target {}", t, a, b);
      return false;
    }
  }
  return true;
}

void RunWorkloadUnderKill9(const Endpoint& src, const Endpoint& dst, const std::string& config,
                           const std::string& sink_key, int kills) {
  ASSERT_TRUE(src.session()(CounterRowsSql(src.engine)));
  Workload w;
  std::vector<std::jthread> workers;  // jthread: a failed ASSERT still joins them
  struct StopWorkers {
    Workload* w;
    ~StopWorkers() { w->stop = true; }
  };
  for (int i = 0; i < 3; ++i) workers.emplace_back(Worker, src.engine, src.session(), &w, 1000 + i);
  StopWorkers stop_on_return{&w};  // destroyed before `workers`, so they see stop and join
  std::jthread big([&] {
    EXPECT_TRUE(src.session()(BulkInsertSql(src.engine))) << "the 200,000-row transaction failed";
  });
  const std::string checkpoint_sql =
      fmt::format("SELECT journal_offset FROM tidemark.checkpoints WHERE sink = '{}'", sink_key);
  std::mt19937 rng(42);
  std::string last;
  for (int kill = 0; kill < kills; ++kill) {
    Tidemark tm({"run", "-c", config});
    // Let it apply something new, then kill it at a random moment.
    bool progressed = Eventually([&] {
      std::string cp = dst.value(checkpoint_sql);
      if (cp.starts_with("error") || cp.empty() || cp == "NULL" || cp == last) return false;
      last = cp;
      return true;
    }, 60);
    ASSERT_TRUE(progressed) << "kill " << kill << ": no checkpoint progress; log " << tm.log_path();
    std::this_thread::sleep_for(std::chrono::milliseconds(rng() % 400));  // fault timing, not a wait
    tm.Kill9();
  }
  big.join();
  w.stop = true;
  for (auto& t : workers) t.join();
  ASSERT_GT(w.commits.load(), 100);
  Tidemark tm({"run", "-c", config});
  std::string diff;
  // counter: n counts its own updates, so a change lost or applied twice shows here.
  EXPECT_TRUE(Eventually([&] { return SameTables(src, dst, WorkloadTables(), &diff); }, 180))
      << diff << "; log " << tm.log_path();
  EXPECT_EQ(dst.value("SELECT sum(n) FROM counter"), std::to_string(w.increments.load()))
      << "the workload committed that many increments";
  EXPECT_EQ(dst.value("SELECT count(*) FROM bulk"), "200000");
  EXPECT_EQ(tm.Stop(), 0);
}

void RunTargetRestart(Tidemark& tm, const Endpoint& src, const Endpoint& dst,
                      const std::function<void()>& stop_target,
                      const std::function<void()>& start_target) {
  SqlExec exec = src.session();
  ASSERT_TRUE(exec(CounterRowsSql(src.engine)));
  ASSERT_TRUE(Eventually([&] { return dst.value("SELECT count(*) FROM counter") == "20"; }, 60))
      << tm.log_path();
  stop_target();
  for (int i = 0; i < 50; ++i) {
    ASSERT_TRUE(exec(fmt::format("UPDATE counter SET n = n + 1 WHERE id <= {}", 1 + i % 20)));
  }
  start_target();
  for (int i = 0; i < 50; ++i) ASSERT_TRUE(exec("UPDATE counter SET n = n + 1 WHERE id > 10"));
  std::string diff;
  EXPECT_TRUE(Eventually([&] { return SameTables(src, dst, {"counter"}, &diff); }, 120))
      << diff << "; log " << tm.log_path();
  // 475 increments while the target was down, 500 after.
  EXPECT_EQ(dst.value("SELECT sum(n) FROM counter"), "975");
  EXPECT_EQ(tm.Stop(), 0);
  EXPECT_NE(tm.LogText().find("retrying from its checkpoint"), std::string::npos)
      << "the sink never noticed the target was down; log " << tm.log_path();
}

}  // namespace tidemark::itest
