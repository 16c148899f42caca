#include "apply/file/null_sink.h"

#include "common/status_macros.h"

namespace tidemark {

NullSink::NullSink(std::string name, CheckpointStore* store)
    : checkpoint_(std::move(name), store) {}

absl::StatusOr<std::optional<v1::Checkpoint>> NullSink::LoadCheckpoint() {
  return checkpoint_.Load();
}

absl::Status NullSink::Write(const JournalBatch& batch) {
  TM_RETURN_IF_ERROR(checkpoint_.EnsureLoaded());
  for (size_t i = 0; i < batch.entries.size(); ++i) {
    const uint64_t offset = batch.first_offset + i;
    if (!checkpoint_.ShouldApply(offset)) continue;
    ++entries_;
    if (batch.entries[i].has_event()) ++events_;
    checkpoint_.Applied(offset, batch.entries[i]);
  }
  return absl::OkStatus();
}

absl::StatusOr<v1::Checkpoint> NullSink::Flush() { return checkpoint_.Save(); }

}  // namespace tidemark
