// MongoDB change stream capture end to end: tidemark (real libmongoc change-stream
// code) against tests/servers/mongo_fake, or a real replica set when
// TIDEMARK_MONGO_URI is set, into the file sink.
#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <string>

#include "tests/integration/harness.h"
#include "tests/integration/mongo_harness.h"

namespace tidemark::itest {
namespace {

class Announce : public ::testing::Environment {
 public:
  void SetUp() override {
    const char* uri = std::getenv("TIDEMARK_MONGO_URI");
    if (uri == nullptr || *uri == '\0') {
      std::printf(
          "NOTE: TIDEMARK_MONGO_URI is not set: these tests ran against the MongoDB wire-protocol "
          "test server (tests/servers/mongo_fake), NOT a real mongod. Set it to a replica set URI "
          "to run them against MongoDB.\n");
    } else {
      std::printf("NOTE: running against the real MongoDB at TIDEMARK_MONGO_URI\n");
    }
  }
};
const auto* const kAnnounce = ::testing::AddGlobalTestEnvironment(new Announce);

bool LogHas(const Tidemark& tm, const std::string& needle) {
  std::ifstream in(tm.log_path());
  std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return all.find(needle) != std::string::npos;
}

void WaitStreaming(const Tidemark& tm) {
  ASSERT_TRUE(Eventually([&] { return LogHas(tm, "mongo: change stream on"); }, 30))
      << "tidemark did not open the change stream; log: " << tm.log_path();
}

size_t Lines(const std::string& path) { return ReadJsonLines(path).size(); }

// A fresh database name per test (a real server keeps data between runs).
std::string Db(const std::string& base) { return base + "_" + std::to_string(getpid()); }

constexpr char kAllTypes[] = R"({"_id": {"$oid": "65a1b2c3d4e5f60718293a4b"},
  "i32": {"$numberInt": "-2147483648"}, "i64": {"$numberLong": "9223372036854775807"},
  "dbl": {"$numberDouble": "0.1"}, "nan": {"$numberDouble": "NaN"},
  "ninf": {"$numberDouble": "-Infinity"}, "dec": {"$numberDecimal": "-12.3400"},
  "b": true, "date": {"$date": {"$numberLong": "1704164645500"}},
  "ts": {"$timestamp": {"t": 1700000000, "i": 7}},
  "bin": {"$binary": {"base64": "AAH+", "subType": "80"}},
  "raw": {"$binary": {"base64": "AAH+", "subType": "00"}},
  "re": {"$regularExpression": {"pattern": "^a.*", "options": "i"}},
  "code": {"$code": "function(){}"}, "min": {"$minKey": 1}, "max": {"$maxKey": 1},
  "nul": null, "nested": {"a": [{"$numberInt": "1"}, {"b": "c"}]}, "s": "h\u00e9llo"})";

