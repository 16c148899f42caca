// JournalReader: tails the journal from any retained offset.
#include <pthread.h>

#include <algorithm>
#include <deque>
#include <memory>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

#include "absl/synchronization/mutex.h"

#include "common/status_macros.h"
#include "common/strings.h"
#include "offsets/journal.h"
#include "offsets/journal_impl.h"

namespace tidemark {
namespace {

// A record's entries, decoded.
struct Decoded {
  uint64_t first = 0;
  SharedEntries entries;
};

// Reads and decodes the record holding `offset`, on an arena of its own.
absl::StatusOr<Decoded> DecodeRecord(Journal::Impl* journal, uint64_t offset,
                                     journal_format::EntryBodies bodies) {
  TM_ASSIGN_OR_RETURN(Journal::Impl::Located loc, journal->Locate(offset));
  google::protobuf::ArenaOptions opts;
  // Parsed, a record takes several times its compressed size: blocks of that order.
  opts.start_block_size = std::clamp<size_t>(8 * loc.info.size, 64u << 10, 4u << 20);
  opts.max_block_size = 4u << 20;
  auto arena = std::make_unique<google::protobuf::Arena>(opts);
  auto* rec = google::protobuf::Arena::CreateMessage<v1::JournalBatch>(arena.get());
  TM_RETURN_IF_ERROR(loc.file->ReadRecord(loc.info, rec, bodies));
  return Decoded{.first = loc.info.first_offset,
                 .entries = std::make_shared<const RecordEntries>(std::move(arena), rec)};
}

// One worker thread that reads and decodes the records after the reader's, up to
// kDepth of them ahead, so that decompressing and parsing overlaps the caller's work
// (a fast sink spends a good part of its thread there). It also destroys the
// records the reader is done with, so their memory goes back where it came from
// and the caller's thread does not pay for it. A persistent thread: its allocator
// arena is reused record after record.
class ReadAheadWorker {
 public:
  static constexpr size_t kDepth = 4;

  ReadAheadWorker(Journal::Impl* journal, journal_format::EntryBodies bodies)
      : journal_(journal), bodies_(bodies), thread_([this] { Loop(); }) {}
  ~ReadAheadWorker() {
    {
      absl::MutexLock l(&mu_);
      stop_ = true;
    }
    thread_.join();
  }

  // Decodes the records from `next` (a record's first offset) on whose first entry
  // is below `visible`: the run going on continues when `next` is where it is,
  // otherwise it starts over at `next`.
  void Follow(uint64_t next, uint64_t visible) {
    absl::MutexLock l(&mu_);
    DropBefore(next);
    const bool on_course = ready_.empty() ? (cursor_ == next && !failed_) : ready_.front().first == next;
    if (!on_course) {
      ready_.clear();
      cursor_ = next;
      failed_ = false;
      ++generation_;
    }
    visible_ = on_course ? std::max(visible_, visible) : visible;
  }

  // Whether the record starting at `offset` is decoded (Take would not wait).
  bool Ready(uint64_t offset) {
    absl::MutexLock l(&mu_);
    DropBefore(offset);
    return !ready_.empty() && ready_.front().first == offset;
  }

  // Moves the decoded record starting at `offset` (or the error reading it) into
  // `out`, waiting while the worker is on it; false when it is not.
  bool Take(uint64_t offset, absl::StatusOr<Decoded>* out) {
    absl::MutexLock l(&mu_);
    DropBefore(offset);
    OnIt on_it{this, offset};
    mu_.Await(absl::Condition(+[](OnIt* o) { return !o->w->ready_.empty() || !o->w->Pending(o->offset); },
                              &on_it));
    if (ready_.empty() || ready_.front().first != offset) return false;
    *out = std::move(ready_.front().decoded);
    ready_.pop_front();
    return true;
  }

  // Hands over records the reader no longer needs: the worker drops them (their last
  // reference, unless a sink still keeps one).
  void Dispose(std::vector<SharedEntries>* records) {
    if (records->empty()) return;
    absl::MutexLock l(&mu_);
    for (SharedEntries& r : *records) disposed_.push_back(std::move(r));
    records->clear();
  }

 private:
  struct Item {
    uint64_t first = 0;  // the record's first offset
    uint64_t end = 0;    // one past its last (first + 1 for a failed read)
    absl::StatusOr<Decoded> decoded;
  };
  struct OnIt {
    ReadAheadWorker* w;
    uint64_t offset;
  };

