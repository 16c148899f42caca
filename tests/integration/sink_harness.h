// Helpers for the database-sink integration tests (issue 4): pipeline configs with a
// PostgreSQL or MariaDB sink, table digests computed by the servers themselves (no
// tidemark code involved), and private PostgreSQL and MariaDB servers that a test
// may restart.
#ifndef TIDEMARK_TESTS_INTEGRATION_SINK_HARNESS_H_
#define TIDEMARK_TESTS_INTEGRATION_SINK_HARNESS_H_

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/integration/harness.h"
#include "tests/integration/maria_harness.h"

namespace tidemark::itest {

// A pipeline: PG source `src` for `tables`, one sink described by `sink_yaml` (the
// lines under "- name: db", indented by 4 spaces).
std::string WriteSinkConfig(const std::string& dir, const TestDb& src,
                            const std::vector<std::string>& tables, const std::string& sink_yaml);

// The lines under "- name: db" of a PostgreSQL / MySQL sink at `dsn` that creates
// its tables and batches up to 20,000 entries or 50 ms; `extra` is appended (each
// line indented by 4 spaces).
std::string PgSinkYaml(const std::string& dsn, const std::string& extra = "");
std::string MariaSinkYaml(const std::string& dsn, const std::string& extra = "");

// Waits (up to 30 s) until tidemark's replication slot on `src` (tidemark_<db name>)
// is active: from then on every change on `src` is in the stream.
::testing::AssertionResult WaitForSlot(TestDb& src, Tidemark& tm);

// Runs `tidemark check -c config`: success when it exits 0; the failure carries its output.
::testing::AssertionResult CheckPasses(const std::string& config);

// "count:md5" of every row of `table` as PostgreSQL prints it (row::text), ordered
// by `order_by`, on the database at `dsn`. Two tables with the same columns and the
// same rows give the same digest. An error (e.g. no such table yet) gives "error: ...".
std::string PgDigest(const std::string& dsn, const std::string& table, const std::string& order_by);
// The first value of `sql`'s first row; "error: ..." on failure (never fails the test).
std::string TryValue(const std::string& dsn, const std::string& sql);

// A PostgreSQL server of its own (tests/servers/pg-up.sh) that can be restarted.
class PrivatePg {
 public:
  PrivatePg();   // starts it
  ~PrivatePg();  // stops it and removes its directory
  std::string port() const { return port_; }
  std::string dsn(const std::string& db) const;
  void Stop();
  void Start();
  void Exec(const std::string& db, const std::string& sql);
  std::vector<std::vector<std::string>> Query(const std::string& db, const std::string& sql);

 private:
  std::string port_;
  std::string dir_;
};

// Deletes pipeline `pipeline`'s checkpoint rows from tidemark.checkpoints on the
// MariaDB server at `port` (empty: the test server), which outlive a test's
// databases there.
void ForgetMariaCheckpoints(const std::string& pipeline, const std::string& port = "");

// A MariaDB server of its own (tests/servers/maria-up.sh, user cdc/cdc) that can be
// restarted. Starting a fresh one takes a few seconds (mariadb-install-db).
class PrivateMaria {
 public:
  PrivateMaria();   // starts it
  ~PrivateMaria();  // stops it and removes its directory
  std::string port() const { return port_; }
  void Stop();
  void Start();

 private:
  std::string port_;
  std::string dir_;
};

// Runs a shell command; the test fails when it exits non-zero.
void Shell(const std::string& cmd);

}  // namespace tidemark::itest

#endif  // TIDEMARK_TESTS_INTEGRATION_SINK_HARNESS_H_
