#include "capture/mysql/mysql_checks.h"

#include <fmt/format.h>

#include <algorithm>

#include "common/status_macros.h"
#include "common/strings.h"

namespace tidemark::mysql {
namespace {

std::string Upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

// @@name, or nullopt when the server has no such variable.
absl::StatusOr<std::optional<std::string>> Var(MysqlConn& c, const std::string& name) {
  TM_ASSIGN_OR_RETURN(auto rows, c.Query(fmt::format("SHOW GLOBAL VARIABLES LIKE '{}'", name),
                                         fmt::format("reading {}", name)));
  if (rows.empty() || !rows[0][1]) return std::optional<std::string>();
  return rows[0][1];
}

}  // namespace

absl::StatusOr<std::vector<Prerequisite>> CheckMysql(MysqlConn& c, uint32_t replica_server_id,
                                                     const std::vector<std::string>& tables) {
  std::vector<Prerequisite> out;
  const bool maria = c.is_mariadb();
  const std::string cnf = maria ? "[mariadbd] section of my.cnf" : "[mysqld] section of my.cnf";
  auto expect = [&](const std::string& var, const std::string& want,
                    const std::string& fix) -> absl::Status {
    TM_ASSIGN_OR_RETURN(auto v, Var(c, var));
    if (!v) {
      out.push_back({fmt::format("{} is not available on this server ({})", var, c.server_info()),
                     fix});
    } else if (Upper(*v) != want) {
      out.push_back({fmt::format("{} is {} (tidemark needs {})", var, *v, want), fix});
    }
    return absl::OkStatus();
  };
  TM_RETURN_IF_ERROR(expect("log_bin", "ON",
                            fmt::format("enable the binary log: log_bin = mysql-bin in the {} "
                                        "(restart needed)", cnf)));
  TM_RETURN_IF_ERROR(expect("binlog_format", "ROW",
                            fmt::format("SET GLOBAL binlog_format = 'ROW' and binlog_format = ROW "
                                        "in the {}", cnf)));
  TM_RETURN_IF_ERROR(expect("binlog_row_image", "FULL",
                            fmt::format("SET GLOBAL binlog_row_image = 'FULL' and "
                                        "binlog_row_image = FULL in the {}", cnf)));
  TM_RETURN_IF_ERROR(expect(
      "binlog_row_metadata", "FULL",
      fmt::format("SET GLOBAL binlog_row_metadata = 'FULL' and binlog_row_metadata = FULL in the "
                  "{} (column names and ENUM/SET labels travel in the binlog; needs MariaDB 10.5+ "
                  "or MySQL 8.0.1+)", cnf)));
  TM_ASSIGN_OR_RETURN(auto checksum, Var(c, "binlog_checksum"));
  if (checksum && Upper(*checksum) != "CRC32" && Upper(*checksum) != "NONE") {
    out.push_back({fmt::format("binlog_checksum is {}", *checksum),
                   "SET GLOBAL binlog_checksum = 'CRC32'"});
  }
  TM_ASSIGN_OR_RETURN(auto server_id, Var(c, "server_id"));
  if (!server_id || *server_id == "0") {
    out.push_back({"server_id is 0: the server cannot serve replicas",
                   fmt::format("set server_id = <unique non-zero number> in the {}", cnf)});
  } else if (*server_id == std::to_string(replica_server_id)) {
    out.push_back({fmt::format("source.server_id {} equals the server's own server_id",
                               replica_server_id),
                   "choose another source.server_id (unique among all replicas)"});
  }
  if (maria) {
    TM_ASSIGN_OR_RETURN(auto strict, Var(c, "gtid_strict_mode"));
    if (strict && Upper(*strict) != "ON") {
      out.push_back({"gtid_strict_mode is OFF: GTID positions may be ambiguous",
                     "SET GLOBAL gtid_strict_mode = ON (and in the config file)"});
    }
  } else {
    TM_RETURN_IF_ERROR(expect("gtid_mode", "ON",
                              fmt::format("set gtid_mode = ON and enforce_gtid_consistency = ON in "
                                          "the {} (file:pos positions work without it)", cnf)));
  }
  // Privileges from SHOW GRANTS for the current user.
  TM_ASSIGN_OR_RETURN(auto grants, c.Query("SHOW GRANTS", "reading the user's grants"));
  std::string all;
  for (const auto& g : grants) {
    if (!g.empty() && g[0]) all += Upper(*g[0]) + "\n";
  }
  bool global_all = all.find("GRANT ALL PRIVILEGES ON *.*") != std::string::npos;
  auto has = [&](const std::string& p) {
    return global_all || all.find(p) != std::string::npos;
  };
  TM_ASSIGN_OR_RETURN(auto user, c.QueryValue("SELECT CURRENT_USER()", "reading the current user"));
  std::string who = user.value_or("the user");
  size_t at = who.find('@');
  if (at != std::string::npos) who = fmt::format("'{}'@'{}'", who.substr(0, at), who.substr(at + 1));
  if (!has("REPLICATION SLAVE") && !has("REPLICATION REPLICA")) {
    out.push_back({"missing privilege REPLICATION SLAVE (needed to read the binlog)",
                   fmt::format("GRANT REPLICATION SLAVE ON *.* TO {}", who)});
  }
  if (!has("REPLICATION CLIENT") && !has("BINLOG MONITOR")) {
    out.push_back({fmt::format("missing privilege {} (needed for SHOW MASTER STATUS)",
                               maria ? "BINLOG MONITOR (REPLICATION CLIENT)" : "REPLICATION CLIENT"),
                   fmt::format("GRANT {} ON *.* TO {}",
                               maria ? "BINLOG MONITOR" : "REPLICATION CLIENT", who)});
  }
  for (const std::string& t : tables) {
    size_t dot = t.find('.');
    std::string db = t.substr(0, dot), tbl = dot == std::string::npos ? "" : t.substr(dot + 1);
    auto exists = c.Query(fmt::format("SELECT 1 FROM `{}`.`{}` LIMIT 0", db, tbl), "probing");
    if (!exists.ok()) {
      out.push_back({fmt::format("cannot SELECT from {}: {}", t, exists.status().message()),
                     fmt::format("create the table or GRANT SELECT ON `{}`.`{}` TO {}", db, tbl, who)});
    }
  }
  return out;
}

}  // namespace tidemark::mysql
