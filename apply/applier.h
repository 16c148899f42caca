// The ordered applier (DESIGN.md §1 Apply): one thread per sink reads the journal
// from the sink's checkpoint and hands batches to the sink in journal order, then
// flushes (the sink records its checkpoint). Transient sink errors (kUnavailable,
// kAborted) are retried with backoff from the sink's checkpoint; any other error
// stops this sink (others go on) and is reported by status().
#ifndef TIDEMARK_APPLY_APPLIER_H_
#define TIDEMARK_APPLY_APPLIER_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "apply/sink.h"
#include "offsets/journal.h"

namespace tidemark {

struct ApplierOptions {
  std::string name;                 // the sink's name, for logs
  size_t batch_events = 4096;       // entries per Write
  absl::Duration batch_wait = absl::Milliseconds(100);  // wait for the first entry of a batch
};

class Applier {
 public:
  // `sink` and `journal` must outlive the applier.
  Applier(ApplierOptions options, Sink* sink, Journal* journal);
  ~Applier();  // Stop() + join

  // Starts the thread. Call once.
  void Start();
  // Asks the thread to flush and exit; joins it.
  void Stop();

  // Offset just past the newest entry this sink has durably applied (0: none yet).
  // Thread-safe; used for journal retention.
  uint64_t applied_end() const { return applied_end_.load(); }
  // True once the thread ended with an error (see status()).
  bool failed() const { return failed_.load(); }
  absl::Status status() const;

 private:
  void Run();
  absl::Status RunOnce();

  ApplierOptions options_;
  Sink* sink_;
  Journal* journal_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> failed_{false};
  std::atomic<uint64_t> applied_end_{0};
  mutable absl::Mutex mu_;
  absl::Status status_ ABSL_GUARDED_BY(mu_);
};

}  // namespace tidemark

#endif  // TIDEMARK_APPLY_APPLIER_H_
