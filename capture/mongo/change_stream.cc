#include "capture/mongo/change_stream.h"

#include <fmt/format.h>

#include <mutex>

#include "capture/mongo/mongo_errors.h"
#include "common/status_macros.h"
#include "common/strings.h"

namespace tidemark::mongo {
namespace {

void InitOnce() {
  static std::once_flag once;
  std::call_once(once, [] { mongoc_init(); });
}

struct BsonHolder {
  bson_t b = BSON_INITIALIZER;
  ~BsonHolder() { bson_destroy(&b); }
};

void AppendStrings(bson_t* doc, const char* key, const std::vector<std::string>& values) {
  bson_t arr;
  bson_append_array_begin(doc, key, -1, &arr);
  for (size_t i = 0; i < values.size(); ++i) {
    std::string idx = std::to_string(i);
    bson_append_utf8(&arr, idx.c_str(), -1, values[i].c_str(), -1);
  }
  bson_append_array_end(doc, &arr);
}

// [{$match: ...}] for the include/exclude lists; empty pipeline when none.
void BuildPipeline(const WatchOptions& o, bool collection_level, bson_t* pipeline) {
  bson_t stages;
  bson_append_array_begin(pipeline, "pipeline", -1, &stages);
  if (!collection_level && (!o.collections.empty() || !o.exclude.empty())) {
    bson_t stage, match, and_arr;
    bson_append_document_begin(&stages, "0", -1, &stage);
    bson_append_document_begin(&stage, "$match", -1, &match);
    bson_append_array_begin(&match, "$and", -1, &and_arr);
    int n = 0;
    // With no database, entries are "db.coll": compare the concatenation via $or of pairs.
    auto ns_clause = [&](const std::string& entry, bson_t* into, const char* key) {
      bson_t c;
      bson_append_document_begin(into, key, -1, &c);
      if (o.database.empty()) {
        size_t dot = entry.find('.');
        bson_append_utf8(&c, "ns.db", -1, entry.substr(0, dot).c_str(), -1);
        if (dot != std::string::npos) {
          bson_append_utf8(&c, "ns.coll", -1, entry.substr(dot + 1).c_str(), -1);
        }
      } else {
        bson_append_utf8(&c, "ns.coll", -1, entry.c_str(), -1);
      }
      bson_append_document_end(into, &c);
    };
    if (!o.collections.empty()) {
      bson_t clause, or_arr;
      std::string idx = std::to_string(n++);
      bson_append_document_begin(&and_arr, idx.c_str(), -1, &clause);
      bson_append_array_begin(&clause, "$or", -1, &or_arr);
      int k = 0;
      for (const auto& c : o.collections) ns_clause(c, &or_arr, std::to_string(k++).c_str());
      bson_t ops, in;
      bson_append_document_begin(&or_arr, std::to_string(k++).c_str(), -1, &ops);
      bson_append_document_begin(&ops, "operationType", -1, &in);
      AppendStrings(&in, "$in", {"dropDatabase", "invalidate"});
      bson_append_document_end(&ops, &in);
      bson_append_document_end(&or_arr, &ops);
      bson_append_array_end(&clause, &or_arr);
      bson_append_document_end(&and_arr, &clause);
    }
    for (const auto& e : o.exclude) {
      bson_t clause, nor_arr;
      std::string idx = std::to_string(n++);
      bson_append_document_begin(&and_arr, idx.c_str(), -1, &clause);
      bson_append_array_begin(&clause, "$nor", -1, &nor_arr);
      ns_clause(e, &nor_arr, "0");
      bson_append_array_end(&clause, &nor_arr);
      bson_append_document_end(&and_arr, &clause);
    }
    bson_append_array_end(&match, &and_arr);
    bson_append_document_end(&stage, &match);
    bson_append_document_end(&stages, &stage);
  }
  bson_append_array_end(pipeline, &stages);
}

}  // namespace

absl::StatusOr<std::unique_ptr<MongoClient>> MongoClient::Connect(const std::string& uri,
                                                                  const std::string& password) {
  InitOnce();
  bson_error_t err;
  mongoc_uri_t* u = mongoc_uri_new_with_error(uri.c_str(), &err);
  if (u == nullptr) {
    return absl::InvalidArgumentError(
        fmt::format("source.uri is not a MongoDB connection string: {}", err.message));
  }
  if (!password.empty() && !mongoc_uri_set_password(u, password.c_str())) {
    mongoc_uri_destroy(u);
    return absl::InvalidArgumentError("source password is not valid UTF-8");
  }
  mongoc_client_t* c = mongoc_client_new_from_uri_with_error(u, &err);
  mongoc_uri_destroy(u);
  if (c == nullptr) return MongoStatus(err, "creating the client");
  mongoc_client_set_appname(c, "tidemark");
  mongoc_client_set_error_api(c, MONGOC_ERROR_API_VERSION_2);
  return std::unique_ptr<MongoClient>(new MongoClient(c));
}

MongoClient::~MongoClient() { mongoc_client_destroy(client_); }

absl::Status MongoClient::Command(const char* db, const bson_t& cmd, bson_t* reply,
                                  std::string_view what) {
  bson_error_t err;
  bson_t local;
  bson_t* r = reply != nullptr ? reply : &local;
  bool ok = mongoc_client_command_simple(client_, db, &cmd, nullptr, r, &err);
  if (reply == nullptr) bson_destroy(&local);
  if (!ok) return MongoStatus(err, what);
  return absl::OkStatus();
}

absl::StatusOr<std::pair<uint32_t, uint32_t>> MongoClient::OperationTime() {
  BsonHolder cmd, reply;
  BSON_APPEND_INT32(&cmd.b, "ping", 1);
  TM_RETURN_IF_ERROR(Command("admin", cmd.b, &reply.b, "ping for the operation time"));
  bson_iter_t it;
  if (!bson_iter_init_find(&it, &reply.b, "operationTime") || !BSON_ITER_HOLDS_TIMESTAMP(&it)) {
    return absl::FailedPreconditionError(
        "mongo: the server's ping reply has no operationTime; change streams need a replica set "
        "or a sharded cluster (start mongod with --replSet and run rs.initiate())");
  }
  uint32_t t = 0, i = 0;
  bson_iter_timestamp(&it, &t, &i);
  return std::make_pair(t, i);
}

absl::StatusOr<std::unique_ptr<ChangeStream>> ChangeStream::Open(MongoClient* client,
                                                                 const WatchOptions& o,
                                                                 const v1::MongoPosition& from) {
  const bool collection_level = !o.database.empty() && o.collections.size() == 1 && o.exclude.empty();
  BsonHolder pipeline, opts;
  BuildPipeline(o, collection_level, &pipeline.b);
  BSON_APPEND_UTF8(&opts.b, "fullDocument", o.pre_post_images ? "whenAvailable" : "updateLookup");
  if (o.pre_post_images) BSON_APPEND_UTF8(&opts.b, "fullDocumentBeforeChange", "whenAvailable");
  BSON_APPEND_INT64(&opts.b, "maxAwaitTimeMS", absl::ToInt64Milliseconds(o.max_await));
  if (!from.resume_token().empty()) {
    bson_t token;
    if (!bson_init_static(&token, reinterpret_cast<const uint8_t*>(from.resume_token().data()),
                          from.resume_token().size())) {
      return absl::DataLossError("mongo: the journal's resume token is not valid BSON");
    }
    BSON_APPEND_DOCUMENT(&opts.b, "startAfter", &token);
  } else if (from.cluster_time() != 0) {
    BSON_APPEND_TIMESTAMP(&opts.b, "startAtOperationTime",
                          static_cast<uint32_t>(from.cluster_time() >> 32),
                          static_cast<uint32_t>(from.cluster_time() & 0xFFFFFFFFu));
  }
  mongoc_change_stream_t* s = nullptr;
  std::string what;
  if (o.database.empty()) {
    s = mongoc_client_watch(client->raw(), &pipeline.b, &opts.b);
    what = "watching the deployment";
  } else if (collection_level) {
    mongoc_collection_t* coll = mongoc_client_get_collection(client->raw(), o.database.c_str(),
                                                             o.collections[0].c_str());
    s = mongoc_collection_watch(coll, &pipeline.b, &opts.b);
    mongoc_collection_destroy(coll);
    what = fmt::format("watching collection {}.{}", o.database, o.collections[0]);
  } else {
    mongoc_database_t* db = mongoc_client_get_database(client->raw(), o.database.c_str());
    s = mongoc_database_watch(db, &pipeline.b, &opts.b);
    mongoc_database_destroy(db);
    what = fmt::format("watching database {}", o.database);
  }
  std::unique_ptr<ChangeStream> cs(new ChangeStream(s));
  bson_error_t err;
  if (mongoc_change_stream_error_document(s, &err, nullptr)) return MongoStatus(err, what);
  return cs;
}

ChangeStream::~ChangeStream() { mongoc_change_stream_destroy(stream_); }

absl::StatusOr<std::optional<std::string>> ChangeStream::Next() {
  const bson_t* doc = nullptr;
  if (mongoc_change_stream_next(stream_, &doc)) {
    return std::string(reinterpret_cast<const char*>(bson_get_data(doc)), doc->len);
  }
  bson_error_t err;
  if (mongoc_change_stream_error_document(stream_, &err, nullptr)) {
    return MongoStatus(err, "reading the change stream");
  }
  return std::nullopt;
}

std::string ChangeStream::ResumeToken() const {
  const bson_t* t = mongoc_change_stream_get_resume_token(stream_);
  if (t == nullptr) return "";
  return std::string(reinterpret_cast<const char*>(bson_get_data(t)), t->len);
}

}  // namespace tidemark::mongo
