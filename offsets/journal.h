// The journal (DESIGN.md §1): an append-only log of segment files in DIR, each
// record a CRC-32C-guarded, lz4-compressed JournalBatch. Every entry has a 64-bit
// offset: the first entry ever appended is offset 0, and offsets never repeat
// except after TruncateTo.
//
// On-disk format: see journal_format.h.
//
// Thread safety: one writer thread calls Append/TruncateTo; any number of
// JournalReaders (each owned by one thread) read concurrently; the other methods
// are thread-safe.
//
// Visibility: readers see an entry only once it is durable (fsync'd) AND a TxnCommit
// entry at or after it is durable. A transaction thus becomes visible whole, even one
// that spans many records (it is streamed to disk, never held in memory), and the
// entries cut by TruncateTo at start-up (an incomplete transaction) were never seen
// by any sink. Entries outside transactions become visible with the next commit.
#ifndef TIDEMARK_OFFSETS_JOURNAL_H_
#define TIDEMARK_OFFSETS_JOURNAL_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "offsets/journal_batch.h"
#include "tidemark/v1/journal.pb.h"

namespace tidemark {

struct JournalOptions {
  std::string dir;                              // created if missing
  uint64_t segment_bytes = 64ull << 20;         // roll to a new segment past this
  uint64_t group_commit_bytes = 1ull << 20;     // fsync once this much is written ...
  absl::Duration group_commit_delay = absl::Milliseconds(5);  // ... or this long after the first unsynced write
  uint64_t max_bytes = 0;                       // disk cap; 0 = none. Append blocks at the cap.
  absl::Duration retain = absl::Hours(24);      // rewind window: keep segments younger than this
  uint64_t retain_bytes = 0;                    // and at least this many bytes of newest segments
  // Recently appended records stay in memory until every reader has read them, up
  // to this many bytes of their serialized (uncompressed) size, for readers that
  // keep up with the writer: they
  // take the entries as appended instead of reading, decompressing and parsing them
  // back. 0 = none. Memory use is a few times this figure for narrow rows.
  uint64_t cache_bytes = 16ull << 20;
  // Before the cache drops a record that a reader has not read yet, the writer waits
  // up to this long for that reader if it read within this long and has visible
  // entries left: capture then keeps pace with sinks that keep up, instead of
  // pushing their next records out of memory. A reader that stops reading (its sink
  // waits for a target, retries) holds nothing back for longer than this.
  absl::Duration cache_reader_wait = absl::Seconds(1);
};

class JournalReader;

struct JournalReadOptions {
  // False: the reader may return a change event as an entry whose `event` is set but
  // empty. Records it reads from disk then skip parsing events (records still in
  // memory come whole): for sinks that only count entries and checkpoint (null).
  bool event_bodies = true;
};

class Journal {
 public:
  // Opens or creates the journal. Recovery: a torn or corrupt record at the very
  // tail of the newest segment (a crash mid-write) is cut off and logged; a bad
  // record anywhere before the tail is kDataLoss naming the segment file and byte
  // offset (the bytes are kept). Only one process may have a journal open: Open
  // takes an flock on DIR/LOCK and fails with kFailedPrecondition if it is held.
  static absl::StatusOr<std::unique_ptr<Journal>> Open(const JournalOptions& options);
  ~Journal();  // syncs and stops the background flusher

  // Appends `entries` as one record; returns the offset of the first. Returns once
  // the record is written (not yet durable): durability follows by group commit.
  // Blocks while the disk cap is reached (logging once that capture is paused and
  // why) until retention frees space or Close() is called (then kCancelled). On
  // reaching the cap it first rolls to a new segment, so that retention can delete
  // everything written so far once the sinks have applied it.
  // An empty `entries` appends nothing and returns next_offset().
  absl::StatusOr<uint64_t> Append(std::vector<v1::JournalEntry> entries);

  // Forces an fsync of everything appended; returns when durable.
  absl::Status Sync();

  // Offset the next appended entry gets.
  uint64_t next_offset() const;
  // Entries with offset < durable_offset() are fsync'd.
  uint64_t durable_offset() const;
  // Entries with offset < visible_offset() are durable and end with a durable commit:
  // what readers may return.
  uint64_t visible_offset() const;
  // Oldest offset still on disk.
  uint64_t first_offset() const;
  // Bytes on disk over all segments.
  uint64_t disk_bytes() const;

  // Blocks until durable_offset() > offset or `timeout` passes; returns durable_offset().
  uint64_t WaitDurable(uint64_t offset, absl::Duration timeout);

  // Called (from the flusher thread) after each fsync with the new durable_offset().
  // Set once, before the first Append.
  void SetDurableCallback(std::function<void(uint64_t durable_offset)> cb);

  // The newest TxnCommit entry on disk and its offset, if any (used at start to
  // find the resume position and the end of the last whole transaction).
  absl::StatusOr<std::optional<std::pair<uint64_t, v1::TxnCommit>>> LastCommit();

  // Drops every entry with offset >= `offset` (an incomplete transaction at start-up).
  // Only before any reader exists.
  absl::Status TruncateTo(uint64_t offset);

  // Deletes whole segments all of whose entries are < `applied_by_all` (the lowest
  // sink checkpoint + 1) and that are outside the rewind window (retain / retain_bytes).
  // The newest segment is never deleted. Unblocks a paused Append when space frees.
  absl::Status ApplyRetention(uint64_t applied_by_all);

  // A reader positioned at `from` (>= first_offset(), <= next_offset()); kOutOfRange
  // naming the oldest retained offset if `from` was already deleted.
  absl::StatusOr<std::unique_ptr<JournalReader>> NewReader(uint64_t from,
                                                           const JournalReadOptions& options = {});

  // Unblocks Append and WaitDurable, syncs, stops the flusher. Idempotent.
  void Close();

  // --- Observability (metrics, status, tests). Thread-safe. ---
  // Number of fsync rounds the flusher completed (one per group commit).
  uint64_t sync_count() const;
  // Number of segment files on disk.
  size_t segment_count() const;
  // Records readers took from the cache of recent records / read from disk.
  uint64_t records_read_from_memory() const;
  uint64_t records_read_from_disk() const;
  // True while Append is blocked at the disk cap (capture paused).
  bool paused() const;
  // Blocks until Append is paused at the disk cap or `timeout` passes; returns paused().
  bool WaitUntilPaused(absl::Duration timeout);

  class Impl;

 private:
  explicit Journal(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// A reader must not outlive the Journal that made it.
class JournalReader {
 public:
  virtual ~JournalReader() = default;
  // Up to `max_entries` visible entries from the reader's position, waiting up to
  // `max_wait` for at least one. Empty batch (first_offset = position) on timeout.
  // A bad record is kDataLoss naming segment and byte offset; kOutOfRange when
  // retention deleted the reader's position; kCancelled after Journal::Close() once
  // nothing visible is left to return.
  virtual absl::StatusOr<JournalBatch> Next(size_t max_entries, absl::Duration max_wait) = 0;
  // The offset of the next entry this reader returns.
  virtual uint64_t position() const = 0;
};

}  // namespace tidemark

#endif  // TIDEMARK_OFFSETS_JOURNAL_H_
