// The MySQL/MariaDB sink (DESIGN.md §1 Apply, issue 4): the database sinks'
// semantics (apply/db/db_sink.h) on MySQL/MariaDB.
//
// A batch's folds are written with multi-row INSERT ... ON DUPLICATE KEY UPDATE and
// DELETE ... WHERE (k...) IN (...) (apply/mysql/mysql_table.h) in one InnoDB
// transaction with the checkpoint row (`tidemark`.`checkpoints`, key
// "<pipeline>.<sink>"). Target tables are resolved (and created or altered: DDL
// commits implicitly in MySQL) outside that transaction; when a table's schema
// changes inside a batch, or a MongoDB collection is renamed, what was folded before
// is committed with its checkpoint first.
// Session: sql_mode STRICT_ALL_TABLES,NO_BACKSLASH_ESCAPES (a value the column cannot
// hold is an error, never truncated), time_zone '+00:00'.
// Errors: connection loss → kUnavailable, deadlock / lock wait timeout → kAborted
// (the applier replays from the checkpoint); rejected changes stop the sink with the
// table, key or journal offsets and the server's message.
#ifndef TIDEMARK_APPLY_MYSQL_MYSQL_SINK_H_
#define TIDEMARK_APPLY_MYSQL_MYSQL_SINK_H_

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "apply/db/db_sink.h"
#include "apply/mysql/mysql_table.h"
#include "common/libmariadb.h"

namespace tidemark::mysqlsink {

class MysqlSink final : public DbSink {
 public:
  // Does not connect (LoadCheckpoint does). `registry` must outlive the sink.
  MysqlSink(DbSinkOptions options, const SchemaRegistry* registry)
      : DbSink(std::move(options), registry) {}
  ~MysqlSink() override { AwaitCommit(); }

  // Problems with the target for `tidemark check`: unreachable, privileges, and for
  // each source table in `tables` (Source::DescribeTables) a missing target
  // table without create_tables, or an existing one that is not compatible
  // (apply/db/target_check.h).
  static std::vector<std::string> Check(const DbSinkOptions& options,
                                        const std::vector<v1::TableSchema>& tables);

 private:
  absl::Status Connect() override;
  bool connected() const override { return conn_ != nullptr; }
  void Disconnect() override;
  absl::StatusOr<std::optional<std::string>> ReadCheckpoint() override;
  absl::StatusOr<std::vector<std::string>> KeyColumns(const v1::TableSchema& schema) override;
  absl::Status BeforeNewVersion(const std::string& key, uint32_t version,
                                const TableFold& fold) override;
  absl::Status MoveRows(const v1::TableSchema& relational, const v1::TableId& to) override;
  absl::Status CommitBatch(Batch& batch) override;

  absl::StatusOr<MysqlTable*> TableFor(const v1::TableSchema& schema);

  std::string dsn_database_;
  std::unique_ptr<MysqlConn> conn_;
  std::map<std::pair<std::string, uint32_t>, std::unique_ptr<MysqlTable>> tables_;
};

}  // namespace tidemark::mysqlsink

#endif  // TIDEMARK_APPLY_MYSQL_MYSQL_SINK_H_
