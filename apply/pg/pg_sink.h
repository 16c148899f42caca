// The PostgreSQL sink (DESIGN.md §1 Apply, issue 4): applies the journal to a
// PostgreSQL database exactly once. Batching, checkpoints, overlap and errors are
// the database sinks' (apply/db/db_sink.h); this is the PostgreSQL part.
//
// A batch's folds are written in bulk (apply/pg/pg_table.h: COPY into a staging
// table, INSERT ... ON CONFLICT DO UPDATE, DELETE ... USING). A source transaction
// larger than one batch is committed on the target in parts; the target never shows
// a change without the ones before it. The checkpoint row (tidemark.checkpoints: sink
// key "<pipeline>.<sink>", journal offset, source position, the Checkpoint message)
// is written in the batch's transaction. A new schema version of a table inside a
// batch: what the older version folded is applied first, in the same transaction.
//
// MongoDB collections are (_id, document) tables (apply/db/mongo_rows.h); a rename
// applies the folds of both collections first, then moves the rows in the same
// open transaction.
//
// Errors: connection trouble → kUnavailable, deadlock/serialization → kAborted (the
// applier reconnects and replays from the checkpoint); a change the target rejects
// stops this sink with the table, key or journal offsets, and the server's message
// and detail; a missing table/column/key → kFailedPrecondition with the fix.
#ifndef TIDEMARK_APPLY_PG_PG_SINK_H_
#define TIDEMARK_APPLY_PG_PG_SINK_H_

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "apply/db/db_sink.h"
#include "apply/pg/pg_table.h"
#include "common/libpq.h"

namespace tidemark::pgsink {

class PgSink final : public DbSink {
 public:
  // Does not connect (LoadCheckpoint does). `registry` must outlive the sink.
  PgSink(DbSinkOptions options, const SchemaRegistry* registry)
      : DbSink(std::move(options), registry) {}
  ~PgSink() override { AwaitCommit(); }

  // Problems with the target for `tidemark check`: unreachable, missing privileges,
  // and for each source table in `tables` (Source::DescribeTables) a missing target
  // table without create_tables, or an existing one that is not compatible
  // (apply/db/target_check.h). Empty when all is well.
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

  absl::StatusOr<PgTable*> TableFor(const v1::TableSchema& schema);
  absl::Status ApplyFold(const std::string& table_key, uint32_t version, const TableFold& fold);
  absl::Status EnsureTransaction();

  std::unique_ptr<PgConn> conn_;
  bool in_transaction_ = false;
  int next_stage_ = 0;
  // Resolved target tables by (table key, schema version), for this connection.
  std::map<std::pair<std::string, uint32_t>, std::unique_ptr<PgTable>> tables_;
};

}  // namespace tidemark::pgsink

#endif  // TIDEMARK_APPLY_PG_PG_SINK_H_
