// MongoDB collections in the database sinks (issue 6): each collection `db.coll`
// is a target table (_id, document) kept in step with it. Pure; the PostgreSQL and
// MySQL sinks call it for events whose schema is a MongoDB one
// (schema/mongo_shape.h) and write the result through their usual fold and DDL.
//
// Table shape (RelationalSchema):
//   _id        TYPE_TEXT, primary key: the _id's canonical Extended JSON text
//              ({"$oid":"65a1..."}, "k1", {"$numberInt":"5"}, {"$numberLong":"5"}),
//              so every BSON _id, of any type, keeps its identity exactly and two
//              _ids are equal exactly when MongoDB says so (a document _id is
//              compared field by field in order, as its text is).
//              PostgreSQL text; MySQL/MariaDB VARCHAR(255) utf8mb4_bin.
//   <shard key fields>  the same, key columns after _id (sharded collections).
//   document   TYPE_JSONB: the whole document as canonical Extended JSON v2
//              (apply/format/json_value.h AppendExtendedJson): every BSON type is
//              kept ($numberInt vs $numberLong, $numberDouble, $numberDecimal,
//              $date, $binary with its subtype, $oid, ...), and parsing it back
//              (mongoimport, bson_new_from_json, json_util.loads) gives the same
//              BSON. PostgreSQL jsonb (which orders object keys by its own rule and
//              keeps the last of duplicate keys); MySQL JSON (binary, keys sorted),
//              MariaDB JSON (LONGTEXT: the text byte for byte).
//   update_description is not stored: it describes one change, not the state.
//
// Events (Convert):
//   insert, replace, update with its document → upsert (_id, document)
//   update whose document is null (updateLookup found no document: a later
//     delete, drop or rename in the stream removed it) → delete of the key now,
//     which is the state the lookup saw
//   update whose document is `unchanged` (post-image not available) →
//     kFailedPrecondition naming the collection, _id and the fix: the sink never
//     guesses a document
//   delete → delete by key
//   drop → the table is emptied (a TRUNCATE in the fold); the table stays
//   rename → kMove: the destination table's rows are replaced by the source
//     table's, and the source table is emptied (one target transaction; the
//     rename's documents are not re-sent by MongoDB, so they move on the target)
//   dropDatabase → nothing: MongoDB sends a drop for each collection before it
//   DDL of a collection tidemark never saw (schema_version 0) → nothing
// (invalidate never reaches a sink: the decoder turns it into an empty transaction.)
#ifndef TIDEMARK_APPLY_DB_MONGO_ROWS_H_
#define TIDEMARK_APPLY_DB_MONGO_ROWS_H_

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "schema/target_ddl.h"
#include "tidemark/v1/event.pb.h"
#include "tidemark/v1/schema.pb.h"

namespace tidemark::mongo_rows {

// A MongoDB DDL event (drop, rename, dropDatabase from capture/mongo/decoder.h).
bool IsMongoDdl(const v1::ChangeEvent& ev);

// The (_id, document) schema of a MongoDB collection schema (same table, version).
v1::TableSchema RelationalSchema(const v1::TableSchema& mongo);

struct Change {
  enum Kind { kNone, kRow, kMove };
  Kind kind = kNone;
  // kRow: the event in the relational shape (INSERT, UPDATE, DELETE or TRUNCATE),
  // to fold with RelationalSchema(mongo).
  v1::ChangeEvent event;
  // kMove: the rename's destination collection.
  v1::TableId to;
};

// What a database sink applies for `ev` (of schema `mongo`, at journal `offset`).
// Errors name the collection, the offset and the fix.
absl::StatusOr<Change> Convert(const v1::ChangeEvent& ev, const v1::TableSchema& mongo,
                               uint64_t offset);

// The statements of a kMove on the target: empty the destination, copy every
// row of the source into it, empty the source. `from` and `to` are quoted
// qualified names; `columns` the RelationalSchema's column names. Nothing when
// both are the same table.
std::vector<std::string> MoveRowsSql(TargetEngine engine, const std::string& from,
                                     const std::string& to, const v1::TableSchema& relational);

// Caches RelationalSchema per (table, version). Not thread-safe (one applier).
class SchemaMap {
 public:
  // The pointer stays valid for the map's lifetime.
  const v1::TableSchema* For(const v1::TableSchema& mongo);

 private:
  std::map<std::pair<std::string, uint32_t>, v1::TableSchema> schemas_;
};

}  // namespace tidemark::mongo_rows

#endif  // TIDEMARK_APPLY_DB_MONGO_ROWS_H_
