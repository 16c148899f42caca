// JournalReader: tails the journal from any retained offset.
#include <algorithm>

#include "common/status_macros.h"
#include "common/strings.h"
#include "offsets/journal.h"
#include "offsets/journal_impl.h"

namespace tidemark {
namespace {

// Keeps the decoded record it is in, so that a record cut by max_entries is read
// and decompressed once, not once per Next.
class Reader final : public JournalReader {
 public:
  Reader(Journal::Impl* journal, uint64_t from) : journal_(journal), pos_(from) {}

  absl::StatusOr<JournalBatch> Next(size_t max_entries, absl::Duration max_wait) override {
    JournalBatch batch;
    batch.first_offset = pos_;
    if (max_entries == 0) return batch;
    auto [visible, closed, error] = journal_->WaitVisible(pos_, absl::Now() + max_wait);
    TM_RETURN_IF_ERROR(journal_->CheckRetained(pos_));
    if (visible <= pos_) {
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
      if (pos_ < cache_first_ || pos_ >= cache_first_ + cache_.size()) {
        absl::Status st = Load();
        if (!st.ok()) {
          if (batch.entries.empty()) return st;
          break;  // return what we have; the error comes again on the next call
        }
      }
      const uint64_t to = std::min<uint64_t>(limit, cache_first_ + cache_.size());
      for (uint64_t o = pos_; o < to; ++o) {
        batch.entries.push_back(std::move(cache_[o - cache_first_]));
      }
      pos_ = to;
    }
    if (pos_ >= cache_first_ + cache_.size()) cache_.clear();
    return batch;
  }

  uint64_t position() const override { return pos_; }

 private:
  // Reads and decodes the record holding pos_ into the cache.
  absl::Status Load() {
    cache_.clear();
    TM_ASSIGN_OR_RETURN(Journal::Impl::Located loc, journal_->Locate(pos_));
    TM_ASSIGN_OR_RETURN(v1::JournalBatch rec, loc.file->ReadRecord(loc.info));
    cache_first_ = loc.info.first_offset;
    cache_.reserve(static_cast<size_t>(rec.entries_size()));
    for (auto& e : *rec.mutable_entries()) cache_.push_back(std::move(e));
    return absl::OkStatus();
  }

  Journal::Impl* const journal_;
  uint64_t pos_;
  uint64_t cache_first_ = 0;
  std::vector<v1::JournalEntry> cache_;  // entries before pos_ are moved-from
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
