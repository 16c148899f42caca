// Test helpers for the Kafka sink: librdkafka's mock cluster in-process (it listens
// on real TCP ports on 127.0.0.1, so the sink under test — or a tidemark child
// process — talks to it like to a real cluster), a consumer that reads everything
// back, and the Java client's murmur2 partitioner to compute expected partitions
// independently of librdkafka.
// Thread safety: MockCluster's fault-injection calls are thread-safe (librdkafka
// serializes them onto the mock thread); a Reader belongs to one thread.
#ifndef TIDEMARK_TESTS_SERVERS_KAFKA_TEST_CLUSTER_H_
#define TIDEMARK_TESTS_SERVERS_KAFKA_TEST_CLUSTER_H_

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace tidemark::ktest {

// Kafka's Utils.murmur2 (Java client) and the partition it picks for a key.
int32_t Murmur2(const std::string& data);
int32_t JavaPartition(const std::string& key, int partitions);

class MockCluster {
 public:
  explicit MockCluster(int brokers = 1);
  ~MockCluster();
  const std::string& bootstrap() const { return bootstrap_; }
  void CreateTopic(const std::string& topic, int partitions, int replication_factor = 1);
  // The next `count` requests of `api_key` (RD_KAFKAP_*) fail with `err`.
  void PushErrors(int16_t api_key, rd_kafka_resp_err_t err, size_t count);
  void BrokerDown(int32_t id);
  void BrokerUp(int32_t id);
  rd_kafka_mock_cluster_t* raw() { return mcluster_; }

 private:
  rd_kafka_t* rk_ = nullptr;
  rd_kafka_mock_cluster_t* mcluster_ = nullptr;
  std::string bootstrap_;
};

struct Record {
  std::string topic;
  int32_t partition = 0;
  int64_t offset = 0;
  std::optional<std::string> key;
  std::optional<std::string> value;  // nullopt: tombstone
  std::map<std::string, std::string> headers;
};

// Reads every partition of `topics` from the beginning.
class Reader {
 public:
  Reader(const std::string& bootstrap, const std::vector<std::string>& topics);
  ~Reader();
  // Polls until `count` records in total were read or `seconds` passed; returns
  // everything read so far (in per-partition order).
  const std::vector<Record>& ReadUntil(size_t count, double seconds);
  const std::vector<Record>& records() const { return records_; }
  // Partition count of `topic` from metadata (0 when unknown).
  int Partitions(const std::string& topic);

 private:
  rd_kafka_t* rk_ = nullptr;
  std::vector<Record> records_;
};

}  // namespace tidemark::ktest

#endif  // TIDEMARK_TESTS_SERVERS_KAFKA_TEST_CLUSTER_H_
