// MariaDB → PostgreSQL through the PostgreSQL sink (issue 4): every MariaDB type that
// MariaDB capture covers and PostgreSQL can hold; a randomized concurrent workload
// with key changes, truncates and a 200,000-row transaction under repeated kill -9 of
// tidemark; and a restart of the target server. Targets are compared with their
// sources through text each server renders itself (tests/integration/workload.h).
#include <gtest/gtest.h>

#include "tests/integration/harness.h"
#include "tests/integration/maria_harness.h"
#include "tests/integration/maria_types.h"
#include "tests/integration/sink_harness.h"
#include "tests/integration/workload.h"

namespace tidemark::itest {
namespace {

TEST(MariaToPg, EveryTypeRoundTripsExactly) {
  MariaDb src("it_m2p_types");
  TestDb dst("it_m2p_types_dst");
  // No target_schema: the tables land in a schema named after the MariaDB database.
  RunMariaEveryType(src, PgEndpoint(dst.dsn()), PgSinkYaml(dst.dsn()), "it_m2p_types.",
                    TempDir("m2p_types"));
}

// MariaDB's zero date has no PostgreSQL form: the sink stops naming the key, the
// journal offset and the value, never writes NULL or another date in its place.
TEST(MariaToPg, ZeroDateStopsTheSinkNamingKeyOffsetAndValue) {
  MariaDb src("it_m2p_zero");
  TestDb dst("it_m2p_zero_dst");
  src.Exec("SET sql_mode = ''");
  src.Exec("CREATE TABLE d (id INT PRIMARY KEY, v DATE)");
  std::string dir = TempDir("m2p_zero");
  Tidemark tm({"run", "-c", WriteMariaPipeline(dir, src, QualifiedTables(src, {"d"}), MasterPos(src),
                                               "sinks:\n  - name: db\n" +
                                                   PgSinkYaml(dst.dsn(), "    target_schema: public\n"))});
  src.Exec("INSERT INTO d VALUES (1, '2024-01-01'), (2, '0000-00-00'), (3, '2024-01-03')");
  ASSERT_TRUE(Eventually([&] { return tm.LogText().find("sink db stopped") != std::string::npos; }, 60))
      << tm.log_path();
  const std::string log = tm.LogText();
  const size_t at = log.find("sink db stopped");
  const std::string line = log.substr(at, log.find('\n', at) - at);
  EXPECT_NE(line.find("table it_m2p_zero.d"), std::string::npos) << line;
  EXPECT_NE(line.find("key (2), journal offset"), std::string::npos) << line;
  EXPECT_NE(line.find("0000-00-00"), std::string::npos) << line;
  // Nothing of the batch was applied (the table it created went with it).
  const std::string rows = TryValue(dst.dsn(), "SELECT count(*) FROM d");
  EXPECT_TRUE(rows == "0" || rows.find("does not exist") != std::string::npos) << rows;
  tm.Stop();
}

TEST(MariaToPg, RandomWorkloadUnderKill9IsExactlyOnce) {
  MariaDb src("it_m2p_kill");
  TestDb dst("it_m2p_kill_dst");
  for (const auto& sql : WorkloadSchema(Engine::kMaria)) src.Exec(sql);
  const std::string config =
      WriteMariaPipeline(TempDir("m2p_kill"), src, QualifiedTables(src, WorkloadTables()), MasterPos(src),
                         "sinks:\n  - name: db\n" + PgSinkYaml(dst.dsn(), "    target_schema: public\n"));
  RunWorkloadUnderKill9(MariaEndpoint(src.name()), PgEndpoint(dst.dsn()), config, "it_m2p_kill.db", 10);
}

TEST(MariaToPg, TargetServerRestartMidStreamConverges) {
  MariaDb src("it_m2p_restart");
  PrivatePg target;
  target.Exec("postgres", "CREATE DATABASE dst");
  for (const auto& sql : WorkloadSchema(Engine::kMaria)) src.Exec(sql);
  const std::string config = WriteMariaPipeline(
      TempDir("m2p_restart"), src, QualifiedTables(src, {"counter"}), MasterPos(src),
      "sinks:\n  - name: db\n" + PgSinkYaml(target.dsn("dst"), "    target_schema: public\n"));
  Tidemark tm({"run", "-c", config});
  RunTargetRestart(tm, MariaEndpoint(src.name()), PgEndpoint(target.dsn("dst")),
                   [&] { target.Stop(); }, [&] { target.Start(); });
}

}  // namespace
}  // namespace tidemark::itest
