// MongoDB Source (layer 3 of DESIGN.md §2): a libmongoc change stream decoded by
// MongoDecoder into journal entries.
//
// Start(from):
//   - from.mongo.resume_token set → startAfter it (works after an invalidate too);
//   - else from.mongo.cluster_time set → startAtOperationTime;
//   - else (a new pipeline) → now: the server's operationTime + 1 increment, and the
//     first chunk carries an empty transaction at {cluster_time: that time} so a
//     restart before the first event resumes from the same instant, not a later now.
// Resume point while idle: the stream's cached token advances with
//   postBatchResumeToken when nothing visible happens. When it differs from the
//   position of the newest transaction emitted and `idle_commit_interval` has passed
//   since that one, Next emits an empty transaction (TxnBegin + TxnCommit,
//   event_count 0, no transaction id) at {resume_token: that token}. The journal's
//   newest TxnCommit (what cli/pipeline.cc resumes from) then moves with it, so a
//   quiet pipeline never falls out of the oplog window. Sinks write nothing for it.
// Invalidate (collection dropped/renamed, database dropped): the decoder emits an
//   empty transaction at the invalidate's token; Next reopens with startAfter it.
// Acknowledge: nothing to release on a MongoDB server (no slot); a no-op.
// Errors: see mongo_errors.h (history lost → kOutOfRange: snapshot needed; network →
//   kUnavailable after libmongoc's own single automatic resume).
// Not thread-safe: every method is called from the capture thread.
#ifndef TIDEMARK_CAPTURE_MONGO_MONGO_SOURCE_H_
#define TIDEMARK_CAPTURE_MONGO_MONGO_SOURCE_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "capture/mongo/change_stream.h"
#include "capture/mongo/decoder.h"
#include "capture/source.h"
#include "schema/registry.h"

namespace tidemark::mongo {

struct MongoSourceOptions {
  std::string uri;
  std::string password;  // replaces the URI's password when set
  WatchOptions watch;
  size_t chunk_events = 2048;
  absl::Duration idle_commit_interval = absl::Seconds(10);
};

class MongoSource : public Source {
 public:
  // `schemas` must outlive the source.
  MongoSource(MongoSourceOptions options, SchemaRegistry* schemas);
  ~MongoSource() override;

  absl::StatusOr<std::vector<Prerequisite>> Check() override;
  absl::Status Start(const v1::SourcePosition& from) override;
  absl::StatusOr<EventChunk> Next(absl::Duration max_wait) override;
  absl::Status Acknowledge(const v1::SourcePosition& pos) override;
  void Close() override;

 private:
  void EmitMarker(const v1::MongoPosition& pos, EventChunk* chunk);

  MongoSourceOptions options_;
  SchemaRegistry* schemas_;
  std::unique_ptr<MongoClient> client_;
  std::unique_ptr<ChangeStream> stream_;
  std::unique_ptr<MongoDecoder> decoder_;
  v1::MongoPosition last_;          // position of the newest transaction emitted
  bool pending_start_marker_ = false;
  absl::Time last_commit_ = absl::InfinitePast();
};

}  // namespace tidemark::mongo

#endif  // TIDEMARK_CAPTURE_MONGO_MONGO_SOURCE_H_
