// The capture loop (DESIGN.md §1 Capture): pulls chunks from the Source, appends
// them to the journal (on the JournalAppender's thread, so that encoding the journal
// overlaps decoding the source), and acknowledges to the source each commit once the journal
// holds it durably (journal fsync → source acknowledge, never reordered). Also runs
// journal retention against the sinks' applied offsets.
#ifndef TIDEMARK_CAPTURE_CAPTURE_LOOP_H_
#define TIDEMARK_CAPTURE_CAPTURE_LOOP_H_

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "capture/source.h"
#include "offsets/journal.h"

namespace tidemark {

struct CaptureLoopOptions {
  absl::Duration poll = absl::Milliseconds(100);           // longest wait in Source::Next
  absl::Duration retention_every = absl::Seconds(5);
};

class JournalAppender;

class CaptureLoop {
 public:
  // `applied_by_all()` returns the lowest applied_end over all sinks (retention bound).
  // `source` and `journal` must outlive the loop.
  CaptureLoop(CaptureLoopOptions options, Source* source, Journal* journal,
              std::function<uint64_t()> applied_by_all);

  // Streams until `stop` becomes true (then returns OK after a final journal sync and
  // acknowledgement) or an error occurs, including a non-OK `health()` (polled each
  // round; e.g. every sink has failed). The source must already be started.
  absl::Status Run(const std::atomic<bool>& stop, const std::function<absl::Status()>& health);

  // Number of change events appended so far (for progress logs).
  uint64_t events_captured() const { return events_; }

 private:
  absl::Status AcknowledgeDurable();
  // The streaming loop of Run, feeding `appender`; returns once `stop` is set and every
  // chunk taken from the source is appended, or on error.
  absl::Status Stream(const std::atomic<bool>& stop, const std::function<absl::Status()>& health,
                      JournalAppender* appender);
  // Retention and the periodic progress log, when due.
  absl::Status Housekeeping(absl::Time* next_retention, absl::Time* next_progress);

  CaptureLoopOptions options_;
  Source* source_;
  Journal* journal_;
  std::function<uint64_t()> applied_by_all_;
  // Commits appended but not yet durable: (offset of the TxnCommit entry, its position).
  std::deque<std::pair<uint64_t, v1::SourcePosition>> pending_;
  uint64_t events_ = 0;
};

}  // namespace tidemark

#endif  // TIDEMARK_CAPTURE_CAPTURE_LOOP_H_
