#include "apply/kafka/kafka_admin.h"

#include <fmt/format.h>

#include <memory>

#include "apply/kafka/kafka_errors.h"
#include "apply/kafka/kafka_sink.h"
#include "common/strings.h"

namespace tidemark::kafka {
namespace {

int Ms(absl::Duration d) { return static_cast<int>(absl::ToInt64Milliseconds(d)); }

}  // namespace

absl::StatusOr<std::set<std::string>> ListTopics(rd_kafka_t* rk, absl::Duration timeout) {
  const rd_kafka_metadata_t* md = nullptr;
  rd_kafka_resp_err_t err = rd_kafka_metadata(rk, /*all_topics=*/1, nullptr, &md, Ms(timeout));
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    absl::Status s = KafkaStatus(err, "kafka metadata request");
    if (err == RD_KAFKA_RESP_ERR__TIMED_OUT || err == RD_KAFKA_RESP_ERR__TRANSPORT) {
      return absl::UnavailableError(fmt::format(
          "no Kafka broker answered a metadata request within {}: {}", absl::FormatDuration(timeout),
          s.message()));
    }
    return s;
  }
  std::set<std::string> out;
  for (int i = 0; i < md->topic_cnt; ++i) {
    if (md->topics[i].err == RD_KAFKA_RESP_ERR_NO_ERROR) out.insert(md->topics[i].topic);
  }
  rd_kafka_metadata_destroy(md);
  return out;
}

absl::Status CreateTopics(rd_kafka_t* rk, const std::vector<std::string>& topics, int partitions,
                          int replication_factor, absl::Duration timeout) {
  if (topics.empty()) return absl::OkStatus();
  char errstr[512];
  std::vector<rd_kafka_NewTopic_t*> news;
  auto free_news = [&] {
    for (auto* t : news) rd_kafka_NewTopic_destroy(t);
  };
  for (const auto& t : topics) {
    rd_kafka_NewTopic_t* nt =
        rd_kafka_NewTopic_new(t.c_str(), partitions, replication_factor, errstr, sizeof(errstr));
    if (nt == nullptr) {
      free_news();
      return absl::InvalidArgumentError(fmt::format("create topic {}: {}", t, errstr));
    }
    news.push_back(nt);
  }
  rd_kafka_queue_t* q = rd_kafka_queue_new(rk);
  rd_kafka_AdminOptions_t* opts = rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_CREATETOPICS);
  rd_kafka_AdminOptions_set_request_timeout(opts, Ms(timeout), errstr, sizeof(errstr));
  rd_kafka_AdminOptions_set_operation_timeout(opts, Ms(timeout), errstr, sizeof(errstr));
  rd_kafka_CreateTopics(rk, news.data(), news.size(), opts, q);
  rd_kafka_event_t* ev = rd_kafka_queue_poll(q, Ms(timeout) + 1000);
  absl::Status status;
  if (ev == nullptr) {
    status = absl::UnavailableError(fmt::format("create topic {}: no answer within {}", topics[0],
                                                absl::FormatDuration(timeout)));
  } else if (rd_kafka_event_error(ev) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    status = KafkaStatus(rd_kafka_event_error(ev), fmt::format("create topic {}", topics[0]),
                         rd_kafka_event_error_string(ev));
  } else {
    const rd_kafka_CreateTopics_result_t* res = rd_kafka_event_CreateTopics_result(ev);
    size_t n = 0;
    const rd_kafka_topic_result_t** results = rd_kafka_CreateTopics_result_topics(res, &n);
    for (size_t i = 0; i < n && status.ok(); ++i) {
      rd_kafka_resp_err_t err = rd_kafka_topic_result_error(results[i]);
      if (err == RD_KAFKA_RESP_ERR_NO_ERROR || err == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
        continue;
      }
      const char* why = rd_kafka_topic_result_error_string(results[i]);
      status = KafkaStatus(err, fmt::format("create topic {}", rd_kafka_topic_result_name(results[i])),
                           why != nullptr ? why : "");
    }
  }
  if (ev != nullptr) rd_kafka_event_destroy(ev);
  rd_kafka_AdminOptions_destroy(opts);
  rd_kafka_queue_destroy(q);
  free_news();
  return status;
}

std::vector<std::string> CheckCluster(const std::string& brokers,
                                      const std::map<std::string, std::string>& properties,
                                      const std::vector<std::string>& topics, bool create_topics,
                                      int partitions, int replication_factor,
                                      absl::Duration timeout) {
  std::vector<std::string> problems;
  absl::StatusOr<rd_kafka_conf_t*> conf = NewProducerConf(brokers, properties);
  if (!conf.ok()) return {std::string(SV(conf.status().message()))};
  char errstr[512];
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, *conf, errstr, sizeof(errstr));
  if (rk == nullptr) {
    rd_kafka_conf_destroy(*conf);
    return {fmt::format("kafka producer: {}", errstr)};
  }
  absl::StatusOr<std::set<std::string>> existing = ListTopics(rk, timeout);
  if (!existing.ok()) {
    problems.push_back(fmt::format("brokers {} unreachable: {}", brokers, existing.status().message()));
  } else {
    std::vector<std::string> missing;
    for (const auto& t : topics) {
      if (existing->count(t) == 0) missing.push_back(t);
    }
    if (!missing.empty() && create_topics) {
      absl::Status s = CreateTopics(rk, missing, partitions, replication_factor, timeout);
      if (!s.ok()) problems.push_back(std::string(SV(s.message())));
    } else {
      for (const auto& t : missing) problems.push_back(fmt::format("topic {} does not exist", t));
    }
  }
  rd_kafka_destroy(rk);
  return problems;
}

}  // namespace tidemark::kafka
