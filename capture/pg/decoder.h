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
  // Errors: kDataLoss for malformed bytes (with byte position); kFailedPrecondition
  // for a column whose type tidemark does not decode, naming table, column and type;
  // kInvalidArgument for a value that does not parse as its type, naming the column.
  absl::Status Decode(std::string_view message, uint64_t wal_start,
                      std::vector<v1::JournalEntry>* out);

  // True between a Begin and its Commit.
  bool in_transaction() const;
};

}  // namespace tidemark::pg

#endif  // TIDEMARK_CAPTURE_PG_DECODER_H_
