// Checkpoints of sinks that cannot keep them in their own target (file, Kafka):
// DATA_DIR/checkpoints/<sink>.pb holds the current checkpoint, written atomically
// (temp file, fsync, rename), and DATA_DIR/checkpoints/<sink>.history.pb the last
// N checkpoints (newest last) for `tidemark checkpoints` and rewind.
// Thread-safe; each sink's files are written only by its applier.
//
// History write policy: the current checkpoint is written on every Save, but
// rewriting the whole history file on every Save is too slow for a sink that
// checkpoints 100 times a second. So the history is kept in memory and written at
// most once per history interval (default 1 s) for routine saves (reason "apply"),
// and at once for any other reason (a rewind, a manual set): every rewind is on
// disk before Save returns. FlushHistory() and the destructor write what is
// pending. After a crash the on-disk history may miss up to one interval of
// routine "apply" checkpoints; the current checkpoint (<sink>.pb) is never behind.
// A leftover `*.tmp` from a crash mid-write is ignored (and overwritten later).
#ifndef TIDEMARK_OFFSETS_CHECKPOINT_STORE_H_
#define TIDEMARK_OFFSETS_CHECKPOINT_STORE_H_

#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "tidemark/v1/journal.pb.h"

namespace tidemark {

class CheckpointStore {
 public:
  // `dir` is created if missing. `history_limit` bounds each sink's history.
  explicit CheckpointStore(std::string dir, size_t history_limit = 1000);
  ~CheckpointStore();  // writes pending history (errors are logged)

  // The current checkpoint of `sink`; nullopt when it has none. kDataLoss when the
  // file does not parse.
  absl::StatusOr<std::optional<v1::Checkpoint>> Load(const std::string& sink) const;
  // Saves `cp` as current and appends it to the history (written to disk per the
  // policy above). kInvalidArgument for a sink name that is empty or not a plain
  // file name.
  absl::Status Save(const v1::Checkpoint& cp);
  // The history, oldest first, including entries not yet written to disk.
  absl::StatusOr<std::vector<v1::Checkpoint>> History(const std::string& sink) const;
  // Writes every sink's pending history now.
  absl::Status FlushHistory();

  // Minimum time between two history writes for reason "apply" (default 1 s).
  // Set before use; tests set zero (write always) or an infinite duration.
  void set_history_interval(absl::Duration d);

 private:
  struct SinkState {
    absl::Mutex mu;
    bool loaded ABSL_GUARDED_BY(mu) = false;      // history read from disk
    std::deque<v1::Checkpoint> history ABSL_GUARDED_BY(mu);
    bool pending ABSL_GUARDED_BY(mu) = false;     // history has entries not on disk
    absl::Time last_write ABSL_GUARDED_BY(mu) = absl::InfinitePast();
  };
  SinkState* State(const std::string& sink) const;
  std::string CurrentPath(const std::string& sink) const;
  std::string HistoryPath(const std::string& sink) const;
  absl::Status LoadHistoryLocked(const std::string& sink, SinkState* st) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(st->mu);
  absl::Status WriteHistoryLocked(const std::string& sink, SinkState* st) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(st->mu);

  std::string dir_;
  size_t history_limit_;
  mutable absl::Mutex mu_;
  absl::Duration history_interval_ ABSL_GUARDED_BY(mu_) = absl::Seconds(1);
  mutable std::map<std::string, std::unique_ptr<SinkState>> sinks_ ABSL_GUARDED_BY(mu_);
};

}  // namespace tidemark

#endif  // TIDEMARK_OFFSETS_CHECKPOINT_STORE_H_
