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
// A new connection as cdc to `database` (may be empty) on the server at `port`
// (empty: the test server); the test fails on error.
std::unique_ptr<MysqlConn> MariaConnect(const std::string& database, const std::string& port = "");
// mysql://cdc:cdc@127.0.0.1:<port>/<database> (empty port: the test server).
std::string MariaDsn(const std::string& database, const std::string& port = "");

// A fresh database `name` (dropped first if it exists) on the server at `port`
// (empty: the test server).
class MariaDb {
 public:
  explicit MariaDb(std::string name, std::string port = "");
  const std::string& name() const { return name_; }
  const std::string& port() const { return port_; }
  std::string dsn() const;
  void Exec(const std::string& sql);
  std::vector<MysqlRow> Query(const std::string& sql);
  std::string Value(const std::string& sql);
  // A new connection to the database (for concurrent sessions).
  std::unique_ptr<MysqlConn> Connect() const;

 private:
  std::string name_;
  std::string port_;
  std::unique_ptr<MysqlConn> conn_;
};

// The first value of `sql`'s first row on `database` at `port` (empty: the test
// server), "NULL" for NULL, "error: ..." on failure (never fails the test). The
// session allows GROUP_CONCAT results up to 1 GiB and shows TIMESTAMPs in UTC.
std::string MariaValue(const std::string& database, const std::string& sql,
                       const std::string& port = "");

// "<db>.<table>" for each of `tables`: a MariaDB source's `tables` list.
std::vector<std::string> QualifiedTables(const MariaDb& db, const std::vector<std::string>& tables);

// The binlog's current FILE:POS ("SHOW MASTER STATUS"): a `start` that does not race
// with the statements that follow.
std::string MasterPos(MariaDb& db);

// Writes DIR/pipeline.yaml: a MariaDB source on `db` (server_id derived from its
// name, `start`, `tables` as "db.table"; empty: all), then `rest` verbatim (the
// `sinks:` list). Returns the path.
std::string WriteMariaPipeline(const std::string& dir, const MariaDb& db,
                               const std::vector<std::string>& tables, const std::string& start,
                               const std::string& rest);

// Pipeline config: MariaDB source on `db` (start `start`), one file sink at `out`.
std::string WriteMariaConfig(const std::string& dir, const MariaDb& db,
                             const std::vector<std::string>& tables, const std::string& out,
                             const std::string& start = "now");

}  // namespace tidemark::itest

#endif  // TIDEMARK_TESTS_INTEGRATION_MARIA_HARNESS_H_
