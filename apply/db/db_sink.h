// What the database sinks (apply/pg/pg_sink.h, apply/mysql/mysql_sink.h) share
// (DESIGN.md §1 Apply, issue 4): the checkpoint protocol, per-key folding of a batch,
// MongoDB collections as (_id, document) tables, and committing on a thread of its
// own. An engine supplies the connection, its tables and one batch's commit.
//
// Batching: everything written between two checkpoint calls (Progress() or Flush();
// the applier bounds that by the sink's batch_events and batch_ms) is one target
// transaction spanning many source transactions. Inside it each table's changes fold
// to the last state per key (apply/db/change_fold.h).
//
// Exactly-once: the engine writes the checkpoint (journal offset, source position,
// the Checkpoint message) in the same target transaction as the data;
// LoadCheckpoint() reads it back and entries at or below it are skipped. A crash
// before COMMIT loses the whole batch, which is replayed; after COMMIT the checkpoint
// says so.
//
// Overlap: Progress() hands the batch to the commit thread (apply/db/commit_worker.h)
// and returns the newest committed checkpoint at once, so the applier folds the next
// batch while the target applies this one. One batch is in flight at most: the
// Progress() after another batch_events entries waits for it. Flush() waits for it and
// commits the rest on the applier thread. Whatever else uses the connection (resolving
// a table, a schema change inside a batch, a MongoDB rename) calls Collect(true) first.
//
// Errors: after any error the connection is dropped and pending changes discarded
// (Fail); the applier calls LoadCheckpoint() and replays from the checkpoint.
// Thread safety: one applier thread owns the sink; the commit thread runs only
// CommitBatch, which touches nothing the applier thread changes meanwhile.
#ifndef TIDEMARK_APPLY_DB_DB_SINK_H_
#define TIDEMARK_APPLY_DB_DB_SINK_H_

#include <cstdint>
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
#include "apply/sink.h"
#include "schema/registry.h"
#include "schema/schema_cache.h"

namespace tidemark {

class DbSink : public Sink {
 public:
  absl::StatusOr<std::optional<v1::Checkpoint>> LoadCheckpoint() final;
  absl::Status Write(const JournalBatch& batch) final;
  absl::StatusOr<v1::Checkpoint> Flush() final;
  absl::StatusOr<std::optional<v1::Checkpoint>> Progress() final;

 protected:
  // Pending folds by table key, with the schema version they were built for.
  using Folds = std::map<std::string, std::pair<uint32_t, TableFold>>;
  // One target transaction's worth: statements first (MongoDB renames on engines
  // that queue them), then the folds, then the checkpoint they end at.
  struct Batch {
    // The journal records the folds view (declared first: destroyed after the folds).
    std::vector<std::shared_ptr<const void>> records;
    std::vector<std::string> sql;
    Folds folds;
    v1::Checkpoint checkpoint;
  };

  // `registry` must outlive the sink.
  DbSink(DbSinkOptions options, const SchemaRegistry* registry);
  ~DbSink() override;  // logs how many target transactions the sink sent

  // --- The engine's part.
  // Connects (session settings, the checkpoint table). connected(): there is one.
  virtual absl::Status Connect() = 0;
  virtual bool connected() const = 0;
  // Drops the connection and whatever belongs to it (resolved tables, an open
  // transaction). The commit thread is idle when this is called.
  virtual void Disconnect() = 0;
  // The serialized Checkpoint stored for this sink, or nullopt when there is none.
  virtual absl::StatusOr<std::optional<std::string>> ReadCheckpoint() = 0;
  // The key columns of the target table for `schema`, resolving (creating,
  // altering) it on first use.
  virtual absl::StatusOr<std::vector<std::string>> KeyColumns(const v1::TableSchema& schema) = 0;
  // `fold` (table `key`, schema `version`) must reach the target before changes of
  // a newer version of that table are folded. Called after Collect(true).
  virtual absl::Status BeforeNewVersion(const std::string& key, uint32_t version,
                                        const TableFold& fold) = 0;
  // A MongoDB rename (apply/db/mongo_rows.h kMove) of `relational` to `to`.
  virtual absl::Status MoveRows(const v1::TableSchema& relational, const v1::TableId& to) = 0;
  // Applies and commits `batch` with its checkpoint, on the applier or commit thread.
  virtual absl::Status CommitBatch(Batch& batch) = 0;

  // --- For the engine.
  // Collects the batch in flight when it is done (with `wait`: waits for it); its
  // checkpoint becomes the committed one. Errors are the commit's.
  absl::Status Collect(bool wait);
  // Waits for the batch in flight, then commits what was written since, here.
  absl::Status CommitNow();
  // Engines call it first in their destructor: the commit thread may be using their
  // connection.
  void AwaitCommit() { (void)worker_.Wait(); }
  // The folds of the batch being written; call ForgetFolds() after erasing any.
  Folds& folds() { return folds_; }
  void ForgetFolds() { fold_by_schema_.clear(); }

  const DbSinkOptions options_;
  const SchemaRegistry* const registry_;
  std::vector<std::string> pending_sql_;  // goes first into the next Batch
  // What keeps the entries folds_ views alive until the next Batch takes them.
  std::vector<std::shared_ptr<const void>> records_;

 private:
  absl::Status Fail(absl::Status s);
  void Reset();
  absl::Status WriteEntry(uint64_t offset, const v1::JournalEntry& entry);
  absl::Status WriteEvent(uint64_t offset, const v1::ChangeEvent& ev);
  absl::StatusOr<TableFold*> FoldFor(const v1::TableSchema& schema);
  // True while the sink should let the next batch grow instead of sending it now.
  bool HoldBatch() const;
  // Everything written since the last batch, as a batch (stamped with the time).
  std::unique_ptr<Batch> TakeBatch();

  bool loaded_ = false;
  v1::Checkpoint committed_;   // as on the target
  v1::Checkpoint current_;     // including written, uncommitted entries
  bool dirty_ = false;
  size_t unsent_ = 0;          // entries written since the last batch was taken
  absl::Time first_unsent_;    // when the first of them was written
  int64_t last_commit_micros_ = 0;  // source commit time of the newest TxnCommit written
  uint64_t batches_ = 0;       // batches taken (target transactions) ...
  uint64_t batched_entries_ = 0;  // ... and the journal entries they covered
  v1::Checkpoint in_flight_;   // the checkpoint of the batch on the commit thread
  SchemaCache schemas_;        // this sink's schema records, else the registry
  mongo_rows::SchemaMap mongo_schemas_;  // (_id, document) shapes of MongoDB collections
  Folds folds_;
  // The folds FoldFor returned, by schema (a SchemaCache entry, so one address per
  // table version): events of a transaction's tables interleave. Cleared whenever
  // folds_ loses entries.
  absl::flat_hash_map<const v1::TableSchema*, TableFold*> fold_by_schema_;
  CommitWorker worker_;
};

// Text of `bytes` as lowercase hex digits.
std::string HexDigits(std::string_view bytes);

}  // namespace tidemark

#endif  // TIDEMARK_APPLY_DB_DB_SINK_H_
