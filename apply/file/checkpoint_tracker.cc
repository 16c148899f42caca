#include "apply/file/checkpoint_tracker.h"

#include "absl/time/clock.h"
#include "common/status_macros.h"

namespace tidemark {

CheckpointTracker::CheckpointTracker(std::string sink, CheckpointStore* store)
    : sink_(std::move(sink)), store_(store) {
  current_.set_sink(sink_);
}

absl::StatusOr<std::optional<v1::Checkpoint>> CheckpointTracker::Load() {
  std::optional<v1::Checkpoint> cp;
  if (store_ != nullptr) {
    TM_ASSIGN_OR_RETURN(cp, store_->Load(sink_));
  } else {
    cp = saved_;  // in-memory: the last saved state
  }
  current_ = cp.value_or(v1::Checkpoint());
  current_.set_sink(sink_);
  loaded_ = true;
  dirty_ = false;
  return cp;
}

absl::Status CheckpointTracker::EnsureLoaded() {
  if (loaded_) return absl::OkStatus();
  return Load().status();
}

bool CheckpointTracker::ShouldApply(uint64_t offset) const {
  return !current_.has_applied() || offset > current_.offset();
}

void CheckpointTracker::Applied(uint64_t offset, const v1::JournalEntry& entry) {
  const bool commit = entry.has_commit() && entry.commit().has_position();
  Applied(offset, commit ? &entry.commit().position() : nullptr);
}

void CheckpointTracker::Applied(uint64_t offset, const v1::SourcePosition* commit_position) {
  current_.set_offset(offset);
  current_.set_has_applied(true);
  if (commit_position != nullptr) *current_.mutable_position() = *commit_position;
  dirty_ = true;
}

absl::StatusOr<v1::Checkpoint> CheckpointTracker::Save() {
  TM_RETURN_IF_ERROR(EnsureLoaded());
  if (!dirty_) return current_;
  current_.set_time_micros(absl::ToUnixMicros(absl::Now()));
  current_.set_reason("apply");
  if (store_ != nullptr) {
    TM_RETURN_IF_ERROR(store_->Save(current_));
  } else {
    saved_ = current_;
  }
  dirty_ = false;
  return current_;
}

}  // namespace tidemark