TEST(MongoPipeline, EveryOperationAndBsonTypeRoundTrip) {
  MongoServer server;
  const std::string db = Db("rt");
  std::string dir = TempDir("mongo_roundtrip");
  std::string out = dir + "/events.jsonl";
  std::string config = WriteMongoConfig(dir, server.uri(), "  database: " + db + "\n", out);
  Tidemark tm({"run", "-c", config});
  WaitStreaming(tm);
  server.Insert(db, "things", kAllTypes);
  server.Update(db, "things", R"({"_id": {"$oid": "65a1b2c3d4e5f60718293a4b"}})",
                R"({"$set": {"s": "changed", "arr": [1, 2, 3]}, "$unset": {"nul": ""}})");
  server.Update(db, "things", R"({"_id": {"$oid": "65a1b2c3d4e5f60718293a4b"}})",
                R"({"$pop": {"arr": 1}})");
  server.Update(db, "things", R"({"_id": {"$oid": "65a1b2c3d4e5f60718293a4b"}})",
                R"({"v": {"$numberLong": "2"}})");
  // updateLookup reads the document when the event is read: let the updates be read
  // before the delete, or their fullDocument would (rightly) be missing.
  ASSERT_TRUE(Eventually([&] { return Lines(out) >= 4; }, 30)) << tm.log_path();
  server.Delete(db, "things", R"({"_id": {"$oid": "65a1b2c3d4e5f60718293a4b"}})");
  server.Insert(db, "other", R"({"_id": "k1"})");
  server.Command("admin", R"({"renameCollection": ")" + db + R"(.other", "to": ")" + db + R"(.other2"})");
  server.Insert(db, "other2", R"({"_id": {"$numberInt": "5"}})");
  server.Command(db, R"({"drop": "other2"})");
  server.Insert(db, "last", R"({"_id": "end"})");
  ASSERT_TRUE(Eventually([&] { return Lines(out) >= 8; }, 30)) << tm.log_path();
  EXPECT_EQ(tm.Stop(), 0);
  auto lines = ReadJsonLines(out);
  ASSERT_EQ(lines.size(), 8u);

  const auto& ins = lines[0];
  EXPECT_EQ(ins["op"], "c");
  EXPECT_EQ(ins["source"]["connector"], "mongodb");
  EXPECT_EQ(ins["source"]["db"], db);
  EXPECT_EQ(ins["source"]["collection"], "things");
  EXPECT_EQ(ins["before"], nullptr);
  EXPECT_EQ(ins["after"]["_id"].dump(), R"({"$oid":"65a1b2c3d4e5f60718293a4b"})");
  const auto& d = ins["after"]["document"];
  EXPECT_EQ(d["_id"].dump(), R"({"$oid":"65a1b2c3d4e5f60718293a4b"})");
  EXPECT_EQ(d["i32"].dump(), "-2147483648");
  EXPECT_EQ(d["i64"].dump(), "9223372036854775807");
  EXPECT_EQ(d["dbl"].dump(), "0.1");
  EXPECT_EQ(d["nan"], "NaN");
  EXPECT_EQ(d["ninf"], "-Infinity");
  EXPECT_EQ(d["dec"], "-12.3400");
  EXPECT_EQ(d["b"], true);
  EXPECT_EQ(d["date"], "2024-01-02T03:04:05.5Z");
  EXPECT_EQ(d["ts"].dump(), R"({"$timestamp":{"i":7,"t":1700000000}})");
  EXPECT_EQ(d["bin"].dump(), R"({"$binary":{"base64":"AAH+","subType":"80"}})");
  EXPECT_EQ(d["raw"], "AAH+");
  EXPECT_EQ(d["re"].dump(), R"({"$regularExpression":{"options":"i","pattern":"^a.*"}})");
  EXPECT_EQ(d["code"].dump(), R"({"$code":"function(){}"})");
  EXPECT_EQ(d["min"].dump(), R"({"$minKey":1})");
  EXPECT_EQ(d["max"].dump(), R"({"$maxKey":1})");
  EXPECT_EQ(d["nul"], nullptr);
  EXPECT_EQ(d["nested"].dump(), R"({"a":[1,{"b":"c"}]})");
  EXPECT_EQ(d["s"], "h\u00e9llo");
  EXPECT_EQ(ins["after"]["update_description"], nullptr);

  const auto& upd = lines[1];
  EXPECT_EQ(upd["op"], "u");
  EXPECT_EQ(upd["after"]["update_description"]["updatedFields"]["s"], "changed");
  EXPECT_EQ(upd["after"]["update_description"]["removedFields"].dump(), R"(["nul"])");
  EXPECT_TRUE(upd["after"]["document"].is_object()) << upd.dump();
  const auto& pop = lines[2];
  EXPECT_EQ(pop["after"]["update_description"]["truncatedArrays"].dump(),
            R"([{"field":"arr","newSize":2}])");
  const auto& rep = lines[3];
  EXPECT_EQ(rep["op"], "u");
  EXPECT_EQ(rep["after"]["update_description"], nullptr);
  EXPECT_EQ(rep["after"]["document"]["v"], 2);
  const auto& del = lines[4];
  EXPECT_EQ(del["op"], "d");
  EXPECT_EQ(del["after"], nullptr);
  EXPECT_EQ(del["before"].dump(), R"({"_id":{"$oid":"65a1b2c3d4e5f60718293a4b"}})");
  EXPECT_EQ(lines[5]["after"]["_id"], "k1");
  EXPECT_EQ(lines[6]["source"]["collection"], "other2");
  EXPECT_EQ(lines[6]["after"]["_id"], 5);
  EXPECT_EQ(lines[7]["after"]["_id"], "end") << "events after rename and drop keep flowing";
  std::set<uint64_t> offsets;
  for (const auto& l : lines) offsets.insert(l["tidemark"]["offset"].get<uint64_t>());
  EXPECT_EQ(offsets.size(), lines.size());
}

