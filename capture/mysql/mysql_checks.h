// `tidemark check` for MySQL/MariaDB (layer 3): every unmet prerequisite with its fix.
#ifndef TIDEMARK_CAPTURE_MYSQL_MYSQL_CHECKS_H_
#define TIDEMARK_CAPTURE_MYSQL_MYSQL_CHECKS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "capture/source.h"
#include "common/libmariadb.h"

namespace tidemark::mysql {

// Checks log_bin, binlog_format=ROW, binlog_row_image=FULL, binlog_row_metadata=FULL,
// server_id (set, and different from `replica_server_id`), GTID mode, binlog_checksum,
// the REPLICATION SLAVE / REPLICATION CLIENT (BINLOG MONITOR) privileges, and SELECT
// on each of `tables` ("db.table"). Errors only when a check query itself fails.
absl::StatusOr<std::vector<Prerequisite>> CheckMysql(MysqlConn& conn, uint32_t replica_server_id,
                                                     const std::vector<std::string>& tables);

}  // namespace tidemark::mysql

#endif  // TIDEMARK_CAPTURE_MYSQL_MYSQL_CHECKS_H_
