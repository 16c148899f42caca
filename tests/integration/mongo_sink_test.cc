// MongoDB → PostgreSQL and MariaDB through the database sinks as (_id, document)
// tables (apply/db/mongo_rows.h): tidemark (real libmongoc change-stream code)
// against tests/servers/mongo_fake (or TIDEMARK_MONGO_URI), real target servers.
//
// The check is independent of tidemark's code: the source's documents are read
// back with find, the target's `_id` and `document` texts are parsed by libbson,
// and both sides are printed by libbson as canonical Extended JSON and compared as
// JSON values (PostgreSQL jsonb orders keys its own way); MariaDB keeps the JSON
// text byte for byte, so there the parsed document must also be the source's BSON,
// byte for byte (field order and every type).
#include <bson/bson.h>
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <set>
#include <thread>

#include "common/libmariadb.h"
#include "tests/integration/harness.h"
#include "tests/integration/maria_harness.h"
#include "tests/integration/mongo_harness.h"

namespace tidemark::itest {
namespace {

struct Row {
  std::string id;        // the _id column's text
  std::string document;  // the document column's text
};

std::string Db(const std::string& base) { return base + "_" + std::to_string(getpid()); }

bool LogHas(const Tidemark& tm, const std::string& needle) {
  std::ifstream in(tm.log_path());
  std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return all.find(needle) != std::string::npos;
}

void WaitStreaming(const Tidemark& tm) {
  ASSERT_TRUE(Eventually([&] { return LogHas(tm, "mongo: change stream on"); }, 30))
      << "tidemark did not open the change stream; log: " << tm.log_path();
}

// --- the independent comparison (libbson + nlohmann only) -----------------------

std::optional<std::string> JsonToBson(const std::string& json, std::string* error) {
  bson_error_t err;
  bson_t* b = bson_new_from_json(reinterpret_cast<const uint8_t*>(json.data()),
                                 static_cast<ssize_t>(json.size()), &err);
  if (b == nullptr) {
    *error = fmt::format("libbson cannot parse {}: {}", json, err.message);
    return std::nullopt;
  }
  std::string bytes(reinterpret_cast<const char*>(bson_get_data(b)), b->len);
  bson_destroy(b);
  return bytes;
}

// `expected`: the source's documents (BSON). Returns "" when the target rows hold
// exactly them, else what differs.
std::string Diff(const std::vector<std::string>& expected, const std::vector<Row>& rows,
                 bool byte_exact) {
  std::map<std::string, std::string> want;  // canonical _id → BSON
  for (const std::string& bson : expected) {
    auto doc = nlohmann::json::parse(BsonToJson(bson));
    want[doc["_id"].dump()] = bson;
  }
  std::string diff;
  std::set<std::string> seen;
  for (const Row& r : rows) {
    std::string error;
    auto id_doc = JsonToBson("{\"_id\": " + r.id + "}", &error);
    auto doc = JsonToBson(r.document, &error);
    if (!id_doc || !doc) {
      diff += error + "\n";
      continue;
    }
    const nlohmann::json id = nlohmann::json::parse(BsonToJson(*id_doc))["_id"];
    const nlohmann::json got = nlohmann::json::parse(BsonToJson(*doc));
    seen.insert(id.dump());
    if (got["_id"] != id) diff += fmt::format("row _id {} holds document _id {}\n", r.id, got["_id"].dump());
    auto w = want.find(id.dump());
    if (w == want.end()) {
      diff += fmt::format("target has _id {} the source does not\n", r.id);
    } else if (nlohmann::json::parse(BsonToJson(w->second)) != got) {
      diff += fmt::format("_id {}: source {} target {}\n", r.id, BsonToJson(w->second), r.document);
    } else if (byte_exact && w->second != *doc) {
      diff += fmt::format("_id {}: not the same BSON (order or type): source {} target {}\n", r.id,
                          BsonToJson(w->second), r.document);
    }
  }
  for (const auto& [id, bson] : want) {
    if (!seen.count(id)) diff += fmt::format("target lacks _id {}\n", id);
  }
  return diff;
}

// --- targets ---------------------------------------------------------------------

class Target {
 public:
  virtual ~Target() = default;
  // The sink's lines under "sinks:" (named "db").
  virtual std::string SinkYaml() const = 0;
  // The rows of the table of `coll` (MongoDB database `mdb`); nullopt and *error
  // when the query fails (e.g. no table yet).
  virtual std::optional<std::vector<Row>> Rows(const std::string& mdb, const std::string& coll,
                                               std::string* error) = 0;
  // The sink's checkpoint offset ("" when none yet).
  virtual std::string Checkpoint(const std::string& pipeline) = 0;
  // Whether the document text is kept byte for byte (MariaDB's JSON is LONGTEXT).
  virtual bool text_exact() const = 0;

