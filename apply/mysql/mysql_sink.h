// The MySQL/MariaDB sink (DESIGN.md §1 Apply, issue 4): the PostgreSQL sink's
// semantics (apply/pg/pg_sink.h) on MySQL/MariaDB.
//
// Batching: everything written between two Flush() calls is folded per key
// (apply/db/change_fold.h) and written in one target transaction with multi-row
// INSERT ... ON DUPLICATE KEY UPDATE and DELETE ... WHERE (k...) IN (...)
// (apply/mysql/mysql_table.h). Target tables are resolved (and created or altered:
// DDL commits implicitly in MySQL) outside that transaction; when a table's schema
// changes inside a batch, what was folded before it is committed with its checkpoint
// first.
// Overlap: as in the PostgreSQL sink, Progress() commits the batch on a commit thread
// (apply/db/commit_worker.h) while the applier folds the next one; resolving a new
// table, a schema change inside a batch and a MongoDB rename wait for it first.
// Exactly-once: the checkpoint row (`tidemark`.`checkpoints`, key "<pipeline>.<sink>")
// is written in the same transaction as the data (InnoDB); LoadCheckpoint() reads it.
// Session: sql_mode STRICT_ALL_TABLES,NO_BACKSLASH_ESCAPES (a value the column cannot
// hold is an error, never truncated), time_zone '+00:00'.
// Errors: connection loss → kUnavailable, deadlock / lock wait timeout → kAborted
// (the applier replays from the checkpoint); rejected changes stop the sink with the
// table, key or journal offsets and the server's message.
// Thread safety: none; one applier thread owns the sink.
#ifndef TIDEMARK_APPLY_MYSQL_MYSQL_SINK_H_
#define TIDEMARK_APPLY_MYSQL_MYSQL_SINK_H_

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "apply/db/change_fold.h"
#include "apply/db/commit_worker.h"
#include "apply/db/db_sink_options.h"
#include "apply/db/mongo_rows.h"
#include "apply/mysql/mysql_table.h"
#include "apply/sink.h"
#include "common/libmariadb.h"
#include "schema/registry.h"
#include "schema/schema_cache.h"

namespace tidemark::mysqlsink {

class MysqlSink : public Sink {
 public:
  // Does not connect (LoadCheckpoint does). `registry` must outlive the sink.
  MysqlSink(DbSinkOptions options, const SchemaRegistry* registry);

  absl::StatusOr<std::optional<v1::Checkpoint>> LoadCheckpoint() override;
  absl::Status Write(const JournalBatch& batch) override;
  absl::StatusOr<v1::Checkpoint> Flush() override;
  absl::StatusOr<std::optional<v1::Checkpoint>> Progress() override;

  // Problems with the target for `tidemark check`: unreachable, privileges, and for
  // each source table in `tables` (Source::DescribeTables) a missing target
  // table without create_tables, or an existing one that is not compatible
  // (apply/db/target_check.h).
  static std::vector<std::string> Check(const DbSinkOptions& options,
                                        const std::vector<v1::TableSchema>& tables);

 private:
  absl::Status Connect();
  void Reset();
  absl::Status Fail(absl::Status s);
  absl::Status WriteEntry(uint64_t offset, const v1::JournalEntry& entry);
  absl::Status WriteEvent(uint64_t offset, const v1::ChangeEvent& ev);
  // A MongoDB rename (apply/db/mongo_rows.h kMove): commits what came before,
  // resolves both tables (DDL), and queues the move for the next Commit.
  absl::Status MoveRows(const v1::TableSchema& relational, const v1::TableId& to);
  absl::StatusOr<MysqlTable*> TableFor(const v1::TableSchema& schema);
  absl::StatusOr<TableFold*> FoldFor(const v1::TableSchema& schema);
  using Folds = std::map<std::string, std::pair<uint32_t, TableFold>>;
  // One target transaction's worth: statements first, then the folds, then the
  // checkpoint they end at.
  struct Batch {
    std::vector<std::string> sql;
    Folds folds;
    v1::Checkpoint checkpoint;
  };
  // Everything written since the last batch, as a batch (stamped with the time).
  std::unique_ptr<Batch> TakeBatch();
  // Applies and commits `batch` with its checkpoint; on the applier or commit thread.
  absl::Status Commit(Batch& batch);
  // Waits for the batch in flight, then commits what was written since, here.
  absl::Status CommitNow();
  // Collects the batch in flight when it is done (or, with `wait`, waits for it):
  // its checkpoint becomes committed_. Errors are the commit's.
  absl::Status Collect(bool wait);

  DbSinkOptions options_;
  const SchemaRegistry* registry_;
  std::string dsn_database_;
  std::unique_ptr<MysqlConn> conn_;
  bool loaded_ = false;
  v1::Checkpoint committed_;
  v1::Checkpoint current_;
  bool dirty_ = false;
  SchemaCache schemas_;  // this sink's schema records, else the registry
  mongo_rows::SchemaMap mongo_schemas_;  // (_id, document) shapes of MongoDB collections
  // Statements run first in the next Commit's transaction (MongoDB renames).
  std::vector<std::string> pending_sql_;
  std::map<std::pair<std::string, uint32_t>, std::unique_ptr<MysqlTable>> tables_;
  Folds folds_;
  // The folds FoldFor returned, by schema (one SchemaCache address per table
  // version); cleared whenever folds_ loses entries.
  absl::flat_hash_map<const v1::TableSchema*, TableFold*> fold_by_schema_;
  size_t unsent_ = 0;             // entries written since the last batch was taken
  v1::Checkpoint in_flight_;      // the checkpoint of the batch on the commit thread
  CommitWorker worker_;  // last: destroyed (joined) before what its job uses
};

}  // namespace tidemark::mysqlsink

#endif  // TIDEMARK_APPLY_MYSQL_MYSQL_SINK_H_
