#include "tests/integration/maria_harness.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>

namespace tidemark::itest {

std::string MariaPort() {
  const char* p = std::getenv("TIDEMARK_MARIA_PORT");
  if (p == nullptr || *p == '\0') {
    ADD_FAILURE() << "TIDEMARK_MARIA_PORT is not set; run through scripts/test.sh";
    return "3306";
  }
  return p;
}

std::string MariaMinimalPort() {
  const char* p = std::getenv("TIDEMARK_MARIA_MINIMAL_PORT");
  if (p == nullptr || *p == '\0') {
    ADD_FAILURE() << "TIDEMARK_MARIA_MINIMAL_PORT is not set (the binlog_row_metadata=MINIMAL "
                     "server); run through scripts/test.sh";
    return "3306";
  }
  return p;
}

std::unique_ptr<MysqlConn> MariaConnect(const std::string& database, const std::string& port) {
  MysqlDsn d;
  d.user = "cdc";  // tests/servers/maria-up.sh
  d.password = "cdc";
  d.host = "127.0.0.1";
  d.port = static_cast<unsigned>(std::stoi(port.empty() ? MariaPort() : port));
  d.database = database;
  auto c = MysqlConn::Connect(d);
  EXPECT_TRUE(c.ok()) << c.status();
  return c.ok() ? std::move(*c) : nullptr;
}

std::string MariaDsn(const std::string& database, const std::string& port) {
  return fmt::format("mysql://cdc:cdc@127.0.0.1:{}/{}", port.empty() ? MariaPort() : port, database);
}

MariaDb::MariaDb(std::string name, std::string port) : name_(std::move(name)), port_(std::move(port)) {
  if (port_.empty()) port_ = MariaPort();
  auto admin = MariaConnect("", port_);
  if (!admin) return;
  EXPECT_TRUE(admin->Exec(fmt::format("DROP DATABASE IF EXISTS `{}`", name_), "drop").ok());
  EXPECT_TRUE(admin->Exec(fmt::format("CREATE DATABASE `{}`", name_), "create").ok());
  conn_ = MariaConnect(name_, port_);
}

std::string MariaDb::dsn() const { return MariaDsn(name_, port_); }

std::unique_ptr<MysqlConn> MariaDb::Connect() const { return MariaConnect(name_, port_); }

void MariaDb::Exec(const std::string& sql) {
  ASSERT_TRUE(conn_);
  absl::Status s = conn_->Exec(sql, "test SQL");
  ASSERT_TRUE(s.ok()) << s << "\n" << sql;
}

std::vector<MysqlRow> MariaDb::Query(const std::string& sql) {
  if (!conn_) return {};
  auto r = conn_->Query(sql, "test query");
  EXPECT_TRUE(r.ok()) << r.status();
  return r.ok() ? *r : std::vector<MysqlRow>{};
}

std::string MariaDb::Value(const std::string& sql) {
  auto rows = Query(sql);
  return rows.empty() || rows[0].empty() ? "" : rows[0][0].value_or("");
}

std::string MariaValue(const std::string& database, const std::string& sql, const std::string& port) {
  auto dsn = ParseMysqlDsn(MariaDsn(database, port));
  if (!dsn.ok()) return fmt::format("error: {}", std::string(dsn.status().message()));
  auto c = MysqlConn::Connect(*dsn);
  if (!c.ok()) return fmt::format("error: {}", std::string(c.status().message()));
  (void)(*c)->Exec("SET SESSION group_concat_max_len = 1073741824, time_zone = '+00:00'", "session");
  auto v = (*c)->QueryValue(sql, "query");
  if (!v.ok()) return fmt::format("error: {}", std::string(v.status().message()));
  return v->value_or("NULL");
}

std::vector<std::string> QualifiedTables(const MariaDb& db, const std::vector<std::string>& tables) {
  std::vector<std::string> out;
  for (const auto& t : tables) out.push_back(db.name() + "." + t);
  return out;
}

std::string MasterPos(MariaDb& db) {
  auto rows = db.Query("SHOW MASTER STATUS");
  EXPECT_FALSE(rows.empty());
  return rows.empty() ? "now" : fmt::format("{}:{}", *rows[0][0], *rows[0][1]);
}

std::string WriteMariaPipeline(const std::string& dir, const MariaDb& db,
                               const std::vector<std::string>& tables, const std::string& start,
                               const std::string& rest) {
  std::string path = dir + "/pipeline.yaml";
  std::ofstream f(path);
  f << "pipeline: " << db.name() << "\n"
    << "data_dir: " << dir << "/data\n"
    << "source:\n  type: mysql\n  dsn: \"" << db.dsn() << "\"\n"
    << "  server_id: " << (5000 + (std::hash<std::string>{}(db.name()) % 1000)) << "\n"
    << "  start: \"" << start << "\"\n";
  if (!tables.empty()) {
    f << "  tables: [";
    for (size_t i = 0; i < tables.size(); ++i) f << (i ? ", " : "") << tables[i];
    f << "]\n";
  }
  f << rest;
  return path;
}

std::string WriteMariaConfig(const std::string& dir, const MariaDb& db,
                             const std::vector<std::string>& tables, const std::string& out,
                             const std::string& start) {
  return WriteMariaPipeline(dir, db, tables, start,
                            "sinks:\n  - name: out\n    type: file\n    path: " + out + "\n");
}

}  // namespace tidemark::itest
