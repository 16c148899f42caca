// Private to offsets/: the state behind Journal, shared by journal.cc (open,
// recovery, writer, group-commit flusher), journal_maintenance.cc (truncation,
// retention, index) and journal_reader.cc (readers).
//
// Locking: one mutex `mu_` guards all shared state, including the mutable fields
// of every Segment. File I/O happens outside `mu_` except for the rare cases named
// below (segment roll at the disk cap). Only the writer thread (Append/TruncateTo)
// adds records or segments; readers and retention work from copies taken under mu_.
#ifndef TIDEMARK_OFFSETS_JOURNAL_IMPL_H_
#define TIDEMARK_OFFSETS_JOURNAL_IMPL_H_

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "offsets/journal.h"
#include "offsets/segment.h"

namespace tidemark {

class Journal::Impl {
 public:
  explicit Impl(JournalOptions options) : opts_(std::move(options)) {}
  ~Impl();

  // Open: lists, recovers the newest segment, computes offsets; then starts the flusher.
  absl::Status Recover();
  void StartFlusher();

  absl::StatusOr<uint64_t> Append(std::vector<v1::JournalEntry> entries);
  absl::Status Sync();
  uint64_t WaitDurable(uint64_t offset, absl::Duration timeout);
  void SetDurableCallback(std::function<void(uint64_t)> cb);
  absl::StatusOr<std::optional<std::pair<uint64_t, v1::TxnCommit>>> LastCommit();
  absl::Status TruncateTo(uint64_t offset);
  absl::Status ApplyRetention(uint64_t applied_by_all);
  absl::StatusOr<std::unique_ptr<JournalReader>> NewReader(uint64_t from,
                                                           const JournalReadOptions& options);
  void Close();
  bool WaitUntilPaused(absl::Duration timeout);

  uint64_t next_offset() const { absl::MutexLock l(&mu_); return next_offset_; }
  uint64_t durable_offset() const { absl::MutexLock l(&mu_); return durable_offset_; }
  uint64_t visible_offset() const { absl::MutexLock l(&mu_); return visible_offset_; }
  uint64_t first_offset() const { absl::MutexLock l(&mu_); return first_offset_; }
  uint64_t disk_bytes() const { absl::MutexLock l(&mu_); return disk_bytes_; }
  uint64_t sync_count() const { absl::MutexLock l(&mu_); return sync_count_; }
  bool paused() const { absl::MutexLock l(&mu_); return paused_; }
  size_t segment_count() const { absl::MutexLock l(&mu_); return segments_.size(); }

  // --- for readers (journal_reader.cc) ---
  struct Located {
    std::shared_ptr<SegmentFile> file;
    RecordInfo info;
  };
  // The record holding `offset` (first_offset() <= offset < next_offset()); kOutOfRange
  // when retention deleted it; kDataLoss when a segment is damaged.
  absl::StatusOr<Located> Locate(uint64_t offset) ABSL_LOCKS_EXCLUDED(mu_);
  // Waits until visible_offset() > offset, Close() or a failed fsync, or `deadline`.
  struct Visible {
    uint64_t offset;
    bool closed;
    absl::Status error;  // a failed fsync
  };
  Visible WaitVisible(uint64_t offset, absl::Time deadline) ABSL_LOCKS_EXCLUDED(mu_);
  // kOutOfRange naming the oldest retained offset when `offset` was deleted.
  absl::Status CheckRetained(uint64_t offset) const ABSL_LOCKS_EXCLUDED(mu_);
  // The cached record holding `offset` (see JournalOptions::cache_bytes), if any.
  struct CachedRecord {
    uint64_t first = 0;
    SharedEntries entries;
    uint64_t bytes = 0;  // serialized size
  };
  std::optional<CachedRecord> Cached(uint64_t offset) const ABSL_LOCKS_EXCLUDED(cache_mu_);
  // Where a reader is, for the cache's eviction (see Cache()). Guarded by cache_mu_.
  struct ReaderMark {
    uint64_t position = 0;  // the next offset it returns
    absl::Time last_read;   // its last Next(); InfinitePast before the first
  };
  // Registers a reader / records where it is / forgets it.
  std::shared_ptr<ReaderMark> AddReader(uint64_t position) ABSL_LOCKS_EXCLUDED(cache_mu_);
  void MarkReader(ReaderMark* mark, uint64_t position) ABSL_LOCKS_EXCLUDED(cache_mu_);
  void RemoveReader(const std::shared_ptr<ReaderMark>& mark) ABSL_LOCKS_EXCLUDED(cache_mu_);
  // Records readers took from the cache / decoded.
  void CountRead(bool cached);
  uint64_t reads_cached() const { return reads_cached_.load(); }
  uint64_t reads_decoded() const { return reads_decoded_.load(); }

 private:
  struct Segment {
    explicit Segment(std::shared_ptr<SegmentFile> f) : file(std::move(f)), base(file->base()) {}
    const std::shared_ptr<SegmentFile> file;
    const uint64_t base;
    // The fields below are guarded by Impl::mu_.
    uint64_t end = 0;    // one past its last entry: the next segment's base, or next_offset_
    uint64_t bytes = 0;  // file size (valid records only)
    bool indexed = false;
    std::vector<RecordInfo> index;  // when indexed: every record, in order
  };

