// Integration-test harness: the PostgreSQL server started by scripts/test.sh
// (TIDEMARK_PG_PORT), throwaway databases on it, tidemark as a child process, and the
// file sink's JSON Lines. Tests wait for conditions with Eventually(), which re-checks
// a condition until it holds or a deadline passes: waiting for an observable state,
// never a fixed sleep standing in for one.
#ifndef TIDEMARK_TESTS_INTEGRATION_HARNESS_H_
#define TIDEMARK_TESTS_INTEGRATION_HARNESS_H_

#include <sys/types.h>

#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/libpq.h"

namespace tidemark::itest {

// Port of the test server; the test fails (not skips) when the variable is missing.
std::string PgPort();
// The directory of the PostgreSQL test server's Unix-domain socket (a libpq host).
std::string PgSocketDir();
// The tidemark binary under test.
std::string TidemarkBin();
// A fresh temporary directory for one test.
std::string TempDir(const std::string& name);

// A fresh database `name` (dropped first if it exists, with its slots).
class TestDb {
 public:
  explicit TestDb(std::string name);
  ~TestDb();
  const std::string& name() const { return name_; }
  // libpq keywords for this database, over loopback TCP unless ConnectThroughUnixSocket.
  std::string dsn() const;
  // dsn() (and so configs written from it) names the server's Unix-domain socket.
  void ConnectThroughUnixSocket() { host_ = PgSocketDir(); }
  // Runs SQL; the test fails on error.
  void Exec(const std::string& sql);
  // Rows as text ("" for NULL).
  std::vector<std::vector<std::string>> Query(const std::string& sql);
  std::string Value(const std::string& sql);
  // A new connection (for concurrent sessions).
  std::unique_ptr<PgConn> Connect() const;

 private:
  std::string name_;
  std::string host_ = "127.0.0.1";
  std::unique_ptr<PgConn> conn_;
};

// Writes DIR/pipeline.yaml: a PG source on `db` for `tables`, then `rest` verbatim
// (the `sinks:` list and any other top-level keys). Returns the path.
std::string WritePgPipeline(const std::string& dir, const TestDb& db,
                            const std::vector<std::string>& tables, const std::string& rest);

// Writes a pipeline config: PG source on `db` for `tables`, one file sink at `out`.
std::string WriteConfig(const std::string& dir, const TestDb& db,
                        const std::vector<std::string>& tables, const std::string& out,
                        const std::string& extra_yaml = "");

class Tidemark {
 public:
  explicit Tidemark(std::vector<std::string> args);  // starts `tidemark args...`
  ~Tidemark();                                       // SIGKILL if still running
  pid_t pid() const { return pid_; }
  // SIGTERM and wait; returns the exit status (as from WEXITSTATUS; -signal if killed).
  int Stop();
  void Kill9();
  bool Running();
  // Waits for exit; returns exit code.
  int Wait();
  // Peak resident set size in KiB (valid after the process was reaped).
  long peak_rss_kib() const { return peak_rss_kib_; }
  std::string log_path() const { return log_; }
  // What tidemark has written to its log so far.
  std::string LogText() const;

 private:
  void Reap(int options);
  pid_t pid_ = -1;
  int status_ = 0;
  bool reaped_ = false;
  long peak_rss_kib_ = 0;
  std::string log_;
};

// Runs `tidemark args...` to completion; returns exit code, output in *out.
int RunTidemark(const std::vector<std::string>& args, std::string* out);

// Parses every complete line of a JSON Lines file.
std::vector<nlohmann::json> ReadJsonLines(const std::string& path);

// Number of '\n' in the file (fast; for large outputs).
size_t CountNewlines(const std::string& path);

// Re-checks `cond` until it is true (returns true) or `seconds` pass (returns false).
bool Eventually(const std::function<bool()>& cond, double seconds);

}  // namespace tidemark::itest

#endif  // TIDEMARK_TESTS_INTEGRATION_HARNESS_H_
