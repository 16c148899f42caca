// JournalReader: tails the journal from any retained offset.
#include <algorithm>
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

// Reads and decodes the record holding `offset`.
absl::StatusOr<Decoded> DecodeRecord(Journal::Impl* journal, uint64_t offset) {
  TM_ASSIGN_OR_RETURN(Journal::Impl::Located loc, journal->Locate(offset));
  TM_ASSIGN_OR_RETURN(v1::JournalBatch rec, loc.file->ReadRecord(loc.info));
  std::vector<v1::JournalEntry> entries;
  entries.reserve(static_cast<size_t>(rec.entries_size()));
  for (auto& e : *rec.mutable_entries()) entries.push_back(std::move(e));
  return Decoded{.first = loc.info.first_offset,
                 .entries = std::make_shared<const std::vector<v1::JournalEntry>>(std::move(entries))};
}

// One worker thread that reads and decodes one record ahead of the reader, so that
// decompressing and parsing the next record overlaps the caller's work on this one
// (a fast sink spends a good part of its thread there). A persistent thread: its
// allocator arena is reused record after record.
class ReadAheadWorker {
 public:
  explicit ReadAheadWorker(Journal::Impl* journal)
      : journal_(journal), thread_([this] { Loop(); }) {}
  ~ReadAheadWorker() {
    {
      absl::MutexLock l(&mu_);
      stop_ = true;
    }
    thread_.join();
  }

  // Starts decoding the record holding `offset` unless a request is pending.
  void Start(uint64_t offset) {
    absl::MutexLock l(&mu_);
    if (want_.has_value() || busy_) return;
    done_.reset();
    want_ = offset;
  }

  // The decoded record if the last request was for `offset` (waiting for it to
  // finish); nullopt otherwise.
  std::optional<absl::StatusOr<Decoded>> Take(uint64_t offset) {
    absl::MutexLock l(&mu_);
    mu_.Await(absl::Condition(
        +[](ReadAheadWorker* w) { return !w->busy_ && !w->want_.has_value(); }, this));
    if (!done_.has_value() || done_->first != offset) return std::nullopt;
    std::optional<absl::StatusOr<Decoded>> out(std::move(done_->second));
    done_.reset();
    return out;
  }

 private:
  void Loop() {
    while (true) {
      uint64_t offset;
      {
        absl::MutexLock l(&mu_);
        mu_.Await(absl::Condition(
            +[](ReadAheadWorker* w) { return w->stop_ || w->want_.has_value(); }, this));
        if (stop_) return;
        offset = *want_;
        want_.reset();
        busy_ = true;
      }
      absl::StatusOr<Decoded> d = DecodeRecord(journal_, offset);
      absl::MutexLock l(&mu_);
      done_.emplace(offset, std::move(d));
      busy_ = false;
    }
  }

  Journal::Impl* const journal_;
  absl::Mutex mu_;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  bool busy_ ABSL_GUARDED_BY(mu_) = false;
  std::optional<uint64_t> want_ ABSL_GUARDED_BY(mu_);
  std::optional<std::pair<uint64_t, absl::StatusOr<Decoded>>> done_ ABSL_GUARDED_BY(mu_);
  std::thread thread_;  // last: starts after the fields above exist
};

// Keeps the decoded record it is in, so that a record cut by max_entries is read
// and decompressed once, not once per Next. The next visible record is decoded
// ahead (ReadAheadWorker); a failed read ahead is simply read again in place, so
// its error comes from Next as before.
class Reader final : public JournalReader {
 public:
  Reader(Journal::Impl* journal, uint64_t from)
      : journal_(journal), pos_(from), mark_(journal->AddReader(from)) {}
  ~Reader() override { journal_->RemoveReader(mark_); }

  absl::StatusOr<JournalBatch> Next(size_t max_entries, absl::Duration max_wait) override {
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
    if (pos_ >= record_end()) record_.reset();
    journal_->MarkReader(mark_.get(), pos_);
    return batch;
  }

  uint64_t position() const override { return pos_; }

 private:
  uint64_t record_end() const { return record_ ? record_first_ + record_->size() : 0; }

  // Makes the record holding pos_ the current one: from the journal's cache of
  // recent records, else read and decoded (by the read ahead when it was for pos_
  // and succeeded).
  absl::Status Load() {
    record_.reset();
    if (std::optional<Journal::Impl::CachedRecord> c = journal_->Cached(pos_)) {
      journal_->CountRead(/*cached=*/true);
      record_first_ = c->first;
      record_ = std::move(c->entries);
      return absl::OkStatus();
    }
    journal_->CountRead(/*cached=*/false);
    std::optional<absl::StatusOr<Decoded>> d;
    if (ahead_ != nullptr) d = ahead_->Take(pos_);
    if (!d.has_value() || !d->ok()) d = DecodeRecord(journal_, pos_);
    TM_RETURN_IF_ERROR(d->status());
    record_first_ = (*d)->first;
    record_ = std::move((*d)->entries);
    return absl::OkStatus();
  }

  // Starts decoding the record after the current one when its first entry is
  // visible (so that record is durable and complete) and it is not in the journal's
  // cache.
  void ReadAhead(uint64_t visible) {
    const uint64_t next = record_end();
    if (next >= visible || journal_->Cached(next).has_value()) return;
    if (ahead_ == nullptr) ahead_ = std::make_unique<ReadAheadWorker>(journal_);
    ahead_->Start(next);
  }

  Journal::Impl* const journal_;
  uint64_t pos_;
  uint64_t record_first_ = 0;  // offset of record_'s first entry
  SharedEntries record_;      // the record holding pos_, if loaded
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

absl::StatusOr<std::unique_ptr<JournalReader>> Journal::Impl::NewReader(uint64_t from) {
  {
    absl::MutexLock l(&mu_);
    if (from > next_offset_) {
      return absl::OutOfRangeError(fmt::format(
          "journal: cannot read from offset {}: past the end of the journal (next offset {})",
          from, next_offset_));
    }
  }
  TM_RETURN_IF_ERROR(CheckRetained(from));
  return std::unique_ptr<JournalReader>(new Reader(this, from));
}

}  // namespace tidemark