  // Creates a new segment at next_offset_ and makes it the active one. Writer only.
  absl::StatusOr<std::shared_ptr<Segment>> Roll() ABSL_LOCKS_EXCLUDED(mu_);
  // Waits at the disk cap (rolling first so that retention can free the old segment).
  absl::Status WaitForSpace() ABSL_LOCKS_EXCLUDED(mu_);
  void FlusherLoop() ABSL_LOCKS_EXCLUDED(mu_);
  // Builds `seg`'s record index from its headers if not yet done.
  absl::Status EnsureIndexed(const std::shared_ptr<Segment>& seg) ABSL_LOCKS_EXCLUDED(mu_);
  // The newest record on disk that holds a TxnCommit, if any.
  absl::StatusOr<std::optional<Located>> FindLastCommitRecord() ABSL_LOCKS_EXCLUDED(mu_);
  // Recomputes written/visible offsets from the records on disk (open, TruncateTo).
  absl::Status RecomputeVisible() ABSL_LOCKS_EXCLUDED(mu_);
  absl::Status RecoverNewest(Segment* seg) ABSL_LOCKS_EXCLUDED(mu_);
  absl::Status WriterError() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Keeps an appended record's entries for readers, dropping the oldest beyond
  // opts_.cache_bytes. Before dropping a record that an active reader (one that read
  // within opts_.cache_reader_wait and has committed entries left to read) has not read
  // yet, waits up to that long for it: a sink that keeps pace with capture reads from
  // memory, at the price of capture slowing to the pace of the sinks while they
  // apply. A sink that stops reading holds nothing back. Writer only.
  // `committed_end`: written_visible_ before this record (what readers will see once
  // it is durable, which the flusher does without the writer).
  void Cache(uint64_t first, std::vector<v1::JournalEntry> entries, uint64_t bytes,
             uint64_t committed_end) ABSL_LOCKS_EXCLUDED(cache_mu_);
  void ClearCache() ABSL_LOCKS_EXCLUDED(cache_mu_);
  // Moves the cached records that every reader has read past to `out` (to be freed
  // once cache_mu_ is released): while the readers keep up, the cache holds only what
  // they have yet to read, and memory is reused while it is warm.
  void DropReadRecords(std::deque<CachedRecord>* out) ABSL_EXCLUSIVE_LOCKS_REQUIRED(cache_mu_);

  const JournalOptions opts_;
  int lock_fd_ = -1;  // DIR/LOCK, flock'd: one process per journal

  mutable absl::Mutex mu_;
  absl::CondVar flush_cv_;    // flusher: data to sync, Sync() request, Close()
  absl::CondVar durable_cv_;  // durable/visible advanced, fsync failed, or Close()
  absl::CondVar space_cv_;    // retention freed space, Close(), or paused_ changed

  std::vector<std::shared_ptr<Segment>> segments_ ABSL_GUARDED_BY(mu_);  // oldest first; never empty
  uint64_t first_offset_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t next_offset_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t durable_offset_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t visible_offset_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t written_visible_ ABSL_GUARDED_BY(mu_) = 0;  // visible_offset_ once all is durable
  uint64_t disk_bytes_ ABSL_GUARDED_BY(mu_) = 0;

  uint64_t unsynced_bytes_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Time first_unsynced_ ABSL_GUARDED_BY(mu_);
  bool sync_requested_ ABSL_GUARDED_BY(mu_) = false;
  bool dir_dirty_ ABSL_GUARDED_BY(mu_) = false;  // a segment was created: fsync the directory
  std::vector<std::shared_ptr<SegmentFile>> dirty_files_ ABSL_GUARDED_BY(mu_);
  uint64_t sync_count_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Status sync_error_ ABSL_GUARDED_BY(mu_);   // sticky: an fsync failed
  absl::Status write_error_ ABSL_GUARDED_BY(mu_);  // sticky: a failed write could not be undone
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
  bool flusher_done_ ABSL_GUARDED_BY(mu_) = true;
  bool paused_ ABSL_GUARDED_BY(mu_) = false;
  std::function<void(uint64_t)> durable_cb_ ABSL_GUARDED_BY(mu_);

  mutable absl::Mutex cache_mu_ ABSL_ACQUIRED_AFTER(mu_);
  std::deque<CachedRecord> cache_ ABSL_GUARDED_BY(cache_mu_);  // oldest first
  uint64_t cache_used_ ABSL_GUARDED_BY(cache_mu_) = 0;
  std::vector<std::shared_ptr<ReaderMark>> readers_ ABSL_GUARDED_BY(cache_mu_);
  absl::CondVar reader_moved_;  // a reader advanced or went away (with cache_mu_)
  std::atomic<uint64_t> reads_cached_{0};
  std::atomic<uint64_t> reads_decoded_{0};

  absl::Mutex close_mu_;  // serializes Close()
  std::thread flusher_ ABSL_GUARDED_BY(close_mu_);
  // Serializes ApplyRetention and TruncateTo (both delete segments).
  absl::Mutex retention_mu_ ABSL_ACQUIRED_BEFORE(mu_);
};

}  // namespace tidemark

#endif  // TIDEMARK_OFFSETS_JOURNAL_IMPL_H_
