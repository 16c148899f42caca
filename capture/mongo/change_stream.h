// A libmongoc change stream (layer 3 of DESIGN.md §2): the client, the watch level
// chosen from the config, resume options, and the cached resume token.
//
// Level: no database → mongoc_client_watch (whole deployment; `collections` are
// "db.coll"); a database and exactly one collection with no exclusions →
// mongoc_collection_watch; otherwise mongoc_database_watch. Include and exclude
// lists become a $match on ns after $changeStream (dropDatabase and invalidate
// always pass). libmongoc resumes by itself once after a resumable error (network
// error, ResumableChangeStreamError label); every other error ends the stream.
// Not thread-safe: owned by the capture thread.
#ifndef TIDEMARK_CAPTURE_MONGO_CHANGE_STREAM_H_
#define TIDEMARK_CAPTURE_MONGO_CHANGE_STREAM_H_

#include <mongoc/mongoc.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "tidemark/v1/position.pb.h"

namespace tidemark::mongo {

struct WatchOptions {
  std::string database;                  // empty: the whole deployment
  std::vector<std::string> collections;  // include list (empty: all)
  std::vector<std::string> exclude;      // exclude list
  bool pre_post_images = false;          // false: fullDocument updateLookup
  absl::Duration max_await = absl::Milliseconds(250);
};

// Owns a mongoc_client_t (mongoc_init is called once per process).
class MongoClient {
 public:
  // `password` (from source.password_env / password_file) replaces the URI's, when set.
  static absl::StatusOr<std::unique_ptr<MongoClient>> Connect(const std::string& uri,
                                                              const std::string& password = "");
  ~MongoClient();
  mongoc_client_t* raw() const { return client_; }
  // Runs `cmd` on `db`; the reply (also on error) goes to `reply` when non-null.
  absl::Status Command(const char* db, const bson_t& cmd, bson_t* reply, std::string_view what);
  // The server's operationTime now (from a ping reply).
  absl::StatusOr<std::pair<uint32_t, uint32_t>> OperationTime();

 private:
  explicit MongoClient(mongoc_client_t* c) : client_(c) {}
  mongoc_client_t* client_;
};

class ChangeStream {
 public:
  // Opens a stream resuming after `from`: startAfter its resume_token when set, else
  // startAtOperationTime its cluster_time when set, else the server's default (now).
  // Errors of the opening aggregate (e.g. history lost) are returned here.
  static absl::StatusOr<std::unique_ptr<ChangeStream>> Open(MongoClient* client,
                                                            const WatchOptions& options,
                                                            const v1::MongoPosition& from);
  ~ChangeStream();

  // The next event as raw BSON bytes, or nullopt when the server had nothing more
  // within max_await.
  absl::StatusOr<std::optional<std::string>> Next();

  // The cached resume token (postBatchResumeToken or the last event's _id) as raw
  // BSON bytes; empty when there is none yet.
  std::string ResumeToken() const;

 private:
  explicit ChangeStream(mongoc_change_stream_t* s) : stream_(s) {}
  mongoc_change_stream_t* stream_;
};

}  // namespace tidemark::mongo

#endif  // TIDEMARK_CAPTURE_MONGO_CHANGE_STREAM_H_
