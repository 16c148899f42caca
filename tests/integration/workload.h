// The randomized source workload of the database-sink tests (issue 4), in
// PostgreSQL's and MariaDB's dialects, and the comparison of target with source.
//
// Tables: items (inserts, updates, key changes, deletes), counter (rows count their
// own updates: n = n + 1, so a change lost or applied twice shows in sum(n)), nokey
// (no primary key: full-row matching; truncated now and then) and bulk (one
// 200,000-row transaction). Concurrent sessions run random transactions; deadlocks
// and duplicate keys roll a transaction back and it is not counted.
//
// Comparison: each engine renders every row as the same text (columns joined by
// '|', NULL as "<null>", decimals and date-times in one fixed form) and returns
// "count:md5" over the rows ordered bytewise: computed by the servers, independent
// of tidemark's code.
#ifndef TIDEMARK_TESTS_INTEGRATION_WORKLOAD_H_
#define TIDEMARK_TESTS_INTEGRATION_WORKLOAD_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace tidemark::itest {

class Tidemark;

enum class Engine { kPostgres, kMaria };

// A database session: runs one statement; false on error (the session stays usable).
using SqlExec = std::function<bool(const std::string& sql)>;

// A database a test reads and writes.
struct Endpoint {
  Engine engine;
  // The first value of the first row; "NULL" for NULL (MariaDB) or "" (PostgreSQL);
  // "error: ..." on failure, never failing the test.
  std::function<std::string(const std::string& sql)> value;
  // A new session (for concurrent workers).
  std::function<SqlExec()> session;
};
Endpoint PgEndpoint(const std::string& dsn);
// `port` empty: the MariaDB test server.
Endpoint MariaEndpoint(const std::string& database, const std::string& port = "");

// The workload tables' names, and the statements that create them.
const std::vector<std::string>& WorkloadTables();
std::vector<std::string> WorkloadSchema(Engine engine);
// Fills `counter` with its 20 rows (n = 0).
std::string CounterRowsSql(Engine engine);
// One statement inserting 200,000 rows into bulk (one transaction).
std::string BulkInsertSql(Engine engine);

// "count:md5" of `table`'s rows as described above.
std::string DigestSql(Engine engine, const std::string& table);
// The rows of `table` rendered as above from the SQL expressions `columns`, joined
// by ',' in bytewise order ("1|x|<null>,2|y|5"); "" for no rows.
std::string RowsSql(Engine engine, const std::string& table, const std::vector<std::string>& columns);
// True when every table in `tables` digests equally on both sides (and without
// error); else *diff names the first table that differs.
bool SameTables(const Endpoint& src, const Endpoint& dst, const std::vector<std::string>& tables,
                std::string* diff);

// The kill -9 test shared by the sink pipelines. `config`'s source must already
// stream from a point before this call (PostgreSQL: the slot exists; MariaDB:
// `start` is a binlog position taken before). Fills counter, runs 3 concurrent
// workers and the 200,000-row transaction on `src` while tidemark is started and
// killed with SIGKILL `kills` times (each time after the target's checkpoint row
// `sink_key` moved), then runs tidemark once more and expects every workload table
// on `dst` to equal its source, sum(counter.n) to equal the committed increments,
// and a clean stop.
void RunWorkloadUnderKill9(const Endpoint& src, const Endpoint& dst, const std::string& config,
                           const std::string& sink_key, int kills);

// The target-restart test shared by the sink pipelines. `tm` runs a pipeline that
// streams the workload table `counter` from `src` (already streaming). Fills
// counter, waits for the target to have it, stops the target (`stop_target`),
// updates the source, starts the target again, updates more, and expects the target
// to converge and tidemark to stop cleanly.
void RunTargetRestart(Tidemark& tm, const Endpoint& src, const Endpoint& dst,
                      const std::function<void()>& stop_target,
                      const std::function<void()>& start_target);

}  // namespace tidemark::itest

#endif  // TIDEMARK_TESTS_INTEGRATION_WORKLOAD_H_
