// The Sink interface (DESIGN.md §3). One applier thread owns one sink; a sink is
// not called from more than one thread.
#ifndef TIDEMARK_APPLY_SINK_H_
#define TIDEMARK_APPLY_SINK_H_

#include <cstdint>
#include <optional>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "offsets/journal_batch.h"
#include "tidemark/v1/journal.pb.h"

namespace tidemark {

class Sink {
 public:
  virtual ~Sink() = default;
  // The checkpoint this sink has durably applied: nullopt when it has applied
  // nothing yet. Database sinks read it from the target; others from the
  // pipeline's checkpoint store.
  virtual absl::StatusOr<std::optional<v1::Checkpoint>> LoadCheckpoint() = 0;
  // Entries in journal order, never an offset twice within one run. May buffer.
  // Must be idempotent for entries replayed after a crash.
  virtual absl::Status Write(const JournalBatch& batch) = 0;
  // Barrier: when it returns, everything written is durable and the returned
  // checkpoint (the newest offset written) is recorded.
  virtual absl::StatusOr<v1::Checkpoint> Flush() = 0;
  // For sinks whose writes become durable asynchronously (Kafka delivery reports):
  // records as the checkpoint what is durable already, without waiting, and returns
  // it (its offset may lag behind what was written), so writing goes on while
  // earlier writes complete. nullopt: not supported, the applier calls Flush().
  virtual absl::StatusOr<std::optional<v1::Checkpoint>> Progress() { return std::nullopt; }
  // False for a sink that never looks inside a change event (it counts entries and
  // checkpoints): its reader may hand it events with empty bodies and skip parsing
  // them (JournalReadOptions::event_bodies).
  virtual bool ReadsEventBodies() const { return true; }
};

}  // namespace tidemark

#endif  // TIDEMARK_APPLY_SINK_H_
