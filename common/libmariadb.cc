#include "common/libmariadb.h"

#include <errmsg.h>
#include <fmt/format.h>
#include <mysqld_error.h>

#include "absl/strings/numbers.h"
#include "common/status_macros.h"

namespace tidemark {

namespace {
std::string PercentDecode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      int v = 0;
      if (std::sscanf(std::string(s.substr(i + 1, 2)).c_str(), "%2x", &v) == 1) {
        out.push_back(static_cast<char>(v));
        i += 2;
        continue;
      }
    }
    out.push_back(s[i]);
  }
  return out;
}
}  // namespace

absl::StatusOr<MysqlDsn> ParseMysqlDsn(std::string_view uri) {
  constexpr std::string_view kScheme = "mysql://";
  if (uri.substr(0, kScheme.size()) != kScheme) {
    return absl::InvalidArgumentError(
        "mysql dsn must be a URI mysql://user[:password]@host[:port][/database]");
  }
  std::string_view rest = uri.substr(kScheme.size());
  MysqlDsn d;
  size_t at = rest.rfind('@');
  if (at != std::string_view::npos) {
    std::string_view cred = rest.substr(0, at);
    size_t colon = cred.find(':');
    d.user = PercentDecode(cred.substr(0, colon));
    if (colon != std::string_view::npos) d.password = PercentDecode(cred.substr(colon + 1));
    rest = rest.substr(at + 1);
  }
  size_t slash = rest.find('/');
  std::string_view hostport = rest.substr(0, slash);
  if (slash != std::string_view::npos) {
    std::string_view db = rest.substr(slash + 1);
    db = db.substr(0, db.find('?'));
    d.database = PercentDecode(db);
  }
  size_t colon = hostport.rfind(':');
  if (colon != std::string_view::npos && hostport.find(']') == std::string_view::npos) {
    if (!absl::SimpleAtoi(std::string(hostport.substr(colon + 1)), &d.port) || d.port == 0 ||
        d.port > 65535) {
      return absl::InvalidArgumentError(
          fmt::format("mysql dsn: bad port '{}'", hostport.substr(colon + 1)));
    }
    hostport = hostport.substr(0, colon);
  }
  if (!hostport.empty()) d.host = std::string(hostport);
  if (d.user.empty()) return absl::InvalidArgumentError("mysql dsn: no user (mysql://USER@host)");
  return d;
}

absl::Status MysqlStatus(MYSQL* mysql, std::string_view what) {
  unsigned err = mysql_errno(mysql);
  std::string msg = fmt::format("{}: MySQL error {} ({}): {}", what, err, mysql_sqlstate(mysql),
                                mysql_error(mysql));
  switch (err) {
    case CR_CONNECTION_ERROR: case CR_CONN_HOST_ERROR: case CR_SERVER_GONE_ERROR:
    case CR_SERVER_LOST: case 2055: case CR_UNKNOWN_HOST:
    case ER_SERVER_SHUTDOWN:  // 1053: the server is shutting down
    case 1927:                // ER_CONNECTION_KILLED (MariaDB): KILL of this session
      return absl::UnavailableError(msg);
    case ER_DBACCESS_DENIED_ERROR: case ER_ACCESS_DENIED_ERROR: case ER_TABLEACCESS_DENIED_ERROR:
    case ER_SPECIFIC_ACCESS_DENIED_ERROR: case 1698:
      return absl::FailedPreconditionError(msg);
    case ER_MASTER_FATAL_ERROR_READING_BINLOG:
      return absl::OutOfRangeError(msg);
    default:
      return absl::InternalError(msg);
  }
}

absl::StatusOr<std::unique_ptr<MysqlConn>> MysqlConn::Connect(const MysqlDsn& dsn,
                                                              unsigned read_timeout_s) {
  MYSQL* m = mysql_init(nullptr);
  if (m == nullptr) return absl::ResourceExhaustedError("mysql_init failed");
  unsigned timeout = 10;
  mysql_optionsv(m, MYSQL_OPT_CONNECT_TIMEOUT, &timeout);
  if (read_timeout_s) mysql_optionsv(m, MYSQL_OPT_READ_TIMEOUT, &read_timeout_s);
  mysql_optionsv(m, MYSQL_SET_CHARSET_NAME, "utf8mb4");
  if (!mysql_real_connect(m, dsn.host.c_str(), dsn.user.c_str(), dsn.password.c_str(),
                          dsn.database.empty() ? nullptr : dsn.database.c_str(), dsn.port,
                          nullptr, 0)) {
    absl::Status s = MysqlStatus(m, fmt::format("connecting to {}:{} as {}", dsn.host, dsn.port,
                                                dsn.user));
    mysql_close(m);
    return s;
  }
  return std::unique_ptr<MysqlConn>(new MysqlConn(m));
}

MysqlConn::~MysqlConn() { mysql_close(mysql_); }

bool MysqlConn::is_mariadb() const {
  return std::string_view(mysql_get_server_info(mysql_)).find("MariaDB") != std::string_view::npos;
}

absl::Status MysqlConn::Exec(const std::string& sql, std::string_view what) {
  if (mysql_real_query(mysql_, sql.data(), sql.size()) != 0) return MysqlStatus(mysql_, what);
  // Read before draining: mysql_next_result() resets it (to ~0) even when no result follows.
  affected_rows_ = mysql_affected_rows(mysql_);
  // Drain any result so the connection is usable again.
  do {
    MYSQL_RES* res = mysql_store_result(mysql_);
    if (res) mysql_free_result(res);
  } while (mysql_next_result(mysql_) == 0);
  return absl::OkStatus();
}

absl::StatusOr<std::vector<MysqlRow>> MysqlConn::Query(const std::string& sql,
                                                       std::string_view what) {
  if (mysql_real_query(mysql_, sql.data(), sql.size()) != 0) return MysqlStatus(mysql_, what);
  MYSQL_RES* res = mysql_store_result(mysql_);
  if (res == nullptr) {
    if (mysql_errno(mysql_)) return MysqlStatus(mysql_, what);
    return std::vector<MysqlRow>{};
  }
  std::vector<MysqlRow> rows;
  unsigned n = mysql_num_fields(res);
  while (MYSQL_ROW r = mysql_fetch_row(res)) {
    unsigned long* lens = mysql_fetch_lengths(res);
    MysqlRow row;
    for (unsigned i = 0; i < n; ++i) {
      if (r[i] == nullptr) {
        row.emplace_back(std::nullopt);
      } else {
        row.emplace_back(std::string(r[i], lens[i]));
      }
    }
    rows.push_back(std::move(row));
  }
  mysql_free_result(res);
  return rows;
}

absl::StatusOr<std::optional<std::string>> MysqlConn::QueryValue(const std::string& sql,
                                                                 std::string_view what) {
  TM_ASSIGN_OR_RETURN(auto rows, Query(sql, what));
  if (rows.size() != 1 || rows[0].size() != 1) {
    return absl::InternalError(fmt::format("{}: expected one value, got {} rows", what, rows.size()));
  }
  return rows[0][0];
}

std::string MysqlConn::Escape(std::string_view s) {
  std::string out(s.size() * 2 + 1, '\0');
  unsigned long n = mysql_real_escape_string(mysql_, out.data(), s.data(), s.size());
  out.resize(n);
  return out;
}

}  // namespace tidemark
