// The file sink (DESIGN.md §1 Apply, §4 JSON form): JSON Lines, one envelope per
// change event (apply/format/json_envelope.h), appended to a file, or to standard
// output when the path is "-".
//
// What produces a line: every ChangeEvent except OP_DDL, and every LogicalMessage
// (op "m"). Schema records, transaction markers, heartbeats and watermarks produce
// none; a TxnCommit moves the checkpoint's source position.
//
// Durability and checkpoint: Write() formats into a large in-memory buffer and
// write(2)s it in big chunks; Flush() writes the rest, fsyncs (when `fsync` is
// set and the path is a regular file), and only then saves the checkpoint {sink,
// offset of the newest entry written, position of the newest commit, time,
// reason "apply"} in the CheckpointStore. At-least-once:
//   After a crash, lines written after the last checkpoint may be written again
//   when the sink replays from that checkpoint. A duplicate is byte-identical to
//   its first copy and carries the same "tidemark.offset"; offsets increase along
//   the file, so a consumer drops every line whose offset is <= the last offset it
//   has seen. A crash in the middle of a write(2) can leave a torn last line; on
//   open (and when the applier retries after a write error) the sink cuts the file
//   back to its last complete line before appending, so every line in the file is
//   a whole JSON document. (A torn line is always after the checkpoint, so no
//   checkpointed data is cut.)
//
// Opening: the parent directories are created; the file is opened in append mode
// (0644) and never truncated except for the torn tail above.
// Thread safety: none; one applier thread owns the sink (apply/sink.h).
#ifndef TIDEMARK_APPLY_FILE_FILE_SINK_H_
#define TIDEMARK_APPLY_FILE_FILE_SINK_H_

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "apply/file/checkpoint_tracker.h"
#include "apply/format/json_envelope.h"
#include "apply/sink.h"
#include "offsets/checkpoint_store.h"
#include "schema/registry.h"
#include "schema/schema_cache.h"

namespace tidemark {

class FileSink : public Sink {
 public:
  // Buffered bytes that trigger a write(2) during Write().
  static constexpr size_t kWriteChunkBytes = 4 << 20;

  // Opens (creating directories and the file as needed) `path`, or stdout for
  // "-". `registry` and `store` must outlive the sink; `store` may be null (the
  // checkpoint is then kept in memory only). Errors: the errno-derived code of
  // mkdir/open naming the path.
  static absl::StatusOr<std::unique_ptr<FileSink>> Open(std::string name, std::string path,
                                                        bool fsync, const SchemaRegistry* registry,
                                                        CheckpointStore* store,
                                                        EnvelopeContext ctx);
  ~FileSink() override;  // closes the file; unflushed lines are dropped (replayed next run)

  // The stored checkpoint. Also discards unflushed lines and repairs a torn tail
  // left by a failed write, so that the applier's replay from the checkpoint does
  // not write anything twice within one run.
  absl::StatusOr<std::optional<v1::Checkpoint>> LoadCheckpoint() override;
  // Formats the batch into the buffer (entries at or below the checkpoint are
  // skipped). Errors: kNotFound when an event's schema version is unknown;
  // kInvalidArgument for an event that cannot be printed (json_envelope.h); write
  // errors with their errno code. After an error, call LoadCheckpoint before
  // writing again.
  absl::Status Write(const JournalBatch& batch) override;
  // Writes the buffer, fsyncs, saves and returns the checkpoint.
  absl::StatusOr<v1::Checkpoint> Flush() override;

  // Bytes appended to the file by this sink object (for tests and metrics).
  uint64_t bytes_written() const { return bytes_written_; }

 private:
  FileSink(std::string name, std::string path, int fd, bool fsync, bool regular,
           const SchemaRegistry* registry, CheckpointStore* store, EnvelopeContext ctx);

  absl::Status WriteEntry(uint64_t offset, const v1::JournalEntry& entry);
  absl::Status WriteBuffer();

  std::string name_;
  std::string path_;
  int fd_;
  bool fsync_;
  bool regular_;  // a regular file: fsync and tail repair apply
  EnvelopeContext ctx_;
  CheckpointTracker checkpoint_;
  std::string buffer_;
  bool needs_repair_ = false;    // a write(2) failed: the tail may be torn
  int64_t txn_commit_micros_ = 0;  // of the open transaction (for messages)
  uint64_t bytes_written_ = 0;
  SchemaCache schemas_;  // this sink's schema records, else the registry
};

// Cuts the regular file open as `fd` back to just after its last '\n' (or to empty
// when it has none). Returns the number of bytes removed. `path` names the file in
// errors.
absl::StatusOr<uint64_t> CutTornTail(int fd, const std::string& path);

}  // namespace tidemark

#endif  // TIDEMARK_APPLY_FILE_FILE_SINK_H_
