// Checkpoints of sinks that cannot keep them in their own target (file, Kafka):
// DATA_DIR/checkpoints/<sink>.pb holds the current checkpoint, written atomically
// (temp file, fsync, rename), and DATA_DIR/checkpoints/<sink>.history.pb the last
// N checkpoints (newest last) for `tidemark checkpoints` and rewind.
// Thread-safe; each sink's files are written only by its applier.
#ifndef TIDEMARK_OFFSETS_CHECKPOINT_STORE_H_
#define TIDEMARK_OFFSETS_CHECKPOINT_STORE_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "tidemark/v1/journal.pb.h"

namespace tidemark {

class CheckpointStore {
 public:
  // `dir` is created if missing. `history_limit` bounds each sink's history.
  explicit CheckpointStore(std::string dir, size_t history_limit = 1000);

  // The current checkpoint of `sink`; nullopt when it has none.
  absl::StatusOr<std::optional<v1::Checkpoint>> Load(const std::string& sink) const;
  // Saves `cp` as current and appends it to the history (which is written at most
  // once per `history_every` saves, and always when cp.reason is not "apply").
  absl::Status Save(const v1::Checkpoint& cp);
  // The history, oldest first.
  absl::StatusOr<std::vector<v1::Checkpoint>> History(const std::string& sink) const;

 private:
  std::string dir_;
  size_t history_limit_;
};

}  // namespace tidemark

#endif  // TIDEMARK_OFFSETS_CHECKPOINT_STORE_H_
