// The Kafka sink (DESIGN.md §1 Apply, issue 5): one Kafka message per change event,
// produced through librdkafka's C API with the idempotent producer.
//
// Messages (apply/kafka/kafka_message.h has the exact topic/key/header rules):
// - each ChangeEvent except OP_DDL → topic from the template, key = the key
//   columns, value = the JSON envelope (apply/format/json_envelope.h) or the
//   serialized tidemark.v1.ChangeEvent (`protobuf`), headers tidemark.position /
//   tidemark.offset / tidemark.txid;
// - after a delete, when `tombstones`: the same key with a null value (log compaction);
// - with a transaction topic: a BEGIN marker for each TxnBegin and an END marker
//   (event_count) for each TxnCommit, keyed {"id":"<txid>"};
// - schema records, heartbeats, watermarks and logical messages produce nothing.
// Partitioning: librdkafka's `murmur2_random` partitioner, the Java client's
// default, so other producers of the same topic put a key on the same partition.
// Producer defaults (user `properties` are applied on top): enable.idempotence=true,
// acks=all, compression.type=lz4, partitioner=murmur2_random, linger.ms=10.
//
// Delivery and checkpoint (at-least-once): Write() produces asynchronously. Flush()
// waits until every message produced so far has its delivery report; only when all
// succeeded does it save the checkpoint {offset of the newest entry written,
// position of the newest commit} in the CheckpointStore. So the checkpoint never
// passes an undelivered message. Between barriers, Progress() saves the delivered
// prefix at most every checkpoint_interval (1 s) while messages are in flight. Retriable broker errors are retried inside
// librdkafka (the idempotent producer keeps the order per partition). A failed
// delivery report or a fatal producer error (rd_kafka_fatal_error) makes Write or
// Flush return an error naming the topic, the key and the broker's reason, with the
// code of kafka_errors.h (a timeout is kUnavailable: the applier retries from the
// checkpoint; authorization, too large, fenced/fatal stop the sink). After a crash
// the applier replays from the checkpoint, so messages after it are sent again: the
// tidemark.offset header (and "tidemark.offset" in the JSON value) lets consumers
// drop them (keep a message only if its offset is above the last one seen).
//
// Thread safety: one applier thread owns the sink (apply/sink.h) and also serves the
// delivery reports, which arrive as librdkafka events (batches of them) on the
// producer's main queue: Write every 1,024 messages, Progress, Flush and a full local
// queue take what has arrived. Freeing librdkafka's message copies on the thread that
// made them keeps that memory in one core's caches. A thread of its own for the
// reports (until 2026-12-07) cost 10-12 % more CPU per message (bench/README.md).
#ifndef TIDEMARK_APPLY_KAFKA_KAFKA_SINK_H_
#define TIDEMARK_APPLY_KAFKA_KAFKA_SINK_H_

#include <librdkafka/rdkafka.h>

#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "apply/file/checkpoint_tracker.h"
#include "apply/format/json_envelope.h"
#include "apply/kafka/kafka_message.h"
#include "apply/sink.h"
#include "offsets/checkpoint_store.h"
#include "schema/registry.h"
#include "schema/schema_cache.h"

namespace tidemark::kafka {

struct KafkaSinkOptions {
  std::string name;      // the sink's name (checkpoint file, logs)
  std::string pipeline;  // {pipeline}
  std::string brokers;   // bootstrap.servers
  std::string topic_template = "{pipeline}.{schema}.{table}";
  Format format = Format::kJson;
  std::map<std::string, std::string> properties;  // librdkafka properties, over the defaults
  // "schema.table" (or "db.table") → key column names; other tables use their key.
  std::map<std::string, std::vector<std::string>> key_columns;
  bool tombstones = true;
  bool create_topics = false;
  int partitions = -1;          // for created topics; -1: broker default
  int replication_factor = -1;  // for created topics; -1: broker default
  std::string transaction_topic;  // empty: no transaction markers
  EnvelopeContext envelope;       // for the json format
  // Progress() saves the checkpoint (a file write and fsync) at most this often
  // while messages are still in flight; when everything produced is delivered it
  // saves at once, and Flush() always does. The applier calls Progress() every
  // batch_events entries: saving each time would cost a fsync per few thousand
  // messages. A crash replays at most this much more (at-least-once).
  absl::Duration checkpoint_interval = absl::Seconds(1);
  // Flush gives up (kUnavailable, retried by the applier from the checkpoint) when
  // messages are still undelivered after this long.
  absl::Duration flush_timeout = absl::Minutes(5);
  // Metadata and CreateTopics requests (create_topics) give up after this long.
  absl::Duration admin_timeout = absl::Seconds(30);
};

// Applies tidemark's producer defaults and then `properties` to a new
// configuration. kInvalidArgument naming the property librdkafka refused (the
// value is not echoed: it may be a secret).
absl::StatusOr<rd_kafka_conf_t*> NewProducerConf(const std::string& brokers,
                                                 const std::map<std::string, std::string>& properties);

class KafkaSink : public Sink {
 public:
  // Validates the options and creates the producer (it connects lazily).
  // `registry` and `store` must outlive the sink; `store` may be null (checkpoint
  // in memory). Errors: kInvalidArgument for a bad template or property.
  static absl::StatusOr<std::unique_ptr<KafkaSink>> Open(KafkaSinkOptions options,
                                                         const SchemaRegistry* registry,
                                                         CheckpointStore* store);
  ~KafkaSink() override;  // undelivered messages are dropped (replayed next run)

