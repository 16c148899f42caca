// Change event documents → journal entries (capture/mongo/decoder.h), on hand-made BSON.
#include "capture/mongo/decoder.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <gtest/gtest.h>

#include <memory>

namespace tidemark::mongo {
namespace {

constexpr char kHead[] =
    R"("_id": {"_data": "TOKEN%d"}, "clusterTime": {"$timestamp": {"t": 1700000000, "i": %d}},
       "wallTime": {"$date": {"$numberLong": "1700000000123"}}, )";

std::string Event(int n, const std::string& rest) {
  char head[512];
  std::snprintf(head, sizeof(head), kHead, n, n);
  return "{" + std::string(head) + rest + "}";
}

class DecoderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    registry_ = *SchemaRegistry::Open("");
    decoder_ = std::make_unique<MongoDecoder>(registry_.get());
  }
  absl::Status Decode(const std::string& ejson, std::vector<v1::JournalEntry>* out) {
    bson_error_t err;
    bson_t* doc = bson_new_from_json(reinterpret_cast<const uint8_t*>(ejson.data()),
                                     static_cast<ssize_t>(ejson.size()), &err);
    EXPECT_NE(doc, nullptr) << err.message << "\n" << ejson;
    absl::Status s = decoder_->Decode(*doc, out);
    bson_destroy(doc);
    return s;
  }
  std::vector<v1::JournalEntry> Ok(const std::string& ejson) {
    std::vector<v1::JournalEntry> out;
    absl::Status s = Decode(ejson, &out);
    EXPECT_TRUE(s.ok()) << s;
    return out;
  }
  std::unique_ptr<SchemaRegistry> registry_;
  std::unique_ptr<MongoDecoder> decoder_;
};

const v1::ChangeEvent& OnlyEvent(const std::vector<v1::JournalEntry>& e) {
  for (const auto& x : e) {
    if (x.has_event()) return x.event();
  }
  static v1::ChangeEvent none;
  ADD_FAILURE() << "no event";
  return none;
}

