// The one place libmariadb's errors become absl::Status (DESIGN.md §6), the
// mysql:// DSN parser and an RAII connection. Used by MySQL/MariaDB capture (and
// later the MySQL sink). A MysqlConn is not thread-safe; use one per thread.
#ifndef TIDEMARK_COMMON_LIBMARIADB_H_
#define TIDEMARK_COMMON_LIBMARIADB_H_

#include <mysql.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace tidemark {

// mysql://user[:password]@host[:port][/database]; port default 3306.
struct MysqlDsn {
  std::string user;
  std::string password;
  std::string host = "127.0.0.1";
  unsigned port = 3306;
  std::string database;
};
// kInvalidArgument naming the part that is wrong (the password is never printed).
absl::StatusOr<MysqlDsn> ParseMysqlDsn(std::string_view uri);

// Maps the connection's last error to a Status: client connection errors (2002,
// 2003, 2006, 2013, 2055) → kUnavailable; access denied / privileges (1044, 1045,
// 1142, 1227, 1698) → kFailedPrecondition; 1236 (binlog read error: purged or
// unknown position) → kOutOfRange; anything else → kInternal. The message starts with
// `what` and carries the server's errno, SQLSTATE and message.
absl::Status MysqlStatus(MYSQL* mysql, std::string_view what);

using MysqlRow = std::vector<std::optional<std::string>>;

class MysqlConn {
 public:
  // Connects; `password` (if non-empty) overrides the DSN's. `read_timeout` 0: none.
  static absl::StatusOr<std::unique_ptr<MysqlConn>> Connect(const MysqlDsn& dsn,
                                                            unsigned read_timeout_s = 0);
  ~MysqlConn();
  MysqlConn(const MysqlConn&) = delete;
  MysqlConn& operator=(const MysqlConn&) = delete;

  MYSQL* raw() const { return mysql_; }
  absl::Status Exec(const std::string& sql, std::string_view what);
  // Rows the last successful Exec() changed (INSERT/UPDATE/DELETE; for ON DUPLICATE
  // KEY UPDATE as MySQL counts them). Use this, not mysql_affected_rows(): Exec()
  // drains results with mysql_next_result(), which resets that count.
  uint64_t affected_rows() const { return affected_rows_; }
  // All rows of a query (NULL → nullopt).
  absl::StatusOr<std::vector<MysqlRow>> Query(const std::string& sql, std::string_view what);
  // The one value of a one-row, one-column query.
  absl::StatusOr<std::optional<std::string>> QueryValue(const std::string& sql,
                                                        std::string_view what);
  std::string Escape(std::string_view s);  // for '...' literals
  std::string server_info() const { return mysql_get_server_info(mysql_); }
  bool is_mariadb() const;

 private:
  explicit MysqlConn(MYSQL* m) : mysql_(m) {}
  MYSQL* mysql_;
  uint64_t affected_rows_ = 0;
};

}  // namespace tidemark

#endif  // TIDEMARK_COMMON_LIBMARIADB_H_
