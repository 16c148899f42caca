// pgoutput decoder (layer 2 of DESIGN.md §2): parsed pgoutput v1 messages plus
// explicit caches (relations, type catalog, schema registry) → journal entries.
// Pure: no I/O, no clock, no logging; runs on recorded bytes in tests.
// Not thread-safe: owned by the capture thread.
#ifndef TIDEMARK_CAPTURE_PG_DECODER_H_
#define TIDEMARK_CAPTURE_PG_DECODER_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "capture/pg/pgoutput_parser.h"
#include "capture/pg/type_catalog.h"
#include "schema/registry.h"
#include "tidemark/v1/journal.pb.h"

namespace tidemark::pg {

struct DecoderOptions {
  std::string database;  // source dbname, goes into TableId.database
};

class PgDecoder {
 public:
  // `types` and `schemas` must outlive the decoder.
  PgDecoder(DecoderOptions options, const TypeCatalog* types, SchemaRegistry* schemas);

  // Type oids a Relation message references that `types` cannot resolve yet
  // (the source looks them up in pg_type and adds them before Decode). Empty for
  // other messages. Malformed bytes: kDataLoss.
  absl::StatusOr<std::vector<uint32_t>> MissingTypes(std::string_view message) const;

  // Decodes one pgoutput message (an XLogData payload whose data starts at WAL
  // position `wal_start`) and appends the resulting entries to `out`:
  //   Begin → TxnBegin; Commit → TxnCommit; Relation → TableSchema when the shape
  //   is new to the registry (interned there); Insert/Update/Delete/Truncate →
  //   ChangeEvent(s); Message → LogicalMessage; Origin and Type → nothing.
  // Details: ChangeEvent.position.pg = {lsn: wal_start, commit_lsn: the Begin's
  //   final_lsn}; sequence counts ChangeEvents in the transaction from 0 and
  //   TxnCommit.event_count is their number (LogicalMessages are not counted).
  //   Before images: 'K' → key_only row (non-key columns null_value as sent), 'O' →
  //   full row, none for an Update without K/O. 'u' → Value.unchanged. Key columns
  //   follow pgoutput's flags, which mark EVERY column under REPLICA IDENTITY FULL
  //   (unless SetPrimaryKey gave the relation's primary key, see there);
  //   Column.nullable is false only for key columns under DEFAULT/INDEX (pgoutput
  //   does not send attnotnull). The text values must come from a session with the
  //   settings text_values.h lists (DateStyle=ISO, IntervalStyle=iso_8601, ...).
  //   A failed Decode appends nothing and leaves the decoder's state unchanged
  //   (the schema registry may already hold an interned Relation).
  // Errors: kDataLoss for malformed bytes (with byte position); kFailedPrecondition
  // for a column whose type tidemark does not decode, naming table, column and type,
  // for a binary-format column and for multi-dimensional / explicit-bound arrays;
  // kInvalidArgument for a value that does not parse as its type, naming the column.
  // kDataLoss also for protocol-order violations (change outside Begin/Commit, a
  // relation id without a Relation message, a tuple whose width differs from it).
  absl::Status Decode(std::string_view message, uint64_t wal_start,
                      std::vector<v1::JournalEntry>* out);

  // True between a Begin and its Commit.
  bool in_transaction() const { return in_transaction_; }

  // The primary key of relation `relation_id` as the catalog has it (the source
  // looks it up before decoding the relation's Relation message). Under REPLICA
  // IDENTITY FULL pgoutput flags every column as a key column; with a primary key
  // known, key_columns and part_of_key follow the primary key instead, so sinks key
  // rows (Kafka message keys, upserts) by the real key while before images stay
  // whole rows. Without one (FULL on a table with no primary key) every column stays
  // the key: rows are matched by their full content.
  void SetPrimaryKey(uint32_t relation_id, std::vector<std::string> columns) {
    primary_keys_[relation_id] = std::move(columns);
  }

 private:
  struct Relation {
    v1::TableSchema schema;  // as interned (version set)
  };
  std::unordered_map<uint32_t, std::vector<std::string>> primary_keys_;
  struct Transaction {
    std::string xid;
    uint64_t final_lsn = 0;
    int64_t commit_time_micros = 0;
    uint32_t sequence = 0;  // ChangeEvents emitted so far
  };

  // Each handler appends to `out` and may update state only when it succeeds
  // (Decode appends to the caller's vector only on success).
  absl::Status OnBegin(const BeginMessage& m, std::vector<v1::JournalEntry>* out);
  absl::Status OnCommit(const CommitMessage& m, std::vector<v1::JournalEntry>* out);
  absl::Status OnRelation(const RelationMessage& m, std::vector<v1::JournalEntry>* out);
  absl::Status OnChange(const PgoutputMessage& m, uint64_t wal_start,
                        std::vector<v1::JournalEntry>* out);
  absl::Status OnTruncate(const TruncateMessage& m, uint64_t wal_start,
                          std::vector<v1::JournalEntry>* out);
  absl::Status OnMessage(const LogicalDecodingMessage& m, std::vector<v1::JournalEntry>* out);

  absl::StatusOr<const Relation*> FindRelation(uint32_t relation_id,
                                               std::string_view message) const;
  // Appends one Value per column of `rel` from `tuple` to `row` (empty);
  // `what` names the tuple for errors.
  absl::Status DecodeRow(const Relation& rel, const TupleData& tuple, std::string_view what,
                         v1::Row* row) const;
  // Sets the fields every change event of `rel` in this transaction has.
  void FillEvent(const Relation& rel, v1::Op op, uint64_t wal_start, v1::ChangeEvent* e) const;
  // Decodes an Insert, Update or Delete into `e` (fresh), in place: no copies.
  absl::Status DecodeChange(const PgoutputMessage& m, std::string_view name, uint64_t wal_start,
                            v1::ChangeEvent* e) const;

  DecoderOptions options_;
  const TypeCatalog* types_;
  SchemaRegistry* schemas_;
  std::unordered_map<uint32_t, Relation> relations_;
  bool in_transaction_ = false;
  Transaction txn_;
};

}  // namespace tidemark::pg

#endif  // TIDEMARK_CAPTURE_PG_DECODER_H_