  // The worker is decoding, or is about to decode, the record starting at `offset`.
  bool Pending(uint64_t offset) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (busy_) return decoding_ == offset;
    return ready_.empty() && cursor_ == offset && !failed_ && cursor_ < visible_;
  }
  bool HasWork() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return stop_ || !disposed_.empty() ||
           (!failed_ && cursor_ < visible_ && ready_.size() < kDepth);
  }
  void DropBefore(uint64_t offset) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    while (!ready_.empty() && ready_.front().end <= offset) ready_.pop_front();
  }

  void Loop() {
    pthread_setname_np(pthread_self(), "tm-read-ahead");  // names the thread in top/perf
    std::vector<SharedEntries> drop;
    while (true) {
      uint64_t offset = 0;
      uint64_t generation = 0;
      bool decode = false;
      {
        absl::MutexLock l(&mu_);
        mu_.Await(absl::Condition(+[](ReadAheadWorker* w) { return w->HasWork(); }, this));
        if (stop_) return;
        drop.swap(disposed_);
        if (!failed_ && cursor_ < visible_ && ready_.size() < kDepth) {
          decode = true;
          offset = cursor_;
          generation = generation_;
          busy_ = true;
          decoding_ = offset;
        }
      }
      drop.clear();  // outside the lock
      if (!decode) continue;
      absl::StatusOr<Decoded> d = DecodeRecord(journal_, offset, bodies_);
      absl::MutexLock l(&mu_);
      busy_ = false;
      if (generation != generation_) {  // a run given up: dropped on the next turn
        if (d.ok()) disposed_.push_back(std::move(d->entries));
        continue;
      }
      if (d.ok()) {
        const uint64_t end = d->first + d->entries->size();
        ready_.push_back(Item{d->first, end, std::move(d)});
        cursor_ = end;
      } else {
        ready_.push_back(Item{offset, offset + 1, std::move(d)});
        failed_ = true;  // the reader reads it again in place and reports the error
      }
    }
  }

  Journal::Impl* const journal_;
  const journal_format::EntryBodies bodies_;
  absl::Mutex mu_;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  uint64_t cursor_ ABSL_GUARDED_BY(mu_) = 0;   // the next record to decode
  uint64_t visible_ ABSL_GUARDED_BY(mu_) = 0;  // decode only records starting below
  bool failed_ ABSL_GUARDED_BY(mu_) = false;   // the run stopped at a failed read
  uint64_t generation_ ABSL_GUARDED_BY(mu_) = 0;  // bumped when the run starts over
  bool busy_ ABSL_GUARDED_BY(mu_) = false;
  uint64_t decoding_ ABSL_GUARDED_BY(mu_) = 0;  // while busy_
  std::deque<Item> ready_ ABSL_GUARDED_BY(mu_);  // decoded, in journal order
  std::vector<SharedEntries> disposed_ ABSL_GUARDED_BY(mu_);
  std::thread thread_;  // last: starts after the fields above exist
};

// Keeps the decoded record it is in, so that a record cut by max_entries is read
// and decompressed once, not once per Next. The records after it are decoded ahead
// (ReadAheadWorker); a failed read ahead is simply read again in place, so its error
// comes from Next as before. Next stops at a record boundary when it has entries
// and the next record is not decoded yet, so the caller works on what it has while
// the worker catches up, instead of waiting for it.
class Reader final : public JournalReader {
 public:
  Reader(Journal::Impl* journal, uint64_t from, const JournalReadOptions& options)
      : journal_(journal),
        bodies_(options.event_bodies ? journal_format::EntryBodies::kAll
                                     : journal_format::EntryBodies::kEntryKinds),
        pos_(from),
        mark_(journal->AddReader(from)) {}
  ~Reader() override { journal_->RemoveReader(mark_); }