TEST(MongoPipeline, TransactionEventsShareOneTransaction) {
  MongoServer server;
  const std::string db = Db("txn");
  std::string dir = TempDir("mongo_txn");
  std::string out = dir + "/events.jsonl";
  std::string config = WriteMongoConfig(dir, server.uri(), "  database: " + db + "\n", out);
  Tidemark tm({"run", "-c", config});
  WaitStreaming(tm);
  server.Insert(db, "a", R"({"_id": 0})");
  server.InsertInTransaction(db, {{"a", R"({"_id": 1})"}, {"b", R"({"_id": 2})"}, {"a", R"({"_id": 3})"}});
  server.Insert(db, "a", R"({"_id": 4})");
  ASSERT_TRUE(Eventually([&] { return Lines(out) >= 5; }, 30)) << tm.log_path();
  EXPECT_EQ(tm.Stop(), 0);
  auto lines = ReadJsonLines(out);
  ASSERT_EQ(lines.size(), 5u);
  EXPECT_EQ(lines[0]["source"]["txId"], nullptr);
  const auto txid = lines[1]["source"]["txId"];
  ASSERT_TRUE(txid.is_string()) << lines[1].dump();
  EXPECT_NE(txid.get<std::string>().find(':'), std::string::npos);
  for (int i = 1; i <= 3; ++i) {
    EXPECT_EQ(lines[i]["source"]["txId"], txid);
    EXPECT_EQ(lines[i]["tidemark"]["seq"], i - 1);
    EXPECT_EQ(lines[i]["after"]["_id"], i);
  }
  EXPECT_EQ(lines[2]["source"]["collection"], "b");
  EXPECT_EQ(lines[4]["source"]["txId"], nullptr);
  EXPECT_EQ(lines[4]["tidemark"]["seq"], 0);
}

TEST(MongoPipeline, KillNineThenResumeLosesNothing) {
  MongoServer server;
  const std::string db = Db("kill9");
  std::string dir = TempDir("mongo_kill9");
  std::string out = dir + "/events.jsonl";
  std::string config = WriteMongoConfig(dir, server.uri(),
                                        "  database: " + db + "\n  collections: [c]\n", out);
  {
    Tidemark tm({"run", "-c", config});
    WaitStreaming(tm);
    for (int i = 0; i < 50; ++i) server.Insert(db, "c", "{\"_id\": " + std::to_string(i) + "}");
    ASSERT_TRUE(Eventually([&] { return Lines(out) >= 20; }, 30));
    tm.Kill9();
  }
  for (int i = 50; i < 100; ++i) server.Insert(db, "c", "{\"_id\": " + std::to_string(i) + "}");
  std::set<int> ids;
  Tidemark tm({"run", "-c", config});
  ASSERT_TRUE(Eventually([&] {
    ids.clear();
    for (const auto& l : ReadJsonLines(out)) ids.insert(l["after"]["_id"].get<int>());
    return ids.size() >= 100;
  }, 30)) << "have " << ids.size() << "; log " << tm.log_path();
  EXPECT_EQ(tm.Stop(), 0);
  EXPECT_EQ(*ids.begin(), 0);
  EXPECT_EQ(*ids.rbegin(), 99);
}

void ResumesThrough(const std::string& name, const std::string& failpoint_data) {
  MongoServer server;
  const std::string db = Db(name);
  std::string dir = TempDir("mongo_" + name);
  std::string out = dir + "/events.jsonl";
  std::string config = WriteMongoConfig(dir, server.uri(), "  database: " + db + "\n", out);
  Tidemark tm({"run", "-c", config});
  WaitStreaming(tm);
  server.Insert(db, "c", R"({"_id": 1})");
  ASSERT_TRUE(Eventually([&] { return Lines(out) >= 1; }, 30));
  server.Command("admin", R"({"configureFailPoint": "failCommand", "mode": {"times": 1}, "data": )" +
                              failpoint_data + "}");
  server.Insert(db, "c", R"({"_id": 2})");
  server.Insert(db, "c", R"({"_id": 3})");
  ASSERT_TRUE(Eventually([&] { return Lines(out) >= 3; }, 30)) << tm.log_path();
  EXPECT_TRUE(tm.Running());
  EXPECT_FALSE(LogHas(tm, "restarting from the journal"))
      << "libmongoc should resume by itself, without a pipeline restart";
  EXPECT_EQ(tm.Stop(), 0);
  auto lines = ReadJsonLines(out);
  ASSERT_EQ(lines.size(), 3u);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(lines[i]["after"]["_id"], i + 1);
}

TEST(MongoPipeline, ResumesAfterResumableError) {
  ResumesThrough("resumable", R"({"failCommands": ["getMore"], "errorCode": 6,
      "errorLabels": ["ResumableChangeStreamError"]})");
}

