// The null sink: discards every entry but keeps a real checkpoint in the
// CheckpointStore, so that a pipeline with only a null sink behaves like any other
// (retention, restart, `tidemark checkpoints`). For benchmarks of capture and the
// journal without a target's cost.
// Thread safety: none; one applier thread owns the sink (apply/sink.h).
#ifndef TIDEMARK_APPLY_FILE_NULL_SINK_H_
#define TIDEMARK_APPLY_FILE_NULL_SINK_H_

#include <cstdint>
#include <optional>
#include <string>

#include "apply/file/checkpoint_tracker.h"
#include "apply/sink.h"
#include "offsets/checkpoint_store.h"

namespace tidemark {

class NullSink : public Sink {
 public:
  // `store` may be null (checkpoint in memory only); otherwise it must outlive the sink.
  NullSink(std::string name, CheckpointStore* store);

  absl::StatusOr<std::optional<v1::Checkpoint>> LoadCheckpoint() override;
  // Counts the entries (change events separately) and records the newest offset
  // and commit position; entries at or below the checkpoint are skipped.
  absl::Status Write(const JournalBatch& batch) override;
  // Saves the checkpoint when anything was written since the last Flush.
  absl::StatusOr<v1::Checkpoint> Flush() override;
  // It counts events and checkpoints: their bodies need not be parsed.
  bool ReadsEventBodies() const override { return false; }

  uint64_t entries() const { return entries_; }
  uint64_t events() const { return events_; }

 private:
  CheckpointTracker checkpoint_;
  uint64_t entries_ = 0;
  uint64_t events_ = 0;
};

}  // namespace tidemark

#endif  // TIDEMARK_APPLY_FILE_NULL_SINK_H_
