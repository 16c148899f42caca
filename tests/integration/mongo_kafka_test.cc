// MongoDB → tidemark → Kafka (librdkafka's mock cluster in this process, over real
// TCP), read back by a real consumer: the DESIGN.md §4 envelope with connector
// "mongodb", on the <pipeline>.<db>.<collection> topic, keyed by _id, with a
// tombstone after the delete and one txId for a multi-document transaction.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include "tests/integration/harness.h"
#include "tests/integration/mongo_harness.h"
#include "tests/servers/kafka_test_cluster.h"

namespace tidemark::itest {
namespace {

using ktest::JavaPartition;
using ktest::MockCluster;
using ktest::Reader;
using ktest::Record;

bool LogHas(const Tidemark& tm, const std::string& needle) {
  std::ifstream in(tm.log_path());
  std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return all.find(needle) != std::string::npos;
}

TEST(MongoKafka, EventsReachKafkaInTheEnvelope) {
  MongoServer server;
  const std::string mdb = "mk_" + std::to_string(getpid()), pipeline = "mk";
  MockCluster cluster;
  const std::string topic = fmt::format("{}.{}.things", pipeline, mdb);
  constexpr int kPartitions = 4;
  cluster.CreateTopic(topic, kPartitions);
  const std::string dir = TempDir("mongo_kafka");
  const std::string cfg = WriteMongoPipeline(
      dir, pipeline, server.uri(), "  database: " + mdb + "\n",
      fmt::format("  - name: kafka\n    type: kafka\n    brokers: \"{}\"\n    batch_ms: 20\n",
                  cluster.bootstrap()));
  Tidemark tm({"run", "-c", cfg});
  ASSERT_TRUE(Eventually([&] { return LogHas(tm, "mongo: change stream on"); }, 30)) << tm.log_path();
  const std::string a = R"({"_id": {"$oid": "65a1b2c3d4e5f60718293a4b"}})";
  server.Insert(mdb, "things", R"({"_id": {"$oid": "65a1b2c3d4e5f60718293a4b"}, "n": 1,
      "big": {"$numberLong": "9007199254740993"}, "dec": {"$numberDecimal": "0.10"},
      "at": {"$date": {"$numberLong": "1704164645500"}}})");
  server.Update(mdb, "things", a, R"({"$set": {"n": 2}})");
  server.Delete(mdb, "things", a);
  server.InsertInTransaction(mdb, {{"things", R"({"_id": "t1"})"}, {"things", R"({"_id": "t2"})"}});
  Reader reader(cluster.bootstrap(), {topic});
  const auto& recs = reader.ReadUntil(6, 60);  // c u d tombstone c c
  ASSERT_EQ(recs.size(), 6u) << tm.log_path();
  EXPECT_EQ(tm.Stop(), 0);

  const std::string oid_key = R"({"_id":{"$oid":"65a1b2c3d4e5f60718293a4b"}})";
  std::map<std::string, std::vector<const Record*>> by_key;
  for (const Record& r : recs) {
    ASSERT_TRUE(r.key);
    EXPECT_EQ(r.partition, JavaPartition(*r.key, kPartitions)) << *r.key;
    by_key[*r.key].push_back(&r);
  }
  ASSERT_EQ(by_key[oid_key].size(), 4u);
  std::vector<nlohmann::json> v;
  for (int i = 0; i < 3; ++i) v.push_back(nlohmann::json::parse(*by_key[oid_key][i]->value));
  EXPECT_FALSE(by_key[oid_key][3]->value.has_value()) << "a tombstone follows the delete";
  for (int i = 0; i < 3; ++i) {
    const auto& e = v[i];
    const auto& src = e["source"];
    EXPECT_EQ(src["connector"], "mongodb") << e;
    EXPECT_EQ(src["db"], mdb);
    EXPECT_EQ(src["collection"], "things");
    EXPECT_TRUE(src["resume_token"].is_string()) << e;
    const Record* r = by_key[oid_key][i];
    ASSERT_EQ(r->headers.count("tidemark.offset"), 1u);
    EXPECT_EQ(r->headers.at("tidemark.offset"), e["tidemark"]["offset"].dump());
    ASSERT_EQ(r->headers.count("tidemark.position"), 1u);
    EXPECT_EQ(r->headers.at("tidemark.position"), src["resume_token"]) << "the hex resume token";
  }
  EXPECT_EQ(v[0]["op"], "c");
  EXPECT_TRUE(v[0]["before"].is_null());
  EXPECT_EQ(v[0]["after"]["_id"].dump(), R"({"$oid":"65a1b2c3d4e5f60718293a4b"})");
  const auto& doc = v[0]["after"]["document"];
  EXPECT_EQ(doc["n"], 1);
  EXPECT_EQ(doc["big"].dump(), "9007199254740993") << "every digit of an int64";
  EXPECT_EQ(doc["dec"], "0.10");
  EXPECT_EQ(doc["at"], "2024-01-02T03:04:05.5Z");
  EXPECT_EQ(v[1]["op"], "u");
  EXPECT_EQ(v[1]["after"]["update_description"]["updatedFields"]["n"], 2);
  EXPECT_EQ(v[2]["op"], "d");
  EXPECT_TRUE(v[2]["after"].is_null());
  EXPECT_EQ(v[2]["before"].dump(), R"({"_id":{"$oid":"65a1b2c3d4e5f60718293a4b"}})");
  // The transaction: both events carry its txId.
  ASSERT_EQ(by_key[R"({"_id":"t1"})"].size(), 1u);
  ASSERT_EQ(by_key[R"({"_id":"t2"})"].size(), 1u);
  auto t1 = nlohmann::json::parse(*by_key[R"({"_id":"t1"})"][0]->value);
  auto t2 = nlohmann::json::parse(*by_key[R"({"_id":"t2"})"][0]->value);
  EXPECT_TRUE(t1["source"]["txId"].is_string()) << t1;
  EXPECT_EQ(t1["source"]["txId"], t2["source"]["txId"]);
  EXPECT_EQ(t1["tidemark"]["seq"], 0);
  EXPECT_EQ(t2["tidemark"]["seq"], 1);
  EXPECT_TRUE(v[0]["source"]["txId"].is_null());
}

}  // namespace
}  // namespace tidemark::itest
