#include "apply/kafka/kafka_sink.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>

#include "apply/kafka/kafka_admin.h"
#include "apply/kafka/kafka_errors.h"
#include "common/status_macros.h"
#include "common/strings.h"

namespace tidemark::kafka {
namespace {

constexpr int kPollMs = 100;
// Write serves the delivery reports that have arrived every this many messages, so
// librdkafka's copies are freed while still in this thread's caches.
constexpr uint64_t kServeEvery = 1024;

// Printable form of a key for error messages (JSON keys are text already).
std::string ShowKey(const void* key, size_t len) {
  if (key == nullptr) return "null";
  std::string k(static_cast<const char*>(key), len);
  for (char& c : k) {
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7f) c = '?';
  }
  if (k.size() > 200) k = k.substr(0, 200) + "...";
  return k;
}

void LogCb(const rd_kafka_t* /*rk*/, int level, const char* fac, const char* buf) {
  if (level <= 3) {
    spdlog::error("librdkafka {}: {}", fac, buf);
  } else if (level <= 5) {
    spdlog::warn("librdkafka {}: {}", fac, buf);
  } else {
    spdlog::debug("librdkafka {}: {}", fac, buf);
  }
}

}  // namespace

absl::StatusOr<rd_kafka_conf_t*> NewProducerConf(
    const std::string& brokers, const std::map<std::string, std::string>& properties) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  char errstr[512];
  auto set = [&](const std::string& k, const std::string& v, bool echo) -> absl::Status {
    if (rd_kafka_conf_set(conf, k.c_str(), v.c_str(), errstr, sizeof(errstr)) != RD_KAFKA_CONF_OK) {
      return absl::InvalidArgumentError(
          fmt::format("kafka property {}{}: {}", k, echo ? fmt::format(" = '{}'", v) : "", errstr));
    }
    return absl::OkStatus();
  };
  const std::vector<std::pair<std::string, std::string>> defaults = {
      {"bootstrap.servers", brokers},       {"enable.idempotence", "true"},
      {"acks", "all"},                      {"compression.type", "lz4"},
      {"partitioner", "murmur2_random"},    {"linger.ms", "10"},
      {"client.id", "tidemark"},
  };
  absl::Status s;
  for (const auto& [k, v] : defaults) {
    s = set(k, v, true);
    if (!s.ok()) break;
  }
  for (auto it = properties.begin(); s.ok() && it != properties.end(); ++it) {
    s = set(it->first, it->second, /*echo=*/false);
  }
  if (!s.ok()) {
    rd_kafka_conf_destroy(conf);
    return s;
  }
  rd_kafka_conf_set_log_cb(conf, LogCb);
  return conf;
}

absl::StatusOr<std::unique_ptr<KafkaSink>> KafkaSink::Open(KafkaSinkOptions options,
                                                           const SchemaRegistry* registry,
                                                           CheckpointStore* store) {
  TM_RETURN_IF_ERROR(ValidateTopicTemplate(options.topic_template));
  if (options.brokers.empty()) {
    return absl::InvalidArgumentError(fmt::format("kafka sink {}: no brokers", options.name));
  }
  std::unique_ptr<KafkaSink> sink(new KafkaSink(std::move(options), registry, store));
  TM_RETURN_IF_ERROR(sink->StartProducer());
  return sink;
}

KafkaSink::KafkaSink(KafkaSinkOptions options, const SchemaRegistry* registry,
                     CheckpointStore* store)
    : options_(std::move(options)), checkpoint_(options_.name, store), schemas_(registry) {}

KafkaSink::~KafkaSink() { StopProducer(); }

absl::Status KafkaSink::StartProducer() {
  TM_ASSIGN_OR_RETURN(rd_kafka_conf_t * conf, NewProducerConf(options_.brokers, options_.properties));
  // Delivery reports as events on the main queue, served by the applier's thread.
  rd_kafka_conf_set_events(conf, RD_KAFKA_EVENT_DR);
  char errstr[512];
  rk_ = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
  if (rk_ == nullptr) {
    rd_kafka_conf_destroy(conf);
    return absl::InvalidArgumentError(fmt::format("kafka sink {}: {}", options_.name, errstr));
  }
  produced_ = delivered_ = failed_ = 0;
  first_failure_ = absl::OkStatus();
  undelivered_.clear();
  dirty_producer_ = false;
  commit_positions_.clear();
  reports_ = rd_kafka_queue_get_main(rk_);
  return absl::OkStatus();
}

