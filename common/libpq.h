// The one place libpq's errors become absl::Status (DESIGN.md §6), plus RAII
// handles. Used by PostgreSQL capture and (later) the PostgreSQL sink.
// A PgConn is not thread-safe; use one per thread.
#ifndef TIDEMARK_COMMON_LIBPQ_H_
#define TIDEMARK_COMMON_LIBPQ_H_

#include <libpq-fe.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace tidemark {

struct PgResultDeleter {
  void operator()(PGresult* r) const { PQclear(r); }
};
using PgResult = std::unique_ptr<PGresult, PgResultDeleter>;

// Maps a failed result or connection to a Status: connection trouble → kUnavailable;
// SQLSTATE class 28 (auth) and 42501 (privilege) → kFailedPrecondition ... The message
// starts with `what` and carries the server's message and SQLSTATE.
absl::Status PgStatus(PGconn* conn, const PGresult* res, std::string_view what);

class PgConn {
 public:
  // Connects with `conninfo` (libpq keywords or URI). `password` (may be empty) and
  // `extra` keyword/value pairs are added without being put into any message.
  static absl::StatusOr<std::unique_ptr<PgConn>> Connect(
      const std::string& conninfo, const std::string& password,
      const std::vector<std::pair<std::string, std::string>>& extra = {});
  ~PgConn();
  PgConn(const PgConn&) = delete;
  PgConn& operator=(const PgConn&) = delete;

  PGconn* raw() const { return conn_; }
  // Runs a statement; error unless the result is COMMAND_OK or TUPLES_OK.
  absl::StatusOr<PgResult> Exec(const std::string& sql, std::string_view what);
  // Parameterised query (text parameters; nullptr-free).
  absl::StatusOr<PgResult> ExecParams(const std::string& sql, const std::vector<std::string>& params,
                                      std::string_view what);
  // One text value; error when the query gives not exactly one row.
  absl::StatusOr<std::string> QueryValue(const std::string& sql, std::string_view what);
  std::string Quote(std::string_view identifier) const;       // "ident"
  std::string QuoteLiteral(std::string_view literal) const;   // 'lit'
  int server_version() const { return PQserverVersion(conn_); }

 private:
  explicit PgConn(PGconn* c) : conn_(c) {}
  PGconn* conn_;
};

// "value" of row r, column c (empty for NULL).
inline std::string PgValue(const PgResult& r, int row, int col) {
  return std::string(PQgetvalue(r.get(), row, col), PQgetlength(r.get(), row, col));
}

}  // namespace tidemark

#endif  // TIDEMARK_COMMON_LIBPQ_H_
