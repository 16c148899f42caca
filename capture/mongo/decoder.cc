#include "capture/mongo/decoder.h"

#include <fmt/format.h>

#include <utility>

#include "absl/strings/escaping.h"
#include "capture/mongo/bson_values.h"
#include "common/json_writer.h"
#include "common/status_macros.h"
#include "common/strings.h"
#include "schema/mongo_shape.h"

namespace tidemark::mongo {
namespace {

using mongo_shape::kDocumentColumn;
using mongo_shape::kUpdateColumn;

// Finds `key` in `doc`; false when absent.
bool Find(const bson_t& doc, const char* key, bson_iter_t* it) {
  return bson_iter_init_find(it, &doc, key);
}

absl::Status Missing(std::string_view field, std::string_view want, std::string_view op) {
  return absl::DataLossError(fmt::format(
      "change event ({}): field {} is missing or not {}", op.empty() ? "?" : op, field, want));
}

// An embedded document field as a bson_t view (valid while `doc` lives).
bool SubDocument(const bson_t& doc, const char* key, bson_t* sub) {
  bson_iter_t it;
  if (!Find(doc, key, &it) || !BSON_ITER_HOLDS_DOCUMENT(&it)) return false;
  uint32_t len = 0;
  const uint8_t* data = nullptr;
  bson_iter_document(&it, &len, &data);
  return bson_init_static(sub, data, len);
}

std::string Utf8Field(const bson_t& doc, const char* key, bool* ok) {
  bson_iter_t it;
  *ok = Find(doc, key, &it) && BSON_ITER_HOLDS_UTF8(&it);
  if (!*ok) return "";
  uint32_t len = 0;
  const char* s = bson_iter_utf8(&it, &len);
  return std::string(s, len);
}

std::string UuidText(std::string_view b) {
  std::string hex = absl::BytesToHexString(AV(b));
  if (b.size() != 16) return hex;
  return fmt::format("{}-{}-{}-{}-{}", hex.substr(0, 8), hex.substr(8, 4), hex.substr(12, 4),
                     hex.substr(16, 4), hex.substr(20));
}

// "<lsid.id>:<txnNumber>" or "" when the event is not part of a transaction.
absl::StatusOr<std::string> TransactionId(const bson_t& event) {
  bson_iter_t txn;
  bson_t lsid;
  const bool has_txn = Find(event, "txnNumber", &txn);
  const bool has_lsid = SubDocument(event, "lsid", &lsid);
  if (!has_txn && !has_lsid) return std::string();
  if (!has_txn || !has_lsid || !BSON_ITER_HOLDS_INT(&txn)) {
    return absl::DataLossError("change event has lsid without txnNumber (or the reverse)");
  }
  bson_iter_t id;
  if (!Find(lsid, "id", &id) || !BSON_ITER_HOLDS_BINARY(&id)) {
    return absl::DataLossError("change event lsid has no binary id");
  }
  bson_subtype_t st;
  uint32_t len = 0;
  const uint8_t* data = nullptr;
  bson_iter_binary(&id, &st, &len, &data);
  return fmt::format("{}:{}", UuidText({reinterpret_cast<const char*>(data), len}),
                     bson_iter_as_int64(&txn));
}

v1::Value Null() {
  v1::Value v;
  v.set_null_value(v1::NULL_VALUE);
  return v;
}

v1::TableSchema MakeSchema(const v1::TableId& table, const std::vector<std::string>& key_fields) {
  v1::TableSchema s;
  *s.mutable_table() = table;
  auto add = [&](const std::string& name, bool key) {
    v1::Column* c = s.add_columns();
    c->set_name(name);
    c->mutable_type()->set_kind(v1::TYPE_JSON);
    c->mutable_type()->set_source_type(mongo_shape::kSourceType);
    c->mutable_type()->set_type_modifier(-1);
    c->set_part_of_key(key);
    c->set_nullable(!key);
  };
  for (const auto& k : key_fields) {
    add(k, true);
    s.add_key_columns(k);
  }
  add(kDocumentColumn, false);
  add(kUpdateColumn, false);
  s.set_replica_identity(v1::REPLICA_IDENTITY_DEFAULT);
  return s;
}

// The ddl text of a namespace event.
std::string DdlText(std::string_view op, const bson_t& event) {
  std::string out = "{\"operationType\":";
  json::AppendTrustedString(&out, op);
  auto ns = [&](const char* key) {
    bson_t sub;
    if (!SubDocument(event, key, &sub)) return;
    bool ok = false;
    out += fmt::format(",\"{}\":{{\"db\":", key);
    std::string db = Utf8Field(sub, "db", &ok);
    json::AppendTrustedString(&out, db);
    std::string coll = Utf8Field(sub, "coll", &ok);
    if (ok) {
      out += ",\"coll\":";
      json::AppendTrustedString(&out, coll);
    }
    out += "}";
  };
  ns("ns");
  ns("to");
  out += "}";
  return out;
}

}  // namespace

absl::Status MongoDecoder::Decode(std::string_view bytes, std::vector<v1::JournalEntry>* out) {
  bson_t doc;
  if (!bson_init_static(&doc, reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size())) {
    return absl::DataLossError(fmt::format("change event: malformed BSON ({} bytes)", bytes.size()));
  }
  return Decode(doc, out);
}

absl::StatusOr<const MongoDecoder::Shape*> MongoDecoder::ShapeFor(
    const v1::TableId& table, const std::vector<std::string>& key_fields,
    std::vector<v1::JournalEntry>* out) {
  const std::string key = TableKey(table);
  auto it = shapes_.find(key);
  if (it != shapes_.end() && it->second.key_fields == key_fields) return &it->second;
  bool added = false;
  TM_ASSIGN_OR_RETURN(v1::TableSchema interned, schemas_->Intern(MakeSchema(table, key_fields), &added));
  if (added) *out->emplace_back().mutable_schema() = interned;
  Shape& shape = shapes_[key];
  shape.version = interned.version();
  shape.key_fields = key_fields;
  return &shape;
}

void MongoDecoder::EndTransaction(std::vector<v1::JournalEntry>* out) {
  if (!txn_open_) return;
  v1::TxnCommit* c = out->emplace_back().mutable_commit();
  c->set_transaction_id(txn_id_);
  c->set_commit_time_micros(txn_commit_micros_);
  c->set_event_count(txn_events_);
  *c->mutable_position() = txn_last_;
  txn_open_ = false;
}

absl::Status MongoDecoder::Decode(const bson_t& event, std::vector<v1::JournalEntry>* out) {
  bool ok = false;
  const std::string op = Utf8Field(event, "operationType", &ok);
  if (!ok) return Missing("operationType", "a string", "");

  // Position: the event's _id (its resume token) and clusterTime.
  bson_iter_t it;
  if (!Find(event, "_id", &it) || !BSON_ITER_HOLDS_DOCUMENT(&it)) {
    return Missing("_id (the resume token)", "a document", op);
  }
  v1::SourcePosition pos;
  {
    uint32_t len = 0;
    const uint8_t* data = nullptr;
    bson_iter_document(&it, &len, &data);
    pos.mutable_mongo()->set_resume_token(std::string(reinterpret_cast<const char*>(data), len));
  }
  if (!Find(event, "clusterTime", &it) || !BSON_ITER_HOLDS_TIMESTAMP(&it)) {
    return Missing("clusterTime", "a timestamp", op);
  }
  uint32_t ct_t = 0, ct_i = 0;
  bson_iter_timestamp(&it, &ct_t, &ct_i);
  pos.mutable_mongo()->set_cluster_time((static_cast<uint64_t>(ct_t) << 32) | ct_i);
  int64_t commit_micros = static_cast<int64_t>(ct_t) * 1'000'000;
  if (Find(event, "wallTime", &it) && BSON_ITER_HOLDS_DATE_TIME(&it)) {
    commit_micros = bson_iter_date_time(&it) * 1000;
  }
  TM_ASSIGN_OR_RETURN(std::string txn_id, TransactionId(event));

  std::vector<v1::JournalEntry> local;
  if (op == "invalidate") {
    EndTransaction(&local);
    v1::TxnBegin* b = local.emplace_back().mutable_begin();
    b->set_commit_time_micros(commit_micros);
    *b->mutable_position() = pos;
    v1::TxnCommit* c = local.emplace_back().mutable_commit();
    c->set_commit_time_micros(commit_micros);
    *c->mutable_position() = pos;
    invalidated_ = true;
    for (auto& e : local) out->push_back(std::move(e));
    return absl::OkStatus();
  }

  // Namespace.
  bson_t ns;
  if (!SubDocument(event, "ns", &ns)) return Missing("ns", "a document", op);
  v1::TableId table;
  table.set_database(Utf8Field(ns, "db", &ok));
  if (!ok) return Missing("ns.db", "a string", op);
  const bool is_ddl = op == "drop" || op == "rename" || op == "dropDatabase";
  table.set_table(Utf8Field(ns, "coll", &ok));
  if (!ok && op != "dropDatabase") return Missing("ns.coll", "a string", op);

  v1::ChangeEvent ev;
  if (is_ddl) {
    ev.set_op(v1::OP_DDL);
    ev.set_ddl(DdlText(op, event));
    if (op == "rename") {
      bson_t to;
      if (!SubDocument(event, "to", &to)) return Missing("to", "a document", op);
      ev.mutable_renamed_to()->set_database(Utf8Field(to, "db", &ok));
      if (!ok) return Missing("to.db", "a string", op);
      ev.mutable_renamed_to()->set_table(Utf8Field(to, "coll", &ok));
      if (!ok) return Missing("to.coll", "a string", op);
    }
    // The collection's newest shape, also when this process has not seen it yet
    // (sinks find the target table by it); 0 when tidemark never saw the collection.
    auto shape = shapes_.find(TableKey(table));
    if (shape != shapes_.end()) {
      ev.set_schema_version(shape->second.version);
    } else if (!table.table().empty()) {
      if (auto latest = schemas_->Latest(table)) ev.set_schema_version(latest->version());
    }
  } else {
    const bool insert = op == "insert", update = op == "update", replace = op == "replace",
               del = op == "delete";
    if (!insert && !update && !replace && !del) {
      return absl::FailedPreconditionError(fmt::format(
          "change event operationType '{}' on {} is not one tidemark decodes (insert, update, "
          "replace, delete, drop, rename, dropDatabase, invalidate)",
          op, TableKey(table)));
    }
    // Key: documentKey, _id first, then the shard key fields in server order.
    bson_t dk;
    if (!SubDocument(event, "documentKey", &dk)) return Missing("documentKey", "a document", op);
    std::vector<std::string> key_fields = {"_id"};
    std::vector<v1::Value> key_values(1);
    bool has_id = false;
    bson_iter_t kit;
    if (!bson_iter_init(&kit, &dk)) return Missing("documentKey", "valid BSON", op);
    while (bson_iter_next(&kit)) {
      std::string name(bson_iter_key(&kit), bson_iter_key_len(&kit));
      TM_ASSIGN_OR_RETURN(v1::Value v, BsonValueToValue(kit, "documentKey." + name));
      if (name == "_id") {
        key_values[0] = std::move(v);
        has_id = true;
      } else {
        key_fields.push_back(std::move(name));
        key_values.push_back(std::move(v));
      }
    }
    if (!has_id) return Missing("documentKey._id", "present", op);

    bool after_null = false;  // fullDocument present and null
    auto image = [&](const char* field, bool* present) -> absl::StatusOr<v1::Value> {
      bson_t sub;
      *present = false;
      if (!Find(event, field, &it)) return v1::Value();
      if (BSON_ITER_HOLDS_NULL(&it)) {
        if (std::string_view(field) == "fullDocument") after_null = true;
        return v1::Value();
      }
      if (!SubDocument(event, field, &sub)) return Missing(field, "a document or null", op);
      *present = true;
      return BsonDocumentToValue(sub, field);
    };
    bool has_after = false, has_before = false, has_upd = false;
    TM_ASSIGN_OR_RETURN(v1::Value after_doc, image("fullDocument", &has_after));
    TM_ASSIGN_OR_RETURN(v1::Value before_doc, image("fullDocumentBeforeChange", &has_before));
    v1::Value upd = Null();
    if (update) {
      TM_ASSIGN_OR_RETURN(upd, image("updateDescription", &has_upd));
      if (!has_upd) return Missing("updateDescription", "a document", op);
    }
    if ((insert || replace) && !has_after) return Missing("fullDocument", "a document", op);

    auto row = [&](v1::Value document, v1::Value update_description) {
      v1::Row r;
      for (const auto& k : key_values) *r.add_values() = k;
      *r.add_values() = std::move(document);
      *r.add_values() = std::move(update_description);
      return r;
    };
    ev.set_op(insert ? v1::OP_INSERT : del ? v1::OP_DELETE : v1::OP_UPDATE);
    if (!del) {
      v1::Value document = std::move(after_doc);
      if (!has_after && after_null && !post_images_) {
        document = Null();  // updateLookup found no document: gone by lookup time
      } else if (!has_after) {
        document.mutable_unchanged();  // the post-image is unknown here
      }
      *ev.mutable_after() = row(std::move(document), std::move(upd));
    }
    if (has_before) {
      *ev.mutable_before() = row(std::move(before_doc), Null());
    } else if (del) {
      *ev.mutable_before() = row(Null(), Null());
      ev.mutable_before()->set_key_only(true);
    }
    TM_ASSIGN_OR_RETURN(const Shape* shape, ShapeFor(table, key_fields, &local));
    ev.set_schema_version(shape->version);
  }
  *ev.mutable_table() = std::move(table);
  *ev.mutable_position() = pos;
  ev.set_commit_time_micros(commit_micros);
  ev.set_transaction_id(txn_id);

  // Transaction framing (nothing below fails).
  std::vector<v1::JournalEntry> framed;
  if (txn_open_ && (txn_id.empty() || txn_id != txn_id_)) EndTransaction(&framed);
  for (auto& e : local) framed.push_back(std::move(e));  // schema records
  if (!txn_open_) {
    v1::TxnBegin* b = framed.emplace_back().mutable_begin();
    b->set_transaction_id(txn_id);
    b->set_commit_time_micros(commit_micros);
    if (txn_id.empty()) *b->mutable_position() = pos;
    txn_open_ = true;
    txn_id_ = txn_id;
    txn_commit_micros_ = commit_micros;
    txn_events_ = 0;
  }
  ev.set_sequence(txn_events_++);
  txn_last_ = pos;
  *framed.emplace_back().mutable_event() = std::move(ev);
  if (txn_id.empty()) EndTransaction(&framed);
  for (auto& e : framed) out->push_back(std::move(e));
  return absl::OkStatus();
}

}  // namespace tidemark::mongo