  // The stored checkpoint. After an error, also purges what is in flight and
  // starts a fresh producer, so the replay from the checkpoint starts clean.
  absl::StatusOr<std::optional<v1::Checkpoint>> LoadCheckpoint() override;
  // Produces the batch (entries at or below the checkpoint are skipped). Errors:
  // kNotFound for an unknown schema version, kInvalidArgument for an event that
  // cannot be encoded, and delivery/fatal errors already reported (see above).
  absl::Status Write(const JournalBatch& batch) override;
  // Waits for every delivery report, then saves and returns the checkpoint.
  absl::StatusOr<v1::Checkpoint> Flush() override;
  // Serves the delivery reports that arrived and moves the checkpoint up to the
  // newest offset whose messages, and all before it, are delivered; no waiting.
  // Saves it when checkpoint_interval has passed since the last save or nothing is
  // in flight, and returns the checkpoint saved last (so never one not yet saved).
  absl::StatusOr<std::optional<v1::Checkpoint>> Progress() override;


 private:
  explicit KafkaSink(KafkaSinkOptions options, const SchemaRegistry* registry,
                     CheckpointStore* store);
  absl::Status StartProducer();
  void StopProducer();
  absl::Status WriteEntry(uint64_t offset, const v1::JournalEntry& entry);
  absl::Status WriteEvent(uint64_t offset, const v1::ChangeEvent& ev);
  // Produces one message with the three headers of kafka_message.h (no copy of them
  // is made here: they are rendered straight into librdkafka's header list). `key`
  // and `value` may be null.
  absl::Status Produce(rd_kafka_topic_t* rkt, const std::string* key, const std::string* value,
                       const v1::SourcePosition& position, uint64_t offset,
                       std::string_view transaction_id);
  // The handle of `topic` on the current producer (created, with the topic itself
  // when create_topics, on first use).
  absl::StatusOr<rd_kafka_topic_t*> Topic(const std::string& topic);
  // checkpoint_.Save(), remembering what and when.
  absl::StatusOr<v1::Checkpoint> SaveCheckpoint();
  // Moves the checkpoint over the entries whose messages are all delivered; true
  // when some are still in flight.
  bool AdvanceDelivered();
  absl::Status EnsureTopic(const std::string& topic);
  // The first failed delivery or the fatal producer error; OK when none.
  absl::Status Failure();
  // Serves the delivery report events that have arrived, waiting up to `timeout_ms`
  // for the first one.
  void ServeDeliveries(int timeout_ms);
  void OnDelivery(const rd_kafka_message_t* msg);
  // Serves delivery reports for up to `timeout` until all are in; true when they are.
  bool AwaitDeliveries(absl::Duration timeout);

  struct TableInfo {
    std::string topic;
    std::map<uint32_t, std::vector<int>> key_indexes;  // by schema version
  };
  // Where the events of the table version written last go: events come in runs of
  // one table, so the per-event lookups are a pointer comparison. Reset when a
  // schema record arrives and when the producer (and its topic handles) is replaced.
  struct Route {
    const v1::TableSchema* schema = nullptr;  // owned by schemas_
    const std::vector<int>* key_indexes = nullptr;  // in tables_
    rd_kafka_topic_t* rkt = nullptr;  // in topic_handles_
  };

  KafkaSinkOptions options_;
  CheckpointTracker checkpoint_;
  rd_kafka_t* rk_ = nullptr;
  rd_kafka_queue_t* reports_ = nullptr;  // the producer's main queue: delivery reports
  uint64_t produced_ = 0;   // messages handed to librdkafka by this producer
  uint64_t delivered_ = 0;  // successful delivery reports
  uint64_t failed_ = 0;     // failed delivery reports
  absl::Status first_failure_;
  bool dirty_producer_ = false;  // something was produced since the producer started
  SchemaCache schemas_;  // this sink's schema records, else the registry
  std::map<std::string, TableInfo> tables_;  // by TableKey
  std::set<std::string> topics_ready_;       // created or found (create_topics)
  std::string value_;                        // scratch buffers, reused per message
  std::string key_;
  std::string position_;
  Route route_;
  std::map<std::string, rd_kafka_topic_t*> topic_handles_;  // of the current producer
  // Entries handed to the producer and not yet behind the checkpoint, from journal
  // offset pending_first_ on: each one's count of undelivered messages. Write adds
  // each entry's count once the batch is produced; the delivery reports count down
  // (so a count may dip below zero in between); the checkpoint moves over the
  // leading zeros. Commit positions wait beside them for the checkpoint.
  std::deque<int32_t> undelivered_;
  uint64_t pending_first_ = 0;
  std::vector<int32_t> batch_counts_;  // messages of each entry of the batch being written
  int32_t* current_count_ = nullptr;   // the entry being written's, in batch_counts_
  std::deque<std::pair<uint64_t, v1::SourcePosition>> commit_positions_;
  std::optional<v1::Checkpoint> last_saved_;  // what Progress()/Flush() saved last
  absl::Time last_save_time_ = absl::InfinitePast();
};

}  // namespace tidemark::kafka

#endif  // TIDEMARK_APPLY_KAFKA_KAFKA_SINK_H_
