// A pipeline stage between capture and the journal: Journal::Append (protobuf
// serialization, lz4, CRC-32C and the write) runs on its own thread, so that the
// capture thread only reads and decodes the source. Chunks are appended in the order
// pushed; at most `max_queued` chunks wait (Push blocks beyond that).
//
// The commits of each appended chunk are handed back (TakeAppended) with their journal
// offsets, so the capture thread acknowledges a commit to the source only once the
// journal holds it durably, as before. An Append error is sticky: Push, TakeAppended
// and Finish return it from then on.
//
// Thread safety: Push/TakeAppended/Finish from one thread (the capture thread).
#ifndef TIDEMARK_CAPTURE_JOURNAL_APPENDER_H_
#define TIDEMARK_CAPTURE_JOURNAL_APPENDER_H_

#include <cstdint>
#include <deque>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "offsets/journal.h"
#include "tidemark/v1/journal.pb.h"

namespace tidemark {

class JournalAppender {
 public:
  // (journal offset of a TxnCommit entry, its source position)
  using Commit = std::pair<uint64_t, v1::SourcePosition>;

  // `journal` must outlive the appender; the appender is its only writer.
  JournalAppender(Journal* journal, size_t max_queued = 2);
  ~JournalAppender();  // Finish() if not done; queued chunks are still appended

  // Queues `entries` (non-empty) for appending, waiting up to `wait` while the queue is
  // full. Returns false (entries untouched) when still full after `wait`; an error once
  // an Append failed.
  absl::StatusOr<bool> Push(std::vector<v1::JournalEntry>* entries, absl::Duration wait);

  // Moves the commits of chunks appended since the last call to `out` (in journal order).
  absl::Status TakeAppended(std::deque<Commit>* out);

  // True once every pushed chunk is appended (or an Append failed), waiting up to `wait`.
  bool Drained(absl::Duration wait);

  // Appends everything queued, then stops the thread. Returns the first Append error.
  absl::Status Finish();

 private:
  struct Chunk {
    std::vector<v1::JournalEntry> entries;
    std::vector<std::pair<size_t, v1::SourcePosition>> commits;  // (index in entries, position)
  };
  void Loop();

  Journal* const journal_;
  const size_t max_queued_;
  absl::Mutex mu_;
  std::deque<Chunk> queue_ ABSL_GUARDED_BY(mu_);
  std::deque<Commit> appended_ ABSL_GUARDED_BY(mu_);
  absl::Status error_ ABSL_GUARDED_BY(mu_);
  bool finishing_ ABSL_GUARDED_BY(mu_) = false;
  bool appending_ ABSL_GUARDED_BY(mu_) = false;  // the thread is inside Journal::Append
  std::thread thread_;
};

}  // namespace tidemark

#endif  // TIDEMARK_CAPTURE_JOURNAL_APPENDER_H_
