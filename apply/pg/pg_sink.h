// The PostgreSQL sink (DESIGN.md §1 Apply, issue 4): applies the journal to a
// PostgreSQL database exactly once.
//
// Batching: everything written between two checkpoint calls (Progress() or Flush();
// the applier bounds that by the sink's batch_events and batch_ms) is one target
// transaction, spanning many source transactions. Inside it, each table's changes fold to the last state per
// key (apply/db/change_fold.h) and are written in bulk (apply/pg/pg_table.h: COPY
// into a staging table, INSERT ... ON CONFLICT DO UPDATE, DELETE ... USING). A
// source transaction larger than one batch is committed on the target in parts;
// the target never shows a change without the ones before it.
//
// Exactly-once: the checkpoint row (tidemark.checkpoints: sink key
// "<pipeline>.<sink>", journal offset, source position, the Checkpoint message) is
// written in the same target transaction as the data. LoadCheckpoint() reads it back
// from the target; entries at or below it are skipped. A crash (of tidemark or the
// connection) before COMMIT loses the whole batch, which is replayed; after COMMIT
// the checkpoint says so.
//
// Overlap: Progress() hands the batch to a commit thread (apply/db/commit_worker.h)
// and returns the newest committed checkpoint at once, so the applier folds the next
// batch while the target applies this one. One batch is in flight at most: the next
// Progress() after another batch_events entries waits for it. Flush() waits for it
// and commits the rest on the applier thread. Resolving a new target table (DDL,
// catalog queries) and MongoDB renames wait for the batch in flight first.
//
// MongoDB collections are (_id, document) tables (apply/db/mongo_rows.h); a rename
// applies the folds of both collections first, then moves the rows in the same
// open transaction.
//
// Errors: connection trouble → kUnavailable, deadlock/serialization → kAborted (the
// applier reconnects and replays from the checkpoint); a change the target rejects
// stops this sink with the table, key or journal offsets, and the server's message
// and detail; a missing table/column/key → kFailedPrecondition with the fix. After
// any error the connection is dropped and pending changes are discarded; call
// LoadCheckpoint() before writing again (the applier does).
// Thread safety: none; one applier thread owns the sink.
#ifndef TIDEMARK_APPLY_PG_PG_SINK_H_
#define TIDEMARK_APPLY_PG_PG_SINK_H_

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
#include "apply/pg/pg_table.h"
#include "apply/sink.h"
#include "common/libpq.h"
#include "schema/registry.h"
#include "schema/schema_cache.h"

namespace tidemark::pgsink {

class PgSink : public Sink {
 public:
  // Does not connect (LoadCheckpoint does). `registry` must outlive the sink.
  PgSink(DbSinkOptions options, const SchemaRegistry* registry);

  absl::StatusOr<std::optional<v1::Checkpoint>> LoadCheckpoint() override;
  absl::Status Write(const JournalBatch& batch) override;
  absl::StatusOr<v1::Checkpoint> Flush() override;
  absl::StatusOr<std::optional<v1::Checkpoint>> Progress() override;

  // Problems with the target for `tidemark check`: unreachable, missing privileges,
  // and for each source table in `tables` (Source::DescribeTables) a missing target
  // table without create_tables, or an existing one that is not compatible
  // (apply/db/target_check.h). Empty when all is well.
  static std::vector<std::string> Check(const DbSinkOptions& options,
                                        const std::vector<v1::TableSchema>& tables);

 private:
  absl::Status Connect();
  void Reset();
  absl::Status Fail(absl::Status s);
  absl::Status WriteEntry(uint64_t offset, const v1::JournalEntry& entry);
  absl::Status WriteEvent(uint64_t offset, const v1::ChangeEvent& ev);
  // A MongoDB rename (apply/db/mongo_rows.h kMove), in the open transaction.
  absl::Status MoveRows(const v1::TableSchema& relational, const v1::TableId& to);
  absl::StatusOr<PgTable*> TableFor(const v1::TableSchema& schema);
  absl::StatusOr<TableFold*> FoldFor(const v1::TableSchema& schema);
  // Pending folds by table key, with the schema version they were built for.
  using Folds = std::map<std::string, std::pair<uint32_t, TableFold>>;
  // One target transaction's worth: the folds and the checkpoint they end at.
  struct Batch {
    Folds folds;
    v1::Checkpoint checkpoint;
  };
  absl::Status ApplyFold(const std::string& table_key, uint32_t version, const TableFold& fold);
  absl::Status EnsureTransaction();
  // Everything written since the last batch, as a batch (stamped with the time).
  std::unique_ptr<Batch> TakeBatch();
  // Applies and commits `batch` with its checkpoint; on the applier or commit thread.
  absl::Status Commit(Batch& batch);
  // Collects the batch in flight when it is done (or, with `wait`, waits for it):
  // its checkpoint becomes committed_. Errors are the commit's.
  absl::Status Collect(bool wait);
  void ForgetLastFold() { fold_by_schema_.clear(); }

  DbSinkOptions options_;
  const SchemaRegistry* registry_;
  std::unique_ptr<PgConn> conn_;
  bool in_transaction_ = false;
  bool loaded_ = false;
  v1::Checkpoint committed_;   // as in the target
  v1::Checkpoint current_;     // including written, uncommitted entries
  bool dirty_ = false;
  int next_stage_ = 0;
  SchemaCache schemas_;  // this sink's schema records, else the registry
  mongo_rows::SchemaMap mongo_schemas_;  // (_id, document) shapes of MongoDB collections
  // Resolved target tables by (table key, schema version), for this connection.
  std::map<std::pair<std::string, uint32_t>, std::unique_ptr<PgTable>> tables_;
  Folds folds_;
  size_t unsent_ = 0;             // entries written since the last batch was taken
  v1::Checkpoint in_flight_;      // the checkpoint of the batch on the commit thread
  // The folds FoldFor returned, by schema (a SchemaCache entry, so one address per
  // table version): events of a transaction's tables interleave. Cleared whenever
  // folds_ loses entries.
  absl::flat_hash_map<const v1::TableSchema*, TableFold*> fold_by_schema_;
  CommitWorker worker_;  // last: destroyed (joined) before what its job uses
};

}  // namespace tidemark::pgsink

#endif  // TIDEMARK_APPLY_PG_PG_SINK_H_
