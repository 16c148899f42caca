// PostgreSQL → tidemark → Kafka (librdkafka's mock cluster in this process, over
// real TCP), read back by a real consumer: every op on its topic, partition (the
// Java client's murmur2, computed here) and key; Debezium's envelope shapes for
// c/u/d/t; tombstones after deletes; transaction markers; `tidemark check`; and
// kill -9 / restart: nothing lost, duplicates only after the last checkpoint.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "offsets/checkpoint_store.h"
#include "tests/integration/harness.h"
#include "tests/servers/kafka_test_cluster.h"

namespace tidemark::itest {
namespace {

using ktest::JavaPartition;
using ktest::MockCluster;
using ktest::Reader;
using ktest::Record;

std::string KafkaSinkYaml(const MockCluster& c, const std::string& extra = "") {
  return fmt::format(
      "  - name: kafka\n"
      "    type: kafka\n"
      "    brokers: \"{}\"\n"
      "    batch_ms: 20\n"
      "{}",
      c.bootstrap(), extra);
}

std::string Lsn(uint64_t lsn) { return fmt::format("{:X}/{:X}", lsn >> 32, lsn & 0xffffffffu); }

bool SlotActive(TestDb& db) {
  return db.Value(fmt::format("SELECT count(*) FROM pg_replication_slots WHERE slot_name = "
                              "'tidemark_{}' AND active", db.name())) == "1";
}

TEST(PgKafka, EveryOpOnItsTopicPartitionAndKeyWithDebeziumShapes) {
  TestDb db("it_kafka_ops");
  db.Exec("CREATE TABLE items (id int PRIMARY KEY, name text, qty bigint)");
  // FULL: before images for u and d. pgoutput then flags every column as key, so
  // the key columns are configured (README.md "Kafka sink").
  db.Exec("ALTER TABLE items REPLICA IDENTITY FULL");
  MockCluster cluster;
  const std::string topic = db.name() + ".public.items", txn_topic = db.name() + ".txn";
  constexpr int kPartitions = 8;
  cluster.CreateTopic(topic, kPartitions);
  cluster.CreateTopic(txn_topic, 1);
  const std::string dir = TempDir("kafka_ops");
  const std::string cfg = WriteConfig(dir, db, {"public.items"}, dir + "/events.jsonl",
                                      KafkaSinkYaml(cluster, fmt::format("    transaction_topic: {}\n"
                                                                         "    key_columns: {{public.items: [id]}}\n",
                                                                         txn_topic)));
  std::string out;
  ASSERT_EQ(RunTidemark({"check", "-c", cfg}, &out), 0) << out;
  Tidemark tm({"run", "-c", cfg});
  ASSERT_TRUE(Eventually([&] { return SlotActive(db); }, 30)) << "slot never became active";

  db.Exec("INSERT INTO items SELECT g, 'n' || g, g * 10 FROM generate_series(1, 30) g");  // 30 c
  db.Exec("UPDATE items SET qty = qty + 1 WHERE id <= 5");                                 // 5 u
  db.Exec("DELETE FROM items WHERE id IN (6, 7)");                                         // 2 d + 2 tombstones
  db.Exec("TRUNCATE items");                                                               // 1 t
  const size_t kChanges = 30 + 5 + 2 + 2 + 1, kMarkers = 4 * 2;
  Reader reader(cluster.bootstrap(), {topic, txn_topic});
  const auto& recs = reader.ReadUntil(kChanges + kMarkers, 60);
  ASSERT_EQ(recs.size(), kChanges + kMarkers);
  EXPECT_EQ(tm.Stop(), 0);

  std::map<std::string, int> ops;
  std::map<std::string, std::vector<const Record*>> by_key;
  for (const Record& r : recs) {
    if (r.topic == txn_topic) {
      auto m = nlohmann::json::parse(*r.value);
      EXPECT_TRUE(m["status"] == "BEGIN" || m["status"] == "END") << m;
      EXPECT_EQ(*r.key, fmt::format("{{\"id\":{}}}", m["id"].dump()));
      continue;
    }
    EXPECT_EQ(r.topic, topic);
    ASSERT_EQ(r.headers.count("tidemark.offset"), 1u);
    ASSERT_EQ(r.headers.count("tidemark.position"), 1u);
    ASSERT_EQ(r.headers.count("tidemark.txid"), 1u);
    if (!r.value) {  // tombstone
      ++ops["tombstone"];
      ASSERT_TRUE(r.key);
      by_key[*r.key].push_back(&r);
      continue;
    }
    auto v = nlohmann::json::parse(*r.value);
    const std::string op = v["op"];
    ++ops[op];
    for (const char* f : {"before", "after", "source", "op", "ts_ms"}) {
      EXPECT_TRUE(v.contains(f)) << f << " missing in " << v;
    }
    const auto& src = v["source"];
    for (const char* f : {"version", "connector", "name", "ts_ms", "snapshot", "db", "schema", "table",
                          "txId", "lsn"}) {
      EXPECT_TRUE(src.contains(f)) << "source." << f << " missing in " << v;
    }
    EXPECT_EQ(src["connector"], "postgresql");
    EXPECT_EQ(src["db"], db.name());
    EXPECT_EQ(src["schema"], "public");
    EXPECT_EQ(src["table"], "items");
    EXPECT_EQ(r.headers.at("tidemark.offset"), v["tidemark"]["offset"].dump());
    EXPECT_EQ(r.headers.at("tidemark.position"), Lsn(src["lsn"].get<uint64_t>()));
    EXPECT_EQ(r.headers.at("tidemark.txid"), src["txId"].dump());
    if (op == "t") {
      EXPECT_TRUE(v["before"].is_null() && v["after"].is_null()) << v;
      EXPECT_FALSE(r.key.has_value());
      continue;
    }
    ASSERT_TRUE(r.key) << v;
    const auto& row = op == "d" ? v["before"] : v["after"];
    EXPECT_EQ(*r.key, fmt::format("{{\"id\":{}}}", row["id"].get<int>()));
    EXPECT_EQ(r.partition, JavaPartition(*r.key, kPartitions)) << *r.key;
    if (op == "c") {
      EXPECT_TRUE(v["before"].is_null()) << v;
      EXPECT_EQ(v["after"]["qty"], row["id"].get<int>() * 10);
      EXPECT_EQ(v["after"]["name"], fmt::format("n{}", row["id"].get<int>()));
    } else if (op == "u") {
      EXPECT_EQ(v["before"]["qty"].get<int64_t>() + 1, v["after"]["qty"].get<int64_t>()) << v;
    } else {
      EXPECT_EQ(op, "d");
      EXPECT_TRUE(v["after"].is_null()) << v;
      EXPECT_EQ(v["before"]["name"], fmt::format("n{}", row["id"].get<int>()));
    }
    by_key[*r.key].push_back(&r);
  }
  EXPECT_EQ(ops, (std::map<std::string, int>{{"c", 30}, {"u", 5}, {"d", 2}, {"tombstone", 2}, {"t", 1}}));
  for (int id : {6, 7}) {  // the delete, then its tombstone right after it
    const auto& msgs = by_key[fmt::format("{{\"id\":{}}}", id)];
    ASSERT_EQ(msgs.size(), 3u);  // c, d, tombstone
    EXPECT_TRUE(msgs[1]->value.has_value());
    EXPECT_FALSE(msgs[2]->value.has_value());
    EXPECT_EQ(msgs[2]->offset, msgs[1]->offset + 1);
    EXPECT_EQ(msgs[2]->partition, msgs[1]->partition);
  }
}

TEST(PgKafka, CheckReportsUnreachableBrokersAndMissingTopics) {
  TestDb db("it_kafka_check");
  db.Exec("CREATE TABLE a (id int PRIMARY KEY)");
  MockCluster cluster;
  const std::string dir = TempDir("kafka_check");
  std::string out;
  // The topic it.a does not exist and create_topics is off.
  std::string cfg = WriteConfig(dir, db, {"public.a"}, dir + "/e.jsonl",
                                KafkaSinkYaml(cluster, "    topic: \"it.{table}\"\n"));
  EXPECT_NE(RunTidemark({"check", "-c", cfg}, &out), 0) << out;
  EXPECT_NE(out.find("topic it.a does not exist"), std::string::npos) << out;
  cluster.CreateTopic("it.a", 2);
  EXPECT_EQ(RunTidemark({"check", "-c", cfg}, &out), 0) << out;
  // Nothing listens on port 1.
  cfg = WriteConfig(dir, db, {"public.a"}, dir + "/e.jsonl",
                    "  - name: kafka\n    type: kafka\n    brokers: 127.0.0.1:1\n");
  EXPECT_NE(RunTidemark({"check", "-c", cfg}, &out), 0) << out;
  EXPECT_NE(out.find("unreachable"), std::string::npos) << out;
}

TEST(PgKafka, KillNineAndRestartLosesNothingAndDuplicatesOnlyAfterTheCheckpoint) {
  TestDb db("it_kafka_kill");
  db.Exec("CREATE TABLE k (id int PRIMARY KEY, v int)");
  MockCluster cluster;
  const std::string topic = db.name() + ".public.k";
  cluster.CreateTopic(topic, 6);
  const std::string dir = TempDir("kafka_kill");
  const std::string cfg = WriteConfig(dir, db, {"public.k"}, dir + "/e.jsonl", KafkaSinkYaml(cluster));
  constexpr int kRows = 20000, kTxns = 40;
  Reader reader(cluster.bootstrap(), {topic});
  uint64_t checkpoint = 0;
  {
    Tidemark tm({"run", "-c", cfg});
    ASSERT_TRUE(Eventually([&] { return SlotActive(db); }, 30));
    for (int t = 0; t < kTxns / 2; ++t) {
      db.Exec(fmt::format("INSERT INTO k SELECT g, 0 FROM generate_series({}, {}) g", t * 500 + 1, t * 500 + 500));
    }
    // Kill while messages are flowing: some delivered, the checkpoint somewhere behind.
    ASSERT_TRUE(Eventually([&] { return reader.ReadUntil(kRows / 4, 0.1).size() >= kRows / 4; }, 60));
    tm.Kill9();
    CheckpointStore store(dir + "/data/checkpoints");
    auto cp = store.Load("kafka");
    ASSERT_TRUE(cp.ok()) << cp.status();
    if (cp->has_value()) checkpoint = (*cp)->offset();
  }
  for (int t = kTxns / 2; t < kTxns; ++t) {
    db.Exec(fmt::format("INSERT INTO k SELECT g, 0 FROM generate_series({}, {}) g", t * 500 + 1, t * 500 + 500));
  }
  Tidemark tm({"run", "-c", cfg});
  std::set<int> ids;
  size_t scanned = 0;
  ASSERT_TRUE(Eventually([&] {
    const auto& recs = reader.ReadUntil(SIZE_MAX, 0.2);
    for (; scanned < recs.size(); ++scanned) {
      auto v = nlohmann::json::parse(*recs[scanned].value);
      ids.insert(v["after"]["id"].get<int>());
    }
    return ids.size() == static_cast<size_t>(kRows);
  }, 60)) << "only " << ids.size() << " of " << kRows << " rows on Kafka";
  EXPECT_EQ(tm.Stop(), 0);
  std::map<uint64_t, int> copies;
  for (const Record& r : reader.records()) {
    const uint64_t off = std::stoull(r.headers.at("tidemark.offset"));
    EXPECT_EQ(nlohmann::json::parse(*r.value)["tidemark"]["offset"].get<uint64_t>(), off);
    ++copies[off];
  }
  size_t dups = 0;
  for (const auto& [off, n] : copies) {
    if (n > 1) {
      ++dups;
      EXPECT_GT(off, checkpoint) << "offset " << off << " duplicated although checkpointed";
    }
  }
  EXPECT_EQ(copies.size(), static_cast<size_t>(kRows));
  std::cerr << "checkpoint at kill: " << checkpoint << ", duplicated offsets: " << dups << "\n";
}

}  // namespace
}  // namespace tidemark::itest