  // "" when the table of `coll` holds exactly the source's documents of db.coll.
  std::string Compare(MongoServer& server, const std::string& mdb, const std::string& coll) {
    std::string error;
    auto rows = Rows(mdb, coll, &error);
    if (!rows) return error;
    return Diff(server.Find(mdb, coll), *rows, text_exact());
  }
};

class PgTarget : public Target {
 public:
  explicit PgTarget(const std::string& name) : db_(name), conn_(db_.Connect()) {}
  std::string SinkYaml() const override {
    return fmt::format("  - name: db\n    type: postgres\n    dsn: \"{}\"\n    create_tables: true\n"
                       "    batch_ms: 20\n", db_.dsn());
  }
  std::optional<std::vector<Row>> Rows(const std::string& mdb, const std::string& coll,
                                       std::string* error) override {
    auto r = conn_->Exec(fmt::format("SELECT _id, document::text FROM \"{}\".\"{}\"", mdb, coll), "rows");
    if (!r.ok()) {
      *error = std::string(r.status().message());
      return std::nullopt;
    }
    std::vector<Row> out;
    for (int i = 0; i < PQntuples(r->get()); ++i) out.push_back({PgValue(*r, i, 0), PgValue(*r, i, 1)});
    return out;
  }
  std::string Checkpoint(const std::string& pipeline) override {
    auto r = conn_->Exec(fmt::format("SELECT journal_offset FROM tidemark.checkpoints WHERE sink = "
                                     "'{}.db'", pipeline), "checkpoint");
    return r.ok() && PQntuples(r->get()) == 1 ? PgValue(*r, 0, 0) : "";
  }
  bool text_exact() const override { return false; }
  TestDb& db() { return db_; }

 private:
  TestDb db_;
  std::unique_ptr<PgConn> conn_;
};

class MariaTarget : public Target {
 public:
  MariaTarget(const std::string& name, const std::string& pipeline) : db_(name), conn_(MariaConnect(name)) {
    // The checkpoint table is shared by every database on the server (it may not
    // exist yet).
    if (conn_) {
      (void)conn_->Exec(fmt::format("DELETE FROM tidemark.checkpoints WHERE sink = '{}.db'", pipeline),
                        "forget an earlier run's checkpoint");
    }
  }
  std::string SinkYaml() const override {
    return fmt::format("  - name: db\n    type: mysql\n    dsn: \"{}\"\n    create_tables: true\n"
                       "    batch_ms: 20\n", db_.dsn());
  }
  std::optional<std::vector<Row>> Rows(const std::string&, const std::string& coll,
                                       std::string* error) override {
    auto r = conn_->Query(fmt::format("SELECT `_id`, `document` FROM `{}`", coll), "rows");
    if (!r.ok()) {
      *error = std::string(r.status().message());
      return std::nullopt;
    }
    std::vector<Row> out;
    for (const MysqlRow& row : *r) out.push_back({row[0].value_or("NULL"), row[1].value_or("NULL")});
    return out;
  }
  std::string Checkpoint(const std::string& pipeline) override {
    auto r = conn_->Query(fmt::format("SELECT journal_offset FROM tidemark.checkpoints WHERE sink "
                                      "= '{}.db'", pipeline), "checkpoint");
    return r.ok() && !r->empty() ? (*r)[0][0].value_or("") : "";
  }
  bool text_exact() const override { return true; }

