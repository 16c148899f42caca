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
// A new connection as cdc to `database` (may be empty); the test fails on error.
std::unique_ptr<MysqlConn> MariaConnect(const std::string& database);

// A fresh database `name` (dropped first if it exists).
class MariaDb {
 public:
  explicit MariaDb(std::string name);
  const std::string& name() const { return name_; }
  std::string dsn() const;
  void Exec(const std::string& sql);
  std::vector<MysqlRow> Query(const std::string& sql);
  std::string Value(const std::string& sql);

 private:
  std::string name_;
  std::unique_ptr<MysqlConn> conn_;
};

// Pipeline config: MariaDB source on `db` (start `start`), one file sink at `out`.
std::string WriteMariaConfig(const std::string& dir, const MariaDb& db,
                             const std::vector<std::string>& tables, const std::string& out,
                             const std::string& start = "now");

}  // namespace tidemark::itest

#endif  // TIDEMARK_TESTS_INTEGRATION_MARIA_HARNESS_H_
