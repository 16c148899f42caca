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
  d.user = "cdc";
  d.password = "cdc";
  d.host = "127.0.0.1";
  d.port = static_cast<unsigned>(std::stoi(port.empty() ? MariaPort() : port));
  d.database = database;
  auto c = MysqlConn::Connect(d);
  EXPECT_TRUE(c.ok()) << c.status();
  return c.ok() ? std::move(*c) : nullptr;
}

MariaDb::MariaDb(std::string name, std::string port)
    : name_(std::move(name)), port_(port.empty() ? MariaPort() : std::move(port)) {
  auto admin = MariaConnect("", port_);
  if (!admin) return;
  EXPECT_TRUE(admin->Exec(fmt::format("DROP DATABASE IF EXISTS `{}`", name_), "drop").ok());
  EXPECT_TRUE(admin->Exec(fmt::format("CREATE DATABASE `{}`", name_), "create").ok());
  conn_ = MariaConnect(name_, port_);
}

std::string MariaDb::dsn() const {
  return fmt::format("mysql://cdc:cdc@127.0.0.1:{}/{}", port_, name_);
}

void MariaDb::Exec(const std::string& sql) {
  ASSERT_TRUE(conn_);
  absl::Status s = conn_->Exec(sql, "test SQL");
  ASSERT_TRUE(s.ok()) << s << "\n" << sql;
}

std::vector<MysqlRow> MariaDb::Query(const std::string& sql) {
  auto r = conn_->Query(sql, "test query");
  EXPECT_TRUE(r.ok()) << r.status();
  return r.ok() ? *r : std::vector<MysqlRow>{};
}

std::string MariaDb::Value(const std::string& sql) {
  auto rows = Query(sql);
  return rows.empty() || rows[0].empty() ? "" : rows[0][0].value_or("");
}

std::string WriteMariaConfig(const std::string& dir, const MariaDb& db,
                             const std::vector<std::string>& tables, const std::string& out,
                             const std::string& start) {
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
  f << "sinks:\n  - name: out\n    type: file\n    path: " << out << "\n";
  return path;
}

}  // namespace tidemark::itest