 private:
  MariaDb db_;
  std::unique_ptr<MysqlConn> conn_;
};

// Waits until every collection's table matches the source; fails with the difference.
void ExpectInStep(Target& target, MongoServer& server, const std::string& mdb,
                  const std::vector<std::string>& colls, const Tidemark& tm) {
  for (const std::string& coll : colls) {
    std::string diff;
    EXPECT_TRUE(Eventually([&] { return (diff = target.Compare(server, mdb, coll)).empty(); }, 60))
        << mdb << "." << coll << ":\n" << diff << "log: " << tm.log_path();
  }
}

// Every BSON type the test server keeps (it stores symbols as strings, so none here).
constexpr char kAllTypes[] = R"J({"_id": {"$oid": "65a1b2c3d4e5f60718293a4b"},
  "i32": {"$numberInt": "-2147483648"}, "i64": {"$numberLong": "9223372036854775807"},
  "i64small": {"$numberLong": "5"}, "dbl": {"$numberDouble": "0.1"},
  "dblint": {"$numberDouble": "3.0"}, "negzero": {"$numberDouble": "-0.0"},
  "big": {"$numberDouble": "1.7976931348623157E+308"}, "nan": {"$numberDouble": "NaN"},
  "inf": {"$numberDouble": "Infinity"}, "ninf": {"$numberDouble": "-Infinity"},
  "dec": {"$numberDecimal": "-12.3400"}, "decexp": {"$numberDecimal": "1.23E+5"},
  "decnan": {"$numberDecimal": "NaN"}, "b": true, "f": false,
  "date": {"$date": {"$numberLong": "1704164645500"}},
  "olddate": {"$date": {"$numberLong": "-2208988800001"}},
  "ts": {"$timestamp": {"t": 1700000000, "i": 7}},
  "bin": {"$binary": {"base64": "AAH+", "subType": "80"}},
  "raw": {"$binary": {"base64": "AAH+", "subType": "00"}},
  "uuid": {"$binary": {"base64": "AAECAwQFBgcICQoLDA0ODw==", "subType": "04"}},
  "olduuid": {"$binary": {"base64": "AAECAwQFBgcICQoLDA0ODw==", "subType": "03"}},
  "re": {"$regularExpression": {"pattern": "^a\"b.*", "options": "i"}},
  "code": {"$code": "function(){}"},
  "cws": {"$code": "f(x)", "$scope": {"x": {"$numberInt": "1"}}},
  "min": {"$minKey": 1}, "max": {"$maxKey": 1}, "nul": null,
  "nested": {"z": [{"$numberInt": "1"}, {"b": "c"}, [], {}], "a": {"$numberLong": "2"}},
  "s": "h\u00e9llo \u2713 \ud83c\udf89 tab\t quote\" back\\ '"})J";

// The other _id types: string, int32, int64, double, document, UUID, ObjectId.
const std::vector<std::string>& Ids() {
  static const std::vector<std::string> ids = {
      R"("k1")", R"({"$numberInt": "7"})", R"({"$numberLong": "8"})", R"({"$numberDouble": "9.5"})",
      R"({"a": {"$numberInt": "1"}, "b": "x"})",
      R"({"$binary": {"base64": "EjRWeJq8TeGSNFZ4mrze8A==", "subType": "04"}})",
      R"({"$oid": "65a1b2c3d4e5f60718293a4c"})"};
  return ids;
}