void KafkaSink::StopProducer() {
  if (rk_ == nullptr) return;
  // Undelivered messages are after the checkpoint: drop them, the replay resends.
  rd_kafka_purge(rk_, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
  AwaitDeliveries(absl::Seconds(1));  // the purged ones come back as failed reports
  rd_kafka_queue_destroy(reports_);
  reports_ = nullptr;
  for (auto& [name, rkt] : topic_handles_) rd_kafka_topic_destroy(rkt);
  topic_handles_.clear();
  route_ = Route();
  rd_kafka_destroy(rk_);
  rk_ = nullptr;
}

void KafkaSink::ServeDeliveries(int timeout_ms) {
  bool served = false;
  // Waits only for the first event; then takes what is there.
  while (rd_kafka_event_t* ev = rd_kafka_queue_poll(reports_, served ? 0 : timeout_ms)) {
    served = true;
    if (rd_kafka_event_type(ev) == RD_KAFKA_EVENT_DR) {
      while (const rd_kafka_message_t* msg = rd_kafka_event_message_next(ev)) OnDelivery(msg);
    }
    rd_kafka_event_destroy(ev);  // frees the messages
  }
}

void KafkaSink::OnDelivery(const rd_kafka_message_t* msg) {
  if (msg->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
    ++delivered_;
    const uint64_t offset = reinterpret_cast<uintptr_t>(msg->_private);
    if (offset >= pending_first_ && offset - pending_first_ < undelivered_.size()) {
      --undelivered_[offset - pending_first_];
    }
    return;
  }
  ++failed_;
  if (first_failure_.ok()) {
    const char* topic = msg->rkt != nullptr ? rd_kafka_topic_name(msg->rkt) : "?";
    first_failure_ = KafkaStatus(
        msg->err,
        fmt::format("kafka sink {}: delivery to topic {} key {} failed", options_.name, topic,
                    ShowKey(msg->key, msg->key_len)),
        rd_kafka_err2str(msg->err));
  }
}

bool KafkaSink::AwaitDeliveries(absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (delivered_ + failed_ < produced_) {
    const absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration()) return false;
    ServeDeliveries(static_cast<int>(std::min<int64_t>(kPollMs, absl::ToInt64Milliseconds(left) + 1)));
  }
  return true;
}

absl::Status KafkaSink::Failure() {
  if (rk_ != nullptr) {
    char reason[512];
    rd_kafka_resp_err_t err = rd_kafka_fatal_error(rk_, reason, sizeof(reason));
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      absl::Status s = KafkaStatus(err, fmt::format("kafka sink {}: fatal producer error", options_.name),
                                   reason);
      // A fatal idempotence error is never retried in place (kafka_errors.h).
      return absl::FailedPreconditionError(s.message());
    }
  }
  return first_failure_;
}

absl::StatusOr<std::optional<v1::Checkpoint>> KafkaSink::LoadCheckpoint() {
  if (dirty_producer_) {
    StopProducer();
    TM_RETURN_IF_ERROR(StartProducer());
  } else {  // nothing in flight, but entries without messages may still be counted
    undelivered_.clear();
  }
  commit_positions_.clear();  // the replay from the checkpoint brings them again
  last_saved_.reset();
  return checkpoint_.Load();
}

absl::Status KafkaSink::Write(const JournalBatch& batch) {
  TM_RETURN_IF_ERROR(checkpoint_.EnsureLoaded());
  size_t first = 0;  // the batch's first entry to apply: those at or below the checkpoint are not
  while (first < batch.entries.size() && !checkpoint_.ShouldApply(batch.first_offset + first)) ++first;
  if (first == batch.entries.size()) return Failure();
  if (undelivered_.empty()) pending_first_ = batch.first_offset + first;
  undelivered_.resize(undelivered_.size() + batch.entries.size() - first, 0);
  // Each entry's messages are counted here and added to undelivered_ in one go after
  // the batch (reports served meanwhile may count one down first).
  batch_counts_.assign(batch.entries.size() - first, 0);
  absl::Status st;
  size_t written = 0;  // entries of batch_counts_ written whole
  for (size_t i = first; i < batch.entries.size(); ++i) {
    const uint64_t offset = batch.first_offset + i;
    const v1::JournalEntry& entry = batch.entries[i];
    current_count_ = &batch_counts_[i - first];
    st = WriteEntry(offset, entry);
    if (!st.ok()) break;
    if (entry.has_commit() && entry.commit().has_position()) {
      commit_positions_.emplace_back(offset, entry.commit().position());
    }
    ++written;
  }
  current_count_ = nullptr;
  const size_t base = undelivered_.size() - batch_counts_.size();
  for (size_t i = 0; i < written; ++i) undelivered_[base + i] += batch_counts_[i];
  // After a failed entry nothing is covered: the checkpoint stops before it.
  undelivered_.resize(base + written);
  TM_RETURN_IF_ERROR(st);
  return Failure();
}

