// The Source interface (DESIGN.md §3): one per pipeline, driven by one capture
// thread. Implementations are not thread-safe; every method is called from the
// capture thread only.
#ifndef TIDEMARK_CAPTURE_SOURCE_H_
#define TIDEMARK_CAPTURE_SOURCE_H_

#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "tidemark/v1/journal.pb.h"
#include "tidemark/v1/position.pb.h"
#include "tidemark/v1/schema.pb.h"

namespace tidemark {

// A bounded run of journal entries in commit order: schema records ahead of the
// events that use them, TxnBegin/TxnCommit around each transaction's events. A
// transaction may span several chunks; a chunk may hold several transactions.
struct EventChunk {
  std::vector<v1::JournalEntry> entries;
};

// One problem found by Check(), with the fix a user should apply.
struct Prerequisite {
  std::string problem;
  std::string fix;
};

class Source {
 public:
  virtual ~Source() = default;
  // Checks every prerequisite and returns all problems found (empty: ready).
  // A non-OK status means the check itself could not run (server unreachable).
  virtual absl::StatusOr<std::vector<Prerequisite>> Check() = 0;
  // The configured tables' current schemas as capture would report them, read from
  // the source's catalog, for `tidemark check` of database sinks. Tables that do not
  // exist are left out (Check() reports them). Default: nothing to describe.
  virtual absl::StatusOr<std::vector<v1::TableSchema>> DescribeTables() {
    return std::vector<v1::TableSchema>{};
  }
  // Connects and starts or resumes streaming after `from` (empty: where the slot is).
  virtual absl::Status Start(const v1::SourcePosition& from) = 0;
  // The next chunk, waiting up to `max_wait`; an empty chunk on timeout. Also
  // sends due keepalive replies and status updates.
  virtual absl::StatusOr<EventChunk> Next(absl::Duration max_wait) = 0;
  // Everything up to and including the commit at `pos` is durable in the journal.
  // The source may release it (sent with the next status update).
  virtual absl::Status Acknowledge(const v1::SourcePosition& pos) = 0;
  // Sends a final acknowledgement where the protocol has one, then closes
  // connections. Safe to call more than once.
  virtual void Close() = 0;
};

}  // namespace tidemark

#endif  // TIDEMARK_CAPTURE_SOURCE_H_
