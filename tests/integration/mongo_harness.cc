#include "tests/integration/mongo_harness.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "tests/integration/harness.h"

namespace tidemark::itest {
namespace {

bson_t* FromJson(const std::string& json) {
  bson_error_t err;
  bson_t* b = bson_new_from_json(reinterpret_cast<const uint8_t*>(json.data()),
                                 static_cast<ssize_t>(json.size()), &err);
  EXPECT_NE(b, nullptr) << json << ": " << err.message;
  return b ? b : bson_new();
}

std::string ToJson(const bson_t* b) {
  char* s = bson_as_canonical_extended_json(b, nullptr);
  std::string out = s ? s : "";
  bson_free(s);
  return out;
}

}  // namespace

MongoServer::MongoServer(int history) {
  mongoc_init();
  const char* env = std::getenv("TIDEMARK_MONGO_URI");
  if (env != nullptr && *env != '\0') {
    real_ = true;
    uri_ = env;
  } else {
    std::string dir = TempDir(fmt::format("mongo-fake-{}", getpid()));
    std::string port_file = dir + "/port";
    std::string script = std::string(TIDEMARK_SOURCE_DIR) + "/tests/servers/mongo_fake/mongo_fake.py";
    std::string hist = std::to_string(history);
    std::string log = dir + "/fake.log";
    pid_ = fork();
    if (pid_ == 0) {
      FILE* f = freopen(log.c_str(), "w", stderr);
      (void)f;
      execl("/usr/bin/python3", "python3", script.c_str(), "--port", "0", "--port-file",
            port_file.c_str(), "--noop-ms", "200", "--history", hist.c_str(), "-v",
            static_cast<char*>(nullptr));
      _exit(127);
    }
    std::string port;
    bool up = Eventually([&] {
      std::ifstream in(port_file);
      return static_cast<bool>(std::getline(in, port)) && !port.empty();
    }, 20);
    EXPECT_TRUE(up) << "mongo_fake did not start; see " << log;
    uri_ = fmt::format("mongodb://127.0.0.1:{}/?replicaSet=rs0&serverSelectionTimeoutMS=3000", port);
  }
  bson_error_t err;
  client_ = mongoc_client_new_from_uri_with_error(mongoc_uri_new(uri_.c_str()), &err);
  EXPECT_NE(client_, nullptr) << err.message;
}

MongoServer::~MongoServer() {
  if (client_) mongoc_client_destroy(client_);
  if (pid_ > 0) {
    kill(pid_, SIGTERM);
    waitpid(pid_, nullptr, 0);
  }
}

std::string MongoServer::Command(const std::string& db, const std::string& json, bool may_fail) {
  bson_t* cmd = FromJson(json);
  bson_t reply;
  bson_error_t err;
  bool ok = mongoc_client_command_simple(client_, db.c_str(), cmd, nullptr, &reply, &err);
  if (!may_fail) EXPECT_TRUE(ok) << json << ": " << err.message;
  std::string out = ToJson(&reply);
  bson_destroy(&reply);
  bson_destroy(cmd);
  return out;
}

void MongoServer::Insert(const std::string& db, const std::string& coll, const std::string& json) {
  mongoc_collection_t* c = mongoc_client_get_collection(client_, db.c_str(), coll.c_str());
  bson_t* doc = FromJson(json);
  bson_error_t err;
  EXPECT_TRUE(mongoc_collection_insert_one(c, doc, nullptr, nullptr, &err)) << err.message;
  bson_destroy(doc);
  mongoc_collection_destroy(c);
}

void MongoServer::Update(const std::string& db, const std::string& coll, const std::string& filter,
                         const std::string& update) {
  mongoc_collection_t* c = mongoc_client_get_collection(client_, db.c_str(), coll.c_str());
  bson_t* f = FromJson(filter);
  bson_t* u = FromJson(update);
  bson_error_t err;
  bool ok2 = false;
  bson_iter_t it;
  if (bson_iter_init(&it, u) && bson_iter_next(&it) && bson_iter_key(&it)[0] == '$') {
    ok2 = mongoc_collection_update_one(c, f, u, nullptr, nullptr, &err);
  } else {
    ok2 = mongoc_collection_replace_one(c, f, u, nullptr, nullptr, &err);
  }
  EXPECT_TRUE(ok2) << err.message;
  bson_destroy(f);
  bson_destroy(u);
  mongoc_collection_destroy(c);
}

void MongoServer::Delete(const std::string& db, const std::string& coll, const std::string& filter) {
  mongoc_collection_t* c = mongoc_client_get_collection(client_, db.c_str(), coll.c_str());
  bson_t* f = FromJson(filter);
  bson_error_t err;
  EXPECT_TRUE(mongoc_collection_delete_one(c, f, nullptr, nullptr, &err)) << err.message;
  bson_destroy(f);
  mongoc_collection_destroy(c);
}

std::vector<std::string> MongoServer::Find(const std::string& db, const std::string& coll) {
  std::vector<std::string> out;
  mongoc_collection_t* c = mongoc_client_get_collection(client_, db.c_str(), coll.c_str());
  bson_t filter = BSON_INITIALIZER;
  mongoc_cursor_t* cursor = mongoc_collection_find_with_opts(c, &filter, nullptr, nullptr);
  const bson_t* doc = nullptr;
  while (mongoc_cursor_next(cursor, &doc)) {
    out.emplace_back(reinterpret_cast<const char*>(bson_get_data(doc)), doc->len);
  }
  bson_error_t err;
  EXPECT_FALSE(mongoc_cursor_error(cursor, &err)) << db << "." << coll << ": " << err.message;
  mongoc_cursor_destroy(cursor);
  bson_destroy(&filter);
  mongoc_collection_destroy(c);
  return out;
}

std::string BsonToJson(const std::string& bytes) {
  bson_t b;
  if (!bson_init_static(&b, reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size())) {
    return "<malformed BSON>";
  }
  return ToJson(&b);
}

void MongoServer::InsertInTransaction(
    const std::string& db, const std::vector<std::pair<std::string, std::string>>& coll_docs) {
  bson_error_t err;
  mongoc_client_session_t* session = mongoc_client_start_session(client_, nullptr, &err);
  ASSERT_NE(session, nullptr) << err.message;
  ASSERT_TRUE(mongoc_client_session_start_transaction(session, nullptr, &err)) << err.message;
  bson_t opts = BSON_INITIALIZER;
  ASSERT_TRUE(mongoc_client_session_append(session, &opts, &err)) << err.message;
  for (const auto& [coll, json] : coll_docs) {
    mongoc_collection_t* c = mongoc_client_get_collection(client_, db.c_str(), coll.c_str());
    bson_t* doc = FromJson(json);
    EXPECT_TRUE(mongoc_collection_insert_one(c, doc, &opts, nullptr, &err)) << err.message;
    bson_destroy(doc);
    mongoc_collection_destroy(c);
  }
  bson_t reply;
  EXPECT_TRUE(mongoc_client_session_commit_transaction(session, &reply, &err)) << err.message;
  bson_destroy(&reply);
  bson_destroy(&opts);
  mongoc_client_session_destroy(session);
}

std::string WriteMongoPipeline(const std::string& dir, const std::string& pipeline,
                               const std::string& uri, const std::string& source_extra,
                               const std::string& sinks_yaml) {
  std::string path = dir + "/pipeline.yaml";
  std::ofstream f(path);
  f << "pipeline: " << pipeline << "\n"
    << "data_dir: " << dir << "/data\n"
    << "source:\n  type: mongo\n  uri: \"" << uri << "\"\n"
    << source_extra << "sinks:\n"
    << sinks_yaml;
  return path;
}

std::string WriteMongoConfig(const std::string& dir, const std::string& uri,
                             const std::string& source_extra, const std::string& out) {
  return WriteMongoPipeline(dir, "mongo_itest", uri, source_extra,
                            "  - name: out\n    type: file\n    path: " + out + "\n");
}

}  // namespace tidemark::itest