void EveryOperationAndType(Target& target, MongoServer& server, const std::string& mdb,
                           const std::string& pipeline) {
  const std::string dir = TempDir(pipeline);
  const std::string out = dir + "/events.jsonl";
  const std::string config = WriteMongoPipeline(
      dir, pipeline, server.uri(), "  database: " + mdb + "\n",
      target.SinkYaml() + "  - name: file\n    type: file\n    path: " + out + "\n");
  const std::vector<std::string> colls = {"things", "other", "ren", "ren2", "gone"};
  const std::string a = R"({"_id": {"$oid": "65a1b2c3d4e5f60718293a4b"}})";
  const std::string x = R"({"_id": {"$oid": "65a1b2c3d4e5f60718293a4c"}})";
  {
    Tidemark tm({"run", "-c", config});
    WaitStreaming(tm);
    server.Insert(mdb, "things", kAllTypes);
    for (size_t i = 0; i < Ids().size(); ++i) {
      server.Insert(mdb, "things", fmt::format(R"({{"_id": {}, "i": {{"$numberInt": "{}"}}}})", Ids()[i], i));
    }
    server.Update(mdb, "things", a, R"({"$set": {"s": "changed", "arr": [1, 2, 3]}, "$unset": {"nul": ""}})");
    server.Update(mdb, "things", a, R"({"$pop": {"arr": 1}})");
    server.Update(mdb, "things", R"({"_id": "k1"})",
                  R"({"replaced": {"$numberLong": "-1"}, "at": {"$date": {"$numberLong": "0"}}})");
    server.Delete(mdb, "things", R"({"_id": {"$numberInt": "7"}})");
    server.Insert(mdb, "ren", R"({"_id": 1, "r": "one"})");
    server.Insert(mdb, "ren", R"({"_id": 2, "r": "two"})");
    server.Insert(mdb, "gone", R"({"_id": 1})");
    server.Command("admin", fmt::format(R"({{"renameCollection": "{0}.ren", "to": "{0}.ren2"}})", mdb));
    server.Insert(mdb, "ren2", R"({"_id": 3, "r": "three"})");
    server.Command(mdb, R"({"drop": "gone"})");
    server.InsertInTransaction(mdb, {{"things", R"({"_id": "t1"})"}, {"other", R"({"_id": "t2"})"}});
    ExpectInStep(target, server, mdb, colls, tm);
    EXPECT_EQ(tm.Stop(), 0);
  }
  // While tidemark is down, x is updated and deleted: on restart the update's
  // updateLookup finds no document (null), and the row goes at once.
  server.Update(mdb, "things", x, R"({"$set": {"late": true}})");
  server.Delete(mdb, "things", x);
  Tidemark tm({"run", "-c", config});
  WaitStreaming(tm);
  ExpectInStep(target, server, mdb, {"things"}, tm);
  bool saw_lookup_miss = false;
  for (const auto& line : ReadJsonLines(out)) {
    if (line["op"] == "u" && line["after"]["_id"] == nlohmann::json::parse(R"({"$oid":"65a1b2c3d4e5f60718293a4c"})")) {
      saw_lookup_miss = line["after"]["document"].is_null();
    }
  }
  EXPECT_TRUE(saw_lookup_miss) << "the update of x should have come without its document; " << out;
  // dropDatabase: every collection is dropped first, so every table ends empty;
  // the stream (invalidated) reopens and goes on.
  server.Command(mdb, R"({"dropDatabase": 1})");
  server.Insert(mdb, "things", R"({"_id": "after"})");
  ExpectInStep(target, server, mdb, colls, tm);
  EXPECT_EQ(server.Find(mdb, "things").size(), 1u);
  EXPECT_EQ(tm.Stop(), 0);
}

TEST(MongoToPg, EveryOperationAndBsonTypeLandsExactly) {
  MongoServer server;
  PgTarget target("it_m2p_ops");
  EveryOperationAndType(target, server, Db("m2p_ops"), "m2p_ops");
}