absl::Status KafkaSink::WriteEntry(uint64_t offset, const v1::JournalEntry& entry) {
  switch (entry.kind_case()) {
    case v1::JournalEntry::kEvent:
      return WriteEvent(offset, entry.event());
    case v1::JournalEntry::kSchema: {
      const v1::TableSchema& s = entry.schema();
      schemas_.Remember(s);
      route_ = Route();
      return absl::OkStatus();
    }
    case v1::JournalEntry::kBegin: {
      if (options_.transaction_topic.empty()) return absl::OkStatus();
      const v1::TxnBegin& b = entry.begin();
      TM_ASSIGN_OR_RETURN(rd_kafka_topic_t * rkt, Topic(options_.transaction_topic));
      key_ = TxnMarkerKey(b.transaction_id());
      value_ = TxnBeginValue(b);
      return Produce(rkt, &key_, &value_, b.position(), offset, b.transaction_id());
    }
    case v1::JournalEntry::kCommit: {
      if (options_.transaction_topic.empty()) return absl::OkStatus();
      const v1::TxnCommit& c = entry.commit();
      TM_ASSIGN_OR_RETURN(rd_kafka_topic_t * rkt, Topic(options_.transaction_topic));
      key_ = TxnMarkerKey(c.transaction_id());
      value_ = TxnEndValue(c);
      return Produce(rkt, &key_, &value_, c.position(), offset, c.transaction_id());
    }
    default:
      return absl::OkStatus();
  }
}

absl::Status KafkaSink::WriteEvent(uint64_t offset, const v1::ChangeEvent& ev) {
  if (ev.op() == v1::OP_DDL) return absl::OkStatus();
  TM_ASSIGN_OR_RETURN(const v1::TableSchema* schema, schemas_.For(ev));
  if (schema != route_.schema) {
    route_ = Route();
    const std::string table_key = TableKey(ev.table());
    auto it = tables_.find(table_key);
    if (it == tables_.end()) {
      TableInfo info;
      TM_ASSIGN_OR_RETURN(info.topic,
                          ExpandTopic(options_.topic_template, options_.pipeline, ev.table()));
      it = tables_.emplace(table_key, std::move(info)).first;
    }
    TableInfo& info = it->second;
    auto ki = info.key_indexes.find(ev.schema_version());
    if (ki == info.key_indexes.end()) {
      std::vector<std::string> configured;
      const std::string short_name = fmt::format(
          "{}.{}", ev.table().schema().empty() ? ev.table().database() : ev.table().schema(),
          ev.table().table());
      for (const std::string& name : {short_name, table_key}) {
        auto c = options_.key_columns.find(name);
        if (c != options_.key_columns.end()) configured = c->second;
      }
      TM_ASSIGN_OR_RETURN(std::vector<int> idx, KeyColumnIndexes(*schema, configured));
      ki = info.key_indexes.emplace(ev.schema_version(), std::move(idx)).first;
    }
    TM_ASSIGN_OR_RETURN(rd_kafka_topic_t * rkt, Topic(info.topic));
    route_ = Route{schema, &ki->second, rkt};
  }
  key_.clear();
  TM_ASSIGN_OR_RETURN(const bool has_key,
                      AppendKey(&key_, ev, *schema, *route_.key_indexes, options_.format));
  const std::string* key = has_key ? &key_ : nullptr;
  value_.clear();
  if (options_.format == Format::kJson) {
    TM_RETURN_IF_ERROR(AppendEnvelopeJson(&value_, ev, *schema, offset, options_.envelope));
  } else {
    ev.SerializeToString(&value_);
  }
  TM_RETURN_IF_ERROR(Produce(route_.rkt, key, &value_, ev.position(), offset, ev.transaction_id()));
  if (ev.op() == v1::OP_DELETE && options_.tombstones && has_key) {
    TM_RETURN_IF_ERROR(Produce(route_.rkt, key, nullptr, ev.position(), offset, ev.transaction_id()));
  }
  return absl::OkStatus();
}

absl::Status KafkaSink::EnsureTopic(const std::string& topic) {
  if (!options_.create_topics || topics_ready_.count(topic) > 0) return absl::OkStatus();
  TM_ASSIGN_OR_RETURN(std::set<std::string> existing, ListTopics(rk_, options_.admin_timeout));
  if (existing.count(topic) == 0) {
    spdlog::info("kafka sink {}: creating topic {}", options_.name, topic);
    TM_RETURN_IF_ERROR(CreateTopics(rk_, {topic}, options_.partitions, options_.replication_factor,
                                    options_.admin_timeout));
  }
  topics_ready_.insert(topic);
  return absl::OkStatus();
}

