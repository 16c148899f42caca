// What one Kafka message of the Kafka sink is made of (apply/kafka/kafka_sink.h):
// its topic, key, value, headers, and the transaction-topic markers. Pure functions,
// no librdkafka: thread-compatible, unit-tested in tests/unit/kafka/.
//
// Topic template: "{pipeline}", "{db}", "{schema}" and "{table}" are replaced by the
// pipeline name and the event's TableId parts (an empty part gives an empty string);
// any other "{...}" is an error at config load. Kafka topic names allow only
// [a-zA-Z0-9._-] and up to 249 characters: any other character of an expanded
// name is replaced by '_' (as Debezium's topic-name sanitizer does), and an empty or
// too long result is an error naming the table.
//
// Key (decision, documented in README.md "Kafka sink"): the key columns are the
// configured ones for the table (`key_columns`), else the schema's key_columns,
// else the columns flagged part_of_key. Their values come from the after image
// (c, u, r) or the before image (d).
//   json:     {"col": value, ...} in key-column order, values encoded exactly as in
//             the envelope (apply/format/json_value.h) — Debezium's key without
//             schema, e.g. {"id":42}.
//   protobuf: a serialized tidemark.v1.Row whose values are the key columns' values
//             in key-column order (proto/tidemark/v1/event.proto).
// A table without key columns, and a TRUNCATE, have no key (null): librdkafka's
// murmur2_random then spreads them randomly, as the Java client does for null keys.
//
// Headers (every message, values as UTF-8 text):
//   tidemark.position  source position in the engine's notation: PG the change's LSN
//                      "16/B374D848" (its commit LSN for markers), MySQL "file:pos",
//                      Mongo the hex resume token
//   tidemark.offset    the journal offset in decimal: the consumer's dedup key
//   tidemark.txid      the source transaction id ("" when there is none)
#ifndef TIDEMARK_APPLY_KAFKA_KAFKA_MESSAGE_H_
#define TIDEMARK_APPLY_KAFKA_KAFKA_MESSAGE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "tidemark/v1/event.pb.h"
#include "tidemark/v1/journal.pb.h"
#include "tidemark/v1/schema.pb.h"

namespace tidemark::kafka {

enum class Format { kJson, kProtobuf };

// kInvalidArgument naming the placeholder when `tmpl` has an unknown "{...}" or an
// unclosed brace.
absl::Status ValidateTopicTemplate(std::string_view tmpl);

// The topic for `table` (see above). kInvalidArgument when the result is empty or
// longer than 249 characters.
absl::StatusOr<std::string> ExpandTopic(std::string_view tmpl, std::string_view pipeline,
                                        const v1::TableId& table);

// Indexes of the key columns of `schema` (`configured` names first, see above).
// kInvalidArgument naming the table when a configured column does not exist.
absl::StatusOr<std::vector<int>> KeyColumnIndexes(const v1::TableSchema& schema,
                                                  const std::vector<std::string>& configured);

// The key of `ev` in `format`; nullopt for no key. kInvalidArgument when the image
// the key is read from is missing or shorter than the schema, or a value cannot be
// encoded (naming table and column).
absl::StatusOr<std::optional<std::string>> BuildKey(const v1::ChangeEvent& ev,
                                                    const v1::TableSchema& schema,
                                                    const std::vector<int>& key_indexes,
                                                    Format format);
// The same key appended to `out` (the sink's reusable buffer): true when `ev` has a
// key, false (nothing appended) when it has none. On error `out` may hold a partial
// key: the caller discards it.
absl::StatusOr<bool> AppendKey(std::string* out, const v1::ChangeEvent& ev,
                               const v1::TableSchema& schema, const std::vector<int>& key_indexes,
                               Format format);

// "16/B374D848" etc. (see above); "" when the position is empty.
std::string PositionNotation(const v1::SourcePosition& pos);
void AppendPositionNotation(std::string* out, const v1::SourcePosition& pos);

inline constexpr std::string_view kPositionHeader = "tidemark.position";
inline constexpr std::string_view kOffsetHeader = "tidemark.offset";
inline constexpr std::string_view kTxidHeader = "tidemark.txid";

using Headers = std::vector<std::pair<std::string, std::string>>;
// The three headers above, in that order.
Headers MessageHeaders(const v1::SourcePosition& pos, uint64_t journal_offset,
                       std::string_view transaction_id);

// Debezium's transaction metadata (its "transaction topic"): key {"id":"<txid>"},
// values
//   {"status":"BEGIN","id":"<txid>","event_count":null,"ts_ms":N}
//   {"status":"END","id":"<txid>","event_count":N,"ts_ms":N}
// ts_ms is the commit time. (Debezium's per-table "data_collections" is left out:
// after a restart in the middle of a transaction the sink cannot count per table.)
std::string TxnMarkerKey(std::string_view txid);
std::string TxnBeginValue(const v1::TxnBegin& begin);
std::string TxnEndValue(const v1::TxnCommit& commit);

}  // namespace tidemark::kafka

#endif  // TIDEMARK_APPLY_KAFKA_KAFKA_MESSAGE_H_
