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
