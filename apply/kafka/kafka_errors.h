// librdkafka errors → absl::Status: the one place (DESIGN.md §6). The code decides
// what the applier does (apply/applier.h): kUnavailable is retried from the
// checkpoint; everything else stops the sink.
//   transient (transport, all brokers down, timeouts, leader changes, queue full)
//                                            → kUnavailable
//   authentication / authorization          → kPermissionDenied
//   message or batch too large, invalid msg → kInvalidArgument
//   unknown topic or partition              → kFailedPrecondition (create it or set create_topics)
//   fatal idempotent producer error, fenced / out-of-order sequence
//                                            → kFailedPrecondition
//   anything else                           → kInternal
// Messages: "<context>: <broker's reason> (<error name>)".
#ifndef TIDEMARK_APPLY_KAFKA_KAFKA_ERRORS_H_
#define TIDEMARK_APPLY_KAFKA_KAFKA_ERRORS_H_

#include <librdkafka/rdkafka.h>

#include <string_view>

#include "absl/status/status.h"

namespace tidemark::kafka {

absl::StatusCode KafkaErrorCode(rd_kafka_resp_err_t err);

// `reason` is the broker's/librdkafka's text (rd_kafka_err2str when empty).
absl::Status KafkaStatus(rd_kafka_resp_err_t err, std::string_view context,
                         std::string_view reason = {});

}  // namespace tidemark::kafka

#endif  // TIDEMARK_APPLY_KAFKA_KAFKA_ERRORS_H_
