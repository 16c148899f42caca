// MariaDB → MariaDB through the MySQL/MariaDB sink (issue 4): every MariaDB type that
// MariaDB capture covers; a randomized concurrent workload with key changes,
// truncates and a 200,000-row transaction under repeated kill -9 of tidemark (target:
// another database on the source server, which the source pipeline leaves out by
// its table list); and a restart of a target server of its own. Targets are compared
// with their sources through text each server renders itself (workload.h).
#include <gtest/gtest.h>

#include "tests/integration/harness.h"
#include "tests/integration/maria_harness.h"
#include "tests/integration/maria_types.h"
#include "tests/integration/sink_harness.h"
#include "tests/integration/workload.h"

namespace tidemark::itest {
namespace {

TEST(MariaToMaria, EveryTypeRoundTripsExactly) {
  MariaDb src("it_m2m_types");
  MariaDb dst("it_m2m_types_dst");
  ForgetMariaCheckpoints(src.name());
  RunMariaEveryType(src, MariaEndpoint(dst.name()), MariaSinkYaml(dst.dsn()), "", TempDir("m2m_types"));
}

// A TRUNCATE that is the first thing tidemark sees of a table (no row of it in the
// stream yet, e.g. right after a start from "now") still empties the target table.
TEST(MariaToMaria, TruncateOfATableWithNoRowsInTheStreamYetIsApplied) {
  MariaDb src("it_m2m_trunc");
  MariaDb dst("it_m2m_trunc_dst");
  ForgetMariaCheckpoints(src.name());
  for (MariaDb* db : {&src, &dst}) {  // as if the target had been copied before
    db->Exec("CREATE TABLE t (id INT PRIMARY KEY, v INT)");
    db->Exec("INSERT INTO t VALUES (1, 1), (2, 2), (3, 3)");
  }
  Tidemark tm({"run", "-c", WriteMariaPipeline(TempDir("m2m_trunc"), src, QualifiedTables(src, {"t"}),
                                               MasterPos(src), "sinks:\n  - name: db\n" + MariaSinkYaml(dst.dsn()))});
  src.Exec("TRUNCATE TABLE t");
  src.Exec("INSERT INTO t VALUES (10, 1)");
  std::string got;
  EXPECT_TRUE(Eventually([&] {
    return (got = MariaValue(dst.name(), RowsSql(Engine::kMaria, "t", {"id", "v"}))) == "10|1";
  }, 60)) << got << "; log " << tm.log_path();
  EXPECT_EQ(tm.Stop(), 0);
}

TEST(MariaToMaria, RandomWorkloadUnderKill9IsExactlyOnce) {
  MariaDb src("it_m2m_kill");
  MariaDb dst("it_m2m_kill_dst");
  ForgetMariaCheckpoints(src.name());
  for (const auto& sql : WorkloadSchema(Engine::kMaria)) src.Exec(sql);
  const std::string config =
      WriteMariaPipeline(TempDir("m2m_kill"), src, QualifiedTables(src, WorkloadTables()), MasterPos(src),
                         "sinks:\n  - name: db\n" + MariaSinkYaml(dst.dsn()));
  RunWorkloadUnderKill9(MariaEndpoint(src.name()), MariaEndpoint(dst.name()), config,
                        "it_m2m_kill.db", 10);
}

TEST(MariaToMaria, TargetServerRestartMidStreamConverges) {
  MariaDb src("it_m2m_restart");
  PrivateMaria target;
  MariaDb dst("dst", target.port());
  for (const auto& sql : WorkloadSchema(Engine::kMaria)) src.Exec(sql);
  const std::string config =
      WriteMariaPipeline(TempDir("m2m_restart"), src, QualifiedTables(src, {"counter"}), MasterPos(src),
                         "sinks:\n  - name: db\n" + MariaSinkYaml(dst.dsn()));
  Tidemark tm({"run", "-c", config});
  RunTargetRestart(tm, MariaEndpoint(src.name()), MariaEndpoint("dst", target.port()),
                   [&] { target.Stop(); }, [&] { target.Start(); });
}

}  // namespace
}  // namespace tidemark::itest