  absl::StatusOr<JournalBatch> Next(size_t max_entries, absl::Duration max_wait) override {
    // The caller is done with the previous batch: the worker drops what it viewed.
    if (ahead_ != nullptr) {
      ahead_->Dispose(&done_);
    } else {
      done_.clear();
    }
    JournalBatch batch;
    batch.first_offset = pos_;
    if (max_entries == 0) return batch;
    auto [visible, closed, error] = journal_->WaitVisible(pos_, absl::Now() + max_wait);
    TM_RETURN_IF_ERROR(journal_->CheckRetained(pos_));
    if (visible <= pos_) {
      journal_->MarkReader(mark_.get(), pos_);
      if (!error.ok()) return error;
      if (closed) {
        return absl::CancelledError(
            fmt::format("journal: closed; reader at offset {} stops", pos_));
      }
      return batch;
    }
    const uint64_t limit = visible - pos_ <= max_entries ? visible : pos_ + max_entries;
    batch.entries.reserve(limit - pos_);
    while (pos_ < limit) {
      if (pos_ < record_first_ || pos_ >= record_end()) {
        if (!batch.entries.empty() && ahead_ != nullptr && !ahead_->Ready(pos_) &&
            !journal_->Cached(pos_).has_value()) {
          break;
        }
        absl::Status st = Load();
        if (!st.ok()) {
          if (batch.entries.empty()) return st;
          break;  // return what we have; the error comes again on the next call
        }
        ReadAhead(visible);
      }
      const uint64_t to = std::min<uint64_t>(limit, record_end());
      batch.entries.Append(record_, pos_ - record_first_, to - record_first_);
      pos_ = to;
    }
    if (pos_ >= record_end()) Retire();
    journal_->MarkReader(mark_.get(), pos_);
    return batch;
  }

  uint64_t position() const override { return pos_; }

 private:
  uint64_t record_end() const { return record_ ? record_first_ + record_->size() : 0; }

  void Retire() {
    if (record_ != nullptr) done_.push_back(std::move(record_));
    record_.reset();
  }

  // Makes the record holding pos_ the current one: from the journal's cache of
  // recent records, else read and decoded (by the read ahead when it was for pos_
  // and succeeded).
  absl::Status Load() {
    Retire();
    if (std::optional<Journal::Impl::CachedRecord> c = journal_->Cached(pos_)) {
      journal_->CountRead(/*cached=*/true);
      record_first_ = c->first;
      record_ = std::move(c->entries);
      return absl::OkStatus();
    }
    journal_->CountRead(/*cached=*/false);
    absl::StatusOr<Decoded> d = absl::UnavailableError("not read ahead");
    if (ahead_ == nullptr || !ahead_->Take(pos_, &d) || !d.ok()) {
      d = DecodeRecord(journal_, pos_, bodies_);
    }
    TM_RETURN_IF_ERROR(d.status());
    record_first_ = d->first;
    record_ = std::move(d->entries);
    return absl::OkStatus();
  }

  // Lets the worker decode the records after the current one that are visible (so
  // durable and complete) and not in the journal's cache.
  void ReadAhead(uint64_t visible) {
    const uint64_t next = record_end();
    if (next >= visible || journal_->Cached(next).has_value()) return;
    if (ahead_ == nullptr) ahead_ = std::make_unique<ReadAheadWorker>(journal_, bodies_);
    ahead_->Follow(next, visible);
  }

  Journal::Impl* const journal_;
  const journal_format::EntryBodies bodies_;
  uint64_t pos_;
  uint64_t record_first_ = 0;  // offset of record_'s first entry
  SharedEntries record_;      // the record holding pos_, if loaded
  std::vector<SharedEntries> done_;  // records behind pos_, viewed by the last batch
  std::unique_ptr<ReadAheadWorker> ahead_;  // started on the first read ahead
  const std::shared_ptr<Journal::Impl::ReaderMark> mark_;  // where it is, for the cache
};

}  // namespace

Journal::Impl::Visible Journal::Impl::WaitVisible(uint64_t offset, absl::Time deadline) {
  absl::MutexLock l(&mu_);
  while (visible_offset_ <= offset && !closed_ && sync_error_.ok()) {
    if (durable_cv_.WaitWithDeadline(&mu_, deadline)) break;
  }
  return {visible_offset_, closed_, sync_error_};
}

absl::StatusOr<std::unique_ptr<JournalReader>> Journal::Impl::NewReader(
    uint64_t from, const JournalReadOptions& options) {
  {
    absl::MutexLock l(&mu_);
    if (from > next_offset_) {
      return absl::OutOfRangeError(fmt::format(
          "journal: cannot read from offset {}: past the end of the journal (next offset {})",
          from, next_offset_));
    }
  }
  TM_RETURN_IF_ERROR(CheckRetained(from));
  return std::unique_ptr<JournalReader>(new Reader(this, from, options));
}

}  // namespace tidemark
