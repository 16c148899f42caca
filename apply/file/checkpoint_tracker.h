// The checkpoint bookkeeping shared by the sinks that keep their checkpoint in the
// pipeline's CheckpointStore (file, null): which journal offset was applied last,
// the source position of the newest applied commit, and saving it on Flush.
// Not thread-safe: owned by the sink, used by its applier thread only.
#ifndef TIDEMARK_APPLY_FILE_CHECKPOINT_TRACKER_H_
#define TIDEMARK_APPLY_FILE_CHECKPOINT_TRACKER_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "offsets/checkpoint_store.h"
#include "tidemark/v1/journal.pb.h"

namespace tidemark {

class CheckpointTracker {
 public:
  // `store` may be null (in-memory checkpoints only); otherwise it must outlive
  // the tracker.
  CheckpointTracker(std::string sink, CheckpointStore* store);

  // Reads the stored checkpoint and makes it the current state, dropping anything
  // recorded since the last Save (the applier replays it).
  absl::StatusOr<std::optional<v1::Checkpoint>> Load();

  // Load() unless Load() ran already: sinks call it before their first Applied(),
  // so that a batch without a commit keeps the stored source position.
  absl::Status EnsureLoaded();

  // False for an offset at or below the applied checkpoint: a replayed entry the
  // sink has already made durable, which it skips (Sink::Write idempotence).
  bool ShouldApply(uint64_t offset) const;

  // Records (after EnsureLoaded) that `entry` at `offset` was handed to the target (not yet durable).
  // A TxnCommit moves the checkpoint's source position to its position.
  void Applied(uint64_t offset, const v1::JournalEntry& entry);
  // The same, from what Applied() reads of the entry: its offset and, for a
  // TxnCommit, its source position (else null).
  void Applied(uint64_t offset, const v1::SourcePosition* commit_position);

  // True when entries were applied since the last Save.
  bool dirty() const { return dirty_; }

  // Saves the current checkpoint {sink, offset, has_applied, position, now,
  // "apply"} to the store when dirty, and returns it (unchanged when not dirty).
  absl::StatusOr<v1::Checkpoint> Save();

 private:
  std::string sink_;
  CheckpointStore* store_;
  bool loaded_ = false;
  bool dirty_ = false;
  v1::Checkpoint current_;
  std::optional<v1::Checkpoint> saved_;  // the last Save, when there is no store
};

}  // namespace tidemark

#endif  // TIDEMARK_APPLY_FILE_CHECKPOINT_TRACKER_H_
