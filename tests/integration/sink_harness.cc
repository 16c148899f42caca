#include "tests/integration/sink_harness.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

namespace tidemark::itest {

void Shell(const std::string& cmd) {
  int rc = std::system(cmd.c_str());
  ASSERT_EQ(rc, 0) << cmd;
}

namespace {
std::string ShellOut(const std::string& cmd) {
  std::string out;
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) return out;
  char buf[256];
  while (fgets(buf, sizeof(buf), p)) out += buf;
  pclose(p);
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}
}  // namespace

std::string WriteSinkConfig(const std::string& dir, const TestDb& src,
                            const std::vector<std::string>& tables, const std::string& sink_yaml) {
  return WritePgPipeline(dir, src, tables, "sinks:\n  - name: db\n" + sink_yaml);
}

std::string PgSinkYaml(const std::string& dsn, const std::string& extra) {
  return fmt::format(
      "    type: postgres\n    dsn: \"{}\"\n    create_tables: true\n    batch_events: 20000\n"
      "    batch_ms: 50\n{}",
      dsn, extra);
}

std::string MariaSinkYaml(const std::string& dsn, const std::string& extra) {
  return fmt::format(
      "    type: mysql\n    dsn: \"{}\"\n    create_tables: true\n    batch_events: 20000\n"
      "    batch_ms: 50\n{}",
      dsn, extra);
}

::testing::AssertionResult WaitForSlot(TestDb& src, Tidemark& tm) {
  const std::string sql = fmt::format(
      "SELECT count(*) FROM pg_replication_slots WHERE slot_name = 'tidemark_{}' AND active",
      src.name());
  if (Eventually([&] { return TryValue(src.dsn(), sql) == "1"; }, 30)) {
    return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure() << "slot tidemark_" << src.name()
                                       << " never became active; log " << tm.log_path();
}

::testing::AssertionResult CheckPasses(const std::string& config) {
  std::string out;
  int rc = RunTidemark({"check", "-c", config}, &out);
  if (rc == 0) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "tidemark check exited " << rc << ":\n" << out;
}

std::string TryValue(const std::string& dsn, const std::string& sql) {
  auto c = PgConn::Connect(dsn, "");
  if (!c.ok()) return fmt::format("error: {}", std::string((c.status().message())));
  auto r = (*c)->Exec(sql, "query");
  if (!r.ok()) return fmt::format("error: {}", std::string(r.status().message()));
  if (PQntuples(r->get()) < 1) return "error: no rows";
  return PgValue(*r, 0, 0);
}

std::string PgDigest(const std::string& dsn, const std::string& table, const std::string& order_by) {
  return TryValue(dsn, fmt::format(
      "SELECT count(*) || ':' || coalesce(md5(string_agg(t::text, ',' ORDER BY {})), '') FROM {} t",
      order_by, table));
}

PrivatePg::PrivatePg() {
  port_ = ShellOut(fmt::format("{}/tests/servers/free-port.sh", TIDEMARK_SOURCE_DIR));
  dir_ = TempDir("private-pg") + "/pg";
  Start();
}

PrivatePg::~PrivatePg() {
  Stop();
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

void PrivatePg::Start() {
  Shell(fmt::format("PG_DURABLE=0 {}/tests/servers/pg-up.sh {} {} >/dev/null 2>&1",
                    TIDEMARK_SOURCE_DIR, port_, dir_));
}

void PrivatePg::Stop() {
  (void)std::system(fmt::format("{}/tests/servers/pg-down.sh {} >/dev/null 2>&1",
                                TIDEMARK_SOURCE_DIR, dir_).c_str());
}

std::string PrivatePg::dsn(const std::string& db) const {
  return fmt::format("host=127.0.0.1 port={} user=postgres dbname={}", port_, db);
}

void PrivatePg::Exec(const std::string& db, const std::string& sql) {
  auto c = PgConn::Connect(dsn(db), "");
  ASSERT_TRUE(c.ok()) << c.status();
  auto r = (*c)->Exec(sql, "exec");
  ASSERT_TRUE(r.ok()) << r.status();
}

std::vector<std::vector<std::string>> PrivatePg::Query(const std::string& db,
                                                       const std::string& sql) {
  std::vector<std::vector<std::string>> out;
  auto c = PgConn::Connect(dsn(db), "");
  if (!c.ok()) return out;
  auto r = (*c)->Exec(sql, "query");
  if (!r.ok()) return out;
  for (int i = 0; i < PQntuples(r->get()); ++i) {
    auto& row = out.emplace_back();
    for (int j = 0; j < PQnfields(r->get()); ++j) row.push_back(PgValue(*r, i, j));
  }
  return out;
}

void ForgetMariaCheckpoints(const std::string& pipeline, const std::string& port) {
  auto c = MariaConnect("", port);
  ASSERT_TRUE(c);
  (void)c->Exec(fmt::format("DELETE FROM tidemark.checkpoints WHERE sink LIKE '{}.%'", pipeline),
                "forget checkpoints");  // fails when the table does not exist yet: nothing to forget
}

PrivateMaria::PrivateMaria() {
  port_ = ShellOut(fmt::format("{}/tests/servers/free-port.sh", TIDEMARK_SOURCE_DIR));
  dir_ = TempDir("private-maria") + "/maria";
  Start();
}

PrivateMaria::~PrivateMaria() {
  Stop();
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

void PrivateMaria::Start() {
  Shell(fmt::format("MARIA_DURABLE=0 {}/tests/servers/maria-up.sh {} {} >/dev/null 2>&1",
                    TIDEMARK_SOURCE_DIR, port_, dir_));
}

void PrivateMaria::Stop() {
  (void)std::system(fmt::format("{}/tests/servers/maria-down.sh {} >/dev/null 2>&1",
                                TIDEMARK_SOURCE_DIR, dir_).c_str());
}

}  // namespace tidemark::itest
