// MongoDB for integration tests: the wire-protocol test server
// (tests/servers/mongo_fake/mongo_fake.py, started per test on a free loopback
// port, stopped afterwards) or, when TIDEMARK_MONGO_URI is set, a real mongod
// replica set. A client for writes (libmongoc, normal commands) and failpoints.
#ifndef TIDEMARK_TESTS_INTEGRATION_MONGO_HARNESS_H_
#define TIDEMARK_TESTS_INTEGRATION_MONGO_HARNESS_H_

#include <mongoc/mongoc.h>
#include <sys/types.h>

#include <string>
#include <vector>

namespace tidemark::itest {

class MongoServer {
 public:
  // `history`: oplog entries the fake keeps (0: unbounded). Ignored for a real server.
  explicit MongoServer(int history = 0);
  ~MongoServer();
  bool real() const { return real_; }
  const std::string& uri() const { return uri_; }
  mongoc_client_t* client() const { return client_; }

  // Runs a command on `db` (JSON, relaxed Extended JSON); the test fails on error
  // unless `may_fail`. Returns the reply as canonical Extended JSON.
  std::string Command(const std::string& db, const std::string& json, bool may_fail = false);
  // Inserts one document given as canonical Extended JSON.
  void Insert(const std::string& db, const std::string& coll, const std::string& json);
  void Update(const std::string& db, const std::string& coll, const std::string& filter,
              const std::string& update);
  void Delete(const std::string& db, const std::string& coll, const std::string& filter);
  // The documents of db.coll as the server returns them (find, natural order), each
  // as its BSON bytes.
  std::vector<std::string> Find(const std::string& db, const std::string& coll);
  // Inserts every document in one multi-document transaction.
  void InsertInTransaction(const std::string& db, const std::vector<std::pair<std::string, std::string>>& coll_docs);

 private:
  bool real_ = false;
  pid_t pid_ = -1;
  std::string uri_;
  mongoc_client_t* client_ = nullptr;
};

// Writes DIR/pipeline.yaml: pipeline `pipeline`, a mongo source (`source_extra`
// lines added), then `sinks_yaml` verbatim under "sinks:". Returns the path.
std::string WriteMongoPipeline(const std::string& dir, const std::string& pipeline,
                               const std::string& uri, const std::string& source_extra,
                               const std::string& sinks_yaml);

// Canonical Extended JSON of a BSON document, printed by libbson.
std::string BsonToJson(const std::string& bson_bytes);

// Writes a pipeline config: mongo source, one file sink at `out`.
std::string WriteMongoConfig(const std::string& dir, const std::string& uri,
                             const std::string& source_extra, const std::string& out);

}  // namespace tidemark::itest

#endif  // TIDEMARK_TESTS_INTEGRATION_MONGO_HARNESS_H_