TEST(MongoPipeline, ResumesAfterDroppedConnection) {
  ResumesThrough("dropped", R"({"failCommands": ["getMore"], "closeConnection": true})");
}

TEST(MongoPipeline, HistoryLostSaysSnapshotNeeded) {
  MongoServer server(/*history=*/10);
  if (server.real()) GTEST_SKIP() << "needs the test server's bounded history (not counted as a pass)";
  const std::string db = Db("lost");
  std::string dir = TempDir("mongo_lost");
  std::string out = dir + "/events.jsonl";
  std::string config = WriteMongoConfig(
      dir, server.uri(), "  database: " + db + "\n  idle_commit_ms: 3600000\n", out);
  {
    Tidemark tm({"run", "-c", config});
    WaitStreaming(tm);
    server.Insert(db, "c", R"({"_id": 1})");
    ASSERT_TRUE(Eventually([&] { return Lines(out) >= 1; }, 30));
    EXPECT_EQ(tm.Stop(), 0);
  }
  for (int i = 2; i < 30; ++i) server.Insert(db, "c", "{\"_id\": " + std::to_string(i) + "}");
  std::string output;
  int rc = RunTidemark({"run", "-c", config}, &output);
  EXPECT_NE(rc, 0);
  EXPECT_NE(output.find("snapshot is needed"), std::string::npos) << output;
  EXPECT_NE(output.find("ChangeStreamHistoryLost"), std::string::npos) << output;
}

TEST(MongoPipeline, IdlePipelineAdvancesItsTokenAndOutlivesTheOplogWindow) {
  MongoServer server(/*history=*/10);
  if (server.real()) GTEST_SKIP() << "needs the test server's bounded history (not counted as a pass)";
  const std::string db = Db("idle");
  std::string dir = TempDir("mongo_idle");
  std::string out = dir + "/events.jsonl";
  std::string config =
      WriteMongoConfig(dir, server.uri(), "  database: " + db + "\n  idle_commit_ms: 200\n", out);
  auto stat = [&](const char* key) {
    std::string s = server.Command("admin", R"({"fakeStats": 1})");
    auto j = nlohmann::json::parse(s);
    return std::stoll(j[key]["$numberLong"].get<std::string>());
  };
  {
    Tidemark tm({"run", "-c", config});
    WaitStreaming(tm);
    server.Insert(db, "c", R"({"_id": 1})");
    ASSERT_TRUE(Eventually([&] { return Lines(out) >= 1; }, 30));
    // Nothing visible happens while the oplog rolls over completely (the fake's
    // periodic no-ops); the pipeline's resume point must move with it.
    const long long seq = stat("seq");
    ASSERT_TRUE(Eventually([&] { return stat("oldestSeq") > seq + 5; }, 30));
    EXPECT_EQ(tm.Stop(), 0);
  }
  Tidemark tm({"run", "-c", config});
  WaitStreaming(tm);
  server.Insert(db, "c", R"({"_id": 2})");
  ASSERT_TRUE(Eventually([&] { return Lines(out) >= 2; }, 30)) << tm.log_path();
  EXPECT_TRUE(tm.Running());
  EXPECT_EQ(tm.Stop(), 0);
  auto lines = ReadJsonLines(out);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[1]["after"]["_id"], 2);
}

TEST(MongoCheck, ReplicaSetPassesAndPreImagesAreChecked) {
  MongoServer server;
  const std::string db = Db("chk");
  server.Command(db, R"({"create": "plain"})");
  server.Command(db, R"({"create": "imaged", "changeStreamPreAndPostImages": {"enabled": true}})");
  std::string dir = TempDir("mongo_check");
  std::string ok_config =
      WriteMongoConfig(dir, server.uri(), "  database: " + db + "\n", dir + "/out.jsonl");
  std::string output;
  EXPECT_EQ(RunTidemark({"check", "-c", ok_config}, &output), 0) << output;
  std::string dir2 = TempDir("mongo_check2");
  std::string pre_config = WriteMongoConfig(
      dir2, server.uri(), "  database: " + db + "\n  capture_mode: pre_post_images\n",
      dir2 + "/out.jsonl");
  EXPECT_EQ(RunTidemark({"check", "-c", pre_config}, &output), 1) << output;
  EXPECT_NE(output.find(db + ".plain does not record pre- and post-images"), std::string::npos)
      << output;
  EXPECT_EQ(output.find(db + ".imaged does not"), std::string::npos) << output;
  EXPECT_NE(output.find("changeStreamPreAndPostImages: {enabled: true}"), std::string::npos);
}

}  // namespace
}  // namespace tidemark::itest
