// Topic administration and reachability checks for the Kafka sink and
// `tidemark check`, over librdkafka's metadata and Admin APIs.
// Thread-compatible: each call uses the handle it is given and waits for its answer.
#ifndef TIDEMARK_APPLY_KAFKA_KAFKA_ADMIN_H_
#define TIDEMARK_APPLY_KAFKA_KAFKA_ADMIN_H_

#include <librdkafka/rdkafka.h>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace tidemark::kafka {

// The topics the cluster knows (a metadata request for all topics, which never
// auto-creates one). kUnavailable naming the brokers when no broker answers in time.
absl::StatusOr<std::set<std::string>> ListTopics(rd_kafka_t* rk, absl::Duration timeout);

// Creates each of `topics` with `partitions` and `replication_factor` (-1: the
// broker's default) through rd_kafka_CreateTopics. A topic that already exists is
// fine. Errors: the first refused topic with the broker's reason (kafka_errors.h).
absl::Status CreateTopics(rd_kafka_t* rk, const std::vector<std::string>& topics, int partitions,
                          int replication_factor, absl::Duration timeout);

// For `tidemark check`: connects to `brokers` with `properties` (as the sink does),
// asks for metadata within `timeout`, and returns every problem as text: brokers
// unreachable, or a topic of `topics` missing while `create_topics` is off (when
// on, the topic is created now, and a refusal is the problem).
std::vector<std::string> CheckCluster(const std::string& brokers,
                                      const std::map<std::string, std::string>& properties,
                                      const std::vector<std::string>& topics, bool create_topics,
                                      int partitions, int replication_factor,
                                      absl::Duration timeout);

}  // namespace tidemark::kafka

#endif  // TIDEMARK_APPLY_KAFKA_KAFKA_ADMIN_H_