absl::StatusOr<rd_kafka_topic_t*> KafkaSink::Topic(const std::string& topic) {
  TM_RETURN_IF_ERROR(EnsureTopic(topic));
  auto it = topic_handles_.find(topic);
  if (it != topic_handles_.end()) return it->second;
  rd_kafka_topic_t* rkt = rd_kafka_topic_new(rk_, topic.c_str(), nullptr);
  if (rkt == nullptr) {
    return KafkaStatus(rd_kafka_last_error(), fmt::format("kafka sink {}: topic {}", options_.name, topic),
                       rd_kafka_err2str(rd_kafka_last_error()));
  }
  topic_handles_.emplace(topic, rkt);
  return rkt;
}

absl::Status KafkaSink::Produce(rd_kafka_topic_t* rkt, const std::string* key,
                                const std::string* value, const v1::SourcePosition& position,
                                uint64_t offset, std::string_view transaction_id) {
  position_.clear();
  AppendPositionNotation(&position_, position);
  char offset_text[24];
  const size_t offset_len = static_cast<size_t>(
      std::to_chars(offset_text, offset_text + sizeof(offset_text), offset).ptr - offset_text);
  void* key_ptr = key ? const_cast<char*>(key->data()) : nullptr;
  const size_t key_len = key ? key->size() : 0;
  void* value_ptr = value ? const_cast<char*>(value->data()) : nullptr;
  const size_t value_len = value ? value->size() : 0;
  auto header = [](rd_kafka_headers_t* hdrs, std::string_view name, std::string_view v) {
    rd_kafka_header_add(hdrs, name.data(), static_cast<ssize_t>(name.size()), v.data(),
                        static_cast<ssize_t>(v.size()));
  };
  while (true) {
    rd_kafka_headers_t* hdrs = rd_kafka_headers_new(3);
    header(hdrs, kPositionHeader, position_);
    header(hdrs, kOffsetHeader, std::string_view(offset_text, offset_len));
    header(hdrs, kTxidHeader, transaction_id);
    rd_kafka_resp_err_t err = rd_kafka_producev(
        rk_, RD_KAFKA_V_RKT(rkt), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
        RD_KAFKA_V_KEY(key_ptr, key_len), RD_KAFKA_V_VALUE(value_ptr, value_len),
        RD_KAFKA_V_HEADERS(hdrs), RD_KAFKA_V_OPAQUE(reinterpret_cast<void*>(static_cast<uintptr_t>(offset))),
        RD_KAFKA_V_END);
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) break;  // librdkafka owns hdrs now
    rd_kafka_headers_destroy(hdrs);
    if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
      return KafkaStatus(err, fmt::format("kafka sink {}: produce to topic {} key {}", options_.name,
                                          rd_kafka_topic_name(rkt),
                                          key ? ShowKey(key->data(), key->size()) : "null"));
    }
    ServeDeliveries(kPollMs);  // the local queue is full: deliveries drain it
    TM_RETURN_IF_ERROR(Failure());
  }
  ++produced_;
  ++*current_count_;
  dirty_producer_ = true;
  if (produced_ % kServeEvery == 0) ServeDeliveries(0);
  return absl::OkStatus();
}

absl::StatusOr<v1::Checkpoint> KafkaSink::Flush() {
  const absl::Time deadline = absl::Now() + options_.flush_timeout;
  while (!AwaitDeliveries(absl::Milliseconds(kPollMs))) {
    TM_RETURN_IF_ERROR(Failure());
    if (absl::Now() > deadline) {
      return absl::UnavailableError(fmt::format(
          "kafka sink {}: {} of {} messages still undelivered after {}", options_.name,
          produced_ - delivered_ - failed_, produced_, absl::FormatDuration(options_.flush_timeout)));
    }
  }
  TM_RETURN_IF_ERROR(Failure());
  AdvanceDelivered();
  return SaveCheckpoint();
}

absl::StatusOr<std::optional<v1::Checkpoint>> KafkaSink::Progress() {
  ServeDeliveries(0);
  TM_RETURN_IF_ERROR(Failure());
  const bool in_flight = AdvanceDelivered();
  if (last_saved_.has_value() && in_flight &&
      absl::Now() - last_save_time_ < options_.checkpoint_interval) {
    return last_saved_;
  }
  return SaveCheckpoint();
}

absl::StatusOr<v1::Checkpoint> KafkaSink::SaveCheckpoint() {
  TM_ASSIGN_OR_RETURN(v1::Checkpoint cp, checkpoint_.Save());
  last_saved_ = cp;
  last_save_time_ = absl::Now();
  return cp;
}

bool KafkaSink::AdvanceDelivered() {
  while (!undelivered_.empty() && undelivered_.front() == 0) {
    const uint64_t offset = pending_first_++;
    undelivered_.pop_front();
    const bool commit = !commit_positions_.empty() && commit_positions_.front().first == offset;
    checkpoint_.Applied(offset, commit ? &commit_positions_.front().second : nullptr);
    if (commit) commit_positions_.pop_front();
  }
  return !undelivered_.empty();
}

}  // namespace tidemark::kafka