TEST_F(DecoderTest, InsertIsATransactionOfOneWithSchemaFirst) {
  auto e = Ok(Event(1, R"("operationType": "insert", "ns": {"db": "shop", "coll": "orders"},
      "documentKey": {"_id": {"$oid": "65a1b2c3d4e5f60718293a4b"}},
      "fullDocument": {"_id": {"$oid": "65a1b2c3d4e5f60718293a4b"}, "n": {"$numberInt": "1"}})"));
  ASSERT_EQ(e.size(), 4u);
  ASSERT_TRUE(e[0].has_schema());
  const auto& schema = e[0].schema();
  EXPECT_EQ(schema.table().database(), "shop");
  EXPECT_EQ(schema.table().table(), "orders");
  ASSERT_EQ(schema.columns_size(), 3);
  EXPECT_EQ(schema.columns(0).name(), "_id");
  EXPECT_TRUE(schema.columns(0).part_of_key());
  EXPECT_EQ(schema.columns(1).name(), "document");
  EXPECT_EQ(schema.columns(2).name(), "update_description");
  EXPECT_EQ(schema.columns(1).type().kind(), v1::TYPE_JSON);
  ASSERT_TRUE(e[1].has_begin());
  const auto& ev = e[2].event();
  EXPECT_EQ(ev.op(), v1::OP_INSERT);
  EXPECT_FALSE(ev.has_before());
  ASSERT_EQ(ev.after().values_size(), 3);
  EXPECT_EQ(ev.after().values(0).object_id().size(), 12u);
  EXPECT_EQ(ev.after().values(1).document().fields(1).value().int_value(), 1);
  EXPECT_EQ(ev.after().values(2).kind_case(), v1::Value::kNullValue);
  EXPECT_EQ(ev.commit_time_micros(), 1700000000123000);
  EXPECT_EQ(ev.position().mongo().cluster_time(), (1700000000ULL << 32) | 1);
  EXPECT_FALSE(ev.position().mongo().resume_token().empty());
  EXPECT_EQ(ev.schema_version(), schema.version());
  ASSERT_TRUE(e[3].has_commit());
  EXPECT_EQ(e[3].commit().event_count(), 1u);
  EXPECT_EQ(e[3].commit().position().mongo().resume_token(), ev.position().mongo().resume_token());
  // Same shape again: no second schema record.
  auto again = Ok(Event(2, R"("operationType": "insert", "ns": {"db": "shop", "coll": "orders"},
      "documentKey": {"_id": 2}, "fullDocument": {"_id": 2})"));
  EXPECT_EQ(again.size(), 3u);
  EXPECT_FALSE(decoder_->in_transaction());
}

TEST_F(DecoderTest, UpdateReplaceDeleteImages) {
  auto upd = Ok(Event(1, R"("operationType": "update", "ns": {"db": "d", "coll": "c"},
      "documentKey": {"_id": 1}, "fullDocument": {"_id": 1, "a": 2},
      "fullDocumentBeforeChange": {"_id": 1, "a": 1},
      "updateDescription": {"updatedFields": {"a": 2}, "removedFields": ["b"],
                            "truncatedArrays": [{"field": "arr", "newSize": 1}]})"));
  const auto& u = OnlyEvent(upd);
  EXPECT_EQ(u.op(), v1::OP_UPDATE);
  EXPECT_EQ(u.before().values(1).document().fields(1).value().int_value(), 1);
  EXPECT_FALSE(u.before().key_only());
  EXPECT_EQ(u.after().values(1).document().fields(1).value().int_value(), 2);
  const auto& ud = u.after().values(2).document();
  ASSERT_EQ(ud.fields_size(), 3);
  EXPECT_EQ(ud.fields(0).name(), "updatedFields");
  EXPECT_EQ(ud.fields(1).value().array().elements(0).text_value(), "b");
  EXPECT_EQ(ud.fields(2).value().array().elements(0).document().fields(1).value().int_value(), 1);

  // updateLookup found no document: it was gone at lookup time, so the document is null.
  auto lost = Ok(Event(2, R"("operationType": "update", "ns": {"db": "d", "coll": "c"},
      "documentKey": {"_id": 1}, "fullDocument": null,
      "updateDescription": {"updatedFields": {}, "removedFields": []})"));
  const auto& l = OnlyEvent(lost);
  EXPECT_EQ(l.after().values(1).kind_case(), v1::Value::kNullValue);
  EXPECT_FALSE(l.has_before());

  auto rep = Ok(Event(3, R"("operationType": "replace", "ns": {"db": "d", "coll": "c"},
      "documentKey": {"_id": 1}, "fullDocument": {"_id": 1, "x": "y"})"));
  const auto& r = OnlyEvent(rep);
  EXPECT_EQ(r.op(), v1::OP_UPDATE);
  EXPECT_EQ(r.after().values(2).kind_case(), v1::Value::kNullValue);

  auto del = Ok(Event(4, R"("operationType": "delete", "ns": {"db": "d", "coll": "c"},
      "documentKey": {"_id": 1})"));
  const auto& d = OnlyEvent(del);
  EXPECT_EQ(d.op(), v1::OP_DELETE);
  EXPECT_FALSE(d.has_after());
  EXPECT_TRUE(d.before().key_only());
  EXPECT_EQ(d.before().values(0).int_value(), 1);

  auto del_pre = Ok(Event(5, R"("operationType": "delete", "ns": {"db": "d", "coll": "c"},
      "documentKey": {"_id": 1}, "fullDocumentBeforeChange": {"_id": 1, "x": "y"})"));
  EXPECT_FALSE(OnlyEvent(del_pre).before().key_only());
  EXPECT_EQ(OnlyEvent(del_pre).before().values(1).document().fields_size(), 2);
}

TEST_F(DecoderTest, MissingPostImageIsUnchangedNotNull) {
  MongoDecoder post(registry_.get(), /*post_images=*/true);
  for (const char* full : {R"("fullDocument": null, )", ""}) {
    std::string ejson = Event(1, std::string(R"("operationType": "update", "ns": {"db": "d", "coll": "c"},
        "documentKey": {"_id": 1}, )") + full +
        R"("updateDescription": {"updatedFields": {"a": 1}, "removedFields": []})");
    bson_error_t err;
    bson_t* doc = bson_new_from_json(reinterpret_cast<const uint8_t*>(ejson.data()),
                                     static_cast<ssize_t>(ejson.size()), &err);
    ASSERT_NE(doc, nullptr) << err.message;
    std::vector<v1::JournalEntry> out;
    ASSERT_TRUE(post.Decode(*doc, &out).ok());
    bson_destroy(doc);
    EXPECT_TRUE(OnlyEvent(out).after().values(1).has_unchanged()) << full;
  }
}

TEST_F(DecoderTest, ShardKeyFieldsAreKeyColumns) {
  auto e = Ok(Event(1, R"("operationType": "insert", "ns": {"db": "d", "coll": "s"},
      "documentKey": {"region": "eu", "_id": 7}, "fullDocument": {"_id": 7, "region": "eu"})"));
  ASSERT_TRUE(e[0].has_schema());
  const auto& s = e[0].schema();
  ASSERT_EQ(s.key_columns_size(), 2);
  EXPECT_EQ(s.key_columns(0), "_id");
  EXPECT_EQ(s.key_columns(1), "region");
  const auto& ev = OnlyEvent(e);
  EXPECT_EQ(ev.after().values(0).int_value(), 7);
  EXPECT_EQ(ev.after().values(1).text_value(), "eu");
}

TEST_F(DecoderTest, NamespaceEventsAreDdlAndInvalidateIsAnEmptyTransaction) {
  for (const auto& [op, extra, want] : std::vector<std::tuple<std::string, std::string, std::string>>{
           {"drop", R"("ns": {"db": "d", "coll": "c"})",
            R"({"operationType":"drop","ns":{"db":"d","coll":"c"}})"},
           {"rename", R"("ns": {"db": "d", "coll": "c"}, "to": {"db": "d", "coll": "c2"})",
            R"({"operationType":"rename","ns":{"db":"d","coll":"c"},"to":{"db":"d","coll":"c2"}})"},
           {"dropDatabase", R"("ns": {"db": "d"})",
            R"({"operationType":"dropDatabase","ns":{"db":"d"}})"}}) {
    auto e = Ok(Event(1, "\"operationType\": \"" + op + "\", " + extra));
    ASSERT_EQ(e.size(), 3u) << op;
    EXPECT_EQ(e[1].event().op(), v1::OP_DDL);
    EXPECT_EQ(e[1].event().ddl(), want);
    EXPECT_EQ(e[1].event().schema_version(), 0u) << "a collection tidemark never saw";
    EXPECT_EQ(e[1].event().has_renamed_to(), op == "rename");
    if (op == "rename") {
      EXPECT_EQ(TableKey(e[1].event().renamed_to()), "d.c2");
    }
  }
  // A collection known from the registry (e.g. by an earlier run) names its newest shape.
  Ok(Event(2, R"("operationType": "insert", "ns": {"db": "d", "coll": "k"},
      "documentKey": {"_id": 1}, "fullDocument": {"_id": 1})"));
  MongoDecoder fresh(registry_.get());
  std::vector<v1::JournalEntry> out;
  std::string ejson = Event(3, R"("operationType": "drop", "ns": {"db": "d", "coll": "k"})");
  bson_error_t err;
  bson_t* doc = bson_new_from_json(reinterpret_cast<const uint8_t*>(ejson.data()),
                                   static_cast<ssize_t>(ejson.size()), &err);
  ASSERT_NE(doc, nullptr) << err.message;
  ASSERT_TRUE(fresh.Decode(*doc, &out).ok());
  bson_destroy(doc);
  EXPECT_EQ(OnlyEvent(out).schema_version(), registry_->Latest(OnlyEvent(out).table())->version());
  EXPECT_GT(OnlyEvent(out).schema_version(), 0u);
  auto inv = Ok(Event(9, R"("operationType": "invalidate")"));
  ASSERT_EQ(inv.size(), 2u);
  EXPECT_TRUE(inv[0].has_begin());
  EXPECT_TRUE(inv[1].has_commit());
  EXPECT_EQ(inv[1].commit().event_count(), 0u);
  EXPECT_EQ(inv[1].commit().position().mongo().cluster_time(), (1700000000ULL << 32) | 9);
  EXPECT_TRUE(decoder_->invalidated());
}

TEST_F(DecoderTest, TransactionEventsFormOneTransaction) {
  const std::string txn = R"("lsid": {"id": {"$binary": {"base64": "EjRWeJq8TeGSNFZ4mrze8A==", "subType": "04"}},
      "uid": {"$binary": {"base64": "AA==", "subType": "00"}}}, "txnNumber": {"$numberLong": "3"}, )";
  std::vector<v1::JournalEntry> out;
  for (int i = 1; i <= 3; ++i) {
    ASSERT_TRUE(Decode(Event(i, txn + R"("operationType": "insert", "ns": {"db": "d", "coll": "c"},
        "documentKey": {"_id": )" + std::to_string(i) + R"(}, "fullDocument": {"_id": )" +
        std::to_string(i) + "}"), &out).ok());
  }
  EXPECT_TRUE(decoder_->in_transaction());
  // An event outside the transaction closes it.
  ASSERT_TRUE(Decode(Event(4, R"("operationType": "insert", "ns": {"db": "d", "coll": "c"},
      "documentKey": {"_id": 4}, "fullDocument": {"_id": 4})"), &out).ok());
  std::vector<std::string> kinds;
  for (const auto& e : out) {
    kinds.push_back(e.has_schema() ? "S" : e.has_begin() ? "B" : e.has_commit() ? "C" : "E");
  }
  EXPECT_EQ(fmt::format("{}", fmt::join(kinds, "")), "SBEEECBEC");
  EXPECT_EQ(out[2].event().transaction_id(), "12345678-9abc-4de1-9234-56789abcdef0:3");
  EXPECT_EQ(out[4].event().sequence(), 2u);
  EXPECT_EQ(out[5].commit().event_count(), 3u);
  EXPECT_EQ(out[5].commit().position().mongo().cluster_time(), (1700000000ULL << 32) | 3);
  // EndTransaction closes an open one (the server had nothing more).
  std::vector<v1::JournalEntry> more;
  ASSERT_TRUE(Decode(Event(5, txn + R"("operationType": "delete", "ns": {"db": "d", "coll": "c"},
      "documentKey": {"_id": 1})"), &more).ok());
  decoder_->EndTransaction(&more);
  ASSERT_EQ(more.size(), 3u);
  EXPECT_TRUE(more[2].has_commit());
  EXPECT_FALSE(decoder_->in_transaction());
}

TEST_F(DecoderTest, ErrorsNameTheFieldAndLeaveNoTrace) {
  std::vector<v1::JournalEntry> out;
  absl::Status s = Decode(Event(1, R"("operationType": "insert", "ns": {"db": "d", "coll": "c"},
      "fullDocument": {"_id": 1})"), &out);
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(s.message().find("documentKey"), absl::string_view::npos);
  s = Decode(Event(1, R"("operationType": "createIndexes", "ns": {"db": "d", "coll": "c"})"), &out);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(s.message().find("createIndexes"), absl::string_view::npos);
  s = Decode(Event(1, R"("operationType": "insert", "ns": {"db": "d", "coll": "c"},
      "documentKey": {"_id": 1}, "fullDocument": {"_id": 1, "u": {"$undefined": true}})"), &out);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(s.message().find("fullDocument.u"), absl::string_view::npos) << s;
  s = Decode(R"({"operationType": "insert"})", &out);
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss);
  EXPECT_TRUE(out.empty());
  EXPECT_FALSE(decoder_->in_transaction());
}

}  // namespace
}  // namespace tidemark::mongo
