// MariaDB helpers for integration tests: the server scripts/test.sh starts
// (TIDEMARK_MARIA_PORT, user cdc/cdc), throwaway databases on it, pipeline configs.
#ifndef TIDEMARK_TESTS_INTEGRATION_MARIA_HARNESS_H_
#define TIDEMARK_TESTS_INTEGRATION_MARIA_HARNESS_H_

#include <memory>
#include <string>
#include <vector>

#include "common/libmariadb.h"

namespace tidemark::itest {

// Port of the MariaDB test server; the test fails (not skips) when it is missing.
std::string MariaPort();
// Port of the second MariaDB test server, started with binlog_row_metadata=MINIMAL
// (TIDEMARK_MARIA_MINIMAL_PORT): table maps without column names, ENUM/SET labels or keys.
std::string MariaMinimalPort();
// A new connection as cdc to `database` (may be empty) on `port` (default MariaPort());
// the test fails on error.
std::unique_ptr<MysqlConn> MariaConnect(const std::string& database, const std::string& port = "");

// A fresh database `name` (dropped first if it exists) on `port` (default MariaPort()).
class MariaDb {
 public:
  explicit MariaDb(std::string name, std::string port = "");
  const std::string& name() const { return name_; }
  const std::string& port() const { return port_; }
  std::string dsn() const;
  void Exec(const std::string& sql);
  std::vector<MysqlRow> Query(const std::string& sql);
  std::string Value(const std::string& sql);

 private:
  std::string name_;
  std::string port_;
  std::unique_ptr<MysqlConn> conn_;
};

// Pipeline config: MariaDB source on `db` (start `start`), one file sink at `out`.
std::string WriteMariaConfig(const std::string& dir, const MariaDb& db,
                             const std::vector<std::string>& tables, const std::string& out,
                             const std::string& start = "now");

}  // namespace tidemark::itest

#endif  // TIDEMARK_TESTS_INTEGRATION_MARIA_HARNESS_H_