TEST(MongoToMaria, EveryOperationAndBsonTypeLandsExactly) {
  MongoServer server;
  MariaTarget target("it_m2m_ops", "m2m_ops");
  EveryOperationAndType(target, server, Db("m2m_ops"), "m2m_ops");
}

// The documents of one multi-document transaction are one target transaction:
// every row it wrote has the same xmin.
TEST(MongoToPg, TransactionIsOneTargetTransaction) {
  MongoServer server;
  PgTarget target("it_m2p_txn");
  const std::string mdb = Db("m2p_txn"), pipeline = "m2p_txn";
  const std::string dir = TempDir(pipeline);
  Tidemark tm({"run", "-c", WriteMongoPipeline(dir, pipeline, server.uri(),
                                               "  database: " + mdb + "\n", target.SinkYaml())});
  WaitStreaming(tm);
  server.Insert(mdb, "a", R"({"_id": "before"})");
  server.Insert(mdb, "b", R"({"_id": "before"})");
  ExpectInStep(target, server, mdb, {"a", "b"}, tm);
  std::vector<std::pair<std::string, std::string>> txn;
  for (int i = 0; i < 20; ++i) {
    txn.emplace_back(i % 2 ? "a" : "b", fmt::format(R"({{"_id": "t{}", "n": {}}})", i, i));
  }
  server.InsertInTransaction(mdb, txn);
  server.Insert(mdb, "a", R"({"_id": "after"})");
  ExpectInStep(target, server, mdb, {"a", "b"}, tm);
  EXPECT_EQ(target.db().Value(fmt::format(
                "SELECT count(DISTINCT x::text) || '/' || count(*) FROM (SELECT xmin AS x FROM "
                "\"{0}\".a WHERE _id LIKE '\"t%' UNION ALL SELECT xmin FROM \"{0}\".b WHERE _id "
                "LIKE '\"t%') s", mdb)),
            "1/20");
  EXPECT_EQ(tm.Stop(), 0);
}

// kill -9 while a writer inserts, updates ($inc), replaces and deletes: after
// the restarts the tables hold exactly the source's documents.
void KillNineIsExactlyOnce(Target& target, MongoServer& server, const std::string& mdb,
                           const std::string& pipeline) {
  const std::string dir = TempDir(pipeline);
  const std::string config = WriteMongoPipeline(dir, pipeline, server.uri(),
                                                "  database: " + mdb + "\n", target.SinkYaml());
  {
    // A new pipeline starts at now: the writer starts once that point is recorded
    // (the start marker reached the journal and the sink's checkpoint).
    Tidemark first({"run", "-c", config});
    WaitStreaming(first);
    ASSERT_TRUE(Eventually([&] { return !target.Checkpoint(pipeline).empty(); }, 30))
        << first.log_path();
    first.Kill9();
  }
  std::atomic<bool> stop{false};
  std::thread writer([&] {
    mongoc_client_t* client = mongoc_client_new(server.uri().c_str());
    std::mt19937 rng(7);
    std::set<int> live;
    int next = 0;
    while (!stop) {
      const char* coll = rng() % 2 ? "c" : "d";
      mongoc_collection_t* c = mongoc_client_get_collection(client, mdb.c_str(), coll);
      bson_error_t err;
      const int op = static_cast<int>(rng() % 4);
      const int id = live.empty() ? -1 : *std::next(live.begin(), rng() % live.size());
      bson_t* sel = BCON_NEW("_id", BCON_INT32(id));
      bool ok = true;
      if (op == 0 || id < 0) {
        bson_t* doc = BCON_NEW("_id", BCON_INT32(next), "n", BCON_INT64(0), "c", BCON_UTF8(coll));
        ok = mongoc_collection_insert_one(c, doc, nullptr, nullptr, &err);
        bson_destroy(doc);
        if (ok) live.insert(next);  // ids are unique across both collections
        ++next;
      } else if (op == 1) {
        bson_t* upd = BCON_NEW("$inc", "{", "n", BCON_INT64(1), "}");
        ok = mongoc_collection_update_many(c, sel, upd, nullptr, nullptr, &err);
        bson_destroy(upd);
      } else if (op == 2) {
        bson_t* rep = BCON_NEW("replaced", BCON_DOUBLE(id + 0.5));
        ok = mongoc_collection_replace_one(c, sel, rep, nullptr, nullptr, &err);
        bson_destroy(rep);
      } else {
        ok = mongoc_collection_delete_many(c, sel, nullptr, nullptr, &err);
        live.erase(id);
      }
      EXPECT_TRUE(ok) << err.message;
      bson_destroy(sel);
      mongoc_collection_destroy(c);
    }
    mongoc_client_destroy(client);
  });
  std::mt19937 rng(11);
  std::string last;
  for (int kill = 0; kill < 5; ++kill) {
    Tidemark tm({"run", "-c", config});
    ASSERT_TRUE(Eventually([&] {
      std::string cp = target.Checkpoint(pipeline);
      if (cp.empty() || cp == last) return false;
      last = cp;
      return true;
    }, 60)) << "kill " << kill << ": no progress; log " << tm.log_path();
    std::this_thread::sleep_for(std::chrono::milliseconds(rng() % 300));  // fault timing, not a wait
    tm.Kill9();
  }
  stop = true;
  writer.join();
  Tidemark tm({"run", "-c", config});
  ExpectInStep(target, server, mdb, {"c", "d"}, tm);
  EXPECT_GT(server.Find(mdb, "c").size() + server.Find(mdb, "d").size(), 0u);
  EXPECT_EQ(tm.Stop(), 0);
}

