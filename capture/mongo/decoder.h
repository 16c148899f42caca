// MongoDB change event decoder (layer 2 of DESIGN.md §2): change event documents
// (https://www.mongodb.com/docs/manual/reference/change-events/) → journal entries.
// Pure: no I/O, no clock, no logging; runs on hand-made BSON in tests.
//
// Table shape. A collection `db.coll` is the table {database: db, schema: "",
// table: coll} with the columns
//   _id                  the document's _id, an exact Value (bson_values.h), key
//   <shard key fields>   any further documentKey fields (sharded collections), key,
//                        named as the server names them ("region", "a.b")
//   document             the whole document, a Value of kind `document`
//   update_description   updates only: {updatedFields, removedFields,
//                        truncatedArrays, ...} exactly as the server sent it
//                        (kind `document`); null for every other operation
// Every column has kind TYPE_JSON with source_type "bson": the values are typed
// BSON Values, which json::AppendValue prints as JSON (relational sinks store them
// in jsonb / JSON columns: the issue's `(_id, document)` tables). key_columns are
// _id plus the shard key fields; REPLICA_IDENTITY_DEFAULT. A new documentKey shape
// is interned in the schema registry and emitted as a TableSchema entry ahead of
// the event (as pgoutput's Relation).
//
// Operations.
//   insert   INSERT, after = {key, fullDocument, null}
//   update   UPDATE, after = {key, fullDocument, updateDescription}. With
//            updateLookup, fullDocument is the document when the server looked it
//            up (possibly a later state); `fullDocument: null` there means no
//            document with this key existed at lookup time (a later delete, drop
//            or rename in the stream removed it): `document` is then null_value.
//            With post-images, a missing or null fullDocument means the post-image
//            was not available: `document` is the `unchanged` marker (the new
//            state is unknown here, never null). before = the pre-image
//            (fullDocumentBeforeChange) when present, else absent.
//   replace  UPDATE, after = {key, fullDocument, null}; before as for update.
//   delete   DELETE, before = the pre-image when present, else a key_only row.
//   drop, rename, dropDatabase
//            OP_DDL on the namespace (dropDatabase: table ""), ddl = a JSON text
//            {"operationType":"drop"|"rename"|"dropDatabase","ns":{..}[,"to":{..}]},
//            rename: renamed_to = the `to` namespace,
//            schema_version = the collection's newest shape in the registry (0 when
//            tidemark never saw it). The file and Kafka sinks skip OP_DDL; database
//            sinks apply drop and rename (apply/db/mongo_rows.h).
//   invalidate
//            no event: an empty transaction (TxnBegin + TxnCommit, event_count 0)
//            whose position is the invalidate's token, so a restart resumes with
//            startAfter past it. `invalidated()` tells the source to reopen.
// Any other operationType (the expanded DDL events, which tidemark does not ask for)
// is kFailedPrecondition naming it.
//
// Transactions. An event without lsid/txnNumber is a transaction of one: TxnBegin,
// ChangeEvent, TxnCommit. Events with the same lsid + txnNumber form one
// transaction with transaction_id "<lsid.id as uuid hex>:<txnNumber>"; it stays
// open until an event of another transaction (or none) arrives or the source calls
// EndTransaction() because the server had nothing more (a transaction's events are
// committed at once, so an empty batch means all of them were delivered). Its
// TxnCommit carries the position of its last event.
//
// Positions: MongoPosition {resume_token: the event's _id as raw BSON bytes,
// cluster_time: clusterTime (t << 32 | i)}. Commit time: wallTime (millisecond
// precision) when the server sends it, else clusterTime's seconds.
//
// Errors: kDataLoss for a malformed document or a missing/mistyped required field
// (naming it); kFailedPrecondition for unknown operation types and deprecated BSON
// types (bson_values.h). A failed Decode appends nothing and changes no state
// (the registry may already hold an interned schema).
// Not thread-safe: owned by the capture thread.
#ifndef TIDEMARK_CAPTURE_MONGO_DECODER_H_
#define TIDEMARK_CAPTURE_MONGO_DECODER_H_

#include <bson/bson.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "schema/registry.h"
#include "tidemark/v1/journal.pb.h"

namespace tidemark::mongo {

class MongoDecoder {
 public:
  // `schemas` must outlive the decoder. `post_images`: the stream asks for
  // post-images (fullDocument: whenAvailable) instead of updateLookup, which decides
  // what an update's null fullDocument means (see above).
  explicit MongoDecoder(SchemaRegistry* schemas, bool post_images = false)
      : schemas_(schemas), post_images_(post_images) {}

  // Decodes one change event and appends its entries to `out`.
  absl::Status Decode(const bson_t& event, std::vector<v1::JournalEntry>* out);
  // Same, from raw BSON bytes.
  absl::Status Decode(std::string_view bson_bytes, std::vector<v1::JournalEntry>* out);

  // Closes an open multi-document transaction (appends its TxnCommit); no-op when
  // none is open.
  void EndTransaction(std::vector<v1::JournalEntry>* out);

  bool in_transaction() const { return txn_open_; }
  // True once an invalidate was decoded (the stream is closed; reopen with startAfter
  // the last position). ClearInvalidated() after reopening.
  bool invalidated() const { return invalidated_; }
  void ClearInvalidated() { invalidated_ = false; }

 private:
  struct Shape {
    uint32_t version = 0;
    std::vector<std::string> key_fields;  // _id first
  };

  absl::StatusOr<const Shape*> ShapeFor(const v1::TableId& table,
                                        const std::vector<std::string>& key_fields,
                                        std::vector<v1::JournalEntry>* out);

  SchemaRegistry* schemas_;
  bool post_images_;
  std::map<std::string, Shape> shapes_;  // by TableKey
  bool txn_open_ = false;
  std::string txn_id_;
  int64_t txn_commit_micros_ = 0;
  uint32_t txn_events_ = 0;
  v1::SourcePosition txn_last_;
  bool invalidated_ = false;
};

}  // namespace tidemark::mongo

#endif  // TIDEMARK_CAPTURE_MONGO_DECODER_H_
