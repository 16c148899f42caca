// The JSON envelope of a ChangeEvent (DESIGN.md §4 "JSON form"), shared by the
// file sink, the Kafka `json` format and `journal inspect`. Field names follow
// Debezium's so its consumers work unchanged. One event is one line (no newline):
//
//   {"before":{..}|null,"after":{..}|null,["unchanged":["col",..],]
//    "source":{..},"op":"c|u|d|r|t","ts_ms":N,"ts_us":N,
//    "tidemark":{"offset":<journal offset>,"seq":<index in txn>}}
//
// Rows are objects keyed by column name in schema column order; values as in
// json_value.h. Decisions (the contract consumers rely on):
// - "unchanged": a column whose after value is the TOAST `unchanged` marker is left
//   out of "after" (it did not change and its value is unknown here) and named in
//   the top-level "unchanged" array, in column order. The key is absent when no
//   column is unchanged. The same applies to a before image carrying the marker.
// - Key-only before images (Row.key_only, REPLICA IDENTITY DEFAULT): "before" holds
//   only the key columns (schema.key_columns, else Column.part_of_key); the other
//   columns are unknown, not NULL, so they are left out rather than printed as null.
// - A before image the source did not send (INSERT, UPDATE without old tuple) is
//   null; TRUNCATE has before and after null and op "t".
// - "ts_ms"/"ts_us" (top level and in "source") are the source COMMIT time, not the
//   processing time Debezium puts at the top level: a line replayed after a crash
//   is then byte-identical to the first copy, so duplicates are easy to drop.
// - "source" per connector (fields we do not have are left out, never invented):
//   all:        version, connector, name (pipeline), ts_ms, ts_us, snapshot
//               ("true" for op r, else "false"), db, table, txId (number when the
//               transaction id is decimal digits, e.g. a PG xid, else string; null
//               when there is none)
//   postgresql: schema, lsn (number: the change's LSN), xmin: null
//   mysql:      file, pos, gtid (the transaction's GTID or null)
//   mongodb:    collection (= table), resume_token (hex), ord (cluster time increment)
// - "tidemark.offset" is the journal offset: unique per event and the dedup key for
//   at-least-once sinks (drop a line whose offset is <= the last one seen).
// - OP_DDL has no envelope (kInvalidArgument): schema changes travel as schema
//   records, as Debezium's schema-change events go to a separate topic.
// Errors: kInvalidArgument naming the table (and column) for rows that do not match
// the schema's column count or values that cannot be printed (invalid UTF-8 text,
// invalid embedded JSON, a uuid that is not 16 bytes).
// Pure and thread-compatible.
#ifndef TIDEMARK_APPLY_FORMAT_JSON_ENVELOPE_H_
#define TIDEMARK_APPLY_FORMAT_JSON_ENVELOPE_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "tidemark/v1/event.pb.h"
#include "tidemark/v1/schema.pb.h"

namespace tidemark {

struct EnvelopeContext {
  // "postgresql" | "mysql" | "mongodb" (Debezium's names; see ConnectorName). Empty:
  // taken from the engine of each event's source position.
  std::string connector;
  // Debezium's logical server "name": the pipeline name.
  std::string name;
  // "db" when the event's TableId has no database.
  std::string db;
  // "source.version".
  std::string version = "tidemark-0.1.0";
};

// Debezium connector name for a config source type: postgres → postgresql,
// mysql → mysql, mongo → mongodb; anything else is returned unchanged.
std::string_view ConnectorName(std::string_view source_type);

// Debezium op code: c u d r t; "" for OP_DDL and OP_UNSPECIFIED.
std::string_view OpCode(v1::Op op);

// The envelope of `ev` (one line, no trailing newline). `schema` must be the
// version the event references (ev.schema_version()).
absl::StatusOr<std::string> EnvelopeJson(const v1::ChangeEvent& ev, const v1::TableSchema& schema,
                                         uint64_t journal_offset, const EnvelopeContext& ctx);

// Appends the same line to `out` (the file sink's buffer); on error `out` is
// restored to its previous size.
absl::Status AppendEnvelopeJson(std::string* out, const v1::ChangeEvent& ev,
                                const v1::TableSchema& schema, uint64_t journal_offset,
                                const EnvelopeContext& ctx);

// A logical decoding message (pg_logical_emit_message), as Debezium's PG message
// events: {"op":"m","ts_ms":N|null,"source":{..no table..},
//  "message":{"prefix":"..","content":"<base64>","transactional":b},
//  "tidemark":{"offset":N}}. `commit_time_micros` is the enclosing transaction's
// (0 for non-transactional messages: ts_ms is then null).
absl::Status AppendMessageJson(std::string* out, const v1::LogicalMessage& msg,
                               int64_t commit_time_micros, uint64_t journal_offset,
                               const EnvelopeContext& ctx);

}  // namespace tidemark

#endif  // TIDEMARK_APPLY_FORMAT_JSON_ENVELOPE_H_