TEST(MongoToPg, KillNineRestartsAreExactlyOnce) {
  MongoServer server;
  PgTarget target("it_m2p_kill");
  KillNineIsExactlyOnce(target, server, Db("m2p_kill"), "m2p_kill");
}

TEST(MongoToMaria, KillNineRestartsAreExactlyOnce) {
  MongoServer server;
  MariaTarget target("it_m2m_kill", "m2m_kill");
  KillNineIsExactlyOnce(target, server, Db("m2m_kill"), "m2m_kill");
}

// Post-images mode with a collection that records none: the update arrives
// without its document, and the sink stops with the fix instead of guessing.
TEST(MongoToPg, UpdateWithoutItsDocumentStopsTheSinkWithTheFix) {
  MongoServer server;
  PgTarget target("it_m2p_noimg");
  const std::string mdb = Db("m2p_noimg"), pipeline = "m2p_noimg";
  const std::string dir = TempDir(pipeline);
  Tidemark tm({"run", "-c", WriteMongoPipeline(dir, pipeline, server.uri(),
                                               "  database: " + mdb +
                                                   "\n  capture_mode: pre_post_images\n",
                                               target.SinkYaml())});
  WaitStreaming(tm);
  server.Insert(mdb, "plain", R"({"_id": 1, "v": 1})");
  ExpectInStep(target, server, mdb, {"plain"}, tm);
  server.Update(mdb, "plain", R"({"_id": 1})", R"({"$set": {"v": 2}})");
  EXPECT_TRUE(Eventually([&] { return LogHas(tm, "came without the document's new state"); }, 30))
      << tm.log_path();
  EXPECT_TRUE(LogHas(tm, "capture_mode: updateLookup")) << tm.log_path();
  EXPECT_TRUE(LogHas(tm, fmt::format("collection {}.plain", mdb))) << tm.log_path();
  tm.Stop();
  std::string error;
  auto rows = target.Rows(mdb, "plain", &error);
  ASSERT_TRUE(rows) << error;
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ(nlohmann::json::parse((*rows)[0].document)["v"], nlohmann::json::parse(R"({"$numberInt":"1"})"))
      << "the row keeps its last known document";
}

}  // namespace
}  // namespace tidemark::itest
